// gather: out[r, :] = scale * dataset[indices[step.rowBase + r], :] for every source, one dispatch,
// one invocation per gathered element (sources laid end to end in the invocation range).
import type { BufferDecl, GatherKernel } from '../ir/kernel.js';
import { BufferSet, KernelCodegenError, assemble, f32, loadF32, loadU32, perItemPrologue, storeF32, u32, viewIndex, type GeneratedKernel } from './views.js';

const WORKGROUP_SIZE = 64;

export function generateGather(desc: GatherKernel, decls: Record<string, BufferDecl>): GeneratedKernel {
  const buffers = new BufferSet(desc.name, decls);
  const indices = buffers.use(desc.indices, false);
  const parts: string[] = [];
  let start = 0;
  for (const [i, source] of desc.sources.entries()) {
    const dataset = buffers.use(source.dataset, false);
    if (dataset.decl.elementType !== source.elementType) {
      throw new KernelCodegenError(desc.name, `source ${i}: dataset "${source.dataset}" holds ${dataset.decl.elementType}, not ${source.elementType}`);
    }
    if (source.out.rows < desc.rows) {
      throw new KernelCodegenError(desc.name, `source ${i}: out has ${source.out.rows} rows, fewer than the ${desc.rows} gathered`);
    }
    const out = buffers.view({ ...source.out, rows: desc.rows }, true, `source ${i} out`);
    const cols = source.out.cols;
    const count = desc.rows * cols;
    if (count === 0) continue;
    const end = start + count;
    const e = start === 0 ? 'gidx' : `(gidx - ${u32(start)})`;
    const value = source.scale === 1 ? loadF32(dataset, `sample * ${u32(cols)} + c`) : `${f32(source.scale)} * ${loadF32(dataset, `sample * ${u32(cols)} + c`)}`;
    parts.push(
      [
        `  if (gidx < ${u32(end)}) { // source ${i}: "${source.dataset}" (${source.elementType}, ${cols} cols)`,
        `    let e = ${e};`,
        `    let r = e / ${u32(cols)};`,
        `    let c = e % ${u32(cols)};`,
        `    let sample = ${loadU32(indices, 'step.rowBase + r')};`,
        `    ${storeF32(out, viewIndex(source.out, 'r', 'c'), value, false)}`,
        `    return;`,
        `  }`,
      ].join('\n'),
    );
    start = end;
  }
  const { dispatch, code } = perItemPrologue(start, WORKGROUP_SIZE);
  return assemble({
    desc,
    summary: `gather ${desc.rows} rows from ${desc.sources.map((s) => `"${s.dataset}"`).join(', ')} by "${desc.indices}"[step.rowBase + r]`,
    buffers,
    workgroupSize: WORKGROUP_SIZE,
    body: [code, ...parts].join('\n'),
    workgroups: dispatch.workgroups,
  });
}
