// The plain data behind a tensor-like argument, without making (and tracking) a Tensor for it.

import { WeftError } from '../errors.js';
import { Tensor, tensor, type DataType, type TensorLike } from '../tensor.js';

export interface Raw {
  values: ArrayLike<number>;
  shape: number[];
  dtype: DataType;
}

export function rawOf(x: TensorLike, argument: string, op: string): Raw {
  if (x instanceof Tensor) return { values: x.dataSync(), shape: x.shape, dtype: x.dtype };
  if (typeof x === 'number') return { values: [x], shape: [], dtype: 'float32' };
  if (typeof x === 'boolean') return { values: [x ? 1 : 0], shape: [], dtype: 'bool' };
  if (x === null || typeof x !== 'object') throw new WeftError(`${op}: argument '${argument}' must be a Tensor, a number or an array of numbers`);
  // Arrays go through tensor() for its shape checks; the temporary is not kept.
  const t = tensor(x);
  const raw = { values: t.dataSync(), shape: t.shape, dtype: t.dtype };
  t.dispose();
  return raw;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  for (let i = shape.length - 1, s = 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/** An axis given as TensorFlow.js allows (negative counts from the end), checked against the rank. */
export function axisOf(axis: number, rank: number, op: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= Math.max(rank, 1)) throw new WeftError(`${op}: axis ${axis} is outside a tensor of rank ${rank}`);
  return a;
}

/** The type two operands are computed in, as TensorFlow.js's upcastType. */
export function upcast(a: DataType, b: DataType): DataType {
  if (a === 'float32' || b === 'float32') return 'float32';
  if (a === 'int32' || b === 'int32' || a === 'uint8' || b === 'uint8') return 'int32';
  return 'bool';
}

export function make(values: ArrayLike<number>, shape: number[], dtype: DataType): Tensor {
  return tensor(
    dtype === 'float32'
      ? Float32Array.from(values)
      : dtype === 'int32'
        ? Int32Array.from(values)
        : Uint8Array.from(values, (v) => (dtype === 'bool' ? (v ? 1 : 0) : v)),
    shape,
    dtype,
  );
}
