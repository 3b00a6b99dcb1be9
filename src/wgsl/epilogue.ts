// The epilogue that matmul and conv2d kernels share: `fn epilogue(m, n, acc)` adds the bias, applies
// the activation or the activation gradient's mask, then stores or accumulates into the output view —
// or, for a weight gradient with a fused update, applies the optimizer to the parameter instead.
import { optimizerStateArrays, type FusedUpdate, type MatmulKernel, type View } from '../ir/kernel.js';
import { penaltyLines, updateRule } from './updateRule.js';
import { activationExpr, activationGradExpr, type BufferSet, KernelCodegenError, loadF32, storeF32, u32, viewIndex } from './views.js';

/** The fields of a kernel that the epilogue reads (matmul's and conv2d's are the same; only matmul has `update`). */
export type EpilogueFields = Pick<MatmulKernel, 'bias' | 'activation' | 'gradMask' | 'out' | 'accumulate' | 'update'>;

/**
 * Declares what the epilogue writes: the output view, or with a fused update the parameters and the
 * optimizer state at out's element indices (checked to lie inside them).
 */
export function declareEpilogueWrites(kernelName: string, desc: EpilogueFields, out: View, buffers: BufferSet): void {
  const update = desc.update;
  if (!update) {
    buffers.view(out, true, 'out');
    return;
  }
  if (out.rowBaseFromStep) throw new KernelCodegenError(kernelName, 'a fused update needs a fixed gradient view (no rowBase shift)');
  if (desc.accumulate) throw new KernelCodegenError(kernelName, 'a fused update cannot accumulate into its gradient');
  const end = out.rows > 0 && out.cols > 0 ? out.offset + (out.rows - 1) * out.rowStride + out.cols : out.offset;
  const params = buffers.use(update.params, true);
  if (params.decl.elementType !== 'f32') throw new KernelCodegenError(kernelName, `fused update: "${update.params}" must hold f32`);
  if (params.decl.size < end) throw new KernelCodegenError(kernelName, `fused update: "${update.params}" holds ${params.decl.size} < ${end} elements`);
  const arrays = optimizerStateArrays(update.algorithm);
  if (arrays > 0) {
    if (!update.state) throw new KernelCodegenError(kernelName, `fused update: ${update.algorithm.kind} needs an optimizer state buffer`);
    const state = buffers.use(update.state, true);
    const needed = (arrays - 1) * update.stateStride + end;
    if (state.decl.size < needed)
      throw new KernelCodegenError(kernelName, `fused update: state buffer "${update.state}" holds ${state.decl.size} < ${needed} elements`);
  }
  if (update.halfCopy) {
    const half = buffers.use(update.halfCopy, true);
    if (half.decl.size < end) throw new KernelCodegenError(kernelName, `fused update: "${update.halfCopy}" holds ${half.decl.size} < ${end} elements`);
  }
}

/**
 * `fn epilogue(m, n, v)`: bias, activation, activation-gradient mask, store or accumulate. `name`: another
 * function name, for a module holding several products' epilogues (matmulQuad.ts quadTiledSharingA).
 */
export function epilogueFunction(desc: EpilogueFields, buffers: BufferSet, name = 'epilogue'): string {
  const lines = [`fn ${name}(m: u32, n: u32, acc: f32) {`, '  var v = acc;'];
  if (desc.bias) lines.push(`  v = v + ${loadF32(buffers.get(desc.bias.buffer), viewIndex(desc.bias, '0u', 'n'))};`);
  if (desc.activation && desc.activation !== 'linear') lines.push(`  v = ${activationExpr(desc.activation, 'v')};`);
  if (desc.gradMask) {
    lines.push(`  let y = ${loadF32(buffers.get(desc.gradMask.y.buffer), viewIndex(desc.gradMask.y, 'm', 'n'))};`);
    lines.push(`  v = ${activationGradExpr(desc.gradMask.activation, 'y', 'v')};`);
  }
  if (desc.update) lines.push(...updateLines(desc.update, viewIndex(desc.out, 'm', 'n'), buffers));
  else lines.push(`  ${storeF32(buffers.get(desc.out.buffer), viewIndex(desc.out, 'm', 'n'), 'v', !!desc.accumulate)}`);
  lines.push('}');
  return lines.join('\n');
}

/** The optimizer applied to params[i] with gradient v (i = the gradient element's index, laid out like params). */
function updateLines(update: FusedUpdate, index: string, buffers: BufferSet): string[] {
  const P = buffers.get(update.params).ident;
  const S = update.state ? buffers.get(update.state).ident : '';
  const slot = (s: number): string => (s === 0 ? `${S}[i]` : `${S}[i + ${u32(s * update.stateStride)}]`);
  const rule = updateRule(update.algorithm, { type: 'f32', param: `${P}[i]`, slot });
  const penalties = (update.penalties ?? []).flatMap((term) => penaltyLines(term, 'i'));
  // In a block of its own: the rule's names (m, v, …) shadow the epilogue's.
  return [
    `  let i = ${index};`,
    `  let gradient = v;`,
    '  {',
    `  let lr = step.learningRate;`,
    ...rule.prologue,
    `  let p = ${P}[i];`,
    `  ${penalties.length ? 'var' : 'let'} g = gradient;`,
    ...penalties,
    ...rule.lines,
    ...(update.halfCopy ? [`  ${storeF32(buffers.get(update.halfCopy), 'i', `${P}[i]`, false)}`] : []),
    '  }',
  ];
}
