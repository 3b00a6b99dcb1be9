// The modules a plan runs as on this device, before any buffer or pipeline is made: each kernel
// generated alone, then one module per dispatch (kernels side by side, a chain's stages, row parts).
// PlanRunner compiles them; explain() shows them without compiling anything.

import type { Plan } from '../ir/plan.js';
import { planDispatches } from '../ir/plan/dispatchGroups.js';
import { rowPartDispatches, sliceRows, type RowParts, type RowPartsPlan } from '../ir/plan/rowParts.js';
import { activationElementType, bufferBytes } from '../ir/precision.js';
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
import { chainsWanted, preferredMatmulVariant, quadReductionWanted, rowPartsWanted, storageBindingLimit, type Gpu } from './device.js';
import { WeftError } from './errors.js';
import { f16Emulation } from './f16Emulation.js';

export interface PlanKernels {
  /** One generated kernel per dispatch (a group of independent kernels, or a chain of small ones, counts as one). */
  kernels: GeneratedKernel[];
  /** For each dispatch, the indices of the plan's kernels it runs. */
  groups: number[][];
  /** Copies of the metric slots the metric buffer holds (one per row part with a loss head, plan/rowParts.ts). */
  metricCopies: number;
}

/** Generates the plan's dispatches for this device and checks them against its limits (a WeftError naming the kernel). */
export function generatePlanKernels(gpu: Gpu, plan: Plan): PlanKernels {
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
  const single = plan.kernels.map((k) => generate(k));
  checkLimits(gpu, plan, single);
  // Which kernels share a dispatch (side by side, or chained in stages) is decided by planDispatches; here each dispatch becomes one module.
  const generated = single;
  const chains = chainsWanted(gpu);
  const maxStorageBuffers = gpu.limits.maxStorageBuffersPerShaderStage ?? 8;
  const traits = generated.map(dispatchTraits);
  const dispatches = planDispatches(plan.kernels, traits, maxStorageBuffers, chains);
  // A chain and the products before it may run as row parts (plan/rowParts.ts), each part over its own rows.
  const planned: RowPartsPlan =
    chains && rowPartsWanted(gpu)
      ? rowPartDispatches(plan.kernels, dispatches, traits, maxStorageBuffers, plan.batchSize, plan.metricSlotCount)
      : { dispatches: dispatches.map((stages) => ({ stages })), metricCopies: 1 };
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
  let kernels = planned.dispatches.map(({ stages, rowParts: parts, inOneWorkgroup = [] }) => {
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
  if (emulatesF16(gpu, plan)) kernels = kernels.map(emulateF16Storage);
  checkLimits(gpu, plan, kernels);
  return { kernels, groups: planned.dispatches.map((d) => d.stages.flat()), metricCopies: planned.metricCopies };
}

/** The declarations with the metric buffer `slots` long (row parts' copies of the slots). */
function withMetricCopies(declarations: Record<string, BufferDecl>, slots: number): Record<string, BufferDecl> {
  const metrics = declarations.metrics;
  return metrics && metrics.size !== slots ? { ...declarations, metrics: { ...metrics, size: slots } } : declarations;
}

/** An f16 plan on a device without 'shader-f16' (testing only): f16 rounding in an f32 arena. */
export function emulatesF16(gpu: Gpu, plan: Plan): boolean {
  return plan.precision === 'mixed_float16' && !gpu.shaderF16;
}

/** Bytes of the plan's arena (f16 elements under mixed precision, unless emulated in f32). */
export function arenaBytes(gpu: Gpu, plan: Plan): number {
  return bufferBytes(emulatesF16(gpu, plan) ? 'f32' : activationElementType(plan.precision), plan.arenaSize);
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
