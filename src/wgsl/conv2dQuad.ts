// conv2d forward and input gradient, 'quadTiled' (CPU adapters with subgroups; see matmulQuad.ts):
// on SwiftShader the 4 invocations of a quad are the 4 lanes of a CPU SIMD group, a load with a
// per-lane index is a gather of 4 scalar loads, and quadBroadcast is one shuffle. So the quad
// computes R product rows (pixels) × 4·Cl columns (channels) together:
// - the image operand (forward: x, input gradient: dy) is read once per quad: for each tap and four
//   reduced channels c..c+3, lane l loads channel c + l of the R rows' window pixels (adjacent
//   addresses across the lanes, and scalar loads: the activation arena, which these kernels also
//   write, stays array<f32>) and quadBroadcast hands every lane all four;
// - the filter is read per lane, its own columns n0 + l + 4j (the input gradient's four channels
//   of a column with one vec4 load where the filter's rows are 4-aligned);
// so per four reduced channels a quad loads R + 4·Cl values per lane for 4·R·Cl multiply-adds per lane.
// The window's pixel, its padding test and the stride test of the input gradient are worked out once
// per tap and row, outside the channel loop; the tests join with `&`, not `&&`, which is
// short-circuit control flow: with 8 rows that made SwiftShader's compile take minutes. When the
// reduced channels are not a multiple of 4 (cin = 1 or 3 in a first layer, or an odd cout) the
// reduction runs over the flattened (tap, channel) index instead, each lane finding its own tap.
import type { Conv2dKernel } from '../ir/kernel.js';
import { QUAD_ENABLES, quadStart } from './matmulQuad.js';
import type { QuadBlock, QuadChoice } from './quadShape.js';
import { type BufferVar, KernelCodegenError, linearGroups, loadF32, u32 } from './views.js';
import { i32, windowMasks } from './windowIndex.js';

/**
 * The block and workgroup size for an M × N product: 16 rows × up to 16 columns (4 groups of 4),
 * 64 accumulators per lane, and four quads per workgroup. Measured on SwiftShader (bench/cnn-kernels.mjs
 * --quad, demo CNN at batch 32, one run under load ~20): second convolution forward 16×4/16 131 ms,
 * 8×8/16 235, 8×8/4 174; input gradient (16 columns) 16×4/16 179, 16×4/4 260, 8×4/4 168–525, 8×8/16
 * 361; first convolution forward 16×4/16 44, 8×8/32 90. Rows shrink only when the product has too
 * few quads to spread over the cores.
 */
export function chooseConvQuad(m: number, n: number): ConvQuadChoice {
  const cl = Math.max(1, Math.min(4, Math.ceil(n / 4)));
  let r = Math.max(1, Math.min(16, m));
  const quads = (rr: number): number => Math.ceil(m / rr) * Math.ceil(n / (4 * cl));
  while (r > 2 && quads(r) < 16) r = Math.ceil(r / 2);
  return { block: [r, cl], workgroupSize: quads(r) >= 64 ? 16 : 4 };
}

/** A quad block and the workgroup size (a multiple of 4): the convolutions share the image operand by quadBroadcast, lanes on columns. */
export type ConvQuadChoice = Pick<QuadChoice, 'block' | 'workgroupSize'>;

export interface ConvQuadParts {
  body: string;
  workgroupSize: number;
  workgroups: [number, number, number];
  enables: string[];
  block: QuadBlock;
}

