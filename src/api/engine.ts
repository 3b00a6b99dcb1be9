// The GPU side of a model: parameters on the device, compiled plans per (mode, batch size, storage),
// datasets uploaded once, and the loops that run passes over them.

import { compileGraph, type CompiledGraph } from '../ir/compile.js';
import { optimizerStateArrays, STEP_RECORD_BYTES } from '../ir/kernel.js';
import type { PlanMode } from '../ir/plan.js';
import { getGpu, type Gpu } from '../runtime/device.js';
import { DeviceDataset, type DatasetArray } from '../runtime/deviceDataset.js';
import { DeviceModel } from '../runtime/deviceModel.js';
import { ReadbackRing, runEpoch, type EpochPart } from '../runtime/epochRunner.js';
import { PlanRunner } from '../runtime/planRunner.js';
import { WeftError } from '../runtime/errors.js';
import { createBuffer, readBuffer, writeBuffer } from '../runtime/resources.js';
import { encodeStepRecords, type StepRecord } from '../runtime/stepProgram.js';
import type { Optimizer } from './compileConfig.js';
import type { LayerWeight } from './layers/layer.js';
import { lowerModel, type LowerableModel, type OutputSpec } from './lowerModel.js';

export type InputStorage = { elementType: 'f32' | 'u8'; scale: number }[];

export interface CompiledRunner {
  runner: PlanRunner;
  compiled: CompiledGraph;
}

/** A dataset on the GPU with what passes over it need: an index buffer and a step uniform. */
export interface ResidentData {
  dataset: DeviceDataset;
  storage: InputStorage;
  indices: GPUBuffer;
  /** Step records capacity (records) of `stepUniform`. */
  stepUniform: GPUBuffer;
  capacity: number;
  /** For evaluate/predict: the records written for this batch size (identity order), else -1. */
  writtenForBatch: number;
}

export class Engine {
  private readonly runners = new Map<string, Promise<CompiledRunner>>();
  private readonly owned: GPUBuffer[] = [];
  readonly ring: ReadbackRing;
  /** Optimizer steps taken so far (Adam's t). */
  optimizerStep = 0;
  private compileGeneration = 0;
  private disposed = false;
  /** Runners whose pipelines are still compiling (disposed at once if the engine is). */
  private readonly starting = new Set<PlanRunner>();

  private constructor(
    readonly gpu: Gpu,
    readonly model: LowerableModel,
    readonly device: DeviceModel,
  ) {
    this.ring = new ReadbackRing(gpu, 4096, 8);
  }

  static async create(model: LowerableModel): Promise<Engine> {
    const gpu = await getGpu();
    const paramCount = model.weights.reduce((n, w) => n + w.values.length, 0);
    const device = new DeviceModel(gpu, paramCount);
    let engine: Engine;
    try {
      engine = new Engine(gpu, model, device);
    } catch (e) {
      device.dispose();
      throw e;
    }
    try {
      engine.uploadWeights();
    } catch (e) {
      engine.dispose();
      throw e;
    }
    return engine;
  }

  get paramCount(): number {
    return this.device.paramCount;
  }

  /** Host copies of the weights → GPU (all of them, or only `only`). */
  uploadWeights(only?: LayerWeight[]): void {
    if (only) {
      let offset = 0;
      for (const w of this.model.weights) {
        if (only.includes(w)) this.device.writeParams(w.values, offset);
        offset += w.values.length;
      }
      return;
    }
    const flat = new Float32Array(Math.max(1, this.paramCount));
    let offset = 0;
    for (const w of this.model.weights) {
      flat.set(w.values, offset);
      offset += w.values.length;
    }
    this.device.writeParams(flat);
  }

  /** GPU weights → host copies. */
  async downloadWeights(): Promise<void> {
    this.setHostWeights(await this.device.readParams());
  }

  /** A flat parameter array (the params buffer's layout) → the layers' host copies. */
  setHostWeights(flat: Float32Array): void {
    let offset = 0;
    for (const w of this.model.weights) {
      w.values = flat.slice(offset, offset + w.values.length);
      offset += w.values.length;
    }
  }

  /** Fresh optimizer state (moments, accumulators, Adam's t) after training diverged. */
  resetOptimizerState(): void {
    this.optimizerStep = 0;
    this.device.clearOptimizerSlots();
  }

  /** A new compile(): plans with the new losses/optimizer, fresh optimizer state. */
  recompiled(): void {
    this.compileGeneration++;
    this.optimizerStep = 0;
    this.device.resetOptimizer();
  }

  async runnerFor(mode: PlanMode, batchSize: number, storage: InputStorage, outputs: OutputSpec[], optimizer?: Optimizer): Promise<CompiledRunner> {
    const key = `${this.compileGeneration}|${mode}|${batchSize}|${storage.map((s) => `${s.elementType}${s.scale}`).join(',')}`;
    if (this.disposed) return Promise.reject(new WeftError('this model was disposed; build a new one'));
    let entry = this.runners.get(key);
    if (!entry) {
      entry = (async () => {
        let compiled: CompiledGraph;
        try {
          const graph = lowerModel(this.model, batchSize, mode, mode === 'predict' ? [] : outputs);
          compiled = compileGraph(graph, { mode, inputStorage: storage, ...(optimizer ? { optimizer: optimizer.algorithm } : {}) });
        } catch (e) {
          if (e instanceof WeftError) throw e;
          // The compiler's own errors (unsupported loss, shape, gradient) reach the user as WeftErrors.
          throw new WeftError(`compiling the model for ${mode} (batch size ${batchSize}) failed: ${(e as Error)?.message ?? e}`, { cause: e });
        }
        if (mode === 'train' && optimizer) this.device.prepareTraining(optimizerStateArrays(optimizer.algorithm), optimizer.initialSlotValue, JSON.stringify(optimizer.algorithm));
        const started = PlanRunner.start(this.gpu, compiled.plan);
        this.starting.add(started.runner);
        let runner: PlanRunner;
        try {
          runner = await started.ready;
        } finally {
          this.starting.delete(started.runner);
        }
        // Disposed while its pipelines compiled: dispose() has freed its buffers already.
        if (this.disposed) throw new WeftError('this model was disposed; build a new one');
        return { runner, compiled };
      })();
      entry.catch(() => this.runners.delete(key));
      this.runners.set(key, entry);
    }
    return entry;
  }

