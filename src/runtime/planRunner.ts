// A compiled plan on the GPU: its generated kernels, its own arena and metric sums, and step programs
// bound (once) to a dataset, an index buffer and a step-uniform buffer.

import type { Plan } from '../ir/plan.js';
import { HALF_WEIGHTS, declBytes } from '../ir/precision.js';
import type { GeneratedKernel } from '../wgsl/index.js';
import type { DeviceDataset } from './deviceDataset.js';
import type { DeviceModel } from './deviceModel.js';
import type { Gpu } from './device.js';
import { WeftError } from './errors.js';
import { getPipeline } from './pipelineCache.js';
import { arenaBytes, generatePlanKernels } from './planKernels.js';
import { createBuffer } from './resources.js';
import { StepProgram } from './stepProgram.js';

export interface BindTargets {
  model: DeviceModel;
  dataset: DeviceDataset;
  indices: GPUBuffer;
  stepUniform: GPUBuffer;
  /** Prediction buffers (predict plans), one per model output. */
  outputs?: GPUBuffer[];
}

export class PlanRunner {
  /** One generated kernel per dispatch (a group of independent kernels, or a chain of small ones, counts as one). */
  readonly kernels: GeneratedKernel[];
  /** For each dispatch, the indices of the plan's kernels it runs. */
  readonly groups: number[][];
  readonly arena: GPUBuffer;
  /** Other working buffers the plan declares (the gathered batch). */
  private readonly scratch = new Map<string, GPUBuffer>();
  /** Metric-slot sums (f32 × plan.metricSlotCount × metricCopies); cleared at the start of each pass over a dataset. */
  readonly metrics: GPUBuffer | null;
  /** Copies of the metric slots in `metrics` (one per row part with a loss head, plan/rowParts.ts): readers add them up (foldMetricCopies). */
  readonly metricCopies: number;
  private readonly programs = new Map<string, Promise<StepProgram>>();
  private readonly owned: GPUBuffer[] = [];

  private constructor(
    readonly gpu: Gpu,
    readonly plan: Plan,
  ) {
    const generated = generatePlanKernels(gpu, plan);
    this.kernels = generated.kernels;
    this.groups = generated.groups;
    this.metricCopies = generated.metricCopies;
    this.arena = this.own(
      createBuffer(gpu, { size: arenaBytes(gpu, plan), usage: GPUBufferUsage.STORAGE, label: `weft arena (${plan.mode} b${plan.batchSize})` }),
    );
    for (const declared of plan.buffers)
      if (declared.role === 'arena' && declared.name !== 'arena')
        this.scratch.set(
          declared.name,
          this.own(
            createBuffer(gpu, { size: declBytes(declared), usage: GPUBufferUsage.STORAGE, label: `weft ${declared.name} (${plan.mode} b${plan.batchSize})` }),
          ),
        );
    this.metrics =
      plan.metricSlotCount > 0
        ? this.own(
            createBuffer(gpu, {
              size: plan.metricSlotCount * this.metricCopies * 4,
              usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
              label: 'weft metrics',
            }),
          )
        : null;
  }

  /** Generates the kernels and compiles their pipelines (asynchronously, all at once). */
  static async create(gpu: Gpu, plan: Plan): Promise<PlanRunner> {
    return PlanRunner.start(gpu, plan).ready;
  }

  /**
   * Makes the runner (its buffers exist at once, so an owner can dispose it while it compiles) and
   * starts compiling its pipelines; `ready` resolves to it once they are compiled.
   */
  static start(gpu: Gpu, plan: Plan): { runner: PlanRunner; ready: Promise<PlanRunner> } {
    const runner = new PlanRunner(gpu, plan);
    const ready = Promise.all(runner.kernels.map((k) => getPipeline(gpu, k))).then(
      () => runner,
      (e) => {
        runner.dispose();
        // A kernel that does not compile: its WGSL travels with the error (error.wgsl).
        const kernel = e instanceof WeftError && e.kernel !== undefined ? runner.kernels.find((k) => k.name === e.kernel) : undefined;
        if (kernel) (e as WeftError & { wgsl?: string }).wgsl = kernel.wgsl;
        throw e;
      },
    );
    return { runner, ready };
  }

  get dispatchesPerStep(): number {
    return this.kernels.length;
  }

  /** The step program for these buffers, made once and reused (no bind groups are made later). */
  program(targets: BindTargets): Promise<StepProgram> {
    const key = [targets.dataset.id, bufferId(targets.indices), bufferId(targets.stepUniform), ...(targets.outputs ?? []).map(bufferId)].join('/');
    let program = this.programs.get(key);
    if (!program) {
      const buffers = new Map<string, GPUBuffer>([
        ['arena', this.arena],
        ...this.scratch,
        ['params', targets.model.params],
        ['indices', targets.indices],
        ...[...targets.dataset.buffers],
      ]);
      if (this.metrics) buffers.set('metrics', this.metrics);
      if (targets.model.grads) buffers.set('grads', targets.model.grads);
      if (targets.model.optimizerState) buffers.set('optimizerState', targets.model.optimizerState);
      if (this.plan.buffers.some((b) => b.name === HALF_WEIGHTS)) buffers.set(HALF_WEIGHTS, targets.model.halfWeights(!this.gpu.shaderF16));
      (targets.outputs ?? []).forEach((b, i) => buffers.set(`output${i}`, b));
      for (const declared of this.plan.buffers)
        if (!buffers.has(declared.name)) throw new WeftError(`internal: plan buffer '${declared.name}' (${declared.role}) has no GPU buffer`);
      program = StepProgram.create(this.gpu, this.kernels, buffers, targets.stepUniform);
      program.catch(() => this.programs.delete(key));
      this.programs.set(key, program);
    }
    return program;
  }

  /** Drops step programs bound to a dataset that is gone. */
  forgetDataset(dataset: DeviceDataset): void {
    for (const key of [...this.programs.keys()]) if (key.startsWith(`${dataset.id}/`)) this.programs.delete(key);
  }

  private own(buffer: GPUBuffer): GPUBuffer {
    this.owned.push(buffer);
    return buffer;
  }

  /** GPU buffers this runner holds (arena, scratch, metric sums) and their bytes. */
  get memory(): { buffers: number; bytes: number } {
    return { buffers: this.owned.length, bytes: this.owned.reduce((n, b) => n + b.size, 0) };
  }

  dispose(): void {
    for (const b of this.owned) b.destroy();
    this.owned.length = 0;
    this.programs.clear();
  }
}

const ids = new WeakMap<GPUBuffer, number>();
let nextBufferId = 1;
function bufferId(buffer: GPUBuffer): number {
  let id = ids.get(buffer);
  if (id === undefined) ids.set(buffer, (id = nextBufferId++));
  return id;
}
