// Conv2D: y = activation(conv2d(x, kernel) + bias), channels last, kernel [kh, kw, inChannels, filters]
// (TensorFlow.js's layout, which the IR sees as the matrix [kh·kw·inChannels, filters]).

import type { ValueId } from '../../ir/graph.js';
import type { ActivationName } from '../../ir/kernel.js';
import { fail } from '../errors.js';
import { initialize, initializerJson, resolveInitializer, type InitializerConfig, type InitializerName } from '../initializers.js';
import { regularizerJson, resolveRegularizer, type Regularizer, type RegularizerArg } from '../regularizers.js';
import { lowerActivation, resolveActivation } from './activation.js';
import { ACTIVITY_REGULARIZER } from './dense.js';
import { Layer, type LayerArgs, type LayerWeight, type LowerContext, type Shape } from './layer.js';
import { checkChannelsLast, checkImage, pairOf, paddingOf, windowOutput, type Padding } from './windowArgs.js';

export interface Conv2DArgs extends LayerArgs {
  filters: number;
  kernelSize: number | number[];
  strides?: number | number[];
  padding?: Padding | string;
  dataFormat?: string;
  dilationRate?: number | number[];
  activation?: ActivationName | string;
  useBias?: boolean;
  kernelInitializer?: InitializerName | string | InitializerConfig;
  biasInitializer?: InitializerName | string | InitializerConfig;
  kernelRegularizer?: RegularizerArg;
  biasRegularizer?: RegularizerArg;
}

export class Conv2D extends Layer {
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  private readonly kernelInitializer: InitializerConfig;
  private readonly biasInitializer: InitializerConfig;
  readonly kernelRegularizer: Regularizer | undefined;
  readonly biasRegularizer: Regularizer | undefined;
  kernel?: LayerWeight;
  bias?: LayerWeight;

  constructor(args: Conv2DArgs) {
    super('Conv2D', args);
    const where = `conv2d '${this.name}'`;
    if (!args || !Number.isInteger(args.filters) || args.filters <= 0) fail(`${where}: filters must be a positive integer, got ${args?.filters}`);
    if (args.kernelSize === undefined) fail(`${where}: give kernelSize, e.g. 3 or [3, 3]`);
    this.filters = args.filters;
    this.kernelSize = pairOf(args.kernelSize, [1, 1], 'kernelSize', where);
    this.strides = pairOf(args.strides, [1, 1], 'strides', where);
    this.padding = paddingOf(args.padding, where);
    checkChannelsLast(args.dataFormat, where);
    const dilation = pairOf(args.dilationRate, [1, 1], 'dilationRate', where);
    if (dilation[0] !== 1 || dilation[1] !== 1)
      fail(`${where}: dilationRate ${JSON.stringify(args.dilationRate)} is not supported (only 1); use a larger kernelSize or pooling instead`);
    this.activation = resolveActivation(args.activation, where);
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = resolveInitializer(args.kernelInitializer, 'glorotUniform', this.seed, where);
    this.biasInitializer = resolveInitializer(args.biasInitializer, 'zeros', this.seed === undefined ? undefined : this.seed + 1, where);
    this.kernelRegularizer = resolveRegularizer(args.kernelRegularizer, `${where}: kernelRegularizer`);
    this.biasRegularizer = resolveRegularizer(args.biasRegularizer, `${where}: biasRegularizer`);
    const activity = (args as { activityRegularizer?: unknown }).activityRegularizer;
    if (activity !== undefined && activity !== null) fail(`${where}: option 'activityRegularizer' is not supported: ${ACTIVITY_REGULARIZER}`);
  }

  computeOutputShape([shape]: Shape[]): Shape {
    const where = `conv2d '${this.name}'`;
    const image = checkImage(shape!, where);
    if (this.kernel && this.kernel.shape[2] !== image[2])
      fail(`${where}: was built for ${this.kernel.shape[2]} input channels, but is applied to images with ${image[2]}`);
    const [h, w] = windowOutput(this.kernelSize, this.strides, this.padding, image, where, 'kernelSize');
    return [null, h, w, this.filters];
  }

  protected override build([shape]: Shape[]): void {
    const channels = shape![3] as number;
    const kernelShape = [...this.kernelSize, channels, this.filters];
    this.checkWeightSize('kernel', kernelShape);
    this.kernel = this.addWeight('kernel', kernelShape, initialize(this.kernelInitializer, kernelShape), true, this.kernelRegularizer);
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], initialize(this.biasInitializer, [this.filters]), true, this.biasRegularizer);
  }

  lower(context: LowerContext, [x]: ValueId[]): ValueId {
    const b = context.builder;
    const window = { size: this.kernelSize, strides: this.strides, padding: this.padding };
    let y = b.add({ op: 'conv2d', x: x!, filter: context.param(this.kernel!), window }, this.name);
    if (this.bias) y = b.add({ op: 'biasAdd', x: y, bias: context.param(this.bias) }, this.name);
    return lowerActivation(context, y, this.activation, this.name);
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      trainable: this.trainable,
      filters: this.filters,
      kernel_size: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
      data_format: 'channels_last',
      dilation_rate: [1, 1],
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

export function conv2d(args: Conv2DArgs): Conv2D {
  return new Conv2D(args);
}
