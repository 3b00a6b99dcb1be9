// matmul, 'quadTiled': register tiles shared by a quad of invocations through quad operations (needs
// the adapter's `subgroups` feature). What pays on SwiftShader, where an invocation is one lane of a
// 4-wide CPU SIMD group and every load with a per-lane index is a gather of 4 scalar loads, while
// a quad operation is a shuffle:
// - the 4 invocations of a quad compute an R × 4·Cl block of the output: the same R rows, lane l
//   the columns n0 + l + 4j (j < Cl), so each lane keeps R × Cl accumulators;
// - per 4 steps of K, lane l loads op(A)[m0 + i, k + l] for the R rows (one gather per row for the
//   whole quad) and hands them round: 'broadcast' gives every lane lane kk's value at step kk
//   (quadBroadcast); 'swap' gives lane l lane (l ^ kk)'s (itself, then quadSwapX / Y / Diagonal:
//   fixed shuffles, cheaper than a broadcast here), so lane l is at k + (l ^ kk) and reads its B
//   row there. op(B) is loaded per lane (its own columns). A quad so loads R + 4·Cl values per K
//   step for 4·R·Cl multiply-adds, against R + Cl per lane for R·Cl without sharing.
// - lanes on rows (QuadChoice.lanes, for outputs a few columns wide): the same with the operands'
//   roles exchanged: lane l owns the rows m0 + l + 4i (i < R) and all Cl columns of the block, and
//   the quad shares op(B)'s values (loaded at k + l, handed round the same way) while each lane
//   reads its own op(A) rows. A 10-column output so runs 10 columns per quad, not 12.
// Quads are 4 consecutive local invocation indices (SwiftShader's SIMD groups, and the quads of a
// subgroup in local-index order): lanes derive their block from `lidx`, and the quad operations stay
// in uniform control flow (surplus quads compute a clamped block and store nothing).
import { type Ctx, XYZW, epilogueFn, needsActivationFns, operandWalk, plus, range, summary } from './matmulCommon.js';
import {
  ACTIVATION_FUNCTIONS,
  KernelCodegenError,
  assemble,
  f32,
  linearGroups,
  linearWorkgroupIndex,
  type LinearDispatch,
  loadF32,
  loadU32,
  samplePosition,
  scaledBytes,
  u32,
  viewBase,
  type GeneratedKernel,
} from './views.js';
import type { QuadChoice, QuadSharing } from './quadShape.js';
import { kernelUsesStep, sameOperandA } from '../ir/kernel.js';

/** Where a quad kernel's quads lie: blocks of `rows` × `columns` outputs, `across` of them side by side. */
export interface QuadLayout {
  dispatch: LinearDispatch;
  /** Quads per workgroup. */
  perGroup: number;
  quads: number;
  across: number;
  rows: number;
  columns: number;
  /** Add the lane to the block's first column (kernels whose lanes own columns l, l + 4, …). */
  laneInColumn?: boolean;
}

/**
 * The first lines of a quad kernel: this invocation's quad (clamped to the last one; `live` when it
 * has a block to store), its lane `l`, and its block's first row `m0` and column `n0`.
 */
export function quadStart(q: QuadLayout): string[] {
  return [
    `  ${linearWorkgroupIndex(q.dispatch)}`,
    `  let quad = wg * ${u32(q.perGroup)} + lidx / 4u;`,
    `  let live = quad < ${u32(q.quads)};`,
    `  let q = min(quad, ${u32(q.quads - 1)});`,
    `  let l = lidx & 3u;`,
    `  let m0 = (q / ${u32(q.across)}) * ${u32(q.rows)};`,
    `  let n0 = (q % ${u32(q.across)}) * ${u32(q.columns)}${q.laneInColumn ? ' + l' : ''};`,
  ];
}

/** The WGSL extensions the quadTiled variant needs (emitted at the top of its module). */
export const QUAD_ENABLES = ['subgroups'] as const;

/** Invocations in a quad: SwiftShader's SIMD width, so a quad-wide workgroup runs as one SIMD group. */
export const QUAD_WIDTH = 4;

/** The largest block quadTiled generates: R rows × Cl column groups (R·Cl accumulators per lane). */
export const MAX_QUAD_ROWS = 32;
export const MAX_QUAD_COLUMN_GROUPS = 16;

