// matmul: out (+)= epilogue(op(A) · op(B)) with op(A) M×K, op(B) K×N (see MatmulKernel in ir/kernel.ts).
//
// Three strategies share the epilogue (matmulCommon.ts):
// - 'registerTiled' (default): each invocation computes a 4×4 block of the output in registers
//   (four vec4 accumulators), walking K four at a time with 4-wide loads along whichever
//   dimension is contiguous in memory for the transpose combination; no workgroup memory, no
//   barriers. This is what pays on SwiftShader (CPU SIMD lanes). Small outputs get small
//   workgroups so that several workgroups can run on different cores.
// - 'workgroupTiled': 64×64 output tiles per 256-invocation workgroup, staged through workgroup
//   memory 16 deep in K, each invocation computing a strided 4×4 sub-block. What a real GPU wants.
// - 'quadTiled' (matmulQuad.ts): register tiles shared by quads of invocations through quadBroadcast,
//   for CPU adapters with the `subgroups` feature.
import type { BufferDecl, MatmulKernel } from '../ir/kernel.js';
import { type Ctx, type MatmulVariant, XYZW, epilogueFn, needsActivationFns, operandWalk, plus, prepare, range, summary } from './matmulCommon.js';
import { quadTiled } from './matmulQuad.js';
import type { QuadChoice } from './quadShape.js';
import {
  ACTIVATION_FUNCTIONS,
  assemble,
  linearGroups,
  linearWorkgroupIndex,
  loadF32,
  u32,
  viewAligned4,
  viewBase,
  type BufferVar,
  type GeneratedKernel,
} from './views.js';

export type { MatmulVariant } from './matmulCommon.js';
export { chainQuadBlock, chooseQuadBlock } from './matmulQuad.js';
export type { QuadBlock, QuadChoice, QuadLanes, QuadSharing } from './quadShape.js';

export function generateMatmul(
  desc: MatmulKernel,
  decls: Record<string, BufferDecl>,
  variant: MatmulVariant = 'registerTiled',
  block: RegisterBlock = chooseRegisterBlock(desc.m, desc.n),
  quad?: QuadChoice,
): GeneratedKernel {
  const ctx = prepare(desc, decls);
  switch (variant) {
    case 'registerTiled':
      return registerTiled(ctx, block);
    case 'workgroupTiled':
      return workgroupTiled(ctx);
    case 'quadTiled':
      return quadTiled(ctx, quad);
    default:
      return variant satisfies never;
  }
}

// ---------------------------------------------------------------------------------------------

/** Chooses a workgroup size: 64, halved (down to 8) while that leaves fewer than 8 workgroups. */
function registerTiledWorkgroupSize(blocks: number): number {
  let w = 64;
  while (w > 8 && Math.ceil(blocks / w) < 8) w /= 2;
  return w;
}

/** Rows × columns of the output block one invocation computes. */
export type RegisterBlock = [4 | 8, 4 | 8];

/**
 * The default block: 4×4. Bigger blocks load less per multiply-add but leave fewer invocations
 * and spill registers; on SwiftShader (2 cores, measured under load) 8×8 was not reliably faster
 * (512³: 1.56 vs 1.40 GFLOP/s for 4×4 vs 8×8; 32×30×784: 1.78 vs 2.27), so they stay an option.
 */
export function chooseRegisterBlock(_m: number, _n: number): RegisterBlock {
  return [4, 4];
}

