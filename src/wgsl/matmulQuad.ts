// matmul, 'quadTiled': register tiles shared by a quad of invocations through quadBroadcast (needs
// the adapter's `subgroups` feature). What pays on SwiftShader, where an invocation is one lane of a
// 4-wide CPU SIMD group and every load with a per-lane index is a gather of 4 scalar loads, while
// a broadcast of one lane's value is one shuffle:
// - the 4 invocations of a quad compute an R × 4·Cl block of the output: the same R rows, lane l
//   the columns n0 + l + 4j (j < Cl), so each lane keeps R × Cl accumulators;
// - per 4 steps of K, lane l loads op(A)[m0 + i, k + l] for the R rows (one gather per row for the
//   whole quad) and quadBroadcast hands each lane the 4 values of every row; op(B) is loaded per
//   lane (its own columns). A quad so loads R + 4·Cl values per K step for 4·R·Cl multiply-adds,
//   against R + Cl per lane for R·Cl without sharing.
// Quads are 4 consecutive local invocation indices (SwiftShader's SIMD groups, and the quads of a
// subgroup in local-index order): lanes derive their block from `lidx`, and the broadcasts stay in
// uniform control flow (surplus quads compute a clamped block and store nothing).
import { type Ctx, epilogueFn, needsActivationFns, summary } from './matmulCommon.js';
import {
  ACTIVATION_FUNCTIONS,
  KernelCodegenError,
  assemble,
  linearGroups,
  linearWorkgroupIndex,
  loadF32,
  u32,
  viewBase,
  type GeneratedKernel,
} from './views.js';

/** Rows R × column groups Cl of a quad's block (the quad covers R × 4·Cl outputs). */
export type QuadBlock = [number, number];

/** The WGSL extensions the quadTiled variant needs (emitted at the top of its module). */
export const QUAD_ENABLES = ['subgroups'] as const;

/**
 * The block and workgroup size for an M × N output. 8 × 8 per lane (8 rows × 32 columns per quad)
 * measured best at 512³ on SwiftShader (8 × 8 ≈ 16 × 8 > 16 × 4 > 8 × 16, loaded 2-core machine),
 * and at the MLP's 32 × 30 × 784 too (8 × 8 in 4 one-quad workgroups: 74% of peak against 52% for
 * 4 × 8 in 8): big blocks pay more than spreading. Narrower outputs take fewer column groups; rows
 * shrink only below 4 quads. One quad per workgroup: SwiftShader runs a workgroup as one task, and
 * the finest split balanced best over the cores (best of 6–10 runs, load 7–10: at 512³ 1.17 GFLOP/s
 * against 1.01 with 4 quads and 0.66 with 16; at 785 × 30 × 32 1.31 against 0.76 with 2 or 8).
 */
export function chooseQuadBlock(m: number, n: number): { block: QuadBlock; workgroupSize: number } {
  const cl = Math.max(1, Math.min(8, Math.ceil(n / 4)));
  let r = Math.max(1, Math.min(8, m));
  const quads = (rr: number): number => Math.ceil(m / rr) * Math.ceil(n / (4 * cl));
  while (r > 2 && quads(r) < 4) r = Math.ceil(r / 2);
  return { block: [r, cl], workgroupSize: 4 };
}

