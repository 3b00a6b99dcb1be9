// Results that TensorFlow.js returns synchronously (predict's tensors, evaluate's scalars, weights),
// returned at once while the GPU computes them: see Tensor.pending.

import { Tensor, thenOnce } from './tensor.js';

/** One pending float32 tensor per shape; `now` (called at most once) gives every value on the CPU. */
export function pendingTensors(shapes: number[][], ready: Promise<Float32Array[]>, now: () => Float32Array[]): Tensor[] {
  let computed: Float32Array[] | null = null;
  const onCpu = (): Float32Array[] => (computed ??= now());
  return shapes.map((shape, i) =>
    Tensor.pending(shape, 'float32', {
      ready: ready.then((values) => values[i]!),
      now: () => onCpu()[i]!,
    }),
  );
}

/**
 * One tensor alone, or the list; a list is awaitable too (it waits for every tensor's GPU values),
 * so `const [a, b] = await model.predict(...)` reads what the GPU computed.
 */
export function oneOrList(tensors: Tensor[]): Tensor | Tensor[] {
  return tensors.length === 1 ? tensors[0]! : awaitableList(tensors);
}

/** The list itself, made awaitable: awaiting it waits for every tensor's GPU values. */
export function awaitableList(tensors: Tensor[]): Tensor[] {
  if (tensors.every((t) => t.isReady)) return tensors;
  Object.defineProperty(tensors, 'then', { configurable: true, enumerable: false, value: thenOnce(tensors, () => Promise.all(tensors.map((t) => t.data()))) });
  return tensors;
}

/**
 * Weights as tensors: the host copies when they are current, else pending tensors that the GPU's
 * values fill (`sync` brings the host copies up to date); a synchronous read before then gets the
 * host copies as they are (the last completed epoch's, during fit).
 */
export function weightTensors(weights: { values: Float32Array; shape: number[] }[], current: boolean, sync: () => Promise<void>): Tensor[] {
  const snapshot = (): Float32Array[] => weights.map((w) => w.values.slice());
  if (current) return weights.map((w) => new Tensor(w.values.slice(), [...w.shape], 'float32'));
  return awaitableList(
    pendingTensors(
      weights.map((w) => [...w.shape]),
      sync().then(snapshot),
      snapshot,
    ),
  );
}
