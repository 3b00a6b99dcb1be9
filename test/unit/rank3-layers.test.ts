// dense and concatenate on [batch, t, features] (the tf.layers.concatenate doc example), their output
// shapes as TensorFlow.js gives them, and the shape errors, each naming the layer.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import * as weft from '../../src/index.js';

describe('rank-3 dense and concatenate', () => {
  test('output shapes as TensorFlow.js computes them', () => {
    const shapes = (api: any) => {
      const a = api.input({ shape: [2, 3] });
      const b = api.input({ shape: [2, 4] });
      const joined = api.layers.concatenate().apply([a, b]);
      const dense = api.layers.dense({ units: 5 }).apply(joined);
      return [joined.shape, dense.shape, api.layers.flatten().apply(dense).shape];
    };
    expect(shapes(weft)).toEqual(shapes(tf));
    expect(shapes(weft)).toEqual([
      [null, 2, 7],
      [null, 2, 5],
      [null, 10],
    ]);
  });

  test('shape errors name the layer', () => {
    const a = weft.input({ shape: [2, 3] });
    const b = weft.input({ shape: [3, 4] });
    expect(() => weft.layers.concatenate({ name: 'cat' }).apply([a, b])).toThrow(/concatenate 'cat': inputs must match in every dimension but the last/);
    expect(() => weft.layers.concatenate({ name: 'cat1', axis: 1 }).apply([a, a])).toThrow(/concatenate 'cat1': only inputs joined along the last axis/);
    expect(() => weft.layers.concatenate({ name: 'mixed' }).apply([a, weft.input({ shape: [3] })])).toThrow(/concatenate 'mixed': inputs have different ranks/);
    const d = weft.layers.dense({ units: 2, name: 'shared' });
    d.apply(a);
    expect(() => d.apply(b)).toThrow(/dense 'shared': was built for 3 input features, but is applied to \[null, 3, 4\] \(the last axis\)/);
  });

  test('compile refuses a rank-3 output (losses are per [batch, units] row)', () => {
    const a = weft.input({ shape: [2, 3] });
    const model = weft.model({ inputs: a, outputs: weft.layers.dense({ units: 4, name: 'seq_out' }).apply(a) });
    expect(() => model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' })).toThrow(
      /compile: output 'seq_out' has shape \[null, 2, 4\].*add a flatten layer/,
    );
  });
});
