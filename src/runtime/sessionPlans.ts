// A session's compiled plans, one per (mode, batch size, input storage): compiled by the plan source
// the model hands over, made into PlanRunners once (pipelines compiling in the background), and
// replaced as a set when the model is compiled again.

import type { CompiledGraph } from '../ir/compile.js';
import { optimizerStateArrays, type OptimizerAlgorithm } from '../ir/kernel.js';
import type { PlanMode } from '../ir/plan.js';
import type { DeviceDataset } from './deviceDataset.js';
import type { DeviceModel } from './deviceModel.js';
import { fusedUpdatesWanted, gatheredProductsWanted, rowPartsWanted, type Gpu } from './device.js';
import { WeftError } from './errors.js';
import { f16Emulation } from './f16Emulation.js';
import { generatePlanKernels, type PlanKernels } from './planKernels.js';
import { PlanRunner } from './planRunner.js';

/** How each model input is stored on the GPU: f32, or u8 scaled when gathered (pixels / 255). */
export type InputStorage = readonly { elementType: 'f32' | 'u8'; scale: number }[];

/** What the device offers that changes how a plan is compiled. */
export interface DeviceFeatures {
  /** 'shader-f16': f16 storage for mixed precision. */
  shaderF16: boolean;
  /** Apply the optimizer inside the weight-gradient kernels where it pays (device.ts: fusedUpdatesWanted). */
  fusedUpdates: boolean;
  /** Matmuls read model inputs from the dataset by sample index (device.ts: gatheredProductsWanted). */
  gatheredProducts: boolean;
  /** Chains run in row parts, so training plans run weight gradients last (device.ts: rowPartsWanted). */
  rowParts?: boolean;
}

/** What the model gives the runtime to compile itself: a pure function per plan, and its optimizer. */
export interface PlanSource {
  /** `weightedOutputs`: outputs whose samples carry loss weights (training datasets with classWeight). */
  compile(mode: PlanMode, batchSize: number, storage: InputStorage, device: DeviceFeatures, weightedOutputs?: readonly number[]): CompiledGraph;
  /** The optimizer whose state training plans update (absent until the model is compiled). */
  optimizer?: { algorithm: OptimizerAlgorithm; initialStateValue: number };
}

export interface CompiledRunner {
  runner: PlanRunner;
  compiled: CompiledGraph;
}

export class SessionPlans {
  private readonly runners = new Map<string, Promise<CompiledRunner>>();
  /** Runners whose pipelines are still compiling (disposed at once if the session is). */
  private readonly starting = new Set<PlanRunner>();
  private readonly made = new Set<PlanRunner>();
  private generation = 0;
  private disposed = false;

  constructor(
    private readonly gpu: Gpu,
    private readonly model: DeviceModel,
    private source: PlanSource,
  ) {}

  /** A new compile(): later passes use plans from `source` (plans running now finish with theirs). */
  replaceSource(source: PlanSource): void {
    this.source = source;
    this.generation++;
  }

  runnerFor(mode: PlanMode, batchSize: number, storage: InputStorage, weightedOutputs: readonly number[] = []): Promise<CompiledRunner> {
    if (this.disposed) return Promise.reject(new WeftError('this model was disposed; build a new one'));
    const key = this.key(mode, batchSize, storage, weightedOutputs);
    let entry = this.runners.get(key);
    if (!entry) {
      entry = this.make(mode, batchSize, storage, weightedOutputs);
      entry.catch(() => this.runners.delete(key));
      this.runners.set(key, entry);
    }
    return entry;
  }

  /**
   * The plan and its modules for this mode, batch size and input storage, generated with nothing made
   * on the GPU (explain): never waits for a runner's pipelines (a warm-up may be compiling them).
   */
  describe(mode: PlanMode, batchSize: number, storage: InputStorage): { compiled: CompiledGraph; kernels: PlanKernels } {
    if (this.disposed) throw new WeftError('this model was disposed; build a new one');
    const compiled = this.compile(mode, batchSize, storage, []);
    return { compiled, kernels: generatePlanKernels(this.gpu, compiled.plan) };
  }

  private key(mode: PlanMode, batchSize: number, storage: InputStorage, weightedOutputs: readonly number[]): string {
    return `${this.generation}|${mode}|${batchSize}|${storage.map((s) => `${s.elementType}${s.scale}`).join(',')}|${weightedOutputs.join(',')}`;
  }

  private compile(mode: PlanMode, batchSize: number, storage: InputStorage, weightedOutputs: readonly number[]): CompiledGraph {
    return this.source.compile(
      mode,
      batchSize,
      storage,
      {
        shaderF16: this.gpu.shaderF16 || f16Emulation(),
        fusedUpdates: fusedUpdatesWanted(this.gpu),
        gatheredProducts: gatheredProductsWanted(this.gpu),
        rowParts: rowPartsWanted(this.gpu),
      },
      weightedOutputs,
    );
  }

  private async make(mode: PlanMode, batchSize: number, storage: InputStorage, weightedOutputs: readonly number[]): Promise<CompiledRunner> {
    const source = this.source;
    const compiled = this.compile(mode, batchSize, storage, weightedOutputs);
    const optimizer = source.optimizer;
    if (mode === 'train' && optimizer)
      this.model.prepareTraining(
        optimizerStateArrays(optimizer.algorithm),
        optimizer.initialStateValue,
        JSON.stringify(optimizer.algorithm),
        compiled.plan.buffers.some((b) => b.role === 'grads'),
      );
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
    this.made.add(runner);
    return { runner, compiled };
  }

  /** Drops step programs bound to a dataset that is gone. */
  forgetDataset(dataset: DeviceDataset): void {
    for (const runner of this.made) runner.forgetDataset(dataset);
  }

  get memory(): { buffers: number; bytes: number } {
    let buffers = 0;
    let bytes = 0;
    for (const runner of [...this.made, ...this.starting]) {
      const m = runner.memory;
      buffers += m.buffers;
      bytes += m.bytes;
    }
    return { buffers, bytes };
  }

  dispose(): void {
    this.disposed = true;
    for (const runner of [...this.starting, ...this.made]) runner.dispose();
    this.starting.clear();
    this.made.clear();
    this.runners.clear();
  }
}