/** K from which a small product keeps bigger blocks in fewer quads (see chooseQuadBlock). */
export const LONG_K = 256;

/** Multiply-adds (M·N·K) from which a product gets the 32 × 8 block (see chooseQuadBlock). */
export const BIG_QUAD_BLOCK_MACS = 1 << 26;

/** K up to which, over at least SHORT_K_ROWS rows, a product gets the 32 × 8 block too (see chooseQuadBlock). */
export const SHORT_K = 64;
export const SHORT_K_ROWS = 512;

/**
 * The block, workgroup size and sharing for an M × N × K product. What decides on SwiftShader (issue
 * 14, bench/README.md): a gather (any per-lane load) costs about 6 multiply-adds and a swap 1–3, and
 * per K step a lane does R·Cl multiply-adds for R/4 + Cl gathers, so the larger and squarer the
 * quad's R × 4·Cl block the closer to the peak: 32 rows × 8 column groups (32 × 32 per quad, 16
 * gathers for 256 multiply-adds) reach ~70% of it at 1024³ and 512³ where 16 × 16 (20 gathers for
 * the same 256) reaches ~60%. A goes round by quad swaps, one shuffle each, which leave lanes at
 * different k (each reads its own B row, a gather anyway). A block's code grows with R·Cl (pipeline
 * creation of 32 × 8 takes ~2× that of 16 × 8), so it is kept for products of at least
 * BIG_QUAD_BLOCK_MACS and for short-K products over many rows (K ≤ SHORT_K, M ≥ SHORT_K_ROWS), its
 * rows and columns evenly spread when M is not a multiple of 32 or N of 32 (40 × 4096 × 512: 20 × 8
 * runs 1.46× 32 × 8; 4096 × 40 × 512: 32 × 5 1.59× 32 × 8); smaller ones take at most 16 × 8. Rows are halved until there are 4 quads
 * (2 from K = LONG_K) (one-quad workgroups on 2 cores balanced best: 512³ 1.17 GFLOP/s against 1.01
 * with 4 quads per workgroup and 0.66 with 16). Outputs up to NARROW_OUTPUT columns wide put the lanes on rows.
 */
export function chooseQuadBlock(m: number, n: number, k: number): QuadChoice {
  // Rows are halved for parallelism until there are 4 quads, or 2 when K is long: then each quad's
  // A rows and B loads are reused over many K steps, and 2 quads still keep 2 cores busy (32 × 30 ×
  // 784: 16 × 8 runs 1.18× 8 × 8; 32 × 10 × 814, lanes on columns then: 16 × 3 1.26× 8 × 3; bench/README.md).
  if (n <= NARROW_OUTPUT) return chooseRowLanes(m, n, fewestQuads(k));
  // Big products: rows and column groups spread evenly over the blocks (40 rows: 2 × 20, not 32 + 8
  // in 64; 40 columns: 2 × 5 groups of 4, not 8 + 2 in 16 groups).
  const groups = Math.max(1, Math.ceil(n / 4));
  const cl = bigQuadBlock(m, n, k) ? Math.ceil(groups / Math.ceil(groups / 8)) : Math.min(8, groups);
  return { block: [quadRows(m, n, k, cl), cl], workgroupSize: 4, sharing: 'swap' };
}

/** Quads a product should at least have: 4, or 2 from K = LONG_K (see chooseQuadBlock). */
function fewestQuads(k: number): number {
  return k >= LONG_K ? 2 : 4;
}

/**
 * Whether a product gets the 32 × 8 block: big ones, and short K over many rows (a weight gradient
 * from a small batch: the MLP's 785 × 30 from K = 32), where an output is only K multiply-adds, so a
 * quad's fixed costs (its prologue, the B rows it loads for every k) weigh more, and 32 rows halve them
 * per output (MLP b32 fit 1.04× against 16 rows, bench/README.md), for the bigger block's longer
 * pipeline creation.
 */
function bigQuadBlock(m: number, n: number, k: number): boolean {
  return m * n * k >= BIG_QUAD_BLOCK_MACS || (k <= SHORT_K && m >= SHORT_K_ROWS);
}

/** The rows of a lanes-on-columns block of `cl` column groups for an M × N × K product (chooseQuadBlock). */
export function quadRows(m: number, n: number, k: number, cl: number): number {
  let r = bigQuadBlock(m, n, k) ? Math.ceil(m / Math.ceil(m / 32)) : Math.max(1, Math.min(16, m));
  const quads = (rr: number): number => Math.ceil(m / rr) * Math.ceil(n / (4 * cl));
  while (r > 2 && quads(r) < fewestQuads(k)) r = Math.ceil(r / 2);
  return r;
}

