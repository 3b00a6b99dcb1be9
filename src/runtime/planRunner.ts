// A compiled plan on the GPU: its generated kernels, its own arena and metric sums, and step programs
// bound (once) to a dataset, an index buffer and a step-uniform buffer.

import type { Plan } from '../ir/plan.js';
import { planDispatches } from '../ir/plan/dispatchGroups.js';
import { rowPartDispatches, sliceRows, type RowParts, type RowPartsPlan } from '../ir/plan/rowParts.js';
import { HALF_WEIGHTS, activationElementType, bufferBytes, declBytes } from '../ir/precision.js';
import type { BufferDecl, KernelDesc, MatmulKernel } from '../ir/kernel.js';
import {
  QUAD_WIDTH,
  SHARED_A_JOIN,
  chainQuadBlock,
  chooseQuadBlock,
  dispatchTraits,
  emulateF16Storage,
  generateChain,
  generateGroup,
  generateKernel,
  generateProductsSharingA,
  generateRowParts,
  productsSharingA,
  type GenerateOptions,
  type GeneratedKernel,
} from '../wgsl/index.js';
import type { DeviceDataset } from './deviceDataset.js';
import type { DeviceModel } from './deviceModel.js';
import { chainsWanted, preferredMatmulVariant, quadReductionWanted, rowPartsWanted, storageBindingLimit, type Gpu } from './device.js';
import { WeftError } from './errors.js';
import { f16Emulation } from './f16Emulation.js';
import { getPipeline } from './pipelineCache.js';
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
    const declarations = Object.fromEntries(plan.buffers.map((b) => [b.name, b]));
    const variant = preferredMatmulVariant(gpu);
    const failed = (kernel: string, e: unknown): never => {
      if (e instanceof WeftError) throw e;
      throw new WeftError(`generating WGSL for the ${plan.mode} plan (batch size ${plan.batchSize}) failed: ${(e as Error)?.message ?? e}`, {
        kernel,
        cause: e,
      });
    };
    const generate = (k: KernelDesc, options: GenerateOptions = {}, decls = declarations): GeneratedKernel => {
      try {
        return generateKernel(k, decls, { variant, quadReduction: quadReductionWanted(gpu), ...options });
      } catch (e) {
        return failed(k.name, e);
      }
    };
    this.kernels = plan.kernels.map((k) => generate(k));
    checkLimits(gpu, plan, this.kernels);
    // Which kernels share a dispatch (side by side, or chained in stages) is decided by planDispatches; here each dispatch becomes one module.
    const generated = this.kernels;
    const chains = chainsWanted(gpu);
    const maxStorageBuffers = gpu.limits.maxStorageBuffersPerShaderStage ?? 8;
    const traits = generated.map(dispatchTraits);
    const dispatches = planDispatches(plan.kernels, traits, maxStorageBuffers, chains);
    // A chain and the products before it may run as row parts (plan/rowParts.ts), each part over its own rows.
    const planned: RowPartsPlan =
      chains && rowPartsWanted(gpu)
        ? rowPartDispatches(plan.kernels, dispatches, traits, maxStorageBuffers, plan.batchSize, plan.metricSlotCount)
        : { dispatches: dispatches.map((stages) => ({ stages })), metricCopies: 1 };
    this.metricCopies = planned.metricCopies;
    this.groups = planned.dispatches.map((d) => d.stages.flat());
    // A chain's quad matmuls get small blocks: the chain compiles as one function (chainQuadBlock); its
    // per-item kernels are as wide as a quad, so the module stays one SIMD group (no coroutines to switch).
    const staged = (k: KernelDesc, decls = declarations): GeneratedKernel =>
      generate(k, variant === 'quadTiled' ? (k.kind === 'matmul' ? { quad: chainQuadBlock(k.m, k.n) } : { itemWorkgroupSize: QUAD_WIDTH }) : {}, decls);
    // Side by side, products over the same rows read by index become one kernel that loads them once (wgsl/sharedOperand.ts).
    // `blockRowsFor`: a row part's products keep the whole batch's quad block (its parallelism is the parts').
    const sideBySide = (
      descs: KernelDesc[],
      plain: (i: number) => GeneratedKernel,
      blockRowsFor?: number,
      partDeclarations = declarations,
    ): GeneratedKernel[] => {
      if (variant !== 'quadTiled') return descs.map((_, i) => plain(i));
      return productsSharingA(descs).map((set) => {
        if (set.length === 1) return plain(set[0]!);
        const products = set.map((j) => descs[j]! as MatmulKernel);
        try {
          return generateProductsSharingA(products, partDeclarations, blockRowsFor);
        } catch (e) {
          return failed(products.map((k) => k.name).join(SHARED_A_JOIN), e);
        }
      });
    };
    // Row parts: the stages' kernels generated once for a part's rows, the metric slots as many times over as there are copies.
    const partDeclarations = withMetricCopies(declarations, plan.metricSlotCount * planned.metricCopies);
    const rowParts = (stages: number[][], { count, rows }: RowParts): GeneratedKernel =>
      generateRowParts(
        stages.map((group, s) => {
          const descs = group.map((i) => sliceRows(plan.kernels[i]!, plan.batchSize, rows, plan.metricSlotCount)!);
          if (s > 0) return descs.map((k) => staged(k, partDeclarations));
          // Products keep the whole batch's block; per-item kernels are quad-wide, as in the stages after them.
          const whole = (k: KernelDesc): GenerateOptions =>
            variant !== 'quadTiled' ? {} : k.kind === 'matmul' ? { quad: chooseQuadBlock(plan.batchSize, k.n, k.k) } : { itemWorkgroupSize: QUAD_WIDTH };
          return sideBySide(descs, (i) => generate(descs[i]!, whole(descs[i]!), partDeclarations), plan.batchSize, partDeclarations);
        }),
        count,
      );
    this.kernels = planned.dispatches.map(({ stages, rowParts: parts, inOneWorkgroup = [] }) => {
      if (parts) return rowParts(stages, parts);
      if (stages.length > 1) return generateChain(stages.map((group) => group.map((i) => staged(plan.kernels[i]!))));
      // Kernels sharing one workgroup loop over their blocks there: small ones, as in a chain.
      const own = stages[0]!.filter((i) => !inOneWorkgroup.includes(i));
      return generateGroup(
        sideBySide(
          own.map((i) => plan.kernels[i]!),
          (j) => generated[own[j]!]!,
        ),
        inOneWorkgroup.map((i) => staged(plan.kernels[i]!)),
      );
    });
    if (emulatesF16(gpu, plan)) this.kernels = this.kernels.map(emulateF16Storage);
    checkLimits(gpu, plan, this.kernels);
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

