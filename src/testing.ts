// Internals exposed to GPU tests in the page (window.weftTesting). Not part of the public API.
export {};
export * as datasets from './api/datasets/index.js';
export * as wgsl from './wgsl/index.js';
export * as runtime from './runtime/index.js';
export * as ir from './ir/index.js';
export * as weft from './index.js';
export { lowerModel, weightShape2, slotLayout } from './api/lowerModel.js';
export { resolveLoss, resolveMetric } from './api/compileConfig.js';
export { createRandom } from './api/random.js';
export { planSource } from './api/planSource.js';
export { resolveCompileArgs } from './api/compileArgs.js';

/**
 * The linear congruential generator the page-side GPU tests draw their data from (floats in [0, 1)):
 * the same seed gives the same numbers in Chromium and in Node.
 */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/**
 * Seeded classification data for page-side tests, as plain arrays (this bundle is a separate instance of
 * weft: tensors are made with the page's `weft`): `rows × features` values in [-1, 1), then `rows`
 * labels in 0..classes−1, from one lcg(seed) stream, which is returned for more draws.
 */
export function seededClassification(rows: number, features: number, classes: number, seed: number): { x: Float32Array; y: Int32Array; random: () => number } {
  const random = lcg(seed);
  const x = Float32Array.from({ length: rows * features }, () => random() * 2 - 1);
  const y = Int32Array.from({ length: rows }, () => Math.floor(random() * classes));
  return { x, y, random };
}
