// LAYER_CLASSES entries of the convolution and pooling layers (TensorFlow.js layers format: snake_case
// keys, pairs as lists, 'channels_last' only, dilation 1 only).

import { Conv2D } from '../layers/conv2d.js';
import type { Layer, LayerArgs } from '../layers/layer.js';
import { AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D } from '../layers/pooling.js';
import type { ConfigReader, LayerClassEntry } from './serialize.js';

const CHANNELS_LAST = { data_format: ['channels_last'] };

/** A pair ([h, w]) or one number, as Keras writes kernel_size, strides and pool_size. */
function pair(c: ConfigReader, key: string): number[] | undefined {
  if (!c.has(key) || c.get(key) === null) return undefined;
  return typeof c.get(key) === 'number' ? [c.int(key, { min: 1 }), c.int(key, { min: 1 })] : (c.ints(key) as number[]);
}

function pooling(make: (args: { poolSize?: number[]; strides?: number[]; padding: string } & LayerArgs) => Layer): LayerClassEntry {
  return {
    fromConfig(c, base) {
      c.float32();
      c.unsupported(['data_format'], CHANNELS_LAST);
      const poolSize = pair(c, 'pool_size');
      const strides = pair(c, 'strides');
      return make({ ...base, ...(poolSize ? { poolSize } : {}), ...(strides ? { strides } : {}), padding: c.string('padding', 'valid') });
    },
  };
}

function globalPooling(make: (args: LayerArgs) => Layer): LayerClassEntry {
  return {
    fromConfig(c, base) {
      c.float32();
      c.unsupported(['data_format', 'keepdims'], { ...CHANNELS_LAST, keepdims: [false] });
      return make(base);
    },
  };
}

export const WINDOW_LAYER_CLASSES: [string, LayerClassEntry][] = [
  [
    'Conv2D',
    {
      fromConfig(c, base) {
        c.float32();
        c.unsupported(['activity_regularizer', 'kernel_constraint', 'bias_constraint', 'data_format', 'dilation_rate', 'groups'], {
          ...CHANNELS_LAST,
          dilation_rate: [[1, 1], 1],
          groups: [1],
        });
        const kernelInitializer = c.initializer('kernel_initializer');
        const biasInitializer = c.initializer('bias_initializer');
        const strides = pair(c, 'strides');
        const kernelRegularizer = c.regularizer('kernel_regularizer');
        const biasRegularizer = c.regularizer('bias_regularizer');
        return new Conv2D({
          ...base,
          ...(kernelRegularizer ? { kernelRegularizer } : {}),
          ...(biasRegularizer ? { biasRegularizer } : {}),
          filters: c.int('filters', { min: 1 }),
          kernelSize: pair(c, 'kernel_size') ?? c.int('kernel_size'),
          ...(strides ? { strides } : {}),
          padding: c.string('padding', 'valid'),
          activation: c.activation(),
          useBias: c.bool('use_bias', true),
          ...(kernelInitializer ? { kernelInitializer } : {}),
          ...(biasInitializer ? { biasInitializer } : {}),
        });
      },
    },
  ],
  ['MaxPooling2D', pooling((args) => new MaxPooling2D(args))],
  ['AveragePooling2D', pooling((args) => new AveragePooling2D(args))],
  ['GlobalAveragePooling2D', globalPooling((args) => new GlobalAveragePooling2D(args))],
  ['GlobalMaxPooling2D', globalPooling((args) => new GlobalMaxPooling2D(args))],
];
