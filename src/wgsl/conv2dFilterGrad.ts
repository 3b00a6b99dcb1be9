// The filter gradient of conv2d: out[(ky,kx,ci), co] = Σ_{b,oy,ox} x[(b,iy,ix), ci] · dy[(b,oy,ox), co].
// Its output is tiny (taps · cin × cout) and its reduction long (batch · outH · outW), so one
// invocation per 4×4 output block leaves most lanes idle (5 workgroups for the demo's second
// convolution at batch 32). Here `lanes` invocations share a block: lane l sums the (b, oy) image rows
// l, l + lanes, …, each over its ox; the lanes' partial blocks meet in workgroup memory after one
// barrier and the block's first 16 lanes each finish one output (no extra dispatch, no scratch buffer).
// When cin is a multiple of 4 a block's four rows are four channels of one tap: one vec4 load of x
// and one of dy per pixel feed 16 multiply-adds.
import type { Conv2dKernel } from '../ir/kernel.js';
import type { MatmulVariant } from './matmul.js';
import { linearGroups, linearWorkgroupIndex, loadF32, u32, type BufferVar } from './views.js';
import { i32, windowMasks } from './windowIndex.js';

const WORKGROUP_SIZE = 64;
const BLOCK = [0, 1, 2, 3] as const;
const XYZW = ['x', 'y', 'z', 'w'] as const;

/**
 * Lanes per output block. A barrier and a workgroup-memory sum are cheap on a GPU and dear on
 * SwiftShader (measured there, demo CNN at batch 32, second convolution's 296 blocks: 1 lane
 * ~2–5× faster than 16 or 64), so on a CPU-backed adapter ('registerTiled', 'quadTiled') the reduction is split only
 * until ~256 invocations exist (the first convolution's 12 blocks get 16 lanes each), on a GPU until
 * ~16k do. Each lane keeps at least 4 image rows.
 */
export function filterGradLanes(variant: MatmulVariant, blocks: number, rows: number): number {
  const target = variant === 'workgroupTiled' ? 16 * 1024 : 256;
  let lanes = 1;
  while (lanes < 64 && blocks * lanes * 2 <= target && rows / (lanes * 2) >= 4) lanes *= 2;
  return lanes;
}

/** Invocations per workgroup without a reduction: small enough for ≥ 8 workgroups (several cores). */
function plainWorkgroupSize(blocks: number): number {
  let w = 64;
  while (w > 8 && Math.ceil(blocks / w) < 8) w /= 2;
  return w;
}

