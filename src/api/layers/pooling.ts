// Pooling layers (TensorFlow.js names and defaults): maxPooling2d and averagePooling2d (poolSize
// [2, 2], strides = poolSize, padding 'valid'), and the global ones, which pool each image to one
// value per channel ([batch, channels]) as a window over the whole image followed by a free reshape.

import type { ValueId } from '../../ir/graph.js';
import { Layer, type LayerArgs, type LowerContext, type Shape } from './layer.js';
import { checkChannelsLast, checkImage, pairOf, paddingOf, windowOutput, type Padding } from './windowArgs.js';

type PoolMode = 'max' | 'avg';

export interface Pooling2DArgs extends LayerArgs {
  poolSize?: number | number[];
  strides?: number | number[];
  padding?: Padding | string;
  dataFormat?: string;
}

abstract class Pooling2D extends Layer {
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;

  constructor(
    className: string,
    private readonly mode: PoolMode,
    private readonly factoryName: string,
    args: Pooling2DArgs = {},
  ) {
    super(className, args);
    const where = `${factoryName} '${this.name}'`;
    this.poolSize = pairOf(args.poolSize, [2, 2], 'poolSize', where);
    this.strides = pairOf(args.strides, this.poolSize, 'strides', where);
    this.padding = paddingOf(args.padding, where);
    checkChannelsLast(args.dataFormat, where);
  }

  computeOutputShape([shape]: Shape[]): Shape {
    const where = `${this.factoryName} '${this.name}'`;
    const image = checkImage(shape!, where);
    const [h, w] = windowOutput(this.poolSize, this.strides, this.padding, image, where, 'poolSize');
    return [null, h, w, image[2]];
  }

  lower(context: LowerContext, [x]: ValueId[]): ValueId {
    return context.builder.add(
      { op: 'pool2d', x: x!, mode: this.mode, window: { size: this.poolSize, strides: this.strides, padding: this.padding } },
      this.name,
    );
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      trainable: this.trainable,
      pool_size: [...this.poolSize],
      padding: this.padding,
      strides: [...this.strides],
      data_format: 'channels_last',
    };
  }
}

export class MaxPooling2D extends Pooling2D {
  constructor(args: Pooling2DArgs = {}) {
    super('MaxPooling2D', 'max', 'maxPooling2d', args);
  }
}

export class AveragePooling2D extends Pooling2D {
  constructor(args: Pooling2DArgs = {}) {
    super('AveragePooling2D', 'avg', 'averagePooling2d', args);
  }
}

export interface GlobalPooling2DArgs extends LayerArgs {
  dataFormat?: string;
}

abstract class GlobalPooling2D extends Layer {
  constructor(
    className: string,
    private readonly mode: PoolMode,
    private readonly factoryName: string,
    args: GlobalPooling2DArgs = {},
  ) {
    super(className, args);
    checkChannelsLast(args.dataFormat, `${factoryName} '${this.name}'`);
  }

  computeOutputShape([shape]: Shape[]): Shape {
    return [null, checkImage(shape!, `${this.factoryName} '${this.name}'`)[2]];
  }

  lower(context: LowerContext, [x]: ValueId[], [shape]: Shape[]): ValueId {
    const b = context.builder;
    const [h, w, c] = shape!.slice(1) as [number, number, number];
    const pooled = b.add({ op: 'pool2d', x: x!, mode: this.mode, window: { size: [h, w], strides: [h, w], padding: 'valid' } }, this.name);
    return b.add({ op: 'reshape', x: pooled, to: [b.batchSize, c] }, this.name);
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: this.trainable, data_format: 'channels_last' };
  }
}

export class GlobalAveragePooling2D extends GlobalPooling2D {
  constructor(args: GlobalPooling2DArgs = {}) {
    super('GlobalAveragePooling2D', 'avg', 'globalAveragePooling2d', args);
  }
}

export class GlobalMaxPooling2D extends GlobalPooling2D {
  constructor(args: GlobalPooling2DArgs = {}) {
    super('GlobalMaxPooling2D', 'max', 'globalMaxPooling2d', args);
  }
}

export const maxPooling2d = (args: Pooling2DArgs = {}): MaxPooling2D => new MaxPooling2D(args);
export const averagePooling2d = (args: Pooling2DArgs = {}): AveragePooling2D => new AveragePooling2D(args);
export const globalAveragePooling2d = (args: GlobalPooling2DArgs = {}): GlobalAveragePooling2D => new GlobalAveragePooling2D(args);
export const globalMaxPooling2d = (args: GlobalPooling2DArgs = {}): GlobalMaxPooling2D => new GlobalMaxPooling2D(args);
