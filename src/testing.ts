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
