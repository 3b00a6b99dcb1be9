// Nothing silently ignored: layer constructors, weft.input, compile, fit, evaluate and predict refuse
// options they do not know (naming the option and the known ones) and options they know but do not
// support (saying why); the TensorFlow.js options that change nothing in weft are taken.
import { describe, expect, test } from 'vitest';
import * as weft from '../../src/index.js';
import { checkOptions } from '../../src/api/callArgs.js';
import { WeftError } from '../../src/api/errors.js';

describe('layer options', () => {
  test('an unknown option is refused with its name and the known ones', () => {
    expect(() => weft.layers.dense({ units: 3, activaton: 'relu' } as never)).toThrow(WeftError);
    expect(() => weft.layers.dense({ units: 3, activaton: 'relu' } as never)).toThrow(/dense: unknown option 'activaton'; the options are .*activation.*units/);
    expect(() => weft.layers.dropout({ rate: 0.2, ratio: 0.1 } as never)).toThrow(/dropout: unknown option 'ratio'/);
    expect(() => weft.layers.concatenate({ axes: 1 } as never)).toThrow(/concatenate: unknown option 'axes'/);
    expect(() => weft.layers.activation({ activation: 'relu', alpha: 0.2 } as never)).toThrow(/activation: unknown option 'alpha'/);
    expect(() => weft.layers.flatten({ dataFormat: 'channelsFirst' } as never)).toThrow(/flatten: unknown option 'dataFormat'/);
    expect(() => weft.layers.reshape({ targetShape: [2, 2], shape: [4] } as never)).toThrow(/reshape: unknown option 'shape'/);
    expect(() => weft.layers.add({ units: 2 } as never)).toThrow(/add: unknown option 'units'/);
    expect(() => weft.layers.batchNormalization({ moment: 0.9 } as never)).toThrow(/batch_normalization: unknown option 'moment'/);
    expect(() => weft.input({ shape: [3], shap: [4] } as never)).toThrow(/weft.input: unknown option 'shap'/);
  });
  test('activity regularizers, constraints, initial weights and other dtypes are refused unless left out or null', () => {
    expect(() => weft.layers.dense({ units: 3, activityRegularizer: {} } as never)).toThrow(
      /dense: option 'activityRegularizer' is not supported: activity regularizers/,
    );
    expect(() => weft.layers.dense({ units: 3, biasConstraint: 'nonNeg' } as never)).toThrow(/'biasConstraint' is not supported: constraints/);
    expect(() => weft.layers.dense({ units: 3, weights: [] } as never)).toThrow(/'weights' is not supported: .*setWeights/);
    expect(() => weft.layers.dense({ units: 3, dtype: 'int32' } as never)).toThrow(/dtype 'int32' is not supported/);
    expect(() => weft.layers.dropout({ rate: 0.5, noiseShape: [1, 3] } as never)).toThrow(/'noiseShape' is not supported/);
    expect(() => weft.input({ shape: [3], dtype: 'int32' } as never)).toThrow(/dtype 'int32'/);
    expect(() => weft.input({ shape: [3], sparse: true } as never)).toThrow(/sparse inputs are not supported/);
  });
  test("TensorFlow.js's harmless options are taken", () => {
    expect(() =>
      weft.layers.dense({
        units: 3,
        kernelRegularizer: null,
        biasRegularizer: undefined,
        dtype: 'float32',
        inputDim: 4,
        batchSize: 8,
        inputShape: [4],
        trainable: true,
      } as never),
    ).not.toThrow();
    expect(() => weft.input({ shape: [3], dtype: 'float32', sparse: false } as never)).not.toThrow();
  });
});

describe('compile, fit, evaluate and predict options', () => {
  test('compile refuses an unknown option', () => {
    const x = weft.input({ shape: [2] });
    const model = weft.model({ inputs: x, outputs: weft.layers.dense({ units: 1 }).apply(x) });
    expect(() => model.compile({ optimizer: 'sgd', loss: 'mse', weightedMetrics: ['mae'] } as never)).toThrow(
      /compile: unknown option 'weightedMetrics'; the options are loss, lossWeights, metrics, optimizer/,
    );
  });
  test('fit: unknown options, sampleWeight (as TensorFlow.js)', () => {
    expect(() => checkOptions({ epochs: 2, epoch: 3 }, 'fit')).toThrow(/fit: unknown option 'epoch'; the options are .*epochs/);
    expect(() => checkOptions({ sampleWeight: [1, 2] }, 'fit')).toThrow(/fit: option 'sampleWeight' is not supported: .*sample weight is not supported yet/);
    expect(() => checkOptions({ classWeight: { 0: 1, 1: 5 } }, 'fit')).not.toThrow();
    expect(() => checkOptions({ stepsPerEpoch: 10 }, 'fit')).toThrow(/'stepsPerEpoch' is not supported/);
    expect(() => checkOptions({ epochs: 2, classWeight: null, yieldEvery: 'auto', validationBatchSize: 64, seed: 1, progressUpdates: 3 }, 'fit')).not.toThrow();
  });
  test('fitDataset: TensorFlow.js options known, others refused', () => {
    expect(() => checkOptions({ epochs: 2, batchesPerEpoch: 3, classWeight: { 0: 1 }, validationBatches: 2, yieldEvery: 'auto' }, 'fitDataset')).not.toThrow();
    expect(() => checkOptions({ epochs: 2, batchSize: 32 }, 'fitDataset')).toThrow(/fitDataset: unknown option 'batchSize'/);
  });
  test('evaluate and predict', () => {
    expect(() => checkOptions({ batchSize: 8, sampleWeight: [1] }, 'evaluate')).toThrow(/evaluate: option 'sampleWeight' is not supported/);
    expect(() => checkOptions({ steps: 3 }, 'evaluate')).toThrow(/evaluate: option 'steps' is not supported/);
    expect(() => checkOptions({ batchSize: 8, batch: 3 }, 'predict')).toThrow(/predict: unknown option 'batch'; the options are batchSize, verbose/);
    expect(() => checkOptions({ batchSize: 8, verbose: 0 }, 'predict')).not.toThrow();
  });
});
