// Batching elements the way tf.data's batch() does: every leaf (a tensor, a number, a nested array
// of numbers, a typed array) is stacked along a new first axis; objects and arrays of tensors keep
// their structure ({ xs, ys } → { xs: [n, …], ys: [n, …] }).

import { fail } from '../errors.js';
import { Tensor, type TensorData } from '../tensor.js';

export function stackElements(elements: unknown[], where: string): unknown {
  const first = elements[0];
  if (isLeaf(first)) return stackLeaves(elements, where);
  if (Array.isArray(first))
    return first.map((_, i) =>
      stackElements(
        elements.map((e) => (e as unknown[])[i]),
        `${where}[${i}]`,
      ),
    );
  if (first !== null && typeof first === 'object')
    return Object.fromEntries(
      Object.keys(first).map((k) => [
        k,
        stackElements(
          elements.map((e) => (e as Record<string, unknown>)[k]),
          `${where}.${k}`,
        ),
      ]),
    );
  return fail(`batch: ${where} is ${first === null ? 'null' : typeof first}; elements must hold tensors, numbers or arrays of numbers`);
}

function isLeaf(v: unknown): boolean {
  return v instanceof Tensor || typeof v === 'number' || ArrayBuffer.isView(v) || (Array.isArray(v) && isNumeric(v));
}

function isNumeric(v: unknown): boolean {
  return typeof v === 'number' || (Array.isArray(v) && v.every(isNumeric));
}

function stackLeaves(leaves: unknown[], where: string): Tensor {
  const parts = leaves.map((leaf, i) => asData(leaf, `${where} of element ${i}`));
  const shape = parts[0]!.shape;
  parts.forEach((p, i) => {
    if (p.shape.length !== shape.length || p.shape.some((d, j) => d !== shape[j]))
      fail(
        `batch: ${where} of element ${i} has shape [${p.shape.join(', ')}], but element 0's has [${shape.join(', ')}]; every element of a batch needs the same shape`,
      );
  });
  const size = shape.reduce((a, b) => a * b, 1);
  const kind = parts[0]!.data;
  const out: TensorData =
    kind instanceof Uint8Array
      ? new Uint8Array(parts.length * size)
      : kind instanceof Int32Array
        ? new Int32Array(parts.length * size)
        : new Float32Array(parts.length * size);
  parts.forEach((p, i) => out.set(p.data, i * size));
  const dtype = out instanceof Uint8Array ? 'uint8' : out instanceof Int32Array ? 'int32' : 'float32';
  return new Tensor(out, [parts.length, ...shape], dtype);
}

function asData(leaf: unknown, where: string): { data: TensorData; shape: number[] } {
  if (leaf instanceof Tensor) {
    if (leaf.isDisposed) fail(`batch: ${where} is a disposed tensor`);
    return { data: leaf.dataSync(), shape: leaf.shape };
  }
  if (typeof leaf === 'number') return { data: Float32Array.of(leaf), shape: [] };
  if (leaf instanceof Float32Array || leaf instanceof Int32Array || leaf instanceof Uint8Array) return { data: leaf, shape: [leaf.length] };
  if (ArrayBuffer.isView(leaf))
    return { data: Float32Array.from(leaf as unknown as ArrayLike<number>), shape: [(leaf as unknown as ArrayLike<number>).length] };
  if (Array.isArray(leaf) && isNumeric(leaf)) {
    const shape: number[] = [];
    for (let v: unknown = leaf; Array.isArray(v); v = v[0]) shape.push(v.length);
    const flat = (leaf as unknown[]).flat(Number.POSITIVE_INFINITY) as number[];
    if (flat.length !== shape.reduce((a, b) => a * b, 1)) fail(`batch: ${where} is a ragged nested array`);
    return { data: Float32Array.from(flat), shape };
  }
  return fail(`batch: ${where} is not a tensor, a number or an array of numbers`);
}
