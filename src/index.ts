// Public API of weft (see DESIGN.md, "Public API"). Names follow TensorFlow.js Layers.

export * as datasets from './api/datasets/index.js';
export * as data from './api/dataset/index.js';
export { input } from './api/layers/input.js';
export { model, LayersModel } from './api/model.js';
export { sequential, Sequential, type SequentialArgs } from './api/sequential.js';
export type { ModelArgs, CompileArgs, FitArgs, FitDatasetArgs, EvaluateArgs, ExplainResult } from './api/model.js';
export { tensor, Tensor, type DataType, type TensorLike } from './api/tensor.js';
export * from './api/ops/index.js';
export { TensorBuffer } from './api/ops/creation.js';
export * as util from './api/ops/util.js';
export { nextFrame } from './api/ops/util.js';
export { memory, type MemoryInfo } from './api/memory.js';
export { train, Optimizer } from './api/compileConfig.js';
export { losses, metrics } from './api/lossFunctions.js';
export { regularizers, Regularizer } from './api/regularizers.js';
export { callbacks, Callback, History, EarlyStopping } from './api/callbacks.js';
export { WeftError } from './api/errors.js';
export { SymbolicTensor } from './api/symbolic.js';
export * as layers from './api/layers/index.js';
export { counters, resetCounters, snapshotCounters } from './runtime/counters.js';
export { getGpu, resetGpu } from './runtime/device.js';
export { plotModel } from './api/plots/plotModel.js';
export { plotHistory } from './api/plots/plotHistory.js';
export { loadLayersModel, type IOHandler, type ModelArtifacts, type SaveResult, type LoadOptions } from './api/io/load.js';
export * as io from './api/io/modelStore.js';
export { exportModule, type ExportModuleOptions, type ExportedModule } from './api/export/exportModule.js';