/**
 * Outputs at most this many columns wide put the quad's lanes on rows (QuadLanes 'rows'): measured
 * against lanes on columns (bench/README.md), the wide & deep output layer's weight gradient (815 ×
 * 10 × 32, Xᵀ·dZ) ran 1.49× and its forward product (32 × 10 × 815) 1.22×; 8 columns 1.10× / 1.26×,
 * 16 columns 1.01× / 1.05×, 20 columns 0.97×.
 */
export const NARROW_OUTPUT = 12;

/** Lanes on rows for a narrow output: every column in one block, 8 groups of 4 rows halved down to `fewestQuads` quads. */
function chooseRowLanes(m: number, n: number, fewestQuads: number): QuadChoice {
  let r = Math.max(1, Math.min(8, Math.ceil(m / 4)));
  while (r > 1 && Math.ceil(m / (4 * r)) < fewestQuads) r = Math.ceil(r / 2);
  return { block: [r, Math.max(1, n)], workgroupSize: 4, sharing: 'swap', lanes: 'rows' };
}

/**
 * The block of a product that runs as a stage of a chain (plan/dispatchGroups.ts chainDispatches: all
 * its stages in one workgroup). Chained products are small, and a chain's module is compiled as one
 * function, where the blocks chooseQuadBlock picks for parallelism (8 × 8 and up for a 32 × 30 × 30
 * product) made the article MLP's chain ~3,200 lines that SwiftShader took ~2 s to compile. So: 4 rows ×
 * 4 column groups, or lanes on rows (2 groups of 4 rows × every column) for outputs at most
 * NARROW_OUTPUT wide.
 */
export function chainQuadBlock(m: number, n: number): QuadChoice {
  if (n <= NARROW_OUTPUT) return { block: [Math.max(1, Math.min(2, Math.ceil(m / 4))), Math.max(1, n)], workgroupSize: 4, sharing: 'swap', lanes: 'rows' };
  return { block: [Math.max(1, Math.min(4, m)), Math.max(1, Math.min(4, Math.ceil(n / 4)))], workgroupSize: 4, sharing: 'swap' };
}

export function quadTiled(ctx: Ctx, choice: QuadChoice = chooseQuadBlock(ctx.M, ctx.N, ctx.K)): GeneratedKernel {
  return quadKernel([ctx], choice, ctx.desc.name);
}

/**
 * Products over one op(A) as one kernel (sharedOperand.ts decides which): their columns side by side
 * in one quad block, each product owning whole column groups (its own B view and epilogue, decided at
 * generation, not per lane), so op(A)'s loads — rows gathered by index and unpacked from bytes — are
 * paid once for all of them. The block is one row band wide (every column group of every product), its
 * rows as chooseQuadBlock picks them for a product that wide. The contexts must share the module's
 * BufferSet and have equal op(A) and K; `name` names the kernel. `blockRowsFor`: the rows to choose the
 * block's rows for (a row part's products take the whole batch's block, plan/rowParts.ts).
 */
export function quadTiledSharingA(ctxs: Ctx[], name: string, blockRowsFor?: number): GeneratedKernel {
  const first = ctxs[0]!;
  const groups = ctxs.reduce((sum, c) => sum + columnGroups(c.N), 0);
  const M = blockRowsFor ?? Math.max(...ctxs.map((c) => c.M));
  const block: [number, number] = [quadRows(M, 4 * groups, first.K, groups), groups];
  return quadKernel(ctxs, { block, workgroupSize: 4, sharing: 'swap' }, name);
}

/** Groups of 4 columns a product's N takes (at least one). */
export function columnGroups(n: number): number {
  return Math.max(1, Math.ceil(n / 4));
}

/**
 * The quad kernel over `parts`: one product, or several over the same op(A) (quadTiledSharingA). op(A),
 * K and the block's rows come from the first; each part owns consecutive column groups of the block.
 */
