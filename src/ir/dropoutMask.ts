// The dropout mask is a pure function of (step seed, layer salt, element index), so the forward
// kernel, its gradient and the float64 interpreter all draw the same mask without storing it.
// WGSL reproduces it with u32 arithmetic (wrapping multiplies), see src/wgsl.

/** A 32-bit integer mix (the "lowbias32" hash). */
export function hash32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

import { dropoutThreshold } from './kernel.js';

export { dropoutThreshold };

/** 1 / (1 − rate) when element `index` is kept at this step, else 0. */
export function dropoutFactor(seed: number, salt: number, index: number, rate: number): number {
  const draw = hash32((seed ^ hash32((salt + Math.imul(index, 0x9e3779b9)) >>> 0)) >>> 0);
  return draw >= dropoutThreshold(rate) ? 1 / (1 - rate) : 0;
}
