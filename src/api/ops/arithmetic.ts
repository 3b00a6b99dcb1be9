// Element-by-element ops with TensorFlow.js's broadcasting and type rules, on the host.

import { WeftError } from '../errors.js';
import type { DataType, Tensor, TensorLike } from '../tensor.js';
import { make, rawOf, sizeOf, stridesOf, upcast, type Raw } from './raw.js';

/** numpy/TF.js broadcasting: shapes are aligned at the end; a 1 stretches. */
export function broadcastShape(a: readonly number[], b: readonly number[], op: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new WeftError(`${op}: shapes [${a.join(', ')}] and [${b.join(', ')}] cannot be broadcast together`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** For each element of `shape`, the index into an operand of shape `from` that broadcasts to it. */
export function broadcastIndex(from: readonly number[], shape: readonly number[]): (i: number) => number {
  if (sizeOf(from) === sizeOf(shape)) return (i) => i;
  const outStrides = stridesOf(shape);
  const fromStrides = stridesOf(from);
  const offset = shape.length - from.length;
  return (i) => {
    let index = 0;
    for (let d = 0; d < shape.length; d++) {
      const coord = Math.floor(i / outStrides[d]!) % shape[d]!;
      const fd = d - offset;
      if (fd >= 0 && from[fd]! !== 1) index += coord * fromStrides[fd]!;
    }
    return index;
  };
}

type Result = 'same' | 'bool' | 'float32';

function binary(op: string, result: Result, f: (x: number, y: number, dtype: DataType) => number) {
  return (a: TensorLike, b: TensorLike): Tensor => {
    const ra: Raw = rawOf(a, 'a', op);
    const rb: Raw = rawOf(b, 'b', op);
    const dtype = upcast(ra.dtype, rb.dtype);
    const shape = broadcastShape(ra.shape, rb.shape, op);
    const ia = broadcastIndex(ra.shape, shape);
    const ib = broadcastIndex(rb.shape, shape);
    const out = new Array<number>(sizeOf(shape));
    for (let i = 0; i < out.length; i++) out[i] = f(ra.values[ia(i)]!, rb.values[ib(i)]!, dtype);
    return make(out, shape, result === 'same' ? (dtype === 'bool' ? 'int32' : dtype) : result);
  };
}

export const add = binary('add', 'same', (x, y) => x + y);
export const sub = binary('sub', 'same', (x, y) => x - y);
export const mul = binary('mul', 'same', (x, y) => x * y);
/** Integer tensors divide with floor, as TensorFlow.js's div does for int32. */
export const div = binary('div', 'same', (x, y, dtype) => (dtype === 'float32' ? x / y : Math.floor(x / y)));
export const pow = binary('pow', 'same', (x, y) => x ** y);
export const maximum = binary('maximum', 'same', (x, y) => Math.max(x, y));
export const minimum = binary('minimum', 'same', (x, y) => Math.min(x, y));
export const squaredDifference = binary('squaredDifference', 'same', (x, y) => (x - y) ** 2);
export const greater = binary('greater', 'bool', (x, y) => (x > y ? 1 : 0));
export const greaterEqual = binary('greaterEqual', 'bool', (x, y) => (x >= y ? 1 : 0));
export const less = binary('less', 'bool', (x, y) => (x < y ? 1 : 0));
export const lessEqual = binary('lessEqual', 'bool', (x, y) => (x <= y ? 1 : 0));
export const equal = binary('equal', 'bool', (x, y) => (x === y ? 1 : 0));
export const notEqual = binary('notEqual', 'bool', (x, y) => (x !== y ? 1 : 0));

function unary(op: string, result: Result, f: (x: number) => number) {
  return (x: TensorLike): Tensor => {
    const r = rawOf(x, 'x', op);
    const out = Array.from(r.values, f);
    return make(out, [...r.shape], result === 'same' ? (r.dtype === 'bool' ? 'int32' : r.dtype) : result);
  };
}

export const square = unary('square', 'same', (x) => x * x);
export const abs = unary('abs', 'same', Math.abs);
export const neg = unary('neg', 'same', (x) => -x);
export const sign = unary('sign', 'same', Math.sign);
export const sqrt = unary('sqrt', 'float32', Math.sqrt);
export const exp = unary('exp', 'float32', Math.exp);
export const log = unary('log', 'float32', Math.log);
export const round = unary('round', 'same', (x) => {
  // Banker's rounding, as TensorFlow.js's round.
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
});
export const floor = unary('floor', 'same', Math.floor);
export const ceil = unary('ceil', 'same', Math.ceil);
export const sigmoid = unary('sigmoid', 'float32', (x) => 1 / (1 + Math.exp(-x)));
export const relu = unary('relu', 'same', (x) => Math.max(0, x));
export const tanh = unary('tanh', 'float32', Math.tanh);

// ── logical ops and where (TensorFlow.js takes only bool tensors for these) ──

function requireBool(r: Raw, argument: string, op: string): void {
  if (r.dtype !== 'bool')
    throw new WeftError(`${op}: argument '${argument}' must be a bool tensor (e.g. from greater or equal), got ${r.dtype}; cast it with .cast('bool')`);
}

function logical(op: string, f: (x: boolean, y: boolean) => boolean) {
  const compute = binary(op, 'bool', (x, y) => (f(x !== 0, y !== 0) ? 1 : 0));
  return (a: TensorLike, b: TensorLike): Tensor => {
    requireBool(rawOf(a, 'a', op), 'a', op);
    requireBool(rawOf(b, 'b', op), 'b', op);
    return compute(a, b);
  };
}

export const logicalAnd = logical('logicalAnd', (x, y) => x && y);
export const logicalOr = logical('logicalOr', (x, y) => x || y);
export const logicalXor = logical('logicalXor', (x, y) => x !== y);
export function logicalNot(x: TensorLike): Tensor {
  requireBool(rawOf(x, 'x', 'logicalNot'), 'x', 'logicalNot');
  return unary('logicalNot', 'bool', (v) => (v ? 0 : 1))(x);
}

/** Elements of `a` where `condition` is true, else of `b` (all three broadcast together, as TensorFlow.js 4). */
export function where(condition: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const op = 'where';
  const rc = rawOf(condition, 'condition', op);
  requireBool(rc, 'condition', op);
  const ra = rawOf(a, 'a', op);
  const rb = rawOf(b, 'b', op);
  if (ra.dtype !== rb.dtype) throw new WeftError(`where: a and b must have the same dtype, got ${ra.dtype} and ${rb.dtype}`);
  const shape = broadcastShape(broadcastShape(rc.shape, ra.shape, op), rb.shape, op);
  const [ic, ia, ib] = [rc, ra, rb].map((r) => broadcastIndex(r.shape, shape)) as [(i: number) => number, (i: number) => number, (i: number) => number];
  const out = new Array<number>(sizeOf(shape));
  for (let i = 0; i < out.length; i++) out[i] = rc.values[ic(i)] ? ra.values[ia(i)]! : rb.values[ib(i)]!;
  return make(out, shape, ra.dtype);
}
