// Tensor constructors with TensorFlow.js names: tensor1d…4d, scalar, zeros, ones, fill, range,
// oneHot, random draws and buffer().

import { WeftError } from '../errors.js';
import { createRandom, nextSeed, normal } from '../random.js';
import { Tensor, tensor, valuesOf, type DataType, type NestedNumbers, type TensorData } from '../tensor.js';
import { make, rawOf, sizeOf, stridesOf } from './raw.js';

type Data = TensorData | NestedNumbers | number[] | boolean[];

function ofRank(rank: number, name: string) {
  return (data: Data, shape?: number[], dtype?: DataType): Tensor => {
    const t = tensor(data, shape, dtype);
    if (t.rank !== rank) {
      t.dispose();
      throw new WeftError(`${name}: expects rank-${rank} data, got rank ${t.rank} (shape [${t.shape.join(', ')}])`);
    }
    return t;
  };
}

/** tensor1d(values, dtype?): TensorFlow.js gives rank 1 no shape argument. */
export function tensor1d(data: Data, dtype?: DataType): Tensor {
  return ofRank(1, 'tensor1d')(data, undefined, dtype);
}
export const tensor2d = ofRank(2, 'tensor2d');
export const tensor3d = ofRank(3, 'tensor3d');
export const tensor4d = ofRank(4, 'tensor4d');

export function scalar(value: number | boolean, dtype?: DataType): Tensor {
  return tensor(typeof value === 'boolean' ? [value] : [value], [], dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32'));
}

function checkShape(shape: number[], op: string): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0))
    throw new WeftError(`${op}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
}

export function fill(shape: number[], value: number, dtype: DataType = 'float32'): Tensor {
  checkShape(shape, 'fill');
  const values = valuesOf(dtype, sizeOf(shape));
  values.fill(dtype === 'bool' ? (value ? 1 : 0) : value);
  return tensor(values, [...shape], dtype);
}

export function zeros(shape: number[], dtype: DataType = 'float32'): Tensor {
  return fill(shape, 0, dtype);
}

export function ones(shape: number[], dtype: DataType = 'float32'): Tensor {
  return fill(shape, 1, dtype);
}

export function zerosLike(x: Tensor): Tensor {
  return fill(x.shape, 0, x.dtype);
}

export function onesLike(x: Tensor): Tensor {
  return fill(x.shape, 1, x.dtype);
}

/** start, start + step, … up to (not including) stop. */
export function range(start: number, stop: number, step = 1, dtype: DataType = 'float32'): Tensor {
  if (step === 0) throw new WeftError('range: step cannot be 0');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  return make(
    Array.from({ length: n }, (_, i) => start + i * step),
    [n],
    dtype,
  );
}

export function linspace(start: number, stop: number, num: number): Tensor {
  if (!Number.isInteger(num) || num <= 0) throw new WeftError(`linspace: num must be a positive integer, got ${num}`);
  const step = num === 1 ? 0 : (stop - start) / (num - 1);
  return make(
    Array.from({ length: num }, (_, i) => start + i * step),
    [num],
    'float32',
  );
}

/** One-hot rows for integer indices: shape [...indices.shape, depth], int32 as in TensorFlow.js. */
export function oneHot(indices: Tensor | number[], depth: number, onValue = 1, offValue = 0): Tensor {
  if (!Number.isInteger(depth) || depth < 1) throw new WeftError(`oneHot: depth must be a positive integer, got ${depth}`);
  const raw = rawOf(indices, 'indices', 'oneHot');
  const out = new Int32Array(raw.values.length * depth).fill(offValue);
  for (let i = 0; i < raw.values.length; i++) {
    const k = raw.values[i]!;
    if (Number.isInteger(k) && k >= 0 && k < depth) out[i * depth + k] = onValue;
  }
  return tensor(out, [...raw.shape, depth], 'int32');
}

export function randomUniform(shape: number[], minval = 0, maxval = 1, dtype: DataType = 'float32', seed?: number): Tensor {
  checkShape(shape, 'randomUniform');
  const random = createRandom(seed ?? nextSeed());
  const values = Array.from({ length: sizeOf(shape) }, () => minval + (maxval - minval) * random());
  return make(dtype === 'int32' ? values.map(Math.floor) : values, [...shape], dtype);
}

export function randomNormal(shape: number[], mean = 0, stdDev = 1, dtype: DataType = 'float32', seed?: number): Tensor {
  checkShape(shape, 'randomNormal');
  const random = createRandom(seed ?? nextSeed());
  const values = Array.from({ length: sizeOf(shape) }, () => mean + stdDev * normal(random));
  return make(dtype === 'int32' ? values.map(Math.round) : values, [...shape], dtype);
}

/** A mutable host array with a shape, as tf.buffer: set/get by coordinates, then toTensor(). */
export class TensorBuffer {
  readonly values: TensorData;
  readonly size: number;
  private readonly strides: number[];
  constructor(
    readonly shape: number[],
    readonly dtype: DataType = 'float32',
    values?: TensorData,
  ) {
    checkShape(shape, 'buffer');
    this.size = sizeOf(shape);
    this.values = values ?? valuesOf(dtype, this.size);
    if (this.values.length !== this.size)
      throw new WeftError(`buffer: shape [${shape.join(', ')}] holds ${this.size} values but ${this.values.length} were given`);
    this.strides = stridesOf(shape);
  }
  get rank(): number {
    return this.shape.length;
  }
  private index(locs: number[]): number {
    if (locs.length !== this.shape.length) throw new WeftError(`buffer: give ${this.shape.length} coordinates, got ${locs.length}`);
    let index = 0;
    locs.forEach((l, i) => {
      if (!Number.isInteger(l) || l < 0 || l >= this.shape[i]!) throw new WeftError(`buffer: coordinate ${l} is outside axis ${i} of size ${this.shape[i]}`);
      index += l * this.strides[i]!;
    });
    return index;
  }
  set(value: number, ...locs: number[]): void {
    this.values[this.index(locs)] = value;
  }
  get(...locs: number[]): number {
    return this.values[this.index(locs)]!;
  }
  toTensor(): Tensor {
    return tensor(this.values.slice(), [...this.shape], this.dtype);
  }
}

export function buffer(shape: number[], dtype: DataType = 'float32', values?: TensorData): TensorBuffer {
  return new TensorBuffer([...shape], dtype, values);
}