  /** Uploads a dataset and makes its index buffer and step uniform. */
  resident(rows: number, arrays: DatasetArray[], storage: InputStorage, maxSteps: number): ResidentData {
    const dataset = new DeviceDataset(this.gpu, rows, arrays);
    const made: GPUBuffer[] = [];
    try {
      const indices = this.own(createBuffer(this.gpu, { size: rows * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, label: 'weft indices' }));
      made.push(indices);
      const capacity = Math.max(1, maxSteps);
      const stepUniform = this.own(createBuffer(this.gpu, { size: capacity * STEP_RECORD_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'weft step records' }));
      return { dataset, storage, indices, stepUniform, capacity, writtenForBatch: -1 };
    } catch (e) {
      dataset.dispose();
      for (const b of made) this.disown(b);
      throw e;
    }
  }

  releaseResident(data: ResidentData): void {
    for (const entry of this.runners.values()) void entry.then((r) => r.runner.forgetDataset(data.dataset)).catch(() => {});
    data.dataset.dispose();
    for (const b of [data.indices, data.stepUniform]) this.disown(b);
  }

  /**
   * One pass over `data` in batches: `records` has one Step record per batch (written by the caller),
   * the last batch may be partial. Returns the metric sums (main + tail parts added).
   */
  async pass(
    mode: PlanMode,
    data: ResidentData,
    batchSize: number,
    outputs: OutputSpec[],
    optimizer: Optimizer | undefined,
    options: { onProgress?: (stepsDone: number, sums: Float32Array) => void; progressEvery?: number; predictions?: GPUBuffer[] } = {},
  ): Promise<{ sums: Float32Array; dispatchesPerStep: number }> {
    const rows = data.dataset.rows;
    const fullSteps = Math.floor(rows / batchSize);
    const tail = rows - fullSteps * batchSize;
    const parts: EpochPart[] = [];
    let dispatchesPerStep = 0;
    const bind = async (size: number, firstRecord: number, steps: number): Promise<void> => {
      const { runner } = await this.runnerFor(mode, size, data.storage, outputs, optimizer);
      dispatchesPerStep = Math.max(dispatchesPerStep, runner.dispatchesPerStep);
      const program = await runner.program({
        model: this.device,
        dataset: data.dataset,
        indices: data.indices,
        stepUniform: data.stepUniform,
        ...(options.predictions ? { outputs: options.predictions } : {}),
      });
      parts.push({ program, metrics: runner.metrics, metricsCount: runner.plan.metricSlotCount, firstRecord, steps });
    };
    if (fullSteps > 0) await bind(batchSize, 0, fullSteps);
    if (tail > 0) await bind(tail, fullSteps, 1);
    const sums = await runEpoch(this.gpu, parts, this.ring, {
      stepsPerSubmit: 64,
      progressEvery: options.progressEvery ?? 0,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    const total = new Float32Array(Math.max(0, ...sums.map((s) => s.length)));
    for (const s of sums) for (let i = 0; i < s.length; i++) total[i] = total[i]! + s[i]!;
    return { sums: total, dispatchesPerStep };
  }

  writeIndices(data: ResidentData, indices: Uint32Array): void {
    writeBuffer(this.gpu, data.indices, 0, indices);
  }

  writeRecords(data: ResidentData, records: StepRecord[]): void {
    writeBuffer(this.gpu, data.stepUniform, 0, encodeStepRecords(records));
  }

  makeOutputBuffer(bytes: number, what = 'predictions'): GPUBuffer {
    const limit = this.gpu.limits.maxStorageBufferBindingSize ?? 134217728;
    if (bytes > limit)
      throw new WeftError(`predict: ${what} take ${bytes} bytes, more than this GPU's maxStorageBufferBindingSize (${limit} bytes); predict fewer samples per call`);
    return createBuffer(this.gpu, { size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, label: 'weft predictions' });
  }

  async read(buffer: GPUBuffer, bytes: number): Promise<Float32Array> {
    return new Float32Array(await readBuffer(this.gpu, buffer, 0, bytes));
  }

  /** All compiled runners so far (for explain()). */
  async compiledRunners(): Promise<CompiledRunner[]> {
    return Promise.all([...this.runners.values()]);
  }

  private own(buffer: GPUBuffer): GPUBuffer {
    this.owned.push(buffer);
    return buffer;
  }

  private disown(buffer: GPUBuffer): void {
    buffer.destroy();
    const i = this.owned.indexOf(buffer);
    if (i >= 0) this.owned.splice(i, 1);
  }

  /** Whether the device this engine lives on was lost (its buffers and plans are gone). */
  get lost(): boolean {
    return this.gpu.lost !== null;
  }

  /** Frees every GPU buffer the engine made (plans, datasets, params); safe to call twice. */
  dispose(): void {
    this.disposed = true;
    for (const runner of this.starting) runner.dispose();
    for (const entry of this.runners.values()) void entry.then((r) => r.runner.dispose()).catch(() => {});
    this.runners.clear();
    for (const b of this.owned) b.destroy();
    this.owned.length = 0;
    this.ring.dispose();
    this.device.dispose();
  }
}