/** The body of a quadTiled forward or input-gradient kernel for the M × N product (epilogue() given by the caller). */
export function conv2dQuadBody(desc: Conv2dKernel, A: BufferVar, B: BufferVar, M: number, N: number, choice = chooseConvQuad(M, N)): ConvQuadParts {
  if (desc.pass === 'filterGrad') throw new KernelCodegenError(desc.name, 'the quad kernel computes the forward pass and the input gradient only');
  const { block, workgroupSize: W } = choice;
  const [R, Cl] = block;
  if (!Number.isInteger(R) || !Number.isInteger(Cl) || R < 1 || Cl < 1 || R > 16 || Cl > 16)
    throw new KernelCodegenError(desc.name, `quad block ${R}×${Cl} is not in 1..16 × 1..16`);
  if (!Number.isInteger(W) || W % 4 !== 0 || W < 4) throw new KernelCodegenError(desc.name, `quad workgroup size ${W} is not a multiple of 4`);
  const perGroup = W / 4;
  const g = desc.geometry;
  const forward = desc.pass === 'forward';
  // Channels summed over (per tap), and the filter's row width.
  const KC = forward ? desc.inC : desc.outC;
  const taps = g.kernelH * g.kernelW;
  const K = taps * KC;
  const sA = desc.a.rowStride;
  const sB = desc.b.rowStride;
  const QC = 4 * Cl;
  const QN = Math.ceil(N / QC);
  const quads = Math.ceil(M / R) * QN;
  const dispatch = linearGroups(Math.ceil(quads / perGroup));
  const rows = [...Array(R).keys()];
  const cols = [...Array(Cl).keys()];
  const aAt = (index: string): string => (desc.a.offset === 0 ? index : `${u32(desc.a.offset)} + ${index}`);
  const bAt = (index: string): string => (desc.b.offset === 0 ? index : `${u32(desc.b.offset)} + ${index}`);
  // The filter element of reduced channel c (a u32 expression) in column j, at tap t.
  const filter = (t: string, c: string, j: number): string =>
    loadF32(B, bAt(forward ? `(${t} * ${u32(KC)} + ${c}) * ${u32(sB)} + cb${j}` : `(${t} * ${u32(desc.inC)} + cb${j}) * ${u32(sB)} + ${c}`));
  const masks = windowMasks(g);

  const L: string[] = quadStart({ dispatch, perGroup, quads, across: QN, rows: R, columns: QC, laneInColumn: true });
  for (const j of cols) L.push(`  let cb${j} = min(n0 + ${u32(4 * j)}, ${u32(N - 1)});`);
  // Each row's pixel: forward the window's top-left corner (may lie in the padding), input gradient the pixel itself.
  for (const i of rows) {
    L.push(`  let r${i} = min(m0 + ${u32(i)}, ${u32(M - 1)});`);
    if (forward) {
      L.push(`  let t${i} = r${i} / ${u32(g.outW)}; let b${i} = t${i} / ${u32(g.outH)};`);
      L.push(
        `  let y${i} = i32((t${i} % ${u32(g.outH)}) * ${u32(g.strideH)}) - ${i32(g.padTop)}; let x${i} = i32((r${i} % ${u32(g.outW)}) * ${u32(g.strideW)}) - ${i32(g.padLeft)};`,
      );
    } else {
      L.push(`  let t${i} = r${i} / ${u32(g.inW)}; let b${i} = t${i} / ${u32(g.inH)};`);
      L.push(`  let y${i} = i32(t${i} % ${u32(g.inH)}) + ${i32(g.padTop)}; let x${i} = i32(r${i} % ${u32(g.inW)}) + ${i32(g.padLeft)};`);
    }
  }
  for (const i of rows) for (const j of cols) L.push(`  var c${i}_${j} = 0.0;`);

  // Row i's image pixel at tap (ky, kx) (i32 expressions): `ok${i}` whether it exists, `p${i}` its row in the image operand.
  const tapRows = (indent: string, ky: string, kx: string): void => {
    for (const i of rows) {
      if (forward) {
        L.push(`${indent}let iy${i} = y${i} + ${ky}; let ix${i} = x${i} + ${kx};`);
        const checks = [...(masks.h ? [`iy${i} >= 0i`, `iy${i} < ${i32(g.inH)}`] : []), ...(masks.w ? [`ix${i} >= 0i`, `ix${i} < ${i32(g.inW)}`] : [])];
        L.push(`${indent}let ok${i} = ${checks.length ? checks.map((c) => `(${c})`).join(' & ') : 'true'};`);
        L.push(`${indent}let p${i} = (b${i} * ${u32(g.inH)} + u32(max(iy${i}, 0i))) * ${u32(g.inW)} + u32(max(ix${i}, 0i));`);
      } else {
        // The output pixel whose tap (ky, kx) lands on this input pixel, if the strides allow one.
        L.push(`${indent}let ty${i} = y${i} - ${ky}; let tx${i} = x${i} - ${kx};`);
        const oy = g.strideH === 1 ? `ty${i}` : `ty${i} / ${i32(g.strideH)}`;
        const ox = g.strideW === 1 ? `tx${i}` : `tx${i} / ${i32(g.strideW)}`;
        L.push(`${indent}let oy${i} = ${oy}; let ox${i} = ${ox};`);
        const checks = [`ty${i} >= 0i`, `tx${i} >= 0i`, `oy${i} < ${i32(g.outH)}`, `ox${i} < ${i32(g.outW)}`];
        if (g.strideH !== 1) checks.push(`oy${i} * ${i32(g.strideH)} == ty${i}`);
        if (g.strideW !== 1) checks.push(`ox${i} * ${i32(g.strideW)} == tx${i}`);
        L.push(`${indent}let ok${i} = ${checks.map((c) => `(${c})`).join(' & ')};`);
        L.push(`${indent}let p${i} = (b${i} * ${u32(g.outH)} + u32(max(oy${i}, 0i))) * ${u32(g.outW)} + u32(max(ox${i}, 0i));`);
      }
    }
  };
  // Broadcasts of the four reduced channels (av${i} holds lane l's) and the multiply-adds; `bRow(kk)` the filter loads of channel kk.
  const share = (indent: string, kks: number[], bLoad: (kk: number, j: number) => string): void => {
    for (const kk of kks) {
      for (const i of rows) L.push(`${indent}let a${i}_${kk} = quadBroadcast(av${i}, ${u32(kk)});`);
      for (const j of cols) L.push(`${indent}let w${kk}_${j} = ${bLoad(kk, j)};`);
      for (const i of rows) for (const j of cols) L.push(`${indent}c${i}_${j} = c${i}_${j} + a${i}_${kk} * w${kk}_${j};`);
    }
  };
  const imageLoad = (i: number, c: string): string => `select(0.0, ${loadF32(A, aAt(`p${i} * ${u32(sA)} + ${c}`))}, ok${i})`;

  if (KC % 4 === 0) {
    // Taps outside, four channels at a time inside: the pixel arithmetic once per tap.
    L.push(`  for (var ky = 0u; ky < ${u32(g.kernelH)}; ky = ky + 1u) {`);
    L.push(`    for (var kx = 0u; kx < ${u32(g.kernelW)}; kx = kx + 1u) {`);
    L.push(`      let tap = ky * ${u32(g.kernelW)} + kx;`);
    tapRows('      ', 'i32(ky)', 'i32(kx)');
    L.push(`      for (var c = 0u; c < ${u32(KC)}; c = c + 4u) {`);
    for (const i of rows) L.push(`        let av${i} = ${imageLoad(i, 'c + l')};`);
    if (!forward && B.vec4) {
      // The input gradient's filter columns are rows of the filter: one vec4 per lane and column holds all four channels.
      for (const j of cols) L.push(`        let wv${j} = ${B.ident}[(${bAt(`(tap * ${u32(desc.inC)} + cb${j}) * ${u32(sB)} + c`)}) >> 2u];`);
      share('        ', [0, 1, 2, 3], (kk, j) => `wv${j}.${'xyzw'[kk]}`);
    } else share('        ', [0, 1, 2, 3], (kk, j) => filter('tap', kk === 0 ? 'c' : `c + ${u32(kk)}`, j));
    L.push('      }', '    }', '  }');
  } else {
    // The flattened reduction k = tap · KC + c, four at a time: lane l finds the tap and channel of k + l.
    const K4 = K - (K % 4);
    const step = (indent: string, kBase: string, kks: number[]): void => {
      L.push(`${indent}let kl = min(${kBase} + l, ${u32(K - 1)});`);
      L.push(`${indent}let tl = kl / ${u32(KC)}; let cl = kl % ${u32(KC)};`);
      tapRows(indent, `i32(tl / ${u32(g.kernelW)})`, `i32(tl % ${u32(g.kernelW)})`);
      for (const i of rows) L.push(`${indent}let av${i} = ${imageLoad(i, 'cl')};`);
      // The filter rows of k + kk: the same for every lane.
      for (const kk of kks) L.push(`${indent}let kt${kk} = (${kBase} + ${u32(kk)}) / ${u32(KC)}; let kc${kk} = (${kBase} + ${u32(kk)}) % ${u32(KC)};`);
      share(indent, kks, (kk, j) => filter(`kt${kk}`, `kc${kk}`, j));
    };
    if (K4 > 0) {
      L.push(`  for (var k = 0u; k < ${u32(K4)}; k = k + 4u) {`);
      step('    ', 'k', [0, 1, 2, 3]);
      L.push('  }');
    }
    if (K % 4 > 0) {
      // The tail: lanes past K load a clamped duplicate that is never broadcast.
      L.push('  {');
      step('    ', u32(K4), [...Array(K % 4).keys()]);
      L.push('  }');
    }
  }
  L.push('  if (live) {');
  for (const i of rows) {
    const m = i === 0 ? 'm0' : `m0 + ${u32(i)}`;
    L.push(`    if (${m} < ${u32(M)}) {`);
    for (const j of cols) {
      const n = j === 0 ? 'n0' : `n0 + ${u32(4 * j)}`;
      L.push(`      if (${n} < ${u32(N)}) { epilogue(${m}, ${n}, c${i}_${j}); }`);
    }
    L.push('    }');
  }
  L.push('  }');
  return { body: L.join('\n'), workgroupSize: W, workgroups: dispatch.workgroups, enables: [...QUAD_ENABLES], block };
}
