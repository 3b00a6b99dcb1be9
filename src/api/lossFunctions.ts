// weft.losses.* and weft.metrics.*: TensorFlow.js's loss and metric functions. Called directly they
// compute on host tensors as TensorFlow.js does; passed to compile() they name the fused loss or
// metric that weft compiles for the GPU (a function weft cannot compile is refused by name).

import { fail } from './errors.js';
import * as ops from './ops/index.js';
import type { Tensor, TensorLike } from './tensor.js';

/** The compile() name a function stands for, when weft can compile it. */
export const COMPILE_NAME = Symbol('weft.compileName');

type LossOrMetric = ((yTrue: TensorLike, yPred: TensorLike, ...rest: never[]) => Tensor) & { [COMPILE_NAME]?: string };

/** Gives each function its TensorFlow.js name (error messages and logs show it). */
function named<T extends Record<string, (...args: never[]) => Tensor>>(functions: T, compileNames: Partial<Record<keyof T, string>>): T {
  for (const [key, f] of Object.entries(functions)) {
    Object.defineProperty(f, 'name', { value: key });
    const compileName = compileNames[key as keyof T];
    if (compileName !== undefined) Object.defineProperty(f, COMPILE_NAME, { value: compileName });
  }
  return functions;
}

const EPSILON = 1e-7;
const clip = (x: TensorLike, lo: number, hi: number): Tensor => ops.tidy(() => ops.minimum(ops.maximum(x, lo), hi));
/** Mean over the last axis: one value per example, as Keras metrics give. */
const meanLast = (x: Tensor): Tensor => ops.mean(x, -1);

// ---- tf.metrics: one value per example ----
const metricFunctions = named(
  {
    binaryAccuracy: (yTrue: TensorLike, yPred: TensorLike) =>
      ops.tidy(() => meanLast(ops.cast(ops.equal(ops.greater(yTrue, 0.5), ops.greater(yPred, 0.5)), 'float32'))),
    categoricalAccuracy: (yTrue: TensorLike, yPred: TensorLike) =>
      ops.tidy(() => ops.cast(ops.equal(ops.argMax(ops.clone(yTrue), -1), ops.argMax(ops.clone(yPred), -1)), 'float32')),
    sparseCategoricalAccuracy: (yTrue: TensorLike, yPred: TensorLike) =>
      ops.tidy(() => {
        const p = ops.clone(yPred);
        const labels = ops.reshape(yTrue, [p.shape.slice(0, -1).reduce((a, b) => a * b, 1)]);
        return ops.reshape(ops.cast(ops.equal(ops.cast(labels, 'int32'), ops.argMax(p, -1)), 'float32'), p.shape.slice(0, -1));
      }),
    meanSquaredError: (yTrue: TensorLike, yPred: TensorLike) => ops.tidy(() => meanLast(ops.squaredDifference(yTrue, yPred))),
    meanAbsoluteError: (yTrue: TensorLike, yPred: TensorLike) => ops.tidy(() => meanLast(ops.abs(ops.sub(yTrue, yPred)))),
    meanAbsolutePercentageError: (yTrue: TensorLike, yPred: TensorLike) =>
      ops.tidy(() => ops.mul(100, meanLast(ops.abs(ops.div(ops.sub(yTrue, yPred), ops.maximum(ops.abs(yTrue), EPSILON)))))),
    binaryCrossentropy: (yTrue: TensorLike, yPred: TensorLike) =>
      ops.tidy(() => {
        const p = clip(yPred, EPSILON, 1 - EPSILON);
        return meanLast(ops.neg(ops.add(ops.mul(yTrue, ops.log(p)), ops.mul(ops.sub(1, yTrue), ops.log(ops.sub(1, p))))));
      }),
    categoricalCrossentropy: (yTrue: TensorLike, yPred: TensorLike) =>
      ops.tidy(() => ops.neg(ops.sum(ops.mul(yTrue, ops.log(clip(yPred, EPSILON, 1 - EPSILON))), -1))),
    cosineProximity: (yTrue: TensorLike, yPred: TensorLike) =>
      ops.tidy(() => {
        const norm = (x: TensorLike) => ops.div(x, ops.maximum(ops.sqrt(ops.sum(ops.square(x), -1, true)), EPSILON));
        return ops.neg(ops.sum(ops.mul(norm(yTrue), norm(yPred)), -1));
      }),
    precision: (yTrue: TensorLike, yPred: TensorLike) =>
      ops.tidy(() => {
        const predicted = ops.cast(ops.greater(yPred, 0.5), 'float32');
        const tp = ops.sum(ops.mul(predicted, yTrue));
        const all = ops.sum(predicted);
        return ops.div(tp, ops.maximum(all, EPSILON));
      }),
    recall: (yTrue: TensorLike, yPred: TensorLike) =>
      ops.tidy(() => {
        const predicted = ops.cast(ops.greater(yPred, 0.5), 'float32');
        const tp = ops.sum(ops.mul(predicted, yTrue));
        return ops.div(tp, ops.maximum(ops.sum(yTrue), EPSILON));
      }),
  },
  {
    binaryAccuracy: 'binaryAccuracy',
    categoricalAccuracy: 'categoricalAccuracy',
    sparseCategoricalAccuracy: 'sparseCategoricalAccuracy',
    meanSquaredError: 'meanSquaredError',
    meanAbsoluteError: 'meanAbsoluteError',
    binaryCrossentropy: 'binaryCrossentropy',
  },
);

