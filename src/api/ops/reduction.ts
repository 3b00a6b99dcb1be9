// Reductions over axes (sum, mean, max, min) and arg-reductions, with TensorFlow.js defaults:
// no axis = every axis; argMax/argMin along axis 0 unless told; keepDims keeps reduced axes as 1.

import { WeftError } from '../errors.js';
import type { DataType, Tensor, TensorLike } from '../tensor.js';
import { axisOf, make, rawOf, sizeOf, stridesOf, type Raw } from './raw.js';

function axesOf(axis: number | number[] | undefined, rank: number, op: string): number[] {
  if (axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = (Array.isArray(axis) ? axis : [axis]).map((a) => axisOf(a, rank, op));
  return [...new Set(list)].sort((a, b) => a - b);
}

/** Calls visit(outIndex, value) for every element, where outIndex is its place in the reduced shape. */
function reduce(x: Raw, axes: number[], visit: (out: number, value: number, reducedIndex: number) => void): { shape: number[]; size: number } {
  const { values, shape } = x;
  const kept = shape.map((_, i) => !axes.includes(i));
  const outShape = shape.filter((_, i) => kept[i]);
  const outStrides = stridesOf(outShape);
  const reducedShape = shape.filter((_, i) => !kept[i]);
  const reducedStrides = stridesOf(reducedShape);
  const strides = stridesOf(shape);
  for (let i = 0; i < values.length; i++) {
    let out = 0;
    let reduced = 0;
    for (let d = 0, k = 0, r = 0; d < shape.length; d++) {
      const coord = Math.floor(i / strides[d]!) % shape[d]!;
      if (kept[d]) out += coord * outStrides[k++]!;
      else reduced += coord * reducedStrides[r++]!;
    }
    visit(out, values[i]!, reduced);
  }
  return { shape: outShape, size: sizeOf(outShape) };
}

function keepDimsShape(shape: number[], axes: number[], reduced: number[], keepDims: boolean): number[] {
  return keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : reduced;
}

function reduction(
  op: string,
  init: number,
  combine: (acc: number, v: number) => number,
  finish: (acc: number, count: number) => number,
  dtypeOf: (d: DataType) => DataType,
) {
  return (input: TensorLike, axis?: number | number[], keepDims = false): Tensor => {
    const x = rawOf(input, 'x', op);
    const size = sizeOf(x.shape);
    const axes = axesOf(axis, x.shape.length, op);
    const outShape = x.shape.filter((_, i) => !axes.includes(i));
    const acc = new Array<number>(sizeOf(outShape)).fill(init);
    reduce(x, axes, (out, v) => void (acc[out] = combine(acc[out]!, v)));
    const count = size / Math.max(1, acc.length);
    if (size === 0 && (op === 'max' || op === 'min')) throw new WeftError(`${op}: the tensor is empty`);
    return make(
      acc.map((a) => finish(a, count)),
      keepDimsShape(x.shape, axes, outShape, keepDims),
      dtypeOf(x.dtype),
    );
  };
}

const intOrFloat = (d: DataType): DataType => (d === 'float32' ? 'float32' : 'int32');
export const sum = reduction(
  'sum',
  0,
  (a, v) => a + v,
  (a) => a,
  intOrFloat,
);
export const mean = reduction(
  'mean',
  0,
  (a, v) => a + v,
  (a, n) => a / n,
  () => 'float32',
);
export const max = reduction(
  'max',
  -Infinity,
  Math.max,
  (a) => a,
  (d) => (d === 'bool' ? 'bool' : d),
);
export const min = reduction(
  'min',
  Infinity,
  Math.min,
  (a) => a,
  (d) => (d === 'bool' ? 'bool' : d),
);
export const prod = reduction(
  'prod',
  1,
  (a, v) => a * v,
  (a) => a,
  intOrFloat,
);

function argReduction(op: string, better: (v: number, best: number) => boolean) {
  return (input: TensorLike, axis = 0): Tensor => {
    const x = rawOf(input, 'x', op);
    const a = axisOf(axis, x.shape.length, op);
    const outShape = x.shape.filter((_, i) => i !== a);
    const best = new Array<number>(sizeOf(outShape)).fill(NaN);
    const index = new Array<number>(best.length).fill(0);
    // Elements arrive in row-major order, so the first of equal values wins, as in TensorFlow.js.
    reduce(x, [a], (out, v, r) => {
      if (Number.isNaN(best[out]!) || better(v, best[out]!)) {
        best[out] = v;
        index[out] = r;
      }
    });
    return make(index, outShape, 'int32');
  };
}

export const argMax = argReduction('argMax', (v, best) => v > best);
export const argMin = argReduction('argMin', (v, best) => v < best);
