// The convolution and pooling layers: TF.js names, defaults and weight layout, their configs round
// trip through the layers format, and bad arguments are WeftErrors naming the layer and the fix.
import { describe, expect, test } from 'vitest';
import * as weft from '../../src/index.js';
import { layerFromJson, layerToJson } from '../../src/api/io/serialize.js';

describe('conv and pooling layers', () => {
  test('shapes, weights in TF.js layout and defaults', () => {
    const x = weft.input({ shape: [28, 28, 1] });
    const conv = weft.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu' });
    const c = conv.apply(x);
    expect(c.shape).toEqual([null, 26, 26, 32]);
    expect(conv.weights.map((w) => w.shape)).toEqual([[3, 3, 1, 32], [32]]);
    const p = weft.layers.maxPooling2d({}).apply(c);
    expect(p.shape).toEqual([null, 13, 13, 32]);
    expect(weft.layers.conv2d({ filters: 8, kernelSize: [3, 5], strides: 2, padding: 'same' }).apply(p).shape).toEqual([null, 7, 7, 8]);
    expect(weft.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(p).shape).toEqual([null, 7, 7, 32]);
    expect(weft.layers.globalAveragePooling2d().apply(p).shape).toEqual([null, 32]);
    expect(weft.layers.globalMaxPooling2d().apply(p).shape).toEqual([null, 32]);
    expect(weft.layers.flatten().apply(p).shape).toEqual([null, 13 * 13 * 32]);
    expect(weft.layers.concatenate().apply([p, p]).shape).toEqual([null, 13, 13, 64]);
    expect(weft.layers.reshape({ targetShape: [28, 28, 1] }).apply(weft.input({ shape: [784] })).shape).toEqual([null, 28, 28, 1]);
  });

  test('configs round trip through the layers format', () => {
    for (const layer of [
      weft.layers.conv2d({ filters: 4, kernelSize: [3, 2], strides: [2, 1], padding: 'same', activation: 'tanh', useBias: false, name: 'c_rt' }),
      weft.layers.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same', name: 'mp_rt' }),
      weft.layers.averagePooling2d({ name: 'ap_rt' }),
      weft.layers.globalAveragePooling2d({ name: 'gap_rt' }),
      weft.layers.globalMaxPooling2d({ name: 'gmp_rt' }),
    ]) {
      const json = layerToJson(layer);
      const again = layerFromJson(json.class_name, JSON.parse(JSON.stringify(json.config)), layer.name, 'model.json');
      expect(layerToJson(again)).toEqual(json);
    }
  });

  test('bad arguments and inputs: WeftErrors naming the layer and the fix', () => {
    const img = weft.input({ shape: [5, 5, 3] });
    const cases: [() => unknown, RegExp][] = [
      [() => weft.layers.conv2d({ filters: 2, kernelSize: 3, dilationRate: 2, name: 'dil' }), /conv2d 'dil'.*dilationRate.*not supported/],
      [() => weft.layers.conv2d({ filters: 2, kernelSize: 3, dataFormat: 'channelsFirst', name: 'cf' }), /conv2d 'cf'.*channelsLast/],
      [() => weft.layers.conv2d({ filters: 2, kernelSize: 3, strides: 0, name: 's0' }), /conv2d 's0'.*strides must be a positive integer/],
      [() => weft.layers.conv2d({ filters: 2, kernelSize: 3, strides: 1.5, name: 's15' }), /conv2d 's15'.*strides/],
      [
        () => weft.layers.conv2d({ filters: 2, kernelSize: 7, name: 'big' }).apply(img),
        /conv2d 'big'.*7×7 kernelSize with padding 'valid' does not fit its 5×5 input; use padding: 'same'/,
      ],
      [() => weft.layers.maxPooling2d({ poolSize: 6, name: 'mp6' }).apply(img), /maxPooling2d 'mp6'.*does not fit.*5×5/],
      [
        () => weft.layers.conv2d({ filters: 2, kernelSize: 3, name: 'rank' }).apply(weft.input({ shape: [25] })),
        /conv2d 'rank'.*expects images \[batch, height, width, channels\]/,
      ],
      [() => weft.layers.globalMaxPooling2d({ name: 'gr' }).apply(weft.input({ shape: [4, 4] })), /globalMaxPooling2d 'gr'.*expects images/],
    ];
    for (const [make, message] of cases) {
      let error: unknown;
      try {
        make();
      } catch (e) {
        error = e;
      }
      expect(error, String(message)).toBeInstanceOf(weft.WeftError);
      expect((error as Error).message).toMatch(message);
    }
  });
});
