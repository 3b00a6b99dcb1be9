// What the ported programs share: seeded synthetic data (plain JS, so both libraries get the same
// numbers) and deterministic starting weights set through the library's own setWeights (each library
// draws its initialisers from its own random numbers, so seeds alone would not line them up).

/** The namespace a program is given: TensorFlow.js's `tf`, or weft. Programs use only what both share. */
export type Tf = any;
export type Log = (...args: unknown[]) => void;
export type Program = (tf: Tf, log: Log) => Promise<void>;

/** A seeded uniform [0, 1) generator (an LCG: the same numbers in every engine). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

/** A standard normal from a uniform generator (Box–Muller). */
export function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/**
 * Replaces every weight of `model` with seeded values: kernels uniform in ±sqrt(6 / (fanIn + fanOut))
 * (Glorot's range), biases zero, as the layers' default initialisers would give in distribution.
 */
export function setSeededWeights(tf: Tf, model: Tf, seed: number): void {
  const random = seededRandom(seed);
  const weights = model.getWeights().map((w: Tf) => {
    const shape: number[] = w.shape;
    const size = shape.reduce((a, b) => a * b, 1);
    if (shape.length < 2) return tf.zeros(shape);
    const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
    const limit = Math.sqrt(6 / (receptive * (shape[shape.length - 2]! + shape[shape.length - 1]!)));
    return tf.tensor(
      Float32Array.from({ length: size }, () => (random() * 2 - 1) * limit),
      shape,
    );
  });
  model.setWeights(weights);
}

/** `n` rows of `features` values around one of `centres` (the row's class), with gaussian noise. */
export function clusters(random: () => number, centres: number[][], n: number, spread: number): { x: number[]; labels: number[] } {
  const x: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % centres.length;
    labels.push(label);
    for (const c of centres[label]!) x.push(c + spread * gaussian(random));
  }
  return { x, labels };
}

/** Fixed-point text, as the originals print their numbers. */
export const fixed = (v: number, digits = 4): string => v.toFixed(digits);
