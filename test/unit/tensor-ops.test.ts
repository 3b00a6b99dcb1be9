// Host tensor ops against TensorFlow.js (CPU backend, in node) as the oracle: the same program is
// run with `tf` and with `weft` and must give the same shape, dtype, values and printed text.
import '@tensorflow/tfjs-backend-cpu';
import * as tfc from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, test } from 'vitest';
import * as weft from '../../src/index.js';

beforeAll(async () => {
  await tfc.setBackend('cpu');
});

interface AnyTensor {
  shape: number[];
  dtype: string;
  dataSync(): ArrayLike<number>;
  toString(verbose?: boolean): string;
}
type Lib = any;

/** Each case is a program written once against a TF.js-shaped namespace. */
const cases: [string, (tf: Lib) => AnyTensor][] = [
  [
    'tensor2d print',
    (tf) =>
      tf.tensor2d([
        [1, 2.5, -3],
        [40, 5, 6.125],
      ]),
  ],
  ['scalar', (tf) => tf.scalar(0.1)],
  ['tensor1d int32', (tf) => tf.tensor1d([1, 2, 3], 'int32')],
  ['tensor3d', (tf) => tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2])],
  ['long vector elides', (tf) => tf.range(0, 30)],
  ['long matrix elides', (tf) => tf.range(0, 25 * 2).reshape([25, 2])],
  [
    'tensor4d',
    (tf) =>
      tf.tensor4d(
        Array.from({ length: 24 }, (_, i) => i / 7),
        [1, 2, 3, 4],
      ),
  ],
  [
    'zeros/ones/fill',
    (tf) =>
      tf
        .zeros([2, 3])
        .add(tf.ones([2, 3]))
        .add(tf.fill([2, 3], 2.5)),
  ],
  [
    'broadcast add',
    (tf) =>
      tf
        .tensor2d([
          [1, 2, 3],
          [4, 5, 6],
        ])
        .add(tf.tensor1d([10, 20, 30])),
  ],
  [
    'broadcast column',
    (tf) =>
      tf
        .tensor2d([
          [1, 2, 3],
          [4, 5, 6],
        ])
        .mul(tf.tensor2d([[2], [3]])),
  ],
  ['number operand', (tf) => tf.tensor1d([1, 2, 3], 'int32').add(1)],
  ['int div floors', (tf) => tf.tensor1d([7, -7, 9], 'int32').div(tf.tensor1d([2, 2, 4], 'int32'))],
  ['float div', (tf) => tf.tensor1d([7, -7, 9]).div(2)],
  ['sub/square/sqrt', (tf) => tf.tensor1d([1, 4, 9]).sub(tf.scalar(0.5)).square().sqrt()],
  ['abs/neg/exp/log', (tf) => tf.tensor1d([-1, 0.5, 2]).abs().neg().exp().log()],
  ['comparisons', (tf) => tf.tensor1d([1, 2, 3]).greater(tf.tensor1d([3, 2, 1]))],
  ['less', (tf) => tf.tensor1d([1, 2, 3]).less(2)],
  ['equal', (tf) => tf.tensor1d([1, 2, 3]).equal(tf.tensor1d([1, 0, 3]))],
  [
    'argMax default axis',
    (tf) =>
      tf
        .tensor2d([
          [1, 9, 3],
          [7, 5, 8],
        ])
        .argMax(),
  ],
  [
    'argMax axis 1',
    (tf) =>
      tf
        .tensor2d([
          [1, 9, 3],
          [7, 5, 8],
        ])
        .argMax(1),
  ],
  [
    'argMax ties → first',
    (tf) =>
      tf
        .tensor2d([
          [2, 2, 1],
          [0, 3, 3],
        ])
        .argMax(-1),
  ],
  [
    'argMin',
    (tf) =>
      tf
        .tensor2d([
          [1, 9, 3],
          [7, 5, 8],
        ])
        .argMin(1),
  ],
  [
    'sum all',
    (tf) =>
      tf
        .tensor2d([
          [1, 2],
          [3, 4],
        ])
        .sum(),
  ],
  [
    'sum axis keepDims',
    (tf) =>
      tf
        .tensor2d([
          [1, 2],
          [3, 4],
        ])
        .sum(0, true),
  ],
  [
    'sum int',
    (tf) =>
      tf
        .tensor2d(
          [
            [1, 2],
            [3, 4],
          ],
          [2, 2],
          'int32',
        )
        .sum(1),
  ],
  [
    'mean axis',
    (tf) =>
      tf
        .tensor3d(
          Array.from({ length: 12 }, (_, i) => i),
          [2, 3, 2],
        )
        .mean([0, 2]),
  ],
  [
    'max/min',
    (tf) =>
      tf
        .tensor2d([
          [1, 9, 3],
          [7, 5, 8],
        ])
        .max(1)
        .add(
          tf
            .tensor2d([
              [1, 9, 3],
              [7, 5, 8],
            ])
            .min(0)
            .sum(),
        ),
  ],
  ['reshape -1', (tf) => tf.range(0, 12).reshape([3, -1])],
  ['slice', (tf) => tf.range(0, 24).reshape([2, 3, 4]).slice([0, 1, 1], [2, -1, 2])],
  ['slice 1d', (tf) => tf.range(0, 10).slice(2, 3)],
  [
    'concat axis 0',
    (tf) =>
      tf.concat([
        tf.tensor2d([[1, 2]]),
        tf.tensor2d([
          [3, 4],
          [5, 6],
        ]),
      ]),
  ],
  [
    'concat axis 1',
    (tf) =>
      tf
        .tensor2d([
          [1, 2],
          [3, 4],
        ])
        .concat(tf.tensor2d([[5], [6]]), 1),
  ],
  ['stack', (tf) => tf.stack([tf.tensor1d([1, 2]), tf.tensor1d([3, 4])], 1)],
  ['squeeze/expandDims', (tf) => tf.tensor3d([1, 2, 3], [1, 3, 1]).squeeze().expandDims(1)],
  ['transpose', (tf) => tf.range(0, 6).reshape([2, 3]).transpose()],
  ['cast', (tf) => tf.tensor1d([1.7, -1.7, 2.2]).cast('int32')],
  ['oneHot', (tf) => tf.oneHot(tf.tensor1d([0, 2, 1], 'int32'), 3)],
  ['range step', (tf) => tf.range(1, 2, 0.25)],
  [
    'buffer',
    (tf) => {
      const b = tf.buffer([2, 2]);
      b.set(3, 0, 1);
      b.set(5, 1, 0);
      return b.toTensor();
    },
  ],
  ['bool tensor', (tf) => tf.tensor1d([1, 0, 1], 'bool')],
  ['clone', (tf) => tf.tensor1d([1, 2]).clone()],
  [
    'logicalAnd/Or/Not',
    (tf) =>
      tf
        .logicalAnd(tf.tensor1d([1, 2, 3]).greater(1), tf.tensor1d([1, 0, 1], 'bool'))
        .logicalOr(tf.tensor1d([true, false, false]))
        .logicalNot(),
  ],
  ['logicalXor', (tf) => tf.logicalXor(tf.tensor1d([true, true, false]), tf.tensor1d([true, false, false]))],
  [
    'where (binarize, as website-phishing)',
    (tf) => {
      const y = tf.tensor2d([[0.2], [0.7], [0.5]]);
      return tf.where(y.greater(tf.scalar(0.5)), tf.onesLike(y), tf.zerosLike(y));
    },
  ],
  [
    'where broadcasts',
    (tf) =>
      tf.where(
        tf.tensor1d([true, false, true]),
        tf.tensor2d([
          [1, 2, 3],
          [4, 5, 6],
        ]),
        tf.scalar(-1),
      ),
  ],
  ['functions', (tf) => tf.mul(tf.add(tf.tensor1d([1, 2]), 1), tf.sub(3, tf.tensor1d([1, 1])))],
];

