// f16 storage emulated in f32 (tests and accuracy checks on adapters without 'shader-f16', such as
// SwiftShader): a module generated for an f16 arena is rewritten to keep the arena in f32 and round
// every store with quantizeToF16 (core WGSL), so each value takes exactly the f16 value that real
// f16 storage would hold (loads widen exactly either way). Only the numerics are emulated: the
// arena keeps 4 bytes per element. The rewrite relies on how views.ts writes f16 access: `f16(x)`
// only on stores, `f32(buf[i])` on loads (an identity conversion once the buffer is f32), and
// `enable f16;` as the module's first line.
import type { BufferDecl } from '../ir/kernel.js';
import { BufferSet, assemble, loadF32, perItemPrologue, storeF32, type GeneratedKernel } from './views.js';

export function emulateF16Storage(kernel: GeneratedKernel): GeneratedKernel {
  if (!kernel.wgsl.startsWith('enable f16;\n')) return kernel;
  const wgsl = kernel.wgsl
    .replace(/^enable f16;\n\n?/, '')
    .replace(/array<f16(, \d+)?>/g, 'array<f32$1>')
    .replace(/\bf16\(/g, 'quantizeToF16(')
    .replace(/× f16/g, '× f16 (emulated in f32)');
  if (/\bf16\b/.test(wgsl.replace(/\/\/.*$/gm, ''))) throw new Error(`internal: kernel "${kernel.name}" uses f16 in a way the f32 emulation does not rewrite`);
  const { module: _pieces, ...rest } = kernel;
  return { ...rest, wgsl };
}

/**
 * The module that fills the f16 weight copy from the f32 parameters (`half[i] = f16(params[i])`),
 * run by the runtime when the copy is made and after the host writes parameters; the optimizer
 * keeps it in step during training.
 */
export function generateHalfWeights(count: number, params: string, half: string): GeneratedKernel {
  const decls: Record<string, BufferDecl> = {
    [params]: { name: params, elementType: 'f32', size: Math.max(1, count), role: 'params' },
    [half]: { name: half, elementType: 'f16', size: Math.max(1, count), role: 'weightsHalf' },
  };
  const buffers = new BufferSet('f16 weight copy', decls);
  const p = buffers.use(params, false);
  const h = buffers.use(half, true);
  const { dispatch, code } = perItemPrologue(Math.max(1, count), WORKGROUP_SIZE);
  return assemble({
    desc: {
      kind: 'elementwise',
      name: 'f16 weight copy',
      rows: 1,
      cols: count,
      expr: { op: 'read', view: { buffer: params, offset: 0, rowStride: count, rows: 1, cols: count } },
      out: { buffer: half, offset: 0, rowStride: count, rows: 1, cols: count },
    },
    summary: `f16 copy of ${count} f32 parameters`,
    buffers,
    workgroupSize: WORKGROUP_SIZE,
    body: [code, `  ${storeF32(h, 'gidx', loadF32(p, 'gidx'), false)}`].join('\n'),
    workgroups: dispatch.workgroups,
  });
}

const WORKGROUP_SIZE = 64;
