// Host tensors: data the user hands to fit/evaluate/predict and gets back from predict/getWeights.

import { WeftError } from './errors.js';

export type DataType = 'float32' | 'int32' | 'uint8';
export type TensorData = Float32Array | Int32Array | Uint8Array;
export type NestedNumbers = number | NestedNumbers[];

export class Tensor {
  private disposed = false;
  readonly size: number;
  constructor(
    private values: TensorData,
    readonly shape: number[],
    readonly dtype: DataType,
  ) {
    this.size = shape.reduce((a, b) => a * b, 1);
    if (this.size !== values.length)
      throw new WeftError(`tensor: shape [${shape.join(', ')}] holds ${this.size} values but ${values.length} were given`);
  }
  get rank(): number {
    return this.shape.length;
  }
  get isDisposed(): boolean {
    return this.disposed;
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
  dispose(): void {
    this.disposed = true;
  }
  toString(): string {
    return `Tensor [${this.shape.join(', ')}] ${this.dtype}`;
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
    out.push(data);
  }
}

/** weft.tensor(data, shape?, dtype?) as in TensorFlow.js. */
export function tensor(data: TensorData | NestedNumbers | number[], shape?: number[], dtype?: DataType): Tensor {
  let values: TensorData;
  let inferred: number[];
  if (data instanceof Float32Array || data instanceof Int32Array || data instanceof Uint8Array) {
    values = data;
    inferred = [data.length];
  } else {
    const flat: number[] = [];
    inferred = [];
    flatten(data, flat, inferred, 0);
    const type = dtype ?? 'float32';
    values = type === 'int32' ? Int32Array.from(flat) : type === 'uint8' ? Uint8Array.from(flat) : Float32Array.from(flat);
  }
  const resolvedType: DataType = values instanceof Int32Array ? 'int32' : values instanceof Uint8Array ? 'uint8' : 'float32';
  if (dtype && dtype !== resolvedType) {
    values = dtype === 'int32' ? Int32Array.from(values) : dtype === 'uint8' ? Uint8Array.from(values) : Float32Array.from(values);
  }
  return new Tensor(values, shape ?? inferred, dtype ?? resolvedType);
}
