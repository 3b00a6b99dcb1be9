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
 * Where a tensor's values come from while the GPU computes them: `ready` resolves with the GPU's
 * values; `now` gives the same values at once on the CPU, for synchronous reads (or throws a WeftError
 * saying to await).
 */
export interface PendingValues {
  ready: Promise<TensorData>;
  now: () => TensorData;
}

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
  private values: TensorData | null;
  private pending: PendingValues | null = null;
  constructor(values: TensorData, shape: number[], dtype: DataType) {
    this.size = shape.reduce((a, b) => a * b, 1);
    if (this.size !== values.length) throw new WeftError(`tensor: shape [${shape.join(', ')}] holds ${this.size} values but ${values.length} were given`);
    this.values = values;
    this.shape = shape;
    this.dtype = dtype;
    track(this);
  }
  readonly shape: number[];
  readonly dtype: DataType;

  /**
   * A tensor returned at once whose values the GPU is still computing (predict, evaluate): data() and
   * array() wait for them; dataSync() and arraySync() take them if they have arrived, else compute
   * them now on the CPU. Awaiting the tensor itself waits for the GPU's values.
   */
  static pending(shape: number[], dtype: DataType, pending: PendingValues): Tensor {
    const t = new Tensor(valuesOf(dtype, 0), [0], dtype);
    Object.assign(t, { size: shape.reduce((a, b) => a * b, 1), shape, values: null, pending });
    pending.ready.then(
      (v) => {
        if (t.values === null) t.values = v;
      },
      () => {},
    );
    Object.defineProperty(t, 'then', { configurable: true, enumerable: false, value: thenOnce(t, () => t.data()) });
    return t;
  }

  /** Whether the values are here (false while a pending tensor's GPU values are on their way). */
  get isReady(): boolean {
    return this.values !== null;
  }
  get rank(): number {
    return this.shape.length;
  }
  get isDisposed(): boolean {
    return this.disposed;
  }
  get bytesPerElement(): number {
    return this.dtype === 'float32' || this.dtype === 'int32' ? 4 : 1;
  }
  /** The values, row-major. */
  dataSync(): TensorData {
    this.assertAlive();
    if (this.values === null) this.values = this.pending!.now();
    return this.values;
  }
  async data(): Promise<TensorData> {
    this.assertAlive();
    if (this.values === null) {
      const v = await this.pending!.ready;
      if (this.values === null) this.values = v;
    }
    return this.values;
  }
  /** Nested arrays, as TensorFlow.js's arraySync. */
  arraySync(): NestedNumbers {
    const values = this.dataSync();
    const build = (dim: number, offset: number): NestedNumbers => {
      if (dim === this.shape.length) return values[offset]!;
      const stride = this.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: this.shape[dim]! }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }
  async array(): Promise<NestedNumbers> {
    await this.data();
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
    return formatTensor(this.dataSync(), this.shape, this.dtype, verbose);
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
  logicalAnd(b: TensorLike): Tensor {
    return ops.logicalAnd(this, b);
  }
  logicalOr(b: TensorLike): Tensor {
    return ops.logicalOr(this, b);
  }
  logicalNot(): Tensor {
    return ops.logicalNot(this);
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

/**
 * A `then` for a pending tensor (or a list of them): awaiting waits for the GPU's values, then resolves
 * with the object itself, whose `then` is removed first so the await ends there.
 */
export function thenOnce<T extends object>(target: T, ready: () => Promise<unknown>) {
  return (resolve: (value: T) => void, reject: (reason: unknown) => void): void => {
    ready().then(() => {
      delete (target as { then?: unknown }).then;
      resolve(target);
    }, reject);
  };
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
