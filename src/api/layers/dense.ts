// Dense: y = activation(x · kernel + bias), kernel [inUnits, units].

import type { ValueId } from '../../ir/graph.js';
import type { ActivationName } from '../../ir/kernel.js';
import { fail } from '../errors.js';
import { initialize, initializerJson, resolveInitializer, type InitializerConfig, type InitializerName } from '../initializers.js';
import { Layer, shapeToString, type LayerArgs, type LayerWeight, type LowerContext, type Shape } from './layer.js';
import { lowerActivation, resolveActivation } from './activation.js';

export interface DenseArgs extends LayerArgs {
  units: number;
  activation?: ActivationName | string;
  useBias?: boolean;
  kernelInitializer?: InitializerName | string | InitializerConfig;
  biasInitializer?: InitializerName | string | InitializerConfig;
}

const DENSE_OPTIONS = {
  // inputDim, like inputShape, only describes the input (weft takes it from the tensor applied).
  own: ['units', 'activation', 'useBias', 'kernelInitializer', 'biasInitializer', 'inputDim'],
  refused: {
    kernelRegularizer: 'regularizers are not supported yet; leave it out (or null)',
    biasRegularizer: 'regularizers are not supported yet; leave it out (or null)',
    activityRegularizer: 'regularizers are not supported yet; leave it out (or null)',
    kernelConstraint: 'constraints are not supported yet; leave it out (or null)',
    biasConstraint: 'constraints are not supported yet; leave it out (or null)',
  },
};

export class Dense extends Layer {
  readonly units: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  private readonly kernelInitializer: InitializerConfig;
  private readonly biasInitializer: InitializerConfig;
  kernel?: LayerWeight;
  bias?: LayerWeight;

  constructor(args: DenseArgs) {
    super('Dense', args, DENSE_OPTIONS);
    if (!args || !Number.isInteger(args.units) || args.units <= 0) fail(`dense '${this.name}': units must be a positive integer, got ${args?.units}`);
    this.units = args.units;
    this.activation = resolveActivation(args.activation, `dense '${this.name}'`);
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = resolveInitializer(args.kernelInitializer, 'glorotUniform', this.seed, `dense '${this.name}'`);
    this.biasInitializer = resolveInitializer(args.biasInitializer, 'zeros', this.seed === undefined ? undefined : this.seed + 1, `dense '${this.name}'`);
  }

  computeOutputShape([shape]: Shape[]): Shape {
    if (shape!.length !== 2) fail(`dense '${this.name}': expects input of shape [batch, features], got ${shapeToString(shape!)}; add a flatten layer first`);
    if (this.kernel && this.kernel.shape[0] !== shape![1])
      fail(`dense '${this.name}': was built for ${this.kernel.shape[0]} input features, but is applied to ${shapeToString(shape!)}`);
    return [null, this.units];
  }

  protected override build([shape]: Shape[]): void {
    const inUnits = shape![1] as number;
    this.checkWeightSize('kernel', [inUnits, this.units]);
    this.kernel = this.addWeight('kernel', [inUnits, this.units], initialize(this.kernelInitializer, [inUnits, this.units]));
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], initialize(this.biasInitializer, [this.units]));
  }

  lower(context: LowerContext, [x]: ValueId[]): ValueId {
    const b = context.builder;
    let y = b.add({ op: 'matmul', a: x!, b: context.param(this.kernel!), transA: false, transB: false }, this.name);
    if (this.bias) y = b.add({ op: 'biasAdd', x: y, bias: context.param(this.bias) }, this.name);
    return lowerActivation(context, y, this.activation, this.name);
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      trainable: this.trainable,
      units: this.units,
      activation: this.activation,
      use_bias: this.useBias,
      kernel_initializer: initializerJson(this.kernelInitializer),
      bias_initializer: initializerJson(this.biasInitializer),
      kernel_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
    };
  }
}

export function dense(args: DenseArgs): Dense {
  return new Dense(args);
}
