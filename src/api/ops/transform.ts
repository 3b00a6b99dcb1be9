// Shape and type changes on the host: reshape, slice, concat, stack, squeeze, expandDims, transpose,
// cast and clone, with TensorFlow.js's argument conventions.

import { WeftError } from '../errors.js';
import { Tensor, type DataType, type TensorLike } from '../tensor.js';
import { axisOf, make, rawOf, sizeOf, stridesOf } from './raw.js';

export function clone(x: TensorLike): Tensor {
  const r = rawOf(x, 'x', 'clone');
  return make(r.values, [...r.shape], r.dtype);
}

export function cast(x: TensorLike, dtype: DataType): Tensor {
  const r = rawOf(x, 'x', 'cast');
  // float → int truncates toward zero, as TensorFlow.js's cast.
  const values = dtype === 'int32' ? Array.from(r.values, Math.trunc) : r.values;
  return make(values, [...r.shape], dtype);
}

/** One -1 in the new shape takes what is left, as in TensorFlow.js. */
export function reshape(x: TensorLike, shape: number[]): Tensor {
  const r = rawOf(x, 'x', 'reshape');
  const size = sizeOf(r.shape);
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1 || shape.some((d) => !Number.isInteger(d) || d < -1))
    throw new WeftError(`reshape: shape [${shape.join(', ')}] is not valid; use non-negative sizes and at most one -1`);
  const known = sizeOf(shape.filter((d) => d !== -1));
  const resolved = shape.map((d) => (d === -1 ? size / known : d));
  if (sizeOf(resolved) !== size || resolved.some((d) => !Number.isInteger(d)))
    throw new WeftError(`reshape: cannot reshape a tensor of shape [${r.shape.join(', ')}] (${size} values) to [${shape.join(', ')}]`);
  return make(r.values, resolved, r.dtype);
}

/** Copies the block starting at `begin` of extent `size` (-1 = to the end), as tf.slice. */
export function slice(x: TensorLike, begin: number | number[], size?: number | number[]): Tensor {
  const r = rawOf(x, 'x', 'slice');
  const rank = r.shape.length;
  const starts = Array.isArray(begin) ? [...begin] : [begin];
  while (starts.length < rank) starts.push(0);
  const sizes = size === undefined ? r.shape.map(() => -1) : Array.isArray(size) ? [...size] : [size];
  while (sizes.length < rank) sizes.push(-1);
  const extents = sizes.map((s, i) => (s === -1 ? r.shape[i]! - starts[i]! : s));
  extents.forEach((e, i) => {
    if (starts[i]! < 0 || e < 0 || starts[i]! + e > r.shape[i]!)
      throw new WeftError(`slice: begin ${starts[i]} with size ${sizes[i]} is outside axis ${i} of size ${r.shape[i]} (shape [${r.shape.join(', ')}])`);
  });
  const strides = stridesOf(r.shape);
  const outStrides = stridesOf(extents);
  const out = new Array<number>(sizeOf(extents));
  for (let i = 0; i < out.length; i++) {
    let source = 0;
    for (let d = 0; d < rank; d++) source += ((Math.floor(i / outStrides[d]!) % extents[d]!) + starts[d]!) * strides[d]!;
    out[i] = r.values[source]!;
  }
  return make(out, extents, r.dtype);
}

export function concat(tensors: TensorLike[], axis = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new WeftError('concat: give a non-empty array of tensors');
  const raws = tensors.map((t, i) => rawOf(t, `tensors[${i}]`, 'concat'));
  const first = raws[0]!;
  const a = axisOf(axis, first.shape.length, 'concat');
  for (const [i, r] of raws.entries())
    if (r.shape.length !== first.shape.length || r.shape.some((d, j) => j !== a && d !== first.shape[j]))
      throw new WeftError(`concat: tensors[${i}] has shape [${r.shape.join(', ')}], which does not match [${first.shape.join(', ')}] outside axis ${a}`);
  const shape = [...first.shape];
  shape[a] = raws.reduce((n, r) => n + r.shape[a]!, 0);
  // Row-major: the data is a sequence of blocks (one per index before the axis) of each input in turn.
  const outer = sizeOf(first.shape.slice(0, a));
  const out: number[] = [];
  for (let o = 0; o < outer; o++)
    for (const r of raws) {
      const block = sizeOf(r.shape.slice(a));
      for (let i = 0; i < block; i++) out.push(r.values[o * block + i]!);
    }
  const dtype = raws.some((r) => r.dtype === 'float32') ? 'float32' : first.dtype;
  return make(out, shape, dtype);
}

export function stack(tensors: TensorLike[], axis = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new WeftError('stack: give a non-empty array of tensors');
  const raws = tensors.map((t, i) => rawOf(t, `tensors[${i}]`, 'stack'));
  const rank = raws[0]!.shape.length;
  const a = axisOf(axis, rank + 1, 'stack');
  const expanded = raws.map((r) => {
    const shape = [...r.shape];
    shape.splice(a, 0, 1);
    return make(r.values, shape, r.dtype);
  });
  const result = concat(expanded, a);
  for (const t of expanded) t.dispose();
  return result;
}

export function squeeze(x: TensorLike, axis?: number[]): Tensor {
  const r = rawOf(x, 'x', 'squeeze');
  const axes = axis?.map((a) => axisOf(a, r.shape.length, 'squeeze'));
  for (const a of axes ?? []) if (r.shape[a] !== 1) throw new WeftError(`squeeze: axis ${a} has size ${r.shape[a]}, not 1`);
  const shape = r.shape.filter((d, i) => (axes ? !axes.includes(i) : d !== 1));
  return make(r.values, shape, r.dtype);
}

export function expandDims(x: TensorLike, axis = 0): Tensor {
  const r = rawOf(x, 'x', 'expandDims');
  const a = axisOf(axis, r.shape.length + 1, 'expandDims');
  const shape = [...r.shape];
  shape.splice(a, 0, 1);
  return make(r.values, shape, r.dtype);
}

/** Permutes axes (default: reversed), as tf.transpose. */
export function transpose(x: TensorLike, perm?: number[]): Tensor {
  const r = rawOf(x, 'x', 'transpose');
  const rank = r.shape.length;
  const p = perm ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  if (p.length !== rank || [...p].sort((a, b) => a - b).some((v, i) => v !== i))
    throw new WeftError(`transpose: perm [${p.join(', ')}] is not a permutation of the ${rank} axes`);
  const shape = p.map((i) => r.shape[i]!);
  const strides = stridesOf(r.shape);
  const outStrides = stridesOf(shape);
  const out = new Array<number>(r.values.length);
  for (let i = 0; i < out.length; i++) {
    let source = 0;
    for (let d = 0; d < rank; d++) source += (Math.floor(i / outStrides[d]!) % shape[d]!) * strides[p[d]!]!;
    out[i] = r.values[source]!;
  }
  return make(out, shape, r.dtype);
}
