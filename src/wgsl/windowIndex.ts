// Index helpers shared by the windowed kernels (conv2d and its filter gradient).
import type { WindowGeometry } from '../ir/ops/window.js';

export const i32 = (n: number): string => `${n}i`;

/** Whether a window can reach outside the input along each axis (padding, or a 'valid' overhang). */
export function windowMasks(g: WindowGeometry): { h: boolean; w: boolean } {
  return {
    h: g.padTop > 0 || (g.outH - 1) * g.strideH + g.kernelH - g.padTop > g.inH,
    w: g.padLeft > 0 || (g.outW - 1) * g.strideW + g.kernelW - g.padLeft > g.inW,
  };
}
