// The filter gradient of conv2d, 'quadTiled' (CPU adapters with subgroups; see conv2dQuad.ts):
// out[(ky,kx,ci), co] = Σ_p x[window pixel of p at (ky,kx), ci] · dy[p, co] over the batch's output
// pixels p. A quad computes R filter rows × 4·Cl output channels; per four pixels p..p+3 lane l finds
// the window of pixel p + l and loads its R image values (one gather per row for the whole quad),
// quadBroadcast hands every lane all four pixels, and each lane loads dy of the four pixels in its own
// columns (adjacent addresses across the lanes): R + 4·Cl loads for 4·R·Cl multiply-adds per lane,
// where the one-lane kernel (conv2dFilterGrad.ts) loads 2 vec4 per 16.
// The product is small (the demo's first convolution: 10 rows × 16 columns, one block), so S quads of a
// workgroup split the pixels of one block and sum their partial blocks through workgroup memory after
// one barrier (on SwiftShader a barrier is dear, so S only grows until ~16 quads exist).
import type { Conv2dKernel } from '../ir/kernel.js';
import { QUAD_ENABLES } from './matmulQuad.js';
import { type BufferVar, KernelCodegenError, linearGroups, linearWorkgroupIndex, loadF32, u32 } from './views.js';
import { i32, windowMasks } from './windowIndex.js';

export interface FilterGradQuadChoice {
  /** Filter rows × column groups of 4 of a quad's block. */
  block: [number, number];
  /** Quads that split one block's pixels (1: no workgroup memory, no barrier). */
  split: number;
}

/** WebGPU's minimum maxComputeWorkgroupStorageSize, in f32 elements. */
const WORKGROUP_FLOATS = 16384 / 4;

/** 16 rows × 16 columns per quad, as conv2dQuad.ts; the pixels split until ~16 quads exist, within workgroup memory. */
export function chooseFilterGradQuad(m: number, n: number, pixels: number): FilterGradQuadChoice {
  const cl = Math.max(1, Math.min(4, Math.ceil(n / 4)));
  const r = Math.max(1, Math.min(16, m));
  const blocks = Math.ceil(m / r) * Math.ceil(n / (4 * cl));
  let split = 1;
  while (blocks * split * 2 <= 16 && 4 * split * 2 * r * cl <= WORKGROUP_FLOATS && pixels / (split * 2) >= 64) split *= 2;
  return { block: [r, cl], split };
}

export interface FilterGradQuadParts {
  body: string;
  helpers: string;
  workgroupSize: number;
  workgroups: [number, number, number];
  enables: string[];
  choice: FilterGradQuadChoice;
}

