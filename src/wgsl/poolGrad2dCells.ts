// The max-pooling gradient when windows do not overlap (stride ≥ window along both axes): the input
// splits into cells of stride × stride pixels, cell (cy, cx) starting at (cy·sH − padTop, cx·sW −
// padLeft), holding window (cy, cx) when there is one (cells past the last window, and a cell's
// pixels past its window, get 0). One invocation per cell and channel scans its window once,
// unrolled and branch-free (the first maximum in row-major order, as the reference), and writes
// every pixel of the cell: a quarter of the loads of a per-pixel gather for 2×2 windows, no loops.
import type { Pool2dKernel } from '../ir/kernel.js';
import { loadF32, perItemPrologue, u32, viewIndex, type BufferVar, type LinearDispatch } from './views.js';

const WORKGROUP_SIZE = 64;
const i32 = (n: number): string => `${n}i`;

/** Whether the gradient of this pooling scatters per window (max pooling, windows that do not overlap). */
export function poolGradScatters(desc: Pool2dKernel): boolean {
  const g = desc.geometry;
  return !!desc.dy && desc.mode === 'max' && g.strideH >= g.kernelH && g.strideW >= g.kernelW;
}

export function poolGradCellsBody(
  desc: Pool2dKernel,
  x: (b: string, y: string, xx: string) => string,
  DY: BufferVar,
  write: (pixel: string, value: string) => string,
): { body: string[]; workgroups: LinearDispatch['workgroups'] } {
  const g = desc.geometry;
  const C = desc.channels;
  const cellsH = Math.floor((g.inH - 1 + g.padTop) / g.strideH) + 1;
  const cellsW = Math.floor((g.inW - 1 + g.padLeft) / g.strideW) + 1;
  // Bounds checks only where a cell can reach outside the input.
  const maskH = g.padTop > 0 || cellsH * g.strideH - g.padTop > g.inH;
  const maskW = g.padLeft > 0 || cellsW * g.strideW - g.padLeft > g.inW;
  const { dispatch, code } = perItemPrologue(g.batch * cellsH * cellsW * C, WORKGROUP_SIZE);
  const L: string[] = [code];
  L.push(`  let c = gidx % ${u32(C)}; let q = gidx / ${u32(C)};`);
  L.push(`  let cx = q % ${u32(cellsW)}; let t = q / ${u32(cellsW)}; let cy = t % ${u32(cellsH)}; let b = t / ${u32(cellsH)};`);
  L.push(`  let win = cy < ${u32(g.outH)} && cx < ${u32(g.outW)};`);
  L.push(`  let y0 = i32(cy * ${u32(g.strideH)}) - ${i32(g.padTop)}; let x0 = i32(cx * ${u32(g.strideW)}) - ${i32(g.padLeft)};`);
  const inside = (dy: number, dx: number): string =>
    [
      ...(maskH ? [`y0 + ${i32(dy)} >= 0i`, `y0 + ${i32(dy)} < ${i32(g.inH)}`] : []),
      ...(maskW ? [`x0 + ${i32(dx)} >= 0i`, `x0 + ${i32(dx)} < ${i32(g.inW)}`] : []),
    ].join(' && ') || 'true';
  const clampY = (dy: number): string => (maskH ? `u32(clamp(y0 + ${i32(dy)}, 0i, ${i32(g.inH - 1)}))` : `u32(y0 + ${i32(dy)})`);
  const clampX = (dx: number): string => (maskW ? `u32(clamp(x0 + ${i32(dx)}, 0i, ${i32(g.inW - 1)}))` : `u32(x0 + ${i32(dx)})`);
  // The window's first maximum: tap index (row-major) of the first strictly largest value inside the input.
  L.push('  var best = 0.0;', '  var at = -1i;');
  for (let wy = 0; wy < g.kernelH; wy++)
    for (let wx = 0; wx < g.kernelW; wx++) {
      const tap = wy * g.kernelW + wx;
      L.push(`  let v${tap} = ${x('b', clampY(wy), clampX(wx))};`);
      L.push(`  let take${tap} = ${inside(wy, wx)} && (at < 0i || v${tap} > best);`);
      L.push(`  best = select(best, v${tap}, take${tap}); at = select(at, ${i32(tap)}, take${tap});`);
    }
  const dyIndex = viewIndex(desc.dy!, `(b * ${u32(g.outH)} + min(cy, ${u32(g.outH - 1)})) * ${u32(g.outW)} + min(cx, ${u32(g.outW - 1)})`, 'c');
  L.push(`  let d = select(0.0, ${loadF32(DY, dyIndex)}, win);`);
  for (let ey = 0; ey < g.strideH; ey++)
    for (let ex = 0; ex < g.strideW; ex++) {
      const inWindow = ey < g.kernelH && ex < g.kernelW;
      const value = inWindow ? `select(0.0, d, at == ${i32(ey * g.kernelW + ex)})` : '0.0';
      const pixel = `(b * ${u32(g.inH)} + ${clampY(ey)}) * ${u32(g.inW)} + ${clampX(ex)}`;
      const cond = inside(ey, ex);
      const store = write(pixel, value);
      L.push(cond === 'true' ? `  ${store}` : `  if (${cond}) { ${store} }`);
    }
  return { body: L, workgroups: dispatch.workgroups };
}
