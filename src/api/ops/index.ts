// Host tensor ops with TensorFlow.js names (weft.add, weft.tensor2d, …; also tensor methods).
export * from './arithmetic.js';
export * from './creation.js';
export * from './reduction.js';
export * from './transform.js';
export { tidy, keep, dispose } from './tracking.js';
