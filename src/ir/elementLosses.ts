// Element-wise losses in float64, shared by the interpreter and its tests: each output's per-row loss
// is the mean over the last axis of one of these (as Keras and TensorFlow.js average it).

import type { PointwiseLossKind } from './kernel.js';

/** TensorFlow.js's epsilon: probabilities are clipped to [ε, 1 − ε] before a log. */
export const EPSILON = 1e-7;
/**
 * The clip bounds as float32 holds them (as TensorFlow.js and the GPU compute): 1 − ε rounds to
 * 1 − 1.19e-7, and log(1 − p) at the bound differs from the float64 one by 0.18.
 */
const CLIP_LO = Math.fround(EPSILON);
const CLIP_HI = Math.fround(1 - EPSILON);

/**
 * The loss of one element: x is the prediction, or the logit for sigmoidCrossEntropy.
 * binaryCrossEntropy computes as TensorFlow.js does: p clipped, then the logit log(p / (1 − p)) into
 * the sigmoid cross-entropy, which equals −(t log p + (1 − t) log(1 − p)).
 */
export function elementLoss(kind: PointwiseLossKind | 'sigmoidCrossEntropy', x: number, t: number): number {
  switch (kind) {
    case 'meanSquaredError':
      return (x - t) ** 2;
    case 'meanAbsoluteError':
      return Math.abs(x - t);
    case 'binaryCrossEntropy': {
      const p = Math.min(Math.max(x, CLIP_LO), CLIP_HI);
      return -(t * Math.log(p) + (1 - t) * Math.log(1 - p));
    }
    case 'sigmoidCrossEntropy':
      // max(z, 0) − z·t + log(1 + e^−|z|): finite for any logit.
      return Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)));
    default:
      return kind satisfies never;
  }
}

/** d elementLoss / dx (the clip passes no gradient outside [ε, 1 − ε], as TensorFlow.js's clipByValue). */
export function elementLossGrad(kind: PointwiseLossKind | 'sigmoidCrossEntropy', x: number, t: number): number {
  switch (kind) {
    case 'meanSquaredError':
      return 2 * (x - t);
    case 'meanAbsoluteError':
      return Math.sign(x - t);
    case 'binaryCrossEntropy':
      return x >= CLIP_LO && x <= CLIP_HI ? (x - t) / (x * (1 - x)) : 0;
    case 'sigmoidCrossEntropy':
      return sigmoid(x) - t;
    default:
      return kind satisfies never;
  }
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}