function registerTiled(ctx: Ctx, block: RegisterBlock): GeneratedKernel {
  const { desc, M, N, mReal, A, B, buffers } = ctx;
  const { transA, transB } = desc;
  const [R, C] = block;
  const G = C / 4; // vec4 column groups
  const H = R / 4; // vec4 row groups (transA loads)
  const BM = Math.ceil(M / R);
  const BN = Math.ceil(N / C);
  const blocks = BM * BN;
  const W = registerTiledWorkgroupSize(blocks);
  const dispatch = linearGroups(Math.ceil(blocks / W));
  const { sA, sB, K4, rem, ones } = operandWalk(ctx);
  const rows = range(R);
  const cols = range(C);
  const groups = range(G);
  const rowGroups = range(H);

  // 4-wide loads straight from array<vec4<f32>> for an operand whose buffer is read-only here and
  // whose rows start at multiples of 4 (every lda4/ldb4 index is then one). Other loads from such
  // a buffer (an unaligned operand sharing it, bias, y) index `[i >> 2][i & 3]`.
  const alignedA = viewAligned4(desc.a);
  const alignedB = viewAligned4(desc.b);
  if (alignedA) buffers.tryVec4(A.name);
  if (alignedB) buffers.tryVec4(B.name);
  const a1 = (i: string): string => loadF32(A, i);
  const b1 = (i: string): string => loadF32(B, i);
  const ld4 = (v: BufferVar, aligned: boolean, ld: (i: string) => string): string =>
    v.vec4 && aligned ? `${v.ident}[i >> 2u]` : `vec4<f32>(${ld('i')}, ${ld('i + 1u')}, ${ld('i + 2u')}, ${ld('i + 3u')})`;
  const helpers = [
    `fn lda4(i: u32) -> vec4<f32> { return ${ld4(A, alignedA, a1)}; }`,
    `fn ldb4(i: u32) -> vec4<f32> { return ${ld4(B, alignedB, b1)}; }`,
    needsActivationFns(desc) ? ACTIVATION_FUNCTIONS : '',
    epilogueFn(ctx),
  ].filter(Boolean);

  const L: string[] = [];
  L.push(`  ${linearWorkgroupIndex(dispatch)}`);
  L.push(`  let blk = wg * ${u32(W)} + lidx;`);
  L.push(`  if (blk >= ${u32(blocks)}) { return; }`);
  L.push(`  let m0 = (blk / ${u32(BN)}) * ${u32(R)};`);
  L.push(`  let n0 = (blk % ${u32(BN)}) * ${u32(C)};`);
  // Base indices. op(A)[m, k]: transA ? A[k, m] : A[m, k]; op(B)[k, n]: transB ? B[n, k] : B[k, n].
  if (transA) {
    L.push(`  let ac = ${viewBase(desc.a)} + m0;`); // op(A)[m0 + i, k] = A[ac + k sA + i]
  } else {
    L.push(`  let ar0 = ${viewBase(desc.a)} + m0 * ${u32(sA)};`);
    for (const i of rows.slice(1)) L.push(`  let ar${i} = ar${i - 1} + ${u32(sA)};`);
  }
  if (transB) {
    L.push(`  let br0 = ${viewBase(desc.b)} + n0 * ${u32(sB)};`);
    for (const j of cols.slice(1)) L.push(`  let br${j} = br${j - 1} + ${u32(sB)};`);
  } else {
    L.push(`  let bc = ${viewBase(desc.b)} + n0;`); // op(B)[k, n0 + j] = B[bc + k sB + j]
  }
  if (ones) {
    for (const i of rows) L.push(`  let one${i} = ${plus('m0', i)} == ${u32(mReal)};`);
    if (transA) for (const h of rowGroups) L.push(`  let ones${h} = vec4<bool>(${[0, 1, 2, 3].map((q) => `one${4 * h + q}`).join(', ')});`);
  }
  for (const i of rows) for (const g of groups) L.push(`  var acc${i}_${g} = vec4<f32>(0.0);`);

  // aScalar(i, kk) = op(A)[m0 + i, k + kk]; bRow(kk, g) = op(B)[k + kk, n0 + 4g .. n0 + 4g + 3].
  const aScalar = (i: number, kk: number): string => (transA ? `a${kk}_${i >> 2}.${XYZW[i & 3]}` : `a${i}.${XYZW[kk]}`);
  const bRow = (kk: number, g: number): string => (transB ? `bt${kk}_${g}` : `b${kk}_${g}`);
  if (K4 > 0) {
    L.push(`  for (var k = 0u; k < ${u32(K4)}; k = k + 4u) {`);
    if (transA) {
      for (let kk = 0; kk < 4; kk++) {
        for (const h of rowGroups) {
          const load = `lda4(${plus('ac', 4 * h)} + (${plus('k', kk)}) * ${u32(sA)})`;
          L.push(`    let a${kk}_${h} = ${ones ? `select(${load}, vec4<f32>(1.0), ones${h})` : load};`); // over m, at k + kk
        }
      }
    } else {
      for (const i of rows) {
        const load = `lda4(ar${i} + k)`;
        L.push(`    let a${i} = ${ones ? `select(${load}, vec4<f32>(1.0), one${i})` : load};`); // over k, row i
      }
    }
    if (transB) {
      for (const j of cols) L.push(`    let bcol${j} = ldb4(br${j} + k);`); // over k, column j
      for (let kk = 0; kk < 4; kk++) {
        for (const g of groups) {
          const c = XYZW[kk];
          L.push(`    let bt${kk}_${g} = vec4<f32>(${[0, 1, 2, 3].map((q) => `bcol${4 * g + q}.${c}`).join(', ')});`);
        }
      }
    } else {
      for (let kk = 0; kk < 4; kk++) for (const g of groups) L.push(`    let b${kk}_${g} = ldb4(${plus('bc', 4 * g)} + (${plus('k', kk)}) * ${u32(sB)});`);
    }
    for (const i of rows) {
      for (const g of groups) {
        const terms = [0, 1, 2, 3].map((kk) => `${aScalar(i, kk)} * ${bRow(kk, g)}`);
        L.push(`    acc${i}_${g} = acc${i}_${g} + ${terms.join(' + ')};`);
      }
    }
    L.push('  }');
  }
  // K tail, unrolled (k is a constant here).
  for (let t = 0; t < rem; t++) {
    const k = K4 + t;
    L.push(`  {`);
    if (transA) {
      for (const h of rowGroups) {
        const load = `lda4(${plus('ac', 4 * h)} + ${u32(k * sA)})`;
        L.push(`    let av${h} = ${ones ? `select(${load}, vec4<f32>(1.0), ones${h})` : load};`);
      }
    } else {
      for (const i of rows) {
        const load = a1(`ar${i} + ${u32(k)}`);
        L.push(`    let a${i} = ${ones ? `select(${load}, 1.0, one${i})` : load};`);
      }
    }
    for (const g of groups) {
      if (transB) L.push(`    let bv${g} = vec4<f32>(${[0, 1, 2, 3].map((q) => b1(`br${4 * g + q} + ${u32(k)}`)).join(', ')});`);
      else L.push(`    let bv${g} = ldb4(${plus('bc', 4 * g)} + ${u32(k * sB)});`);
    }
    for (const i of rows) {
      for (const g of groups) L.push(`    acc${i}_${g} = acc${i}_${g} + ${transA ? `av${i >> 2}.${XYZW[i & 3]}` : `a${i}`} * bv${g};`);
    }
    L.push(`  }`);
  }
  // Epilogue over the block (bounds checks only where M or N is not a multiple of the block).
  for (const i of rows) {
    const m = plus('m0', i);
    const stores: string[] = [];
    for (const j of cols) {
      const n = plus('n0', j);
      const call = `epilogue(${m}, ${n}, acc${i}_${j >> 2}.${XYZW[j & 3]});`;
      stores.push(N % C !== 0 && j > 0 ? `if (${n} < ${u32(N)}) { ${call} }` : call);
    }
    if (M % R !== 0 && i > 0) L.push(`  if (${m} < ${u32(M)}) {`, ...stores.map((x) => `    ${x}`), '  }');
    else L.push(...stores.map((x) => `  ${x}`));
  }
  return assemble({
    desc,
    summary: summary(ctx, 'registerTiled') + ` (${R}×${C} per invocation, ${W} per workgroup)`,
    buffers,
    helpers: helpers.join('\n\n'),
    workgroupSize: W,
    body: L.join('\n'),
    workgroups: dispatch.workgroups,
  });
}

