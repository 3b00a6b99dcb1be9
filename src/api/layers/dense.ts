// Dense: y = activation(x · kernel + bias), kernel [inUnits, units], on the last axis: an input
// [batch, …, features] is the matrix [batch·…, features] (a view), the output [batch, …, units].

import type { ValueId } from '../../ir/graph.js';
import type { ActivationName } from '../../ir/kernel.js';
import { fail } from '../errors.js';
import { initialize, initializerJson, resolveInitializer, type InitializerConfig, type InitializerName } from '../initializers.js';
import { regularizerJson, resolveRegularizer, type Regularizer, type RegularizerArg } from '../regularizers.js';
import { Layer, shapeToString, type LayerArgs, type LayerWeight, type LowerContext, type Shape } from './layer.js';
import { lowerActivation, resolveActivation } from './activation.js';

export interface DenseArgs extends LayerArgs {
  units: number;
  activation?: ActivationName | string;
  useBias?: boolean;
  kernelInitializer?: InitializerName | string | InitializerConfig;
  biasInitializer?: InitializerName | string | InitializerConfig;
  /** A weight penalty on the kernel, e.g. weft.regularizers.l2({ l2: 0.01 }): added to fit's loss, its gradient to the kernel's. */
  kernelRegularizer?: RegularizerArg;
  biasRegularizer?: RegularizerArg;
}

/** Why activityRegularizer is refused (shared by the layers that know the option). */
export const ACTIVITY_REGULARIZER =
  "activity regularizers (a penalty on the layer's outputs) are not supported; use kernelRegularizer / biasRegularizer, or leave it out (or null)";

const DENSE_OPTIONS = {
  // inputDim, like inputShape, only describes the input (weft takes it from the tensor applied).
  own: ['units', 'activation', 'useBias', 'kernelInitializer', 'biasInitializer', 'inputDim', 'kernelRegularizer', 'biasRegularizer'],
  refused: {
    activityRegularizer: ACTIVITY_REGULARIZER,
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
  readonly kernelRegularizer: Regularizer | undefined;
  readonly biasRegularizer: Regularizer | undefined;
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
    this.kernelRegularizer = resolveRegularizer(args.kernelRegularizer, `dense '${this.name}': kernelRegularizer`);
    this.biasRegularizer = resolveRegularizer(args.biasRegularizer, `dense '${this.name}': biasRegularizer`);
  }

  computeOutputShape([shape]: Shape[]): Shape {
    if (shape!.length < 2) fail(`dense '${this.name}': expects input of shape [batch, features] (or [batch, …, features]), got ${shapeToString(shape!)}`);
    const features = shape![shape!.length - 1];
    if (typeof features !== 'number' || shape!.slice(1).some((d) => typeof d !== 'number'))
      fail(`dense '${this.name}': needs every dimension but the batch known, got ${shapeToString(shape!)}`);
    if (this.kernel && this.kernel.shape[0] !== features)
      fail(`dense '${this.name}': was built for ${this.kernel.shape[0]} input features, but is applied to ${shapeToString(shape!)} (the last axis)`);
    return [...shape!.slice(0, -1), this.units];
  }

  protected override build([shape]: Shape[]): void {
    const inUnits = shape![shape!.length - 1] as number;
    this.checkWeightSize('kernel', [inUnits, this.units]);
    this.kernel = this.addWeight('kernel', [inUnits, this.units], initialize(this.kernelInitializer, [inUnits, this.units]), true, this.kernelRegularizer);
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], initialize(this.biasInitializer, [this.units]), true, this.biasRegularizer);
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
      kernel_regularizer: regularizerJson(this.kernelRegularizer),
      bias_regularizer: regularizerJson(this.biasRegularizer),
      activity_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
    };
  }
}

export function dense(args: DenseArgs): Dense {
  return new Dense(args);
}