export function quadTiled(ctx: Ctx, choice: { block: QuadBlock; workgroupSize: number } = chooseQuadBlock(ctx.M, ctx.N)): GeneratedKernel {
  const { desc, M, N, K, mReal, A, B, buffers } = ctx;
  const [R, Cl] = choice.block;
  const W = choice.workgroupSize;
  if (!Number.isInteger(R) || !Number.isInteger(Cl) || R < 1 || Cl < 1 || R > 16 || Cl > 16) {
    throw new KernelCodegenError(desc.name, `quadTiled block ${R}×${Cl} is not in 1..16 × 1..16`);
  }
  if (W % 4 !== 0 || W < 4) throw new KernelCodegenError(desc.name, `quadTiled workgroup size ${W} is not a multiple of 4`);
  const QC = 4 * Cl;
  const QN = Math.ceil(N / QC);
  const quads = Math.max(1, Math.ceil(M / R) * QN);
  const perGroup = W / 4;
  const dispatch = linearGroups(Math.ceil(quads / perGroup));
  const sA = desc.a.rowStride;
  const sB = desc.b.rowStride;
  const K4 = K - (K % 4);
  const rem = K % 4;
  const ones = !!desc.aOnesRow;
  const rows = [...Array(R).keys()];
  const cols = [...Array(Cl).keys()];
  const plus = (base: string, x: number): string => (x === 0 ? base : `${base} + ${u32(x)}`);
  // op(A)[row, k] and op(B)[k, col] as buffer reads (row, col clamped in range; k < K).
  const opA = (row: string, k: string): string => loadF32(A, desc.transA ? `${viewBase(desc.a)} + (${k}) * ${u32(sA)} + ${row}` : `${row} + ${k}`);
  const opB = (k: string, col: string): string => loadF32(B, desc.transB ? `${col} + ${k}` : `${viewBase(desc.b)} + (${k}) * ${u32(sB)} + ${col}`);

  const L: string[] = [];
  L.push(`  ${linearWorkgroupIndex(dispatch)}`);
  L.push(`  let quad = wg * ${u32(perGroup)} + lidx / 4u;`);
  L.push(`  let live = quad < ${u32(quads)};`);
  L.push(`  let q = min(quad, ${u32(quads - 1)});`);
  L.push(`  let l = lidx & 3u;`);
  L.push(`  let m0 = (q / ${u32(QN)}) * ${u32(R)};`);
  L.push(`  let n0 = (q % ${u32(QN)}) * ${u32(QC)} + l;`);
  // Row bases of A (clamped to rows A has; the ones row and rows past M are fixed up or not stored).
  const lastRow = Math.max(0, mReal - 1);
  for (const i of rows) {
    const row = `min(${plus('m0', i)}, ${u32(lastRow)})`;
    L.push(desc.transA ? `  let ra${i} = ${row};` : `  let ra${i} = ${viewBase(desc.a)} + ${row} * ${u32(sA)};`);
    if (ones) L.push(`  let one${i} = ${plus('m0', i)} >= ${u32(mReal)};`);
  }
  for (const j of cols) {
    const col = `min(${plus('n0', 4 * j)}, ${u32(N - 1)})`;
    L.push(desc.transB ? `  let cb${j} = ${viewBase(desc.b)} + ${col} * ${u32(sB)};` : `  let cb${j} = ${col};`);
  }
  for (const i of rows) for (const j of cols) L.push(`  var c${i}_${j} = 0.0;`);
  const aLoad = (i: number, k: string): string => {
    if (ones && mReal === 0) return '1.0';
    const v = opA(`ra${i}`, k);
    return ones ? `select(${v}, 1.0, one${i})` : v;
  };
  const step = (indent: string, kBase: string, kks: number[]): void => {
    for (const kk of kks) {
      for (const i of rows) L.push(`${indent}let a${i}_${kk} = quadBroadcast(av${i}, ${u32(kk)});`);
      for (const j of cols) L.push(`${indent}let b${kk}_${j} = ${opB(plus(kBase, kk), `cb${j}`)};`);
      for (const i of rows) for (const j of cols) L.push(`${indent}c${i}_${j} = c${i}_${j} + a${i}_${kk} * b${kk}_${j};`);
    }
  };
  if (K4 > 0) {
    L.push(`  for (var k = 0u; k < ${u32(K4)}; k = k + 4u) {`);
    for (const i of rows) L.push(`    let av${i} = ${aLoad(i, 'k + l')};`);
    step('    ', 'k', [0, 1, 2, 3]);
    L.push('  }');
  }
  if (rem > 0) {
    // The K tail: lanes past K load a clamped duplicate that is never broadcast.
    L.push('  {');
    L.push(`    let kl = min(${u32(K4)} + l, ${u32(K - 1)});`);
    for (const i of rows) L.push(`    let av${i} = ${aLoad(i, 'kl')};`);
    step('    ', u32(K4), [...Array(rem).keys()]);
    L.push('  }');
  }
  L.push('  if (live) {');
  for (const i of rows) {
    const m = plus('m0', i);
    const stores = cols.map((j) => {
      const n = plus('n0', 4 * j);
      return `if (${n} < ${u32(N)}) { epilogue(${m}, ${n}, c${i}_${j}); }`;
    });
    L.push(`    if (${m} < ${u32(M)}) {`, ...stores.map((x) => `      ${x}`), '    }');
  }
  L.push('  }');
  return assemble({
    desc,
    summary: `${summary(ctx, 'quadTiled')} (${R}×${QC} per quad of 4, ${W} per workgroup)`,
    buffers,
    helpers: [needsActivationFns(desc) ? ACTIVATION_FUNCTIONS : '', epilogueFn(ctx)].filter(Boolean).join('\n\n'),
    workgroupSize: W,
    body: L.join('\n'),
    workgroups: dispatch.workgroups,
    enables: [...QUAD_ENABLES],
  });
}
