// weft.regularizers exist with TensorFlow.js's names so that a TensorFlow.js program that uses one is
// refused by the layer with a WeftError naming the option (not a TypeError on an undefined namespace).
import { describe, expect, test } from 'vitest';
import * as weft from '../../src/index.js';

describe('weft.regularizers', () => {
  test("TensorFlow.js's defaults", () => {
    expect(weft.regularizers.l2().getConfig()).toEqual({ l1: 0, l2: 0.01 });
    expect(weft.regularizers.l1({ l1: 0.5 }).getConfig()).toEqual({ l1: 0.5, l2: 0 });
    expect(weft.regularizers.l1l2().getConfig()).toEqual({ l1: 0.01, l2: 0.01 });
  });

  test('a layer given one refuses it with a WeftError naming the option', () => {
    expect(() => weft.layers.dense({ units: 4, kernelRegularizer: weft.regularizers.l2() } as never)).toThrow(weft.WeftError);
    expect(() => weft.layers.dense({ units: 4, kernelRegularizer: weft.regularizers.l2() } as never)).toThrow(/kernelRegularizer.*not supported/);
  });
});