function quadKernel(parts: Ctx[], choice: QuadChoice, name: string): GeneratedKernel {
  const first = parts[0]!;
  const { desc, K, mReal, A, buffers } = first;
  const M = Math.max(...parts.map((p) => p.M));
  const [R, Cl] = choice.block;
  const W = choice.workgroupSize;
  const sharing = choice.sharing ?? 'broadcast';
  const lanes = choice.lanes ?? 'columns';
  // 'columns': R rows × Cl groups of 4 columns; 'rows': R groups of 4 rows × Cl columns.
  const [maxR, maxC] = lanes === 'columns' ? [MAX_QUAD_ROWS, MAX_QUAD_COLUMN_GROUPS] : [MAX_QUAD_COLUMN_GROUPS, MAX_QUAD_ROWS];
  if (!Number.isInteger(R) || !Number.isInteger(Cl) || R < 1 || Cl < 1 || R > maxR || Cl > maxC) {
    throw new KernelCodegenError(name, `quadTiled block ${R}×${Cl} (lanes on ${lanes}) is not in 1..${maxR} × 1..${maxC}`);
  }
  if (W % 4 !== 0 || W < 4) throw new KernelCodegenError(name, `quadTiled workgroup size ${W} is not a multiple of 4`);
  const byColumns = lanes === 'columns';
  // Which part owns column group j of the block, and which of its own groups that is (one part: all, j).
  const owners: { part: number; group: number }[] = [];
  if (parts.length > 1) {
    if (!byColumns) throw new KernelCodegenError(name, 'products sharing op(A) need the lanes on columns');
    parts.forEach((p, index) => {
      if (!sameOperandA(p.desc, desc)) throw new KernelCodegenError(name, `"${p.desc.name}" does not read the same op(A) over the same K as "${desc.name}"`);
      if (p.buffers !== buffers) throw new KernelCodegenError(name, 'products sharing op(A) must share one BufferSet');
      for (let g = 0; g < columnGroups(p.N); g++) owners.push({ part: index, group: g });
    });
    if (owners.length !== Cl) throw new KernelCodegenError(name, `the block has ${Cl} column groups for the products' ${owners.length}`);
  } else for (let j = 0; j < Cl; j++) owners.push({ part: 0, group: j });
  const N = parts.length > 1 ? 4 * Cl : first.N;
  // The quad's block: QR rows × QC columns.
  const QR = byColumns ? R : 4 * R;
  const QC = byColumns ? 4 * Cl : Cl;
  const QN = Math.ceil(N / QC);
  const quads = Math.max(1, Math.ceil(M / QR) * QN);
  const perGroup = W / 4;
  const dispatch = linearGroups(Math.ceil(quads / perGroup));
  const { sA, K4, rem } = operandWalk(first);
  // op(A) ends in a row of ones when any part takes it (the bias gradient riding along); parts without stop before it.
  const ones = parts.some((p) => !!p.desc.aOnesRow);
  const rows = range(R);
  const cols = range(Cl);
  // A's rows read through the step's sample indices (View.gathered): A[s, c] is dataset sample
  // indices[step.rowBase + s] (in a row part, its rows further), times the dataset's scale, so the batch is never copied out.
  const gathered = desc.a.gathered;
  const indices = gathered ? buffers.use(gathered.indices, false) : undefined;
  const sampleStart = (s: string): string => `${plus(`${loadU32(indices!, samplePosition(s, desc.a.partRows))} * ${u32(sA)}`, desc.a.offset)}`;
  const scaled = (x: string): string => (gathered && gathered.scale !== 1 ? `${f32(gathered.scale)} * ${x}` : x);
  // Aᵀ gathered: the sample at k is the same for all R rows, so its start is read once per k (sampleAt).
  const sampleVar = (k: string): string => `sa_${k.replace(/[^A-Za-z0-9]+/g, '_')}`;
  const sampleAt = (indent: string, k: string): void => {
    if (gathered && desc.transA) L.push(`${indent}let ${sampleVar(k)} = ${sampleStart(k)};`);
  };
  // op(A)[row, k] and op(B)[k, col] as buffer reads (row, col clamped in range; k < K).
  const opA = (row: string, k: string): string =>
    desc.transA
      ? scaled(loadF32(A, gathered ? `${sampleVar(k)} + ${row}` : `${viewBase(desc.a)} + (${k}) * ${u32(sA)} + ${row}`))
      : scaled(loadF32(A, `${row} + ${k}`));
  const opB = (p: Ctx, k: string, col: string): string =>
    loadF32(p.B, p.desc.transB ? `${col} + ${k}` : `${viewBase(p.desc.b)} + (${k}) * ${u32(p.desc.b.rowStride)} + ${col}`);
  // Lane l's row i and column j: 'columns' lanes share rows and own columns n0 + l + 4j; 'rows'
  // lanes own rows m0 + l + 4i and share columns.
  const laneOwned = (base: string, x: number): string => plus(`${base} + l`, 4 * x);
  const rowOf = (i: number): string => (byColumns ? plus('m0', i) : laneOwned('m0', i));
  const colOf = (j: number): string => (byColumns ? laneOwned('n0', owners[j]!.group) : plus('n0', j));
  const partOf = (j: number): Ctx => parts[owners[j]!.part]!;

  const L: string[] = quadStart({ dispatch, perGroup, quads, across: QN, rows: QR, columns: QC });
  // Row bases of A (clamped to rows A has; the ones row and rows past M are fixed up or not stored).
  const lastRow = Math.max(0, mReal - 1);
  for (const i of rows) {
    const row = `min(${rowOf(i)}, ${u32(lastRow)})`;
    if (desc.transA) L.push(`  let ra${i} = ${row};`);
    else L.push(`  let ra${i} = ${gathered ? sampleStart(row) : `${viewBase(desc.a)} + ${row} * ${u32(sA)}`};`);
    if (ones) L.push(`  let one${i} = ${rowOf(i)} >= ${u32(mReal)};`);
  }
  for (const j of cols) {
    const p = partOf(j);
    const col = `min(${colOf(j)}, ${u32(Math.max(0, p.N - 1))})`;
    L.push(p.desc.transB ? `  let cb${j} = ${viewBase(p.desc.b)} + ${col} * ${u32(p.desc.b.rowStride)};` : `  let cb${j} = ${col};`);
  }
  for (const i of rows) for (const j of cols) L.push(`  var c${i}_${j} = 0.0;`);
  const aLoad = (i: number, k: string): string => {
    if (ones && mReal === 0) return '1.0';
    const v = opA(`ra${i}`, k);
    return ones ? `select(${v}, 1.0, one${i})` : v;
  };
  const bLoad = (j: number, k: string): string => opB(partOf(j), k, `cb${j}`);
  // The quad shares the operand its lanes do not own: op(A)'s rows ('columns' lanes) or op(B)'s
  // columns ('rows' lanes). Each lane loads it at k + l for the 4 steps of K; step kk hands every
  // lane one of the 4 values: 'broadcast' the one of lane kk (all lanes at k + kk), 'swap' the one
  // of lane l ^ kk (lane l at k + (l ^ kk): its own value, then quadSwapX / Y / Diagonal), at whose
  // k each lane then reads its own operand.
  const [sharedName, shared, sharedLoad, ownName, own, ownLoad] = byColumns
    ? (['a', rows, aLoad, 'b', cols, bLoad] as const)
    : (['b', cols, bLoad, 'a', rows, aLoad] as const);
  const SWAPS = ['', 'quadSwapX', 'quadSwapY', 'quadSwapDiagonal'] as const;
  // Gathered u8 rows come 4 bytes to a word, and where the words line up A's loads use that. A as
  // stored (not Aᵀ): the 4 k of a K step are one word of each row and lane l takes byte l of it
  // (one shift by a per-lane constant), then shares it as usual; unpacking all 4 in every lane and
  // sharing none measured slower (fit 0.97×). Aᵀ: a lane's R rows at its k are R/4 consecutive
  // words of one sample, loaded and unpacked whole (fit 1.07× over a byte at a time).
  const u8Words = !!gathered && A.decl.elementType === 'u8' && byColumns && mReal > 0 && sA % 4 === 0 && desc.a.offset % 4 === 0;
  const laneBytes = u8Words && !desc.transA && !ones;
  const columnWords = u8Words && desc.transA && R % 4 === 0;
  if (laneBytes) L.push('  let laneByte = l * 8u;');
  // The shared operand at this lane's k (k + l, or kl in the K tail); `wordStep`: the K step's first k, where whole words line up.
  const loadShared = (indent: string, k: string, wordStep?: string): void => {
    if (byColumns) sampleAt(indent, k);
    if (wordStep !== undefined && laneBytes) {
      for (const i of rows) L.push(`${indent}let av${i} = ${scaled(`f32((${A.ident}[(ra${i} + ${wordStep}) >> 2u] >> laneByte) & 255u)`)};`);
      return;
    }
    if (columnWords) {
      for (let w = 0; w < R / 4; w++)
        L.push(`${indent}let aq${w} = ${scaledBytes(`${A.ident}[${plus(`((${sampleVar(k)} + m0) >> 2u)`, w)}]`, gathered!.scale)};`);
      for (const i of rows) {
        const v = `aq${i >> 2}.${XYZW[i & 3]}`;
        L.push(`${indent}let av${i} = ${ones ? `select(${v}, 1.0, one${i})` : v};`);
      }
      return;
    }
    for (const s of shared) L.push(`${indent}let ${sharedName}v${s} = ${sharedLoad(s, k)};`);
  };
  const step = (indent: string, kBase: string, kks: number[], how: QuadSharing): void => {
    for (const kk of kks) {
      const swapped = how === 'swap' && kk > 0;
      for (const s of shared) {
        const v = `${sharedName}v${s}`;
        L.push(`${indent}let ${sharedName}${s}_${kk} = ${how === 'broadcast' ? `quadBroadcast(${v}, ${u32(kk)})` : swapped ? `${SWAPS[kk]}(${v})` : v};`);
      }
      const kRow = how === 'broadcast' ? plus(kBase, kk) : swapped ? `${kBase} + (l ^ ${u32(kk)})` : `${kBase} + l`;
      if (!byColumns && own.length > 0) sampleAt(indent, kRow);
      for (const o of own) L.push(`${indent}let ${ownName}${o}_${kk} = ${ownLoad(o, kRow)};`);
      for (const i of rows) for (const j of cols) L.push(`${indent}c${i}_${j} = c${i}_${j} + a${i}_${kk} * b${j}_${kk};`);
    }
  };
  if (K4 > 0) {
    L.push(`  for (var k = 0u; k < ${u32(K4)}; k = k + 4u) {`);
    loadShared('    ', 'k + l', 'k');
    step('    ', 'k', [0, 1, 2, 3], sharing);
    L.push('  }');
  }
  if (rem > 0) {
    // The K tail: lanes past K load a clamped duplicate that is never broadcast.
    L.push('  {');
    L.push(`    let kl = min(${u32(K4)} + l, ${u32(K - 1)});`);
    loadShared('    ', 'kl');
    step('    ', u32(K4), range(rem), 'broadcast'); // lanes past K must not read the other operand's row
    L.push('  }');
  }
  // Stores: each part its own rows and columns, through its own epilogue (`epilogue`, or `epilogueP` for part P of several).
  const epilogueName = (part: number): string => (parts.length > 1 ? `epilogue${part}` : 'epilogue');
  L.push('  if (live) {');
  for (const i of rows) {
    const m = rowOf(i);
    parts.forEach((p, part) => {
      const stores = cols
        .filter((j) => owners[j]!.part === part)
        .map((j) => {
          const n = colOf(j);
          return `if (${n} < ${u32(p.N)}) { ${epilogueName(part)}(${m}, ${n}, c${i}_${j}); }`;
        });
      L.push(`    if (${m} < ${u32(p.M)}) {`, ...stores.map((x) => `      ${x}`), '    }');
    });
  }
  L.push('  }');
  const block = `(${QR}×${QC} per quad of 4, lanes on ${lanes}, ${W} per workgroup${sharing === 'swap' ? `, ${byColumns ? 'A' : 'B'} by quad swaps` : ''})`;
  return assemble({
    desc: parts.length > 1 ? { ...desc, name } : desc,
    summary:
      parts.length > 1
        ? `products sharing op(A), their columns side by side ${block}: ${parts.map((p) => summary(p, 'quadTiled')).join('; ')}`
        : `${summary(first, 'quadTiled')} ${block}`,
    buffers,
    helpers: [parts.some((p) => needsActivationFns(p.desc)) ? ACTIVATION_FUNCTIONS : '', ...parts.map((p, part) => epilogueFn(p, epilogueName(part)))]
      .filter(Boolean)
      .join('\n\n'),
    workgroupSize: W,
    body: L.join('\n'),
    workgroups: dispatch.workgroups,
    enables: [...QUAD_ENABLES],
    usesStep: parts.some((p) => kernelUsesStep(p.desc)),
  });
}
