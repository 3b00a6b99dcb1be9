// Host tensors: data the user hands to fit/evaluate/predict and gets back from predict/getWeights,
// with the TensorFlow.js tensor methods that Layers programs call around a model (host-side code:
// they prepare data and read results; the model itself runs on the GPU).

import { WeftError } from './errors.js';
import * as ops from './ops/index.js';
import { formatTensor } from './ops/format.js';
import { track, untrack } from './ops/tracking.js';

export type DataType = 'float32' | 'int32' | 'bool' | 'uint8';
export type TensorData = Float32Array | Int32Array | Uint8Array;
export type NestedNumbers = number | NestedNumbers[];
/** What an op takes where a tensor is expected: a tensor, a number, or nested arrays of numbers. */
export type TensorLike = Tensor | number | NestedNumbers | TensorData;

let nextId = 0;

/**
 * Called once when a tensor is disposed: the runtime frees the GPU copy of its data it kept for
 * later fit/evaluate/predict calls (a hook, so that this module needs no GPU code).
 */
const disposeHooks = new WeakMap<Tensor, (() => void)[]>();

export function whenDisposed(tensor: Tensor, hook: () => void): void {
  const hooks = disposeHooks.get(tensor);
  if (hooks) hooks.push(hook);
  else disposeHooks.set(tensor, [hook]);
}

export class Tensor {
  private disposed = false;
  readonly id = nextId++;
  readonly size: number;
  constructor(
    private values: TensorData,
    readonly shape: number[],
    readonly dtype: DataType,
  ) {
    this.size = shape.reduce((a, b) => a * b, 1);
    if (this.size !== values.length)
      throw new WeftError(`tensor: shape [${shape.join(', ')}] holds ${this.size} values but ${values.length} were given`);
    track(this);
  }
  get rank(): number {
    return this.shape.length;
  }
  get isDisposed(): boolean {
    return this.disposed;
  }
  get bytesPerElement(): number {
    return this.values.BYTES_PER_ELEMENT;
  }
  /** The values, row-major. */
  dataSync(): TensorData {
    this.assertAlive();
    return this.values;
  }
  async data(): Promise<TensorData> {
    return this.dataSync();
  }
  /** Nested arrays, as TensorFlow.js's arraySync. */
  arraySync(): NestedNumbers {
    this.assertAlive();
    const build = (dim: number, offset: number): NestedNumbers => {
      if (dim === this.shape.length) return this.values[offset]!;
      const stride = this.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: this.shape[dim]! }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }
  async array(): Promise<NestedNumbers> {
    return this.arraySync();
  }
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    untrack(this);
    const hooks = disposeHooks.get(this);
    disposeHooks.delete(this);
    for (const hook of hooks ?? []) hook();
  }
  /** TensorFlow.js's text: `Tensor` then the values (verbose adds dtype, rank and shape). */
  toString(verbose = false): string {
    this.assertAlive();
    return formatTensor(this.values, this.shape, this.dtype, verbose);
  }
  print(verbose = false): void {
    console.log(this.toString(verbose));
  }

  // Shapes and types
  clone(): Tensor {
    return ops.clone(this);
  }
  reshape(shape: number[]): Tensor {
    return ops.reshape(this, shape);
  }
  flatten(): Tensor {
    return ops.reshape(this, [this.size]);
  }
  as1D(): Tensor {
    return ops.reshape(this, [this.size]);
  }
  as2D(rows: number, cols: number): Tensor {
    return ops.reshape(this, [rows, cols]);
  }
  asScalar(): Tensor {
    return ops.reshape(this, []);
  }
  slice(begin: number | number[], size?: number | number[]): Tensor {
    return ops.slice(this, begin, size);
  }
  concat(others: Tensor | Tensor[], axis = 0): Tensor {
    return ops.concat([this, ...(Array.isArray(others) ? others : [others])], axis);
  }
  squeeze(axis?: number[]): Tensor {
    return ops.squeeze(this, axis);
  }
  expandDims(axis = 0): Tensor {
    return ops.expandDims(this, axis);
  }
  transpose(perm?: number[]): Tensor {
    return ops.transpose(this, perm);
  }
  cast(dtype: DataType): Tensor {
    return ops.cast(this, dtype);
  }
  toFloat(): Tensor {
    return ops.cast(this, 'float32');
  }
  toInt(): Tensor {
    return ops.cast(this, 'int32');
  }
  toBool(): Tensor {
    return ops.cast(this, 'bool');
  }

  // Reductions
  argMax(axis = 0): Tensor {
    return ops.argMax(this, axis);
  }
  argMin(axis = 0): Tensor {
    return ops.argMin(this, axis);
  }
  max(axis?: number | number[], keepDims = false): Tensor {
    return ops.max(this, axis, keepDims);
  }
  min(axis?: number | number[], keepDims = false): Tensor {
    return ops.min(this, axis, keepDims);
  }
  sum(axis?: number | number[], keepDims = false): Tensor {
    return ops.sum(this, axis, keepDims);
  }
  mean(axis?: number | number[], keepDims = false): Tensor {
    return ops.mean(this, axis, keepDims);
  }

  // Element by element
  add(b: TensorLike): Tensor {
    return ops.add(this, b);
  }
  sub(b: TensorLike): Tensor {
    return ops.sub(this, b);
  }
  mul(b: TensorLike): Tensor {
    return ops.mul(this, b);
  }
  div(b: TensorLike): Tensor {
    return ops.div(this, b);
  }
  pow(b: TensorLike): Tensor {
    return ops.pow(this, b);
  }
  maximum(b: TensorLike): Tensor {
    return ops.maximum(this, b);
  }
  minimum(b: TensorLike): Tensor {
    return ops.minimum(this, b);
  }
  greater(b: TensorLike): Tensor {
    return ops.greater(this, b);
  }
  greaterEqual(b: TensorLike): Tensor {
    return ops.greaterEqual(this, b);
  }
  less(b: TensorLike): Tensor {
    return ops.less(this, b);
  }
  lessEqual(b: TensorLike): Tensor {
    return ops.lessEqual(this, b);
  }
  equal(b: TensorLike): Tensor {
    return ops.equal(this, b);
  }
  notEqual(b: TensorLike): Tensor {
    return ops.notEqual(this, b);
  }
  square(): Tensor {
    return ops.square(this);
  }
  sqrt(): Tensor {
    return ops.sqrt(this);
  }
  abs(): Tensor {
    return ops.abs(this);
  }
  neg(): Tensor {
    return ops.neg(this);
  }
  exp(): Tensor {
    return ops.exp(this);
  }
  log(): Tensor {
    return ops.log(this);
  }
  round(): Tensor {
    return ops.round(this);
  }
  private assertAlive(): void {
    if (this.disposed) throw new WeftError('this tensor was disposed: it can no longer be read');
  }
}