export function conv2dFilterGradQuadBody(
  desc: Conv2dKernel,
  A: BufferVar,
  B: BufferVar,
  M: number,
  N: number,
  choice = chooseFilterGradQuad(M, N, desc.geometry.batch * desc.geometry.outH * desc.geometry.outW),
): FilterGradQuadParts {
  const [R, Cl] = choice.block;
  const S = choice.split;
  if (!Number.isInteger(R) || !Number.isInteger(Cl) || R < 1 || Cl < 1 || R > 16 || Cl > 16)
    throw new KernelCodegenError(desc.name, `quad block ${R}×${Cl} is not in 1..16 × 1..16`);
  if (!Number.isInteger(S) || S < 1 || 4 * S * R * Cl > WORKGROUP_FLOATS)
    throw new KernelCodegenError(desc.name, `a split of ${S} quads does not fit workgroup memory with a ${R}×${Cl} block`);
  const g = desc.geometry;
  const C = desc.inC;
  const taps = g.kernelH * g.kernelW * C; // filter rows; row `taps` is the ones row (bias gradient) when asked
  const K = g.batch * g.outH * g.outW;
  const sA = desc.a.rowStride;
  const sB = desc.b.rowStride;
  const QC = 4 * Cl;
  const QN = Math.ceil(N / QC);
  const blocks = Math.ceil(M / R) * QN;
  const W = 4 * S;
  const dispatch = linearGroups(blocks);
  const masks = windowMasks(g);
  const rows = [...Array(R).keys()];
  const cols = [...Array(Cl).keys()];
  const aAt = (index: string): string => (desc.a.offset === 0 ? index : `${u32(desc.a.offset)} + ${index}`);
  const bAt = (index: string): string => (desc.b.offset === 0 ? index : `${u32(desc.b.offset)} + ${index}`);
  const L: string[] = [];
  L.push(`  ${linearWorkgroupIndex(dispatch)}`);
  L.push(`  let l = lidx & 3u;`);
  L.push(`  let part = lidx / 4u;`);
  L.push(`  let m0 = (wg / ${u32(QN)}) * ${u32(R)};`);
  L.push(`  let n0 = (wg % ${u32(QN)}) * ${u32(QC)} + l;`);
  for (const j of cols) L.push(`  let cb${j} = min(n0 + ${u32(4 * j)}, ${u32(N - 1)});`);
  // Each filter row's tap offset from the window's corner and its channel (rows past the filter clamp; the ones row reads 1).
  for (const i of rows) {
    L.push(`  let f${i} = min(m0 + ${u32(i)}, ${u32(taps - 1)});`);
    L.push(`  let ci${i} = f${i} % ${u32(C)}; let kx${i} = (f${i} / ${u32(C)}) % ${u32(g.kernelW)}; let ky${i} = f${i} / ${u32(C * g.kernelW)};`);
    L.push(`  let off${i} = i32(ky${i} * ${u32(g.inW)} + kx${i});`);
    if (desc.aOnesRow) L.push(`  let one${i} = m0 + ${u32(i)} >= ${u32(taps)};`);
  }
  for (const i of rows) for (const j of cols) L.push(`  var c${i}_${j} = 0.0;`);
  // Quad `part` of the S takes pixels part·4 + 4S·t for t < T, the same trip count for every quad (the
  // broadcasts stay in uniform control flow): lanes past the last pixel load a clamped duplicate and use 0.
  const T = Math.ceil(K / (4 * S));
  L.push(`  for (var t = 0u; t < ${u32(T)}; t = t + 1u) {`);
  L.push(`    let pq = t * ${u32(4 * S)} + part * 4u;`);
  L.push(`    let pl = pq + l;`);
  L.push(`    let p = min(pl, ${u32(K - 1)});`);
  L.push(`    let ox = p % ${u32(g.outW)}; let tt = p / ${u32(g.outW)}; let oy = tt % ${u32(g.outH)}; let b = tt / ${u32(g.outH)};`);
  L.push(`    let y0 = i32(oy * ${u32(g.strideH)}) - ${i32(g.padTop)}; let x0 = i32(ox * ${u32(g.strideW)}) - ${i32(g.padLeft)};`);
  L.push(`    let pb = (i32(b * ${u32(g.inH)}) + y0) * ${i32(g.inW)} + x0;`);
  const tail = K % (4 * S) !== 0;
  for (const i of rows) {
    const checks = [
      ...(masks.h ? [`y0 + i32(ky${i}) >= 0i`, `y0 + i32(ky${i}) < ${i32(g.inH)}`] : []),
      ...(masks.w ? [`x0 + i32(kx${i}) >= 0i`, `x0 + i32(kx${i}) < ${i32(g.inW)}`] : []),
    ];
    // `&`, not `&&`: short-circuit control flow per row made SwiftShader's compile take minutes (conv2dQuad.ts).
    const ok = checks.map((c) => `(${c})`).join(' & ');
    let v = loadF32(A, aAt(`u32(${checks.length ? `select(0i, pb + off${i}, ${ok})` : `pb + off${i}`}) * ${u32(sA)} + ci${i}`));
    if (checks.length) v = `select(0.0, ${v}, ${ok})`;
    if (desc.aOnesRow) v = `select(${v}, 1.0, one${i})`;
    if (tail) v = `select(0.0, ${v}, pl < ${u32(K)})`;
    L.push(`    let av${i} = ${v};`);
  }
  for (const kk of [0, 1, 2, 3]) {
    for (const i of rows) L.push(`    let a${i}_${kk} = quadBroadcast(av${i}, ${u32(kk)});`);
    const row = `min(pq + ${u32(kk)}, ${u32(K - 1)})`;
    for (const j of cols) L.push(`    let d${kk}_${j} = ${loadF32(B, bAt(`${row} * ${u32(sB)} + cb${j}`))};`);
    for (const i of rows) for (const j of cols) L.push(`    c${i}_${j} = c${i}_${j} + a${i}_${kk} * d${kk}_${j};`);
  }
  L.push('  }');
  const store = (indent: string, i: number, j: number, value: string): string => {
    const m = i === 0 ? 'm0' : `m0 + ${u32(i)}`;
    const n = j === 0 ? 'n0' : `n0 + ${u32(4 * j)}`;
    return `${indent}if ((${m} < ${u32(M)}) & (${n} < ${u32(N)})) { epilogue(${m}, ${n}, ${value}); }`;
  };
  if (S === 1) {
    for (const i of rows) for (const j of cols) L.push(store('  ', i, j, `c${i}_${j}`));
    return { body: L.join('\n'), helpers: '', workgroupSize: W, workgroups: dispatch.workgroups, enables: [...QUAD_ENABLES], choice };
  }
  // The S partial blocks meet in workgroup memory: sums[(part · 4 + l) · R·Cl + i·Cl + j]; quad 0 adds them up.
  for (const i of rows) for (const j of cols) L.push(`  sums[lidx * ${u32(R * Cl)} + ${u32(i * Cl + j)}] = c${i}_${j};`);
  L.push('  workgroupBarrier();');
  L.push('  if (part == 0u) {');
  for (const i of rows)
    for (const j of cols) {
      const e = i * Cl + j;
      L.push(`    var s${i}_${j} = sums[l * ${u32(R * Cl)} + ${u32(e)}];`);
      L.push(`    for (var q = 1u; q < ${u32(S)}; q = q + 1u) { s${i}_${j} = s${i}_${j} + sums[(q * 4u + l) * ${u32(R * Cl)} + ${u32(e)}]; }`);
      L.push(store('    ', i, j, `s${i}_${j}`));
    }
  L.push('  }');
  return {
    body: L.join('\n'),
    helpers: `var<workgroup> sums: array<f32, ${4 * S * R * Cl}>;`,
    workgroupSize: W,
    workgroups: dispatch.workgroups,
    enables: [...QUAD_ENABLES],
    choice,
  };
}
