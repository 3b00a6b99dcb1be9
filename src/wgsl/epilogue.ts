// The epilogue that matmul and conv2d kernels share: `fn epilogue(m, n, acc)` adds the bias, applies
// the activation or the activation gradient's mask, then stores or accumulates into the output view.
import type { MatmulKernel } from '../ir/kernel.js';
import { activationExpr, activationGradExpr, type BufferSet, loadF32, storeF32, viewIndex } from './views.js';

/** The fields of a kernel that the epilogue reads (matmul's and conv2d's are the same). */
export type EpilogueFields = Pick<MatmulKernel, 'bias' | 'activation' | 'gradMask' | 'out' | 'accumulate'>;

/** `fn epilogue(m, n, v)`: bias, activation, activation-gradient mask, store or accumulate. */
export function epilogueFunction(desc: EpilogueFields, buffers: BufferSet): string {
  const lines = ['fn epilogue(m: u32, n: u32, acc: f32) {', '  var v = acc;'];
  if (desc.bias) lines.push(`  v = v + ${loadF32(buffers.get(desc.bias.buffer), viewIndex(desc.bias, '0u', 'n'))};`);
  if (desc.activation && desc.activation !== 'linear') lines.push(`  v = ${activationExpr(desc.activation, 'v')};`);
  if (desc.gradMask) {
    lines.push(`  let y = ${loadF32(buffers.get(desc.gradMask.y.buffer), viewIndex(desc.gradMask.y, 'm', 'n'))};`);
    lines.push(`  v = ${activationGradExpr(desc.gradMask.activation, 'y', 'v')};`);
  }
  lines.push(`  ${storeF32(buffers.get(desc.out.buffer), viewIndex(desc.out, 'm', 'n'), 'v', !!desc.accumulate)}`);
  lines.push('}');
  return lines.join('\n');
}