// ---------------------------------------------------------------------------------------------

const TILE = 64;
const TILE_K = 16;
const THREADS = 256; // 16 × 16, each a strided 4×4 sub-block of the 64×64 tile

function workgroupTiled(ctx: Ctx): GeneratedKernel {
  const { desc, M, N, K, mReal, A, B, buffers } = ctx;
  const { transA, transB } = desc;
  const tilesM = Math.ceil(M / TILE);
  const tilesN = Math.ceil(N / TILE);
  const dispatch = linearGroups(tilesM * tilesN);
  const sA = desc.a.rowStride;
  const sB = desc.b.rowStride;
  const ones = !!desc.aOnesRow;
  const helpers = [
    `var<workgroup> tileA: array<f32, ${TILE * TILE_K}>; // [kk * ${TILE} + mm]`,
    `var<workgroup> tileB: array<f32, ${TILE * TILE_K}>; // [kk * ${TILE} + nn]`,
    needsActivationFns(desc) ? ACTIVATION_FUNCTIONS : '',
    epilogueFn(ctx),
  ].filter(Boolean);
  const L: string[] = [];
  L.push(`  ${linearWorkgroupIndex(dispatch)}`);
  L.push(`  if (wg >= ${u32(dispatch.groups)}) { return; }`);
  L.push(`  let mBase = (wg / ${u32(tilesN)}) * ${u32(TILE)};`);
  L.push(`  let nBase = (wg % ${u32(tilesN)}) * ${u32(TILE)};`);
  L.push(`  let tx = lidx % 16u;`);
  L.push(`  let ty = lidx / 16u;`);
  L.push(`  let aBase = ${viewBase(desc.a)};`);
  L.push(`  let bBase = ${viewBase(desc.b)};`);
  for (let i = 0; i < 4; i++) L.push(`  var acc${i} = vec4<f32>(0.0);`);
  L.push(`  for (var k0 = 0u; k0 < ${u32(K)}; k0 = k0 + ${u32(TILE_K)}) {`);
  {
    // Each invocation stages (TILE × TILE_K) / THREADS elements of each tile.
    const e = 'e';
    // Consecutive invocations walk the dimension that is contiguous in memory.
    const [mm, kkA] = transA ? [`${e} % ${u32(TILE)}`, `${e} / ${u32(TILE)}`] : [`${e} / ${u32(TILE_K)}`, `${e} % ${u32(TILE_K)}`];
    const [nn, kkB] = transB ? [`${e} / ${u32(TILE_K)}`, `${e} % ${u32(TILE_K)}`] : [`${e} % ${u32(TILE)}`, `${e} / ${u32(TILE)}`];
    const aIdx = transA ? `aBase + gk * ${u32(sA)} + gm` : `aBase + gm * ${u32(sA)} + gk`;
    const bIdx = transB ? `bBase + gn * ${u32(sB)} + gk` : `bBase + gk * ${u32(sB)} + gn`;
    L.push(`    for (var q = 0u; q < ${u32((TILE * TILE_K) / THREADS)}; q = q + 1u) {`);
    L.push(`      let e = lidx + q * ${u32(THREADS)};`);
    L.push(`      {`);
    L.push(`        let mm = ${mm};`, `        let kk = ${kkA};`, `        let gm = mBase + mm;`, `        let gk = k0 + kk;`);
    L.push(`        var v = 0.0;`);
    L.push(`        if (gk < ${u32(K)} && gm < ${u32(mReal)}) { v = ${loadF32(A, aIdx)}; }`);
    if (ones) L.push(`        if (gk < ${u32(K)} && gm == ${u32(mReal)}) { v = 1.0; }`);
    L.push(`        tileA[kk * ${u32(TILE)} + mm] = v;`);
    L.push(`      }`);
    L.push(`      {`);
    L.push(`        let nn = ${nn};`, `        let kk = ${kkB};`, `        let gn = nBase + nn;`, `        let gk = k0 + kk;`);
    L.push(`        var v = 0.0;`);
    L.push(`        if (gk < ${u32(K)} && gn < ${u32(N)}) { v = ${loadF32(B, bIdx)}; }`);
    L.push(`        tileB[kk * ${u32(TILE)} + nn] = v;`);
    L.push(`      }`);
    L.push(`    }`);
  }
  L.push(`    workgroupBarrier();`);
  L.push(`    for (var kk = 0u; kk < ${u32(TILE_K)}; kk = kk + 1u) {`);
  L.push(`      let ra = kk * ${u32(TILE)} + ty;`);
  L.push(`      let rb = kk * ${u32(TILE)} + tx;`);
  L.push(`      let av = vec4<f32>(tileA[ra], tileA[ra + 16u], tileA[ra + 32u], tileA[ra + 48u]);`);
  L.push(`      let bv = vec4<f32>(tileB[rb], tileB[rb + 16u], tileB[rb + 32u], tileB[rb + 48u]);`);
  for (let i = 0; i < 4; i++) L.push(`      acc${i} = acc${i} + av.${XYZW[i]} * bv;`);
  L.push(`    }`);
  L.push(`    workgroupBarrier();`);
  L.push(`  }`);
  for (let i = 0; i < 4; i++) {
    L.push(`  {`);
    L.push(`    let m = mBase + ty + ${u32(16 * i)};`);
    L.push(`    if (m < ${u32(M)}) {`);
    for (let j = 0; j < 4; j++) {
      L.push(`      { let n = nBase + tx + ${u32(16 * j)}; if (n < ${u32(N)}) { epilogue(m, n, acc${i}.${XYZW[j]}); } }`);
    }
    L.push(`    }`);
    L.push(`  }`);
  }
  return assemble({
    desc,
    summary: summary(ctx, 'workgroupTiled') + ` (${TILE}×${TILE} tiles, K by ${TILE_K}, ${THREADS} invocations)`,
    buffers,
    helpers: helpers.join('\n\n'),
    workgroupSize: THREADS,
    body: L.join('\n'),
    workgroups: dispatch.workgroups,
  });
}
