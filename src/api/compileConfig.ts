// compile(): resolving loss, metric and optimizer names (TensorFlow.js camelCase or Keras
// snake_case) into the compiler's terms, with TensorFlow.js defaults.

import type { LossKind, MetricKind, OptimizerAlgorithm } from '../ir/kernel.js';
import { fail } from './errors.js';
import { compileNameOf } from './lossFunctions.js';

export type LossName = 'sparseCategoricalCrossentropy' | 'categoricalCrossentropy' | 'binaryCrossentropy' | 'meanSquaredError' | 'meanAbsoluteError';

export interface ResolvedLoss {
  /** What the user asked for. */
  name: LossName;
  sparse: boolean;
  /**
   * How it is computed: categorical cross-entropies are fused with the softmax; binary
   * cross-entropy with a sigmoid when the output has one, else computed from the probabilities.
   */
  kind: 'crossEntropy' | 'binaryCrossEntropy' | 'meanSquaredError' | 'meanAbsoluteError';
}

const LOSS_ALIASES: Record<string, LossName> = {
  sparseCategoricalCrossentropy: 'sparseCategoricalCrossentropy',
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
  categoricalCrossentropy: 'categoricalCrossentropy',
  categorical_crossentropy: 'categoricalCrossentropy',
  binaryCrossentropy: 'binaryCrossentropy',
  binary_crossentropy: 'binaryCrossentropy',
  meanSquaredError: 'meanSquaredError',
  mean_squared_error: 'meanSquaredError',
  mse: 'meanSquaredError',
  MSE: 'meanSquaredError',
  meanAbsoluteError: 'meanAbsoluteError',
  mean_absolute_error: 'meanAbsoluteError',
  mae: 'meanAbsoluteError',
  MAE: 'meanAbsoluteError',
};

export function resolveLoss(spec: unknown, outputName: string): ResolvedLoss {
  const name = typeof spec === 'function' ? compileNameOf(spec, 'loss', outputName, [...new Set(Object.values(LOSS_ALIASES))].join(', ')) : spec;
  if (typeof name !== 'string')
    fail(`compile: the loss for output '${outputName}' must be a loss name such as 'sparseCategoricalCrossentropy', got ${typeof name}`);
  const resolved = LOSS_ALIASES[name];
  if (!resolved)
    fail(
      `compile: unknown loss '${name}' for output '${outputName}'; use one of ${[...new Set(Object.values(LOSS_ALIASES))].join(', ')} (Keras snake_case names work too)`,
    );
  switch (resolved) {
    case 'sparseCategoricalCrossentropy':
      return { name: resolved, sparse: true, kind: 'crossEntropy' };
    case 'categoricalCrossentropy':
      return { name: resolved, sparse: false, kind: 'crossEntropy' };
    case 'binaryCrossentropy':
      return { name: resolved, sparse: false, kind: 'binaryCrossEntropy' };
    case 'meanSquaredError':
      return { name: resolved, sparse: false, kind: 'meanSquaredError' };
    case 'meanAbsoluteError':
      return { name: resolved, sparse: false, kind: 'meanAbsoluteError' };
    default:
      return resolved satisfies never;
  }
}

const METRIC_NAMES = 'accuracy, sparseCategoricalAccuracy, categoricalAccuracy, binaryAccuracy, mse or mae';

export interface ResolvedMetric {
  /** The name shown in logs ('accuracy', 'acc', 'mse', ...), before any output prefix. */
  displayName: string;
  kind: MetricKind;
}

