// Low-level runtime: device, counters, buffers, pipeline cache, step programs.
export { WeftError } from './errors.js';
export { counters, resetCounters, snapshotCounters, type Counters } from './counters.js';
export {
  getGpu,
  resetGpu,
  assertAlive,
  preferredMatmulVariant,
  gatheredProductsWanted,
  warmUpWanted,
  NO_WEBGPU_MESSAGE,
  type Gpu,
  type AdapterInfo,
} from './device.js';
export { createBuffer, writeBuffer, submit, readBuffer, type BufferOptions } from './resources.js';
export { getPipeline, stepBindGroupLayout, formatMessages, STEP_BINDING_BYTES, type CompiledKernel } from './pipelineCache.js';
export { StepProgram, encodeStepRecords, type StepRecord } from './stepProgram.js';
export { ReadbackRing } from './epochRunner.js';
export {
  ModelSession,
  type DatasetHandle,
  type TrainPass,
  type TrainStep,
  type PredictionSpec,
  type OptimizerState,
  type DeviceLoss,
  type InputStorage,
  type PlanSource,
} from './session.js';
export { setDatasetCacheBudget } from './datasetCache.js';
export { setF16Emulation, f16Emulation } from './f16Emulation.js';