describe('host tensor ops agree with TensorFlow.js', () => {
  for (const [name, program] of cases)
    test(name, () => {
      const expected = program(tfc);
      const actual = program(weft);
      expect(actual.shape).toEqual(expected.shape);
      expect(actual.dtype).toBe(expected.dtype);
      expect(Array.from(actual.dataSync())).toEqual(Array.from(expected.dataSync()).map((v) => Math.fround(v)));
      expect(actual.toString()).toBe(expected.toString());
      expect(actual.toString(true)).toBe(expected.toString(true));
    });
});

describe('tidy, keep, dispose and memory', () => {
  test('tidy disposes what it made, except what it returns or keeps', () => {
    const before = weft.memory().numTensors;
    let kept: weft.Tensor | undefined;
    const result = weft.tidy(() => {
      const a = weft.tensor1d([1, 2, 3]);
      kept = weft.keep(a.mul(2));
      return { sum: a.add(1).sum() };
    });
    expect(weft.memory().numTensors).toBe(before + 2);
    expect(result.sum.dataSync()[0]).toBe(9);
    expect(kept!.isDisposed).toBe(false);
    weft.dispose([result.sum, kept]);
    expect(weft.memory().numTensors).toBe(before);
  });

  test('nested tidy hands survivors to the outer scope', () => {
    const before = weft.memory().numTensors;
    weft.tidy(() => {
      const inner = weft.tidy(() => weft.scalar(1).add(1));
      expect(inner.isDisposed).toBe(false);
    });
    expect(weft.memory().numTensors).toBe(before);
  });

  test('tidy refuses async functions, as TensorFlow.js does', () => {
    expect(() => weft.tidy((async () => weft.scalar(1)) as never)).toThrow(/synchronous/);
  });

  test('util and errors', () => {
    const a = [1, 2, 3, 4, 5];
    weft.util.shuffle(a);
    expect([...a].sort()).toEqual([1, 2, 3, 4, 5]);
    expect(() => weft.util.assert(false, () => 'nope')).toThrow('nope');
    expect(() =>
      weft
        .tensor2d([
          [1, 2],
          [3, 4],
        ])
        .add(weft.tensor1d([1, 2, 3])),
    ).toThrow(/cannot be broadcast/);
    expect(() => weft.range(0, 6).reshape([4, -1])).toThrow(/cannot reshape/);
    expect(() => weft.tensor1d([[1]] as never)).toThrow(/rank-1/);
  });

  test('random draws are seeded and shaped', () => {
    const a = weft.randomNormal([3, 4], 0, 1, 'float32', 7);
    const b = weft.randomNormal([3, 4], 0, 1, 'float32', 7);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    const u = weft.randomUniform([1000], -2, 3, 'float32', 1).dataSync();
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...u)).toBeLessThan(3);
  });
});