export const metrics = {
  ...metricFunctions,
  MSE: metricFunctions.meanSquaredError,
  mse: metricFunctions.meanSquaredError,
  MAE: metricFunctions.meanAbsoluteError,
  mae: metricFunctions.meanAbsoluteError,
  MAPE: metricFunctions.meanAbsolutePercentageError,
  mape: metricFunctions.meanAbsolutePercentageError,
};

// ---- tf.losses: a scalar (mean over everything), weights and reductions left out ----
function noWeights(name: string, weights: unknown): void {
  if (weights !== undefined)
    fail(`weft.losses.${name}: per-element weights are not supported; weigh the samples with fit's sampleWeight or classWeight instead`);
}

export const losses = named(
  {
    meanSquaredError: (labels: TensorLike, predictions: TensorLike, weights?: unknown) => (
      noWeights('meanSquaredError', weights), ops.tidy(() => ops.mean(ops.squaredDifference(labels, predictions)))
    ),
    absoluteDifference: (labels: TensorLike, predictions: TensorLike, weights?: unknown) => (
      noWeights('absoluteDifference', weights), ops.tidy(() => ops.mean(ops.abs(ops.sub(labels, predictions))))
    ),
    logLoss: (labels: TensorLike, predictions: TensorLike, weights?: unknown, epsilon = EPSILON) => (
      noWeights('logLoss', weights),
      ops.tidy(() =>
        ops.mean(
          ops.neg(
            ops.add(ops.mul(labels, ops.log(ops.add(predictions, epsilon))), ops.mul(ops.sub(1, labels), ops.log(ops.add(ops.sub(1, predictions), epsilon)))),
          ),
        ),
      )
    ),
    huberLoss: (labels: TensorLike, predictions: TensorLike, weights?: unknown, delta = 1) => (
      noWeights('huberLoss', weights),
      ops.tidy(() => {
        const error = ops.abs(ops.sub(labels, predictions));
        const quadratic = ops.minimum(error, delta);
        return ops.mean(ops.add(ops.mul(0.5, ops.square(quadratic)), ops.mul(delta, ops.sub(error, quadratic))));
      })
    ),
    hingeLoss: (labels: TensorLike, predictions: TensorLike, weights?: unknown) => (
      noWeights('hingeLoss', weights), ops.tidy(() => ops.mean(ops.relu(ops.sub(1, ops.mul(ops.sub(ops.mul(2, labels), 1), predictions)))))
    ),
    softmaxCrossEntropy: (onehotLabels: TensorLike, logits: TensorLike, weights?: unknown) => (
      noWeights('softmaxCrossEntropy', weights),
      ops.tidy(() => {
        const z = ops.clone(logits);
        const shifted = ops.sub(z, ops.max(z, -1, true));
        const logSumExp = ops.log(ops.sum(ops.exp(shifted), -1, true));
        return ops.mean(ops.neg(ops.sum(ops.mul(onehotLabels, ops.sub(shifted, logSumExp)), -1)));
      })
    ),
    sigmoidCrossEntropy: (multiClassLabels: TensorLike, logits: TensorLike, weights?: unknown) => (
      noWeights('sigmoidCrossEntropy', weights),
      // max(z, 0) − z·t + log(1 + e^−|z|): stable for large |z|.
      ops.tidy(() => ops.mean(ops.add(ops.sub(ops.relu(logits), ops.mul(logits, multiClassLabels)), ops.log(ops.add(1, ops.exp(ops.neg(ops.abs(logits))))))))
    ),
  },
  { meanSquaredError: 'meanSquaredError', absoluteDifference: 'meanAbsoluteError', logLoss: 'binaryCrossentropy' },
);

/** What compile() gets for a loss or metric given as a function: its name, or a WeftError. */
export function compileNameOf(f: unknown, what: 'loss' | 'metric', outputName: string, supported: string): string {
  const name = (f as LossOrMetric)[COMPILE_NAME];
  if (typeof name === 'string') return name;
  const label = typeof f === 'function' && f.name ? `'${f.name}'` : 'this function';
  return fail(
    `compile: the ${what} for output '${outputName}' is ${label}, a JavaScript function weft cannot compile to GPU kernels; use one of ${supported} (by name, or as weft.${what === 'loss' ? 'losses' : 'metrics'}.<name>)`,
  );
}