function flatten(data: NestedNumbers, out: number[], shape: number[], depth: number): void {
  if (Array.isArray(data)) {
    if (shape.length <= depth) shape.push(data.length);
    else if (shape[depth] !== data.length) throw new WeftError('tensor: nested arrays are ragged; every row must have the same length');
    for (const d of data) flatten(d, out, shape, depth + 1);
  } else {
    if (shape.length !== depth) throw new WeftError('tensor: nested arrays are ragged');
    out.push(typeof data === 'boolean' ? Number(data) : data);
  }
}

/** A typed array of the right kind for a dtype (bool is stored as 0/1 bytes). */
export function valuesOf(dtype: DataType, data: ArrayLike<number> | number): TensorData {
  switch (dtype) {
    case 'float32':
      return typeof data === 'number' ? new Float32Array(data) : Float32Array.from(data);
    case 'int32':
      return typeof data === 'number' ? new Int32Array(data) : Int32Array.from(data);
    case 'uint8':
      return typeof data === 'number' ? new Uint8Array(data) : Uint8Array.from(data);
    case 'bool':
      return typeof data === 'number' ? new Uint8Array(data) : Uint8Array.from(data, (v) => (v ? 1 : 0));
    default:
      return dtype satisfies never;
  }
}

function firstLeaf(data: unknown): unknown {
  let d = data;
  while (Array.isArray(d)) d = d[0];
  return d;
}

/** weft.tensor(data, shape?, dtype?) as in TensorFlow.js. */
export function tensor(data: TensorData | NestedNumbers | number[] | boolean[], shape?: number[], dtype?: DataType): Tensor {
  let values: TensorData;
  let inferred: number[];
  if (data instanceof Float32Array || data instanceof Int32Array || data instanceof Uint8Array) {
    values = data;
    inferred = [data.length];
  } else {
    const flat: number[] = [];
    inferred = [];
    flatten(data as NestedNumbers, flat, inferred, 0);
    const isBool = typeof firstLeaf(data) === 'boolean';
    values = valuesOf(dtype ?? (isBool ? 'bool' : 'float32'), flat);
    if (!dtype && isBool) dtype = 'bool';
  }
  const resolvedType: DataType = values instanceof Int32Array ? 'int32' : values instanceof Uint8Array ? 'uint8' : 'float32';
  if (dtype && dtype !== resolvedType && !(dtype === 'bool' && values instanceof Uint8Array)) values = valuesOf(dtype, values);
  if (shape) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== values.length) throw new WeftError(`tensor: shape [${shape.join(', ')}] holds ${size} values but ${values.length} were given`);
  }
  return new Tensor(values, shape ?? inferred, dtype ?? resolvedType);
}
