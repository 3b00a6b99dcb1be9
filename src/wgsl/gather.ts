// gather: out[r, :] = scale * dataset[indices[step.rowBase + r], :] for every source, one dispatch,
// one invocation per gathered element, or per four when a row holds whole groups of four (sources laid
// end to end in the invocation range).
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
    // Four columns per invocation when rows hold whole groups of four (one packed word of u8 pixels).
    const lanes = cols % 4 === 0 ? 4 : 1;
    const groups = cols / lanes;
    const count = desc.rows * groups;
    if (count === 0) continue;
    const end = start + count;
    const e = start === 0 ? 'gidx' : `(gidx - ${u32(start)})`;
    const scaled = (x: string): string => (source.scale === 1 ? x : `${f32(source.scale)} * ${x}`);
    const lines = [
      `  if (gidx < ${u32(end)}) { // source ${i}: "${source.dataset}" (${source.elementType}, ${cols} cols${lanes === 4 ? ', 4 per invocation' : ''})`,
      `    let e = ${e};`,
      `    let r = e / ${u32(groups)};`,
      `    let c = (e % ${u32(groups)}) * ${u32(lanes)};`,
      `    let sample = ${loadU32(indices, 'step.rowBase + r')};`,
    ];
    if (lanes === 1) lines.push(`    ${storeF32(out, viewIndex(source.out, 'r', 'c'), scaled(loadF32(dataset, `sample * ${u32(cols)} + c`)), false)}`);
    else {
      if (source.elementType === 'u8') {
        lines.push(`    let word = ${dataset.ident}[(sample * ${u32(cols)} + c) >> 2u];`);
        for (let q = 0; q < 4; q++) lines.push(`    let v${q} = ${scaled(`f32((word >> ${u32(8 * q)}) & 255u)`)};`);
      } else for (let q = 0; q < 4; q++) lines.push(`    let v${q} = ${scaled(loadF32(dataset, `sample * ${u32(cols)} + c + ${u32(q)}`))};`);
      for (let q = 0; q < 4; q++) lines.push(`    ${storeF32(out, viewIndex(source.out, 'r', `c + ${u32(q)}`), `v${q}`, false)}`);
    }
    lines.push(`    return;`, `  }`);
    parts.push(lines.join('\n'));
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
