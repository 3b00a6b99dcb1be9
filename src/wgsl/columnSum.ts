// columnSum: out[0, c] (+)= Σ_r x[r, c]; one invocation per column.
import type { BufferDecl, ColumnSumKernel } from '../ir/kernel.js';
import { BufferSet, KernelCodegenError, assemble, loadF32, perItemPrologue, storeF32, u32, viewBase, type GeneratedKernel } from './views.js';

const WORKGROUP_SIZE = 64;

export function generateColumnSum(desc: ColumnSumKernel, decls: Record<string, BufferDecl>, workgroupSize = WORKGROUP_SIZE): GeneratedKernel {
  const { rows, cols } = desc.x;
  const buffers = new BufferSet(desc.name, decls);
  const x = buffers.view(desc.x, false, 'x');
  if (desc.out.cols < cols || desc.out.rows < 1) throw new KernelCodegenError(desc.name, `out (${desc.out.rows}×${desc.out.cols}) cannot hold 1×${cols}`);
  const out = buffers.view({ ...desc.out, rows: 1, cols }, true, 'out');
  const { dispatch, code } = perItemPrologue(cols, workgroupSize);
  const body = `${code}
  let c = gidx;
  let base = ${viewBase(desc.x)} + c;
  var s = 0.0;
  for (var r = 0u; r < ${u32(rows)}; r = r + 1u) { s = s + ${loadF32(x, `base + r * ${u32(desc.x.rowStride)}`)}; }
  ${storeF32(out, `${viewBase(desc.out)} + c`, 's', !!desc.accumulate)}`;
  return assemble({
    desc,
    summary: `columnSum ${rows}×${cols} → 1×${cols}${desc.accumulate ? ', accumulate' : ''}`,
    buffers,
    workgroupSize,
    body,
    workgroups: dispatch.workgroups,
  });
}
