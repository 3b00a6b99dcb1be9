// BatchNormalization (TensorFlow.js semantics, features on the last axis of [batch, features]).
// Training normalises with the batch's mean and (biased) variance and moves the moving statistics
// towards them (the variance debiased by n / (n − 1 − ε), as TensorFlow.js does) inside the
// compiled step; inference uses the moving statistics.

import type { ValueId } from '../../ir/graph.js';
import { fail } from '../errors.js';
import { initialize, initializerJson, resolveInitializer, type InitializerConfig, type InitializerName } from '../initializers.js';
import { Layer, shapeToString, type LayerArgs, type LayerWeight, type LowerContext, type Shape } from './layer.js';
import { rowsOf } from '../../ir/shape.js';

export interface BatchNormalizationArgs extends LayerArgs {
  axis?: number;
  momentum?: number;
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  betaInitializer?: InitializerName | string | InitializerConfig;
  gammaInitializer?: InitializerName | string | InitializerConfig;
  movingMeanInitializer?: InitializerName | string | InitializerConfig;
  movingVarianceInitializer?: InitializerName | string | InitializerConfig;
}

const BATCH_NORMALIZATION_OPTIONS = {
  own: ['axis', 'momentum', 'epsilon', 'center', 'scale', 'betaInitializer', 'gammaInitializer', 'movingMeanInitializer', 'movingVarianceInitializer'],
  refused: {
    betaRegularizer: 'regularizers are not supported yet; leave it out (or null)',
    gammaRegularizer: 'regularizers are not supported yet; leave it out (or null)',
    betaConstraint: 'constraints are not supported yet; leave it out (or null)',
    gammaConstraint: 'constraints are not supported yet; leave it out (or null)',
  },
};

export class BatchNormalization extends Layer {
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  private readonly initializers: Record<'beta' | 'gamma' | 'movingMean' | 'movingVariance', InitializerConfig>;
  gamma?: LayerWeight;
  beta?: LayerWeight;
  movingMean?: LayerWeight;
  movingVariance?: LayerWeight;

  constructor(args: BatchNormalizationArgs = {}) {
    super('BatchNormalization', args, BATCH_NORMALIZATION_OPTIONS);
    if (args.axis !== undefined && args.axis !== -1 && args.axis !== 1)
      fail(`batchNormalization '${this.name}': only the last axis (-1) is supported, got ${args.axis}`);
    this.momentum = args.momentum ?? 0.99;
    this.epsilon = args.epsilon ?? 1e-3;
    if (!(this.momentum >= 0 && this.momentum <= 1)) fail(`batchNormalization '${this.name}': momentum must be in [0, 1], got ${this.momentum}`);
    if (!(this.epsilon > 0)) fail(`batchNormalization '${this.name}': epsilon must be positive, got ${this.epsilon}`);
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    const where = `batchNormalization '${this.name}'`;
    this.initializers = {
      beta: resolveInitializer(args.betaInitializer, 'zeros', undefined, where),
      gamma: resolveInitializer(args.gammaInitializer, 'ones', undefined, where),
      movingMean: resolveInitializer(args.movingMeanInitializer, 'zeros', undefined, where),
      movingVariance: resolveInitializer(args.movingVarianceInitializer, 'ones', undefined, where),
    };
  }

  computeOutputShape([shape]: Shape[]): Shape {
    if (shape!.length !== 2 && shape!.length !== 4)
      fail(`batchNormalization '${this.name}': expects input [batch, features] or images [batch, height, width, channels], got ${shapeToString(shape!)}`);
    return shape!;
  }

  protected override build([shape]: Shape[]): void {
    const features = shape![shape!.length - 1] as number;
    if (this.scale) this.gamma = this.addWeight('gamma', [features], initialize(this.initializers.gamma, [features]));
    if (this.center) this.beta = this.addWeight('beta', [features], initialize(this.initializers.beta, [features]));
    this.movingMean = this.addWeight('moving_mean', [features], initialize(this.initializers.movingMean, [features]), false);
    this.movingVariance = this.addWeight('moving_variance', [features], initialize(this.initializers.movingVariance, [features]), false);
  }

  lower(context: LowerContext, [x]: ValueId[]): ValueId {
    const b = context.builder;
    const rows = rowsOf(b.shapeOf(x!));
    const label = this.name;
    let normalized: ValueId;
    if (context.training) {
      const mean = b.add({ op: 'scale', x: b.add({ op: 'columnSum', x: x! }, label), factor: 1 / rows }, label);
      const centered = b.add({ op: 'biasAdd', x: x!, bias: b.add({ op: 'scale', x: mean, factor: -1 }, label) }, label);
      const variance = b.add(
        { op: 'scale', x: b.add({ op: 'columnSum', x: b.add({ op: 'mul', a: centered, b: centered }, label) }, label), factor: 1 / rows },
        label,
      );
      normalized = b.add({ op: 'mulRow', x: centered, row: b.add({ op: 'rsqrt', x: variance, epsilon: this.epsilon }, label) }, label);
      b.add({ op: 'assignParam', param: context.param(this.movingMean!), value: mean, momentum: this.momentum }, `${label} moving mean`);
      const debiased = rows > 1 ? b.add({ op: 'scale', x: variance, factor: rows / (rows - (1 + this.epsilon)) }, label) : variance;
      b.add({ op: 'assignParam', param: context.param(this.movingVariance!), value: debiased, momentum: this.momentum }, `${label} moving variance`);
    } else {
      const negativeMean = b.add({ op: 'scale', x: context.param(this.movingMean!), factor: -1 }, label);
      const centered = b.add({ op: 'biasAdd', x: x!, bias: negativeMean }, label);
      normalized = b.add(
        { op: 'mulRow', x: centered, row: b.add({ op: 'rsqrt', x: context.param(this.movingVariance!), epsilon: this.epsilon }, label) },
        label,
      );
    }
    let y = normalized;
    if (this.gamma) y = b.add({ op: 'mulRow', x: y, row: context.param(this.gamma) }, label);
    if (this.beta) y = b.add({ op: 'biasAdd', x: y, bias: context.param(this.beta) }, label);
    return y;
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      trainable: this.trainable,
      axis: -1,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      beta_initializer: initializerJson(this.initializers.beta),
      gamma_initializer: initializerJson(this.initializers.gamma),
      moving_mean_initializer: initializerJson(this.initializers.movingMean),
      moving_variance_initializer: initializerJson(this.initializers.movingVariance),
      beta_regularizer: null,
      gamma_regularizer: null,
      beta_constraint: null,
      gamma_constraint: null,
    };
  }
}

export function batchNormalization(args: BatchNormalizationArgs = {}): BatchNormalization {
  return new BatchNormalization(args);
}
