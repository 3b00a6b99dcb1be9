// The optimizer's state arrays on the GPU start every paddedParamCount(paramCount) elements (whole
// vec4s, see ir/kernel.ts); outside (readback, saved files, resumed training) they lie one after
// another, paramCount each. These two convert between the layouts.

import { paddedParamCount } from '../ir/kernel.js';

/** GPU layout (arrays `paddedParamCount` apart, zeros between) from arrays laid end to end. */
export function padStateArrays(dense: Float32Array, arrays: number, paramCount: number): Float32Array {
  const stride = paddedParamCount(paramCount);
  const padded = new Float32Array(arrays * stride);
  for (let s = 0; s < arrays; s++) padded.set(dense.subarray(s * paramCount, (s + 1) * paramCount), s * stride);
  return padded;
}

/** Arrays laid end to end from the GPU layout. */
export function unpadStateArrays(padded: Float32Array, arrays: number, paramCount: number): Float32Array {
  const stride = paddedParamCount(paramCount);
  const dense = new Float32Array(arrays * paramCount);
  for (let s = 0; s < arrays; s++) dense.set(padded.subarray(s * stride, s * stride + paramCount), s * paramCount);
  return dense;
}
