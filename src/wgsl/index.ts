// WGSL code generation: one KernelDesc → one WGSL module + its bindings and workgroup counts.
// Pure strings, no WebGPU. Conventions (every kernel):
// - group 0: each distinct buffer the kernel touches, bound once, in order of first use;
//   `read_write` when the kernel writes any view of it (GeneratedKernel.bindings).
// - group 1 binding 0: `var<uniform> step: Step` (STEP_UNIFORM_FIELDS order), present only when
//   kernelUsesStep(desc); the runtime binds it with a dynamic offset of stepRecord × 256.
// - offsets, strides and sizes are WGSL constants; u8 buffers are array<u32>, unpacked on load.
// - dispatches stay within 65535 workgroups per dimension (spilling into y).
import { viewsOf, type BufferDecl, type KernelDesc } from '../ir/kernel.js';
import { KernelCodegenError } from './views.js';
import { generateColumnSum } from './columnSum.js';
import { generateConv2d } from './conv2d.js';
import { generatePool2d } from './pool2d.js';
import { generateElementwise } from './elementwise.js';
import { generateGather } from './gather.js';
import { generateLossHead } from './lossHead.js';
import { generateMatmul } from './matmul.js';
import { generateOptimizer } from './optimizer.js';
import { generateSoftmaxRows } from './softmaxRows.js';
import type { GenerateOptions, GeneratedKernel } from './views.js';

export type { Access, Binding, GenerateOptions, GeneratedKernel } from './views.js';
export { KernelCodegenError, MAX_WORKGROUPS_PER_DIMENSION, STEP_STRUCT_BYTES } from './views.js';
export type { MatmulVariant, QuadBlock, QuadChoice, QuadSharing, RegisterBlock } from './matmul.js';
export { chainQuadBlock, chooseQuadBlock, chooseRegisterBlock } from './matmul.js';
export { QUAD_WIDTH } from './matmulQuad.js';
export { dispatchTraits, generateChain, generateGroup, generateRowParts } from './group.js';
export { SHARED_A_JOIN, generateProductsSharingA, productsSharingA } from './sharedOperand.js';
export { emulateF16Storage, generateHalfWeights } from './precision.js';
export { generateConv2d, generatePool2d };
export { generateColumnSum, generateElementwise, generateGather, generateLossHead, generateMatmul, generateOptimizer, generateSoftmaxRows };

/** Generates the WGSL module of one kernel. */
export function generateKernel(desc: KernelDesc, buffers: Record<string, BufferDecl>, options: GenerateOptions = {}): GeneratedKernel {
  checkGatheredViews(desc, options);
  switch (desc.kind) {
    case 'gather':
      return generateGather(desc, buffers, options.itemWorkgroupSize);
    case 'matmul':
      return generateMatmul(desc, buffers, options.variant ?? 'registerTiled', options.registerBlock, options.quad);
    case 'elementwise':
      return generateElementwise(desc, buffers, options.itemWorkgroupSize);
    case 'softmaxRows':
      return generateSoftmaxRows(desc, buffers, options.itemWorkgroupSize);
    case 'columnSum':
      return generateColumnSum(desc, buffers, options.itemWorkgroupSize);
    case 'lossHead':
      return generateLossHead(desc, buffers, options.quadReduction);
    case 'optimizer':
      return generateOptimizer(desc, buffers);
    case 'conv2d':
      return generateConv2d(desc, buffers, options.variant ?? 'registerTiled', options.quad);
    case 'pool2d':
      return generatePool2d(desc, buffers);
    default:
      return desc satisfies never;
  }
}

/**
 * Rows read through the sample indices (View.gathered) are generated for one operand only: a
 * matmul's op(A) under the quadTiled variant, which the plan option `gatheredProducts` targets.
 */
function checkGatheredViews(desc: KernelDesc, options: GenerateOptions): void {
  const gathered = viewsOf(desc).filter((v) => v.gathered);
  if (gathered.length === 0) return;
  const quadA = desc.kind === 'matmul' && (options.variant ?? 'registerTiled') === 'quadTiled' && gathered.every((v) => v === desc.a);
  if (!quadA)
    throw new KernelCodegenError(
      desc.name,
      `reads "${gathered[0]!.buffer}" through the sample indices, which only a quadTiled matmul's first operand can; compile the plan without gatheredProducts for this adapter`,
    );
}