/** The declarations with the metric buffer `slots` long (row parts' copies of the slots). */
function withMetricCopies(declarations: Record<string, BufferDecl>, slots: number): Record<string, BufferDecl> {
  const metrics = declarations.metrics;
  return metrics && metrics.size !== slots ? { ...declarations, metrics: { ...metrics, size: slots } } : declarations;
}

/** An f16 plan on a device without 'shader-f16' (testing only): f16 rounding in an f32 arena. */
function emulatesF16(gpu: Gpu, plan: Plan): boolean {
  return plan.precision === 'mixed_float16' && !gpu.shaderF16;
}

/** Bytes of the plan's arena (f16 elements under mixed precision, unless emulated in f32). */
function arenaBytes(gpu: Gpu, plan: Plan): number {
  return bufferBytes(emulatesF16(gpu, plan) ? 'f32' : activationElementType(plan.precision), plan.arenaSize);
}

const ids = new WeakMap<GPUBuffer, number>();
let nextBufferId = 1;
function bufferId(buffer: GPUBuffer): number {
  let id = ids.get(buffer);
  if (id === undefined) ids.set(buffer, (id = nextBufferId++));
  return id;
}

/**
 * The device limits a plan must fit, checked before anything is made, so that exceeding one is a
 * WeftError naming the kernel and the limit rather than a WebGPU validation error at dispatch.
 */
export function checkLimits(gpu: Gpu, plan: Plan, kernels: GeneratedKernel[]): void {
  const limit = (name: string, fallback: number): number => gpu.limits[name] ?? fallback;
  const what = `the ${plan.mode} plan for batch size ${plan.batchSize}`;
  const bindingSize = storageBindingLimit(gpu);
  if (plan.precision === 'mixed_float16' && !gpu.shaderF16 && !f16Emulation())
    throw new WeftError(`internal: ${what} stores f16 (mixed_float16) but the device was made without 'shader-f16'`);
  const arena = arenaBytes(gpu, plan);
  if (arena > bindingSize)
    throw new WeftError(
      `${what} needs a working buffer (arena) of ${arena} bytes, more than this GPU's maxStorageBufferBindingSize (${bindingSize} bytes); use a smaller batchSize`,
    );
  const perDimension = limit('maxComputeWorkgroupsPerDimension', 65535);
  const storageBuffers = limit('maxStorageBuffersPerShaderStage', 8);
  const invocations = limit('maxComputeInvocationsPerWorkgroup', 256);
  for (const k of kernels) {
    if (k.workgroups.some((n) => n > perDimension))
      throw kernelError(
        k,
        `kernel "${k.name}" (${what}) dispatches ${k.workgroups.join(' × ')} workgroups, more than this GPU's maxComputeWorkgroupsPerDimension (${perDimension}); use a smaller batchSize`,
      );
    if (k.bindings.length > storageBuffers)
      throw kernelError(
        k,
        `kernel "${k.name}" (${what}) binds ${k.bindings.length} storage buffers, more than this GPU's maxStorageBuffersPerShaderStage (${storageBuffers})`,
      );
    const size = /@workgroup_size\(([^)]*)\)/
      .exec(k.wgsl)?.[1]
      ?.split(',')
      .map((d) => Number(d.trim().replace(/u$/, '')));
    const count = size && size.every(Number.isFinite) ? size.reduce((a, b) => a * b, 1) : 0;
    if (count > invocations)
      throw kernelError(
        k,
        `kernel "${k.name}" (${what}) runs ${count} invocations per workgroup, more than this GPU's maxComputeInvocationsPerWorkgroup (${invocations})`,
      );
  }
}

/** A WeftError about one kernel, carrying its WGSL (error.wgsl). */
function kernelError(kernel: GeneratedKernel, message: string): WeftError & { wgsl: string } {
  return Object.assign(new WeftError(message, { kernel: kernel.name }), { wgsl: kernel.wgsl });
}