describe('weft.losses and weft.metrics agree with TensorFlow.js', () => {
  const yTrue = [
    [0, 1, 0],
    [1, 0, 0],
    [0, 0, 1],
    [0, 1, 0],
  ];
  const yPred = [
    [0.1, 0.7, 0.2],
    [0.3, 0.4, 0.3],
    [0.05, 0.05, 0.9],
    [0.6, 0.3, 0.1],
  ];
  const bTrue = [[1], [0], [1], [0]];
  const bPred = [[0.8], [0.6], [0.3], [0.1]];
  const close = (a: weft.Tensor, b: { shape: number[]; dataSync(): ArrayLike<number> }) => {
    expect(a.shape).toEqual(b.shape);
    const x = Array.from(a.dataSync());
    const y = Array.from(b.dataSync());
    x.forEach((v, i) => expect(v).toBeCloseTo(y[i]!, 5));
  };
  const t = (d: number[][]) => [weft.tensor2d(d), tfc.tensor2d(d)] as const;
  const tfLayersMetrics = tfl.metrics as any;
  test('metrics', () => {
    const [wt, tt] = t(yTrue);
    const [wp, tp] = t(yPred);
    for (const name of [
      'categoricalAccuracy',
      'meanSquaredError',
      'meanAbsoluteError',
      'categoricalCrossentropy',
      'cosineProximity',
      'meanAbsolutePercentageError',
    ] as const)
      close((weft.metrics as any)[name](wt, wp), tfLayersMetrics[name](tt, tp));
    const [bt, btt] = t(bTrue);
    const [bp, bpt] = t(bPred);
    for (const name of ['binaryAccuracy', 'binaryCrossentropy'] as const) close((weft.metrics as any)[name](bt, bp), tfLayersMetrics[name](btt, bpt));
    // TF.js 4.22's precision/recall give 0 here (1 true positive of 2 predicted, of 2 actual): compared by hand.
    expect(weft.metrics.precision(bt, bp).dataSync()[0]).toBeCloseTo(0.5, 6);
    expect(weft.metrics.recall(bt, bp).dataSync()[0]).toBeCloseTo(0.5, 6);
    close(
      weft.metrics.sparseCategoricalAccuracy(weft.tensor2d([[1], [0], [2], [0]]), wp),
      tfLayersMetrics.sparseCategoricalAccuracy(tfc.tensor2d([[1], [0], [2], [0]]), tp),
    );
  });
  test('losses', () => {
    const [wt, tt] = t(yTrue);
    const [wp, tp] = t(yPred);
    for (const name of ['meanSquaredError', 'absoluteDifference', 'logLoss', 'huberLoss', 'hingeLoss', 'softmaxCrossEntropy', 'sigmoidCrossEntropy'] as const)
      close((weft.losses as any)[name](wt, wp), (tfc.losses as any)[name](tt, tp));
  });
  test('compile takes the compilable ones and names the others', () => {
    const x = weft.input({ shape: [3] });
    const y = weft.layers.dense({ units: 2 }).apply(x);
    const m = weft.model({ inputs: x, outputs: y });
    m.compile({ optimizer: 'sgd', loss: weft.losses.meanSquaredError as never, metrics: [weft.metrics.meanAbsoluteError as never] });
    expect(m.metricsNames).toEqual(['loss', 'meanAbsoluteError']);
    expect(() => m.compile({ optimizer: 'sgd', loss: weft.losses.huberLoss as never })).toThrow(
      /'huberLoss', a JavaScript function weft cannot compile.*meanSquaredError/,
    );
    expect(() => m.compile({ optimizer: 'sgd', loss: ((a: unknown, b: unknown) => [a, b]) as never })).toThrow(/cannot compile/);
  });
});