/** Resolves a metric the way Keras/TensorFlow.js do: 'accuracy' depends on the loss and output size. */
export function resolveMetric(spec: unknown, loss: ResolvedLoss, units: number, outputName: string): ResolvedMetric {
  const name = typeof spec === 'function' ? compileNameOf(spec, 'metric', outputName, METRIC_NAMES) : spec;
  if (typeof name !== 'string') fail(`compile: metrics for output '${outputName}' must be names such as 'accuracy'`);
  switch (name) {
    case 'accuracy':
    case 'acc':
      return {
        displayName: name,
        // As TensorFlow.js: binary accuracy for one-unit outputs and for binary cross-entropy.
        kind: units === 1 || loss.name === 'binaryCrossentropy' ? 'binaryAccuracy' : loss.sparse ? 'sparseCategoricalAccuracy' : 'categoricalAccuracy',
      };
    case 'sparseCategoricalAccuracy':
    case 'sparse_categorical_accuracy':
      return { displayName: name, kind: 'sparseCategoricalAccuracy' };
    case 'categoricalAccuracy':
    case 'categorical_accuracy':
      return { displayName: name, kind: 'categoricalAccuracy' };
    case 'binaryAccuracy':
    case 'binary_accuracy':
      return { displayName: name, kind: 'binaryAccuracy' };
    case 'mse':
    case 'meanSquaredError':
    case 'mean_squared_error':
      return { displayName: name, kind: 'meanSquaredError' };
    case 'mae':
    case 'meanAbsoluteError':
    case 'mean_absolute_error':
      return { displayName: name, kind: 'meanAbsoluteError' };
    default:
      return fail(`compile: unknown metric '${name}' for output '${outputName}'; use ${METRIC_NAMES}`);
  }
}

/** An optimizer as made by weft.train.*: its algorithm and learning rate. */
export class Optimizer {
  constructor(
    readonly algorithm: OptimizerAlgorithm,
    public learningRate: number,
    readonly className: string,
    /** Initial value of the optimizer's accumulator slots (adagrad). */
    readonly initialStateValue: number = 0,
  ) {
    if (!(learningRate > 0) || !Number.isFinite(learningRate)) fail(`${className}: the learning rate must be a positive number, got ${learningRate}`);
  }
  /**
   * The values the optimizer kernel reads at step `t` (1-based): the learning rate, and Adam's
   * bias-correction powers β₁ᵗ and β₂ᵗ (0 for the others).
   */
  stepValues(t: number): { learningRate: number; beta1Power: number; beta2Power: number } {
    const algorithm = this.algorithm;
    switch (algorithm.kind) {
      case 'adam':
        return { learningRate: this.learningRate, beta1Power: algorithm.beta1 ** t, beta2Power: algorithm.beta2 ** t };
      case 'sgd':
      case 'momentum':
      case 'rmsprop':
      case 'adagrad':
        return { learningRate: this.learningRate, beta1Power: 0, beta2Power: 0 };
      default:
        return algorithm satisfies never;
    }
  }
  getConfig(): Record<string, unknown> {
    return { learningRate: this.learningRate, ...this.algorithm };
  }
}

const EPSILON = 1e-7;

/** TensorFlow.js's weft.train constructors, with its defaults. */
export const train = {
  sgd(learningRate = 0.01, options: { momentum?: number; nesterov?: boolean } = {}): Optimizer {
    if (options.momentum) return new Optimizer({ kind: 'momentum', momentum: options.momentum, nesterov: options.nesterov ?? false }, learningRate, 'SGD');
    return new Optimizer({ kind: 'sgd' }, learningRate, 'SGD');
  },
  momentum(learningRate: number, momentum: number, useNesterov = false): Optimizer {
    return new Optimizer({ kind: 'momentum', momentum, nesterov: useNesterov }, learningRate, 'Momentum');
  },
  adam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = EPSILON): Optimizer {
    return new Optimizer({ kind: 'adam', beta1, beta2, epsilon }, learningRate, 'Adam');
  },
  rmsprop(learningRate = 0.001, decay = 0.9, momentum = 0, epsilon = EPSILON, centered = false): Optimizer {
    return new Optimizer({ kind: 'rmsprop', decay, momentum, epsilon, centered }, learningRate, 'RMSProp');
  },
  adagrad(learningRate = 0.01, initialAccumulatorValue = 0.1): Optimizer {
    return new Optimizer({ kind: 'adagrad', epsilon: EPSILON }, learningRate, 'Adagrad', initialAccumulatorValue);
  },
};

export function resolveOptimizer(spec: unknown): Optimizer {
  if (spec instanceof Optimizer) return spec;
  switch (spec) {
    case 'sgd':
      return train.sgd();
    case 'adam':
      return train.adam();
    case 'rmsprop':
      return train.rmsprop();
    case 'adagrad':
      return train.adagrad();
    default:
      return fail(
        `compile: unknown optimizer ${JSON.stringify(spec)}; use 'sgd', 'adam', 'rmsprop', 'adagrad' or weft.train.sgd(...)/adam(...)/rmsprop(...)/adagrad(...)`,
      );
  }
}

export type LossKindFor = LossKind;
