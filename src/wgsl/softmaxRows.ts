// softmaxRows: out = softmax(x) row by row, or (dy given, x then holding y = softmax output) the
// vector-Jacobian product dx = y ⊙ (dy − Σ_j dy_j y_j); one invocation per row.
import type { BufferDecl, SoftmaxRowsKernel } from '../ir/kernel.js';
import { BufferSet, KernelCodegenError, assemble, loadF32, perItemPrologue, storeF32, u32, viewBase, type GeneratedKernel } from './views.js';

const WORKGROUP_SIZE = 16;

export function generateSoftmaxRows(desc: SoftmaxRowsKernel, decls: Record<string, BufferDecl>, workgroupSize = WORKGROUP_SIZE): GeneratedKernel {
  const rows = desc.x.rows;
  const cols = desc.x.cols;
  const buffers = new BufferSet(desc.name, decls);
  const x = buffers.view(desc.x, false, 'x');
  const dy = desc.dy ? buffers.view(desc.dy, false, 'dy') : undefined;
  if (desc.dy && (desc.dy.rows < rows || desc.dy.cols < cols)) throw new KernelCodegenError(desc.name, 'dy is smaller than x');
  if (desc.out.rows < rows || desc.out.cols < cols) throw new KernelCodegenError(desc.name, 'out is smaller than x');
  const out = buffers.view({ ...desc.out, rows, cols }, true, 'out');
  const acc = !!desc.accumulate;
  const { dispatch, code } = perItemPrologue(rows, workgroupSize);
  const xRow = `${viewBase(desc.x)} + r * ${u32(desc.x.rowStride)}`;
  const outRow = `${viewBase(desc.out)} + r * ${u32(desc.out.rowStride)}`;
  let body: string;
  if (!desc.dy || !dy) {
    body = `${code}
  let r = gidx;
  let xr = ${xRow};
  let orow = ${outRow};
  var mx = ${loadF32(x, 'xr')};
  for (var c = 1u; c < ${u32(cols)}; c = c + 1u) { mx = max(mx, ${loadF32(x, 'xr + c')}); }
  var s = 0.0;
  for (var c = 0u; c < ${u32(cols)}; c = c + 1u) { s = s + exp(${loadF32(x, 'xr + c')} - mx); }
  let inv = 1.0 / s;
  for (var c = 0u; c < ${u32(cols)}; c = c + 1u) {
    ${storeF32(out, 'orow + c', `exp(${loadF32(x, 'xr + c')} - mx) * inv`, acc)}
  }`;
  } else {
    const dyRow = `${viewBase(desc.dy)} + r * ${u32(desc.dy.rowStride)}`;
    body = `${code}
  let r = gidx;
  let yr = ${xRow};
  let dr = ${dyRow};
  let orow = ${outRow};
  var s = 0.0;
  for (var c = 0u; c < ${u32(cols)}; c = c + 1u) { s = s + ${loadF32(dy, 'dr + c')} * ${loadF32(x, 'yr + c')}; }
  for (var c = 0u; c < ${u32(cols)}; c = c + 1u) {
    ${storeF32(out, 'orow + c', `${loadF32(x, 'yr + c')} * (${loadF32(dy, 'dr + c')} - s)`, acc)}
  }`;
  }
  if (cols === 0) body = code;
  return assemble({
    desc,
    summary: `softmaxRows${desc.dy ? ' gradient' : ''} ${rows}×${cols}${acc ? ', accumulate' : ''}`,
    buffers,
    workgroupSize,
    body,
    workgroups: dispatch.workgroups,
  });
}
