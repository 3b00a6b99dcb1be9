// Convolutions and pooling in float64 on the CPU, written as plainly as possible (scatter loops,
// no index tricks): the interpreter's rules and the kernel reference's, which the GPU kernels are
// checked against. Values are read through `at(row, col)` of their rows × cols matrix, rows being
// (b, y, x) of an [n, h, w, c] value and, for a filter [kh, kw, cin, cout], (ky, kx, ci).

import type { WindowGeometry } from './window.js';

export type At = (row: number, col: number) => number;
export type PoolMode = 'max' | 'avg';

const pixel = (b: number, y: number, x: number, h: number, w: number): number => (b * h + y) * w + x;

/** Calls visit(b, oy, ox, ky, kx, iy, ix) for every window position that lands inside the input. */
function eachTap(g: WindowGeometry, visit: (b: number, oy: number, ox: number, ky: number, kx: number, iy: number, ix: number) => void): void {
  for (let b = 0; b < g.batch; b++)
    for (let oy = 0; oy < g.outH; oy++)
      for (let ox = 0; ox < g.outW; ox++)
        for (let ky = 0; ky < g.kernelH; ky++)
          for (let kx = 0; kx < g.kernelW; kx++) {
            const iy = oy * g.strideH + ky - g.padTop;
            const ix = ox * g.strideW + kx - g.padLeft;
            if (iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW) visit(b, oy, ox, ky, kx, iy, ix);
          }
}

/** [n·oh·ow, cout] = Σ x[(b, iy, ix), ci] · w[(ky, kx, ci), co]. */
export function convForward64(g: WindowGeometry, cin: number, cout: number, x: At, w: At): Float64Array {
  const out = new Float64Array(g.batch * g.outH * g.outW * cout);
  eachTap(g, (b, oy, ox, ky, kx, iy, ix) => {
    const o = pixel(b, oy, ox, g.outH, g.outW) * cout;
    const i = pixel(b, iy, ix, g.inH, g.inW);
    for (let ci = 0; ci < cin; ci++) {
      const xv = x(i, ci);
      const k = (ky * g.kernelW + kx) * cin + ci;
      for (let co = 0; co < cout; co++) out[o + co] = out[o + co]! + xv * w(k, co);
    }
  });
  return out;
}

/** [n·h·w, cin]: the gradient of convForward64 with respect to x. */
export function convInputGrad64(g: WindowGeometry, cin: number, cout: number, dy: At, w: At): Float64Array {
  const out = new Float64Array(g.batch * g.inH * g.inW * cin);
  eachTap(g, (b, oy, ox, ky, kx, iy, ix) => {
    const o = pixel(b, oy, ox, g.outH, g.outW);
    const i = pixel(b, iy, ix, g.inH, g.inW) * cin;
    for (let ci = 0; ci < cin; ci++) {
      const k = (ky * g.kernelW + kx) * cin + ci;
      let s = 0;
      for (let co = 0; co < cout; co++) s += dy(o, co) * w(k, co);
      out[i + ci] = out[i + ci]! + s;
    }
  });
  return out;
}

/** [kh·kw·cin (+1), cout]: the gradient with respect to the filter; with onesRow, a last row Σ dy (the bias gradient). */
export function convFilterGrad64(g: WindowGeometry, cin: number, cout: number, x: At, dy: At, onesRow: boolean): Float64Array {
  const rows = g.kernelH * g.kernelW * cin;
  const out = new Float64Array((rows + (onesRow ? 1 : 0)) * cout);
  eachTap(g, (b, oy, ox, ky, kx, iy, ix) => {
    const o = pixel(b, oy, ox, g.outH, g.outW);
    const i = pixel(b, iy, ix, g.inH, g.inW);
    for (let ci = 0; ci < cin; ci++) {
      const k = ((ky * g.kernelW + kx) * cin + ci) * cout;
      const xv = x(i, ci);
      for (let co = 0; co < cout; co++) out[k + co] = out[k + co]! + xv * dy(o, co);
    }
  });
  if (onesRow) for (let o = 0; o < g.batch * g.outH * g.outW; o++) for (let co = 0; co < cout; co++) out[rows * cout + co] = out[rows * cout + co]! + dy(o, co);
  return out;
}

/**
 * Where each window's maximum is: the input pixel of its first largest value, scanning the window
 * row by row (positions outside the input never count).
 */
function maxPositions(g: WindowGeometry, c: number, x: At): Int32Array {
  const best = new Int32Array(g.batch * g.outH * g.outW * c).fill(-1);
  eachTap(g, (b, oy, ox, _ky, _kx, iy, ix) => {
    const o = pixel(b, oy, ox, g.outH, g.outW) * c;
    const i = pixel(b, iy, ix, g.inH, g.inW);
    for (let ch = 0; ch < c; ch++) if (best[o + ch]! < 0 || x(i, ch) > x(best[o + ch]!, ch)) best[o + ch] = i;
  });
  return best;
}

/** Input positions each window covers (avg pooling divides by it: padding is not counted, as in TensorFlow). */
function windowCounts(g: WindowGeometry): Int32Array {
  const counts = new Int32Array(g.batch * g.outH * g.outW);
  eachTap(g, (b, oy, ox) => {
    const o = pixel(b, oy, ox, g.outH, g.outW);
    counts[o] = counts[o]! + 1;
  });
  return counts;
}

/** [n·oh·ow, c]: the max or mean of each window, channel by channel. */
export function pool64(g: WindowGeometry, c: number, mode: PoolMode, x: At): Float64Array {
  const out = new Float64Array(g.batch * g.outH * g.outW * c);
  if (mode === 'max') {
    maxPositions(g, c, x).forEach((i, o) => (out[o] = x(i, o % c)));
    return out;
  }
  const counts = windowCounts(g);
  eachTap(g, (b, oy, ox, _ky, _kx, iy, ix) => {
    const o = pixel(b, oy, ox, g.outH, g.outW);
    const i = pixel(b, iy, ix, g.inH, g.inW);
    for (let ch = 0; ch < c; ch++) out[o * c + ch] = out[o * c + ch]! + x(i, ch) / counts[o]!;
  });
  return out;
}

/** [n·h·w, c]: the gradient of pool64 with respect to x. */
export function poolGrad64(g: WindowGeometry, c: number, mode: PoolMode, x: At, dy: At): Float64Array {
  const out = new Float64Array(g.batch * g.inH * g.inW * c);
  if (mode === 'max') {
    maxPositions(g, c, x).forEach((i, o) => (out[i * c + (o % c)] = out[i * c + (o % c)]! + dy(Math.floor(o / c), o % c)));
    return out;
  }
  const counts = windowCounts(g);
  eachTap(g, (b, oy, ox, _ky, _kx, iy, ix) => {
    const o = pixel(b, oy, ox, g.outH, g.outW);
    const i = pixel(b, iy, ix, g.inH, g.inW);
    for (let ch = 0; ch < c; ch++) out[i * c + ch] = out[i * c + ch]! + dy(o, ch) / counts[o]!;
  });
  return out;
}
