// fit's classWeight read as TensorFlow.js reads it (tfjs-layers training_utils.ts): the forms it takes
// for one and for several outputs, and each sample's class (the id, the one-hot argmax, a binary 0/1).
import { describe, expect, test } from 'vitest';
import * as weft from '../../src/index.js';
import { sampleWeightsOf, standardizeClassWeights } from '../../src/api/classWeights.js';

describe('standardizeClassWeights', () => {
  const cw = { 0: 1, 1: 5 };
  test('one output: the map, [map], or {outputName: map}', () => {
    expect(standardizeClassWeights(cw, ['out'], 'fit')).toEqual([cw]);
    expect(standardizeClassWeights([cw], ['out'], 'fit')).toEqual([cw]);
    expect(standardizeClassWeights({ out: cw }, ['out'], 'fit')).toEqual([cw]);
    expect(standardizeClassWeights(undefined, ['out'], 'fit')).toEqual([null]);
    expect(standardizeClassWeights([], ['out'], 'fit')).toEqual([null]);
  });
  test('several outputs: an array per output, or maps by output name (missing names unweighted)', () => {
    expect(standardizeClassWeights([cw, null], ['a', 'b'], 'fit')).toEqual([cw, null]);
    expect(standardizeClassWeights({ b: cw }, ['a', 'b'], 'fit')).toEqual([null, cw]);
    expect(() => standardizeClassWeights([cw], ['a', 'b'], 'fit')).toThrow(/array of 1 element\(s\), but the model has 2 outputs/);
    expect(() => standardizeClassWeights(cw, ['a', 'b'], 'fit')).toThrow(
      /2 outputs, so classWeight must be an array of 2 .* or an object keyed by the output names \(a, b\)/,
    );
    expect(() => standardizeClassWeights({ c: cw }, ['a', 'b'], 'fit')).toThrow(/classWeight names 'c', which is not an output/);
  });
  test('weights must be finite numbers', () => {
    expect(() => standardizeClassWeights({ 0: 1, 1: 'x' }, ['out'], 'fit')).toThrow(weft.WeftError);
    expect(() => standardizeClassWeights({ 0: Number.NaN }, ['out'], 'fit')).toThrow(/class 0 the weight/);
  });
});

describe("each sample's weight from its class", () => {
  const cw = { 0: 0.5, 1: 2, 2: 7 };
  test('class ids [n] and [n, 1], one-hot [n, k] (argmax), binary 0/1 targets', () => {
    expect(Array.from(sampleWeightsOf(weft.tensor1d([2, 0, 1]), cw, 'out', 'fit'))).toEqual([7, 0.5, 2]);
    expect(Array.from(sampleWeightsOf(weft.tensor2d([[1], [2]]), cw, 'out', 'fit'))).toEqual([2, 7]);
    expect(
      Array.from(
        sampleWeightsOf(
          weft.tensor2d([
            [0, 0, 1],
            [1, 0, 0],
            [0, 1, 0],
          ]),
          cw,
          'out',
          'fit',
        ),
      ),
    ).toEqual([7, 0.5, 2]);
    expect(Array.from(sampleWeightsOf(weft.tensor1d([1, 0, 0]), { 0: 0.25, 1: 4 }, 'out', 'fit'))).toEqual([4, 0.25, 0.25]);
  });
  test('a class missing from the map, or a target that names no class, is refused (as TensorFlow.js)', () => {
    expect(() => sampleWeightsOf(weft.tensor1d([0, 3]), cw, 'out', 'fit')).toThrow(/must contain all classes in the training data; class 3 \(sample 1\)/);
    expect(() => sampleWeightsOf(weft.tensor1d([0.5]), cw, 'out', 'fit')).toThrow(/class 0.5/);
    expect(() => sampleWeightsOf(weft.zeros([2, 2, 2]), cw, 'out', 'fit')).toThrow(/rank 1 or 2/);
  });
});