export function conv2dFilterGradBody(
  desc: Conv2dKernel,
  variant: MatmulVariant,
  A: BufferVar,
  M: number,
  N: number,
): { body: string; helpers: string; workgroupSize: number; workgroups: [number, number, number]; lanes: number } {
  const g = desc.geometry;
  const masks = windowMasks(g);
  const C = desc.inC;
  const taps = g.kernelH * g.kernelW * C;
  const channels4 = C % 4 === 0; // a block's four rows are four channels of one tap
  const sA = desc.a.rowStride;
  const sB = desc.b.rowStride;
  const blocksN = Math.ceil(N / 4);
  const blocks = Math.ceil(M / 4) * blocksN;
  const rows = g.batch * g.outH;
  const lanes = filterGradLanes(variant, blocks, rows);
  const W = lanes === 1 ? plainWorkgroupSize(blocks) : WORKGROUP_SIZE;
  const perGroup = W / lanes;
  const dispatch = linearGroups(Math.ceil(blocks / perGroup));
  const aAt = (index: string): string => (desc.a.offset === 0 ? index : `${u32(desc.a.offset)} + ${index}`);
  const bAt = (index: string): string => (desc.b.offset === 0 ? index : `${u32(desc.b.offset)} + ${index}`);
  const L: string[] = [];
  L.push(`  ${linearWorkgroupIndex(dispatch)}`);
  L.push(`  let lane = lidx % ${u32(lanes)};`);
  // Blocks past the end compute a clamped block and store nothing: every lane reaches the barrier.
  L.push(`  let blk = wg * ${u32(perGroup)} + lidx / ${u32(lanes)};`);
  L.push(`  let live = blk < ${u32(blocks)};`);
  L.push(`  let cb = min(blk, ${u32(blocks - 1)});`);
  L.push(`  let m0 = (cb / ${u32(blocksN)}) * 4u;`);
  L.push(`  let n0 = (cb % ${u32(blocksN)}) * 4u;`);
  for (const i of BLOCK) L.push(`  var acc${i} = vec4<f32>(0.0);`);
  // Per row of the block: its tap (ky, kx), channel, and the offset of that tap from the window's corner.
  const rowsOfBlock = channels4 ? [0] : [...BLOCK];
  for (const i of rowsOfBlock) {
    L.push(`  let r${i} = min(m0 + ${u32(i)}, ${u32(taps - 1)});`);
    L.push(`  let ci${i} = r${i} % ${u32(C)}; let t${i} = r${i} / ${u32(C)}; let kx${i} = t${i} % ${u32(g.kernelW)}; let ky${i} = t${i} / ${u32(g.kernelW)};`);
    L.push(`  let off${i} = i32(ky${i} * ${u32(g.inW)} + kx${i});`);
  }
  if (desc.aOnesRow) {
    if (channels4) L.push(`  let ones = m0 >= ${u32(taps)};`);
    else for (const i of BLOCK) L.push(`  let ones${i} = m0 + ${u32(i)} == ${u32(taps)};`);
  }
  L.push(`  for (var row = lane; row < ${u32(rows)}; row = row + ${u32(lanes)}) {`);
  L.push(`    let oy = row % ${u32(g.outH)}; let b = row / ${u32(g.outH)};`);
  L.push(`    let y0 = i32(oy * ${u32(g.strideH)}) - ${i32(g.padTop)};`);
  L.push(`    let p0 = (i32(b * ${u32(g.inH)}) + y0) * ${i32(g.inW)} - ${i32(g.padLeft)};`);
  for (const i of rowsOfBlock) if (masks.h) L.push(`    let oky${i} = y0 + i32(ky${i}) >= 0i && y0 + i32(ky${i}) < ${i32(g.inH)};`);
  L.push(`    let rowb = row * ${u32(g.outW)};`);
  L.push(`    for (var ox = 0u; ox < ${u32(g.outW)}; ox = ox + 1u) {`);
  L.push(`      let d = ldb4(${bAt(`(rowb + ox) * ${u32(sB)} + n0`)});`);
  L.push(`      let x0 = i32(ox * ${u32(g.strideW)});`);
  for (const i of rowsOfBlock) {
    const checks = [
      ...(masks.h ? [`oky${i}`] : []),
      ...(masks.w ? [`x0 + i32(kx${i}) >= ${i32(g.padLeft)}`, `x0 + i32(kx${i}) < ${i32(g.inW + g.padLeft)}`] : []),
    ];
    const index = `u32(p0 + x0 + off${i}) * ${u32(sA)} + ci${i}`;
    if (checks.length) {
      L.push(`      let ok${i} = ${checks.join(' && ')};`);
      L.push(`      let ai${i} = select(0u, ${index}, ok${i});`);
    } else L.push(`      let ai${i} = ${index};`);
  }
  const masked = masks.h || masks.w;
  if (channels4) {
    let v = `lda4(${aAt('ai0')})`;
    if (masked) v = `select(vec4<f32>(0.0), ${v}, ok0)`;
    if (desc.aOnesRow) v = `select(${v}, vec4<f32>(1.0), ones)`;
    L.push(`      let v = ${v};`);
    for (const i of BLOCK) L.push(`      acc${i} = acc${i} + v.${XYZW[i]} * d;`);
  } else {
    for (const i of BLOCK) {
      let v = loadF32(A, aAt(`ai${i}`));
      if (masked) v = `select(0.0, ${v}, ok${i})`;
      if (desc.aOnesRow) v = `select(${v}, 1.0, ones${i})`;
      L.push(`      acc${i} = acc${i} + ${v} * d;`);
    }
  }
  L.push('    }', '  }');
  if (lanes === 1) {
    for (const i of BLOCK)
      for (const j of BLOCK)
        L.push(`  if (live && m0 + ${u32(i)} < ${u32(M)} && n0 + ${u32(j)} < ${u32(N)}) { epilogue(m0 + ${u32(i)}, n0 + ${u32(j)}, acc${i}.${XYZW[j]}); }`);
    return { body: L.join('\n'), helpers: '', workgroupSize: W, workgroups: dispatch.workgroups, lanes };
  }
  // The lanes' partial blocks: part[lidx * 4 + i] = row i of this lane's block.
  L.push(...BLOCK.map((i) => `  part[lidx * 4u + ${u32(i)}] = acc${i};`));
  L.push('  workgroupBarrier();');
  L.push(`  let first = lidx - lane;`);
  L.push(`  for (var e = lane; e < 16u; e = e + ${u32(lanes)}) {`);
  L.push('    let i = e / 4u; let j = e % 4u;');
  L.push('    var s = 0.0;');
  L.push(`    for (var l = 0u; l < ${u32(lanes)}; l = l + 1u) { s = s + part[(first + l) * 4u + i][j]; }`);
  L.push(`    if (live && m0 + i < ${u32(M)} && n0 + j < ${u32(N)}) { epilogue(m0 + i, n0 + j, s); }`);
  L.push('  }');
  return {
    body: L.join('\n'),
    helpers: `var<workgroup> part: array<vec4<f32>, ${WORKGROUP_SIZE * 4}>;`,
    workgroupSize: WORKGROUP_SIZE,
    workgroups: dispatch.workgroups,
    lanes,
  };
}
