// gather: out[r, :] = scale * dataset[indices[step.rowBase + r], :] for every source, one dispatch
// (sources laid end to end in the invocation range). An invocation copies 16 columns of a row when
// rows hold whole groups of 16, else 4, else 1, as vec4s where the buffers allow: on SwiftShader an
// access costs about the same whatever its width, and fewer invocations read the row's index fewer
// times (the article's 32 × 784 u8 batch: 0.155 → 0.104 ms a dispatch with 16, bench/README.md).
import type { BufferDecl, GatherKernel, GatherSource } from '../ir/kernel.js';
import {
  BufferSet,
  KernelCodegenError,
  assemble,
  f32,
  loadF32,
  loadU32,
  perItemPrologue,
  samplePosition,
  scaledBytes,
  storeF32,
  u32,
  viewAligned4,
  viewIndex,
  type BufferVar,
  type GeneratedKernel,
} from './views.js';

const WORKGROUP_SIZE = 64;

export function generateGather(desc: GatherKernel, decls: Record<string, BufferDecl>, workgroupSize = WORKGROUP_SIZE): GeneratedKernel {
  const buffers = new BufferSet(desc.name, decls);
  const indices = buffers.use(desc.indices, false);
  // Outputs every source writes four-wide into rows that start on vec4s: declared array<vec4<f32>>.
  const wideOut = wideForAll(
    desc.sources,
    (s) => s.out.buffer,
    (s) => columnsPerInvocation(s.out.cols) > 1 && viewAligned4(s.out) && decls[s.out.buffer]?.elementType === 'f32',
  );
  // u8 datasets every source reads 16 bytes at a time: declared array<vec4<u32>>.
  const wideBytes = wideForAll(
    desc.sources,
    (s) => s.dataset,
    (s) => s.elementType === 'u8' && columnsPerInvocation(s.out.cols) === 16,
  );
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
    const lanes = columnsPerInvocation(cols);
    const groups = cols / lanes;
    const count = desc.rows * groups;
    if (count === 0) continue;
    const end = start + count;
    const e = start === 0 ? 'gidx' : `(gidx - ${u32(start)})`;
    const scaled = (x: string): string => (source.scale === 1 ? x : `${f32(source.scale)} * ${x}`);
    const lines = [
      `  if (gidx < ${u32(end)}) { // source ${i}: "${source.dataset}" (${source.elementType}, ${cols} cols, ${lanes} per invocation)`,
      `    let e = ${e};`,
      `    let r = e / ${u32(groups)};`,
      `    let c = (e % ${u32(groups)}) * ${u32(lanes)};`,
      `    let sample = ${loadU32(indices, samplePosition('r', desc.partRows))};`,
    ];
    const first = `sample * ${u32(cols)} + c`;
    if (lanes === 1) lines.push(`    ${storeF32(out, viewIndex(source.out, 'r', 'c'), scaled(loadF32(dataset, first)), false)}`);
    else {
      // Dataset rows start at multiples of `lanes` elements (whole buffers are bound: offset 0).
      const quads = lanes / 4;
      if (wideBytes.has(source.dataset) && buffers.tryVec4Bytes(dataset.name)) {
        lines.push(`    let words = ${dataset.ident}[(${first}) >> 4u];`);
        for (let q = 0; q < quads; q++) lines.push(`    let v${q} = ${scaledBytes(`words[${q}]`, source.scale)};`);
      } else if (source.elementType === 'u8') {
        for (let q = 0; q < quads; q++) lines.push(`    let v${q} = ${scaledBytes(`${dataset.ident}[((${first}) >> 2u) + ${u32(q)}]`, source.scale)};`);
      } else {
        for (let q = 0; q < quads; q++) lines.push(`    let v${q} = ${scaled(vec4Load(buffers, dataset, `${first} + ${u32(4 * q)}`))};`);
      }
      const wide = wideOut.has(source.out.buffer) && buffers.tryVec4Words(source.out.buffer, 0);
      for (let q = 0; q < quads; q++) {
        const c = `c + ${u32(4 * q)}`;
        if (wide) lines.push(`    ${out.ident}[(${viewIndex(source.out, 'r', c)}) >> 2u] = v${q};`);
        else for (let k = 0; k < 4; k++) lines.push(`    ${storeF32(out, viewIndex(source.out, 'r', `${c} + ${u32(k)}`), `v${q}[${k}]`, false)}`);
      }
    }
    lines.push(`    return;`, `  }`);
    parts.push(lines.join('\n'));
    start = end;
  }
  const { dispatch, code } = perItemPrologue(start, workgroupSize);
  return assemble({
    desc,
    summary: `gather ${desc.rows} rows from ${desc.sources.map((s) => `"${s.dataset}"`).join(', ')} by "${desc.indices}"[step.rowBase + r]`,
    buffers,
    workgroupSize,
    body: [code, ...parts].join('\n'),
    workgroups: dispatch.workgroups,
  });
}

/** 16 columns per invocation when rows hold whole groups of 16 (four u32 words of u8 pixels, four vec4s), else 4, else 1. */
function columnsPerInvocation(cols: number): 16 | 4 | 1 {
  return cols % 16 === 0 ? 16 : cols % 4 === 0 ? 4 : 1;
}

/** The f32 elements index … index + 3 (index a multiple of 4) as one vec4<f32>. */
function vec4Load(buffers: BufferSet, v: BufferVar, index: string): string {
  if (buffers.tryVec4(v.name)) return `${v.ident}[(${index}) >> 2u]`;
  return `vec4<f32>(${[0, 1, 2, 3].map((k) => loadF32(v, `${index} + ${u32(k)}`)).join(', ')})`;
}

/**
 * The buffers (named by `buffer`) for which `wide` holds for every source that names them: a buffer's
 * declaration is one for the whole kernel.
 */
function wideForAll(sources: readonly GatherSource[], buffer: (s: GatherSource) => string, wide: (s: GatherSource) => boolean): Set<string> {
  const all = new Set(sources.map(buffer));
  for (const source of sources) if (!wide(source)) all.delete(buffer(source));
  return all;
}
