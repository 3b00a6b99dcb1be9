// Bad input is caught before the GPU runs: every call below throws a WeftError that names the
// layer, input or output at fault and says what to do, and the model's weights stay bit-identical.
import type { Page } from 'puppeteer';
import { beforeAll, expect, test } from 'vitest';
import { inPage, openPage } from './harness.js';

let page: Page;
beforeAll(async () => {
  page = await openPage();
});

/** Each case's expected message (a regex over the WeftError's message). */
const EXPECTED: Record<string, RegExp> = {
  'x: wrong feature size': /^fit: input 'features' expects shape \[n, 3\], got \[8, 5\]/,
  'x: wrong rank': /^fit: input 'features' expects shape \[n, 3\], got \[8, 3, 1\]/,
  'x: NaN': /^fit: input 'features' holds NaN at sample 2, feature 1; clean the data/,
  'x: +Infinity': /^fit: input 'features' holds Infinity at sample 0, feature 0/,
  'x: -Infinity': /^fit: input 'features' holds -Infinity/,
  'validation x: NaN': /^fit \(validationData\): input 'features' holds NaN/,
  'predict x: NaN': /^predict: input 'features' holds NaN/,
  'evaluate x: wrong feature size': /^evaluate: input 'features' expects shape \[n, 3\], got \[8, 2\]/,
  'labels: not integers': /^fit: label 1\.5 at sample 3 for output 'classes' is not a class id in \[0, 3\)/,
  'labels: NaN': /^fit: label NaN at sample 0 for output 'classes' is not a class id/,
  'labels: too large': /^fit: label 3 at sample 7 for output 'classes' is not a class id in \[0, 3\)/,
  'labels: negative': /^fit: label -1 at sample 0 for output 'classes'/,
  'labels: one-hot given to a sparse loss':
    /^fit: sparseCategoricalCrossentropy on output 'classes' takes class ids of shape \[n\] or \[n, 1\], got \[8, 3\]; for one-hot targets use categoricalCrossentropy/,
  'one-hot: rows not summing to 1': /^fit: one-hot targets for output 'classes' must sum to 1 per row; row 1 sums to 2/,
  'one-hot: wrong width': /^fit: targets for output 'classes' must have shape \[n, 3\], got \[8, 4\]/,
  'mse targets: Infinity': /^fit: targets for output 'value' hold Infinity at sample 4; clean the data/,
  'empty data': /^fit: there are no samples \(the arrays have 0 rows\)/,
  'sample counts differ': /^fit: arrays have different sample counts \('features' has 8, 'classes' has 7\)/,
  'batchSize 0': /^fit: batchSize must be a positive integer, got 0/,
  'batchSize -4': /^fit: batchSize must be a positive integer, got -4/,
  'batchSize 2.5': /^fit: batchSize must be a positive integer, got 2\.5/,
  'batchSize NaN': /^fit: batchSize must be a positive integer, got NaN/,
  "batchSize '8'": /^fit: batchSize must be a positive integer, got "8"/,
  'evaluate batchSize 0': /^evaluate: batchSize must be a positive integer, got 0/,
  'predict batchSize -1': /^predict: batchSize must be a positive integer, got -1/,
  'explain batchSize 0': /^explain: batchSize must be a positive integer, got 0/,
  'explain given an options object':
    /^explain: batchSize must be a positive integer, got \{"batchSize":32\}; explain takes the batch size itself, e.g\. explain\(32\)/,
  'epochs < initialEpoch': /^fit: epochs \(2\) is smaller than initialEpoch \(3\); epochs is the index of the last epoch, as in Keras/,
  'epochs -1': /^fit: epochs must be a non-negative integer, got -1/,
  'epochs 1.5': /^fit: epochs must be a non-negative integer, got 1\.5/,
  'validationSplit 1.5': /^fit: validationSplit must be between 0 and 1, got 1\.5/,
  'validationData [x]': /^fit: validationData must be \[x, y\]/,
  'options null': /^fit: options must be an object such as \{ batchSize: 32, epochs: 10 \}, got null/,
  'callbacks [null]': /^fit: callbacks\[0\] must be an object of hooks/,
  'callbacks onEpochEnd: 5': /^fit: callbacks\.onEpochEnd must be a function, got number/,
  'callbacks onBatchBegin': /^fit: callbacks\.onBatchBegin is not supported: weft records an epoch's batches on the GPU/,
  'seed NaN': /^fit: seed must be a number, got NaN/,
  'fit before compile': /^fit: call model\.compile\(\{ optimizer, loss, metrics \}\) first/,
  'evaluate before compile': /^evaluate: call model\.compile/,
  'fit on a disposed model': /^fit: this model was disposed; build a new one/,
  'predict on a disposed model': /^predict: this model was disposed; build a new one/,
  'getWeights on a disposed model': /^getWeights: this model was disposed/,
  'compile on a disposed model': /^compile: this model was disposed/,
  'disposed x tensor': /^fit: the tensor for 'features' was disposed/,
  'disposed validation tensor': /^fit \(validationData\): the tensor for 'classes' was disposed/,
  'tensor from another copy of weft':
    /^fit: the inputs argument is a Tensor from another library, device or copy of weft, not a weft tensor; copy it into one with weft\.tensor\(await t\.data\(\), t\.shape\)/,
  'TF.js-like tensor in an array': /^fit: inputs entry 0 \(input 'features'\) is a FakeTfTensor from another library, device or copy of weft/,
  'TF.js-like tensor in a record': /^predict: the tensor for input 'features' is a FakeTfTensor from another library/,
  'nested JS arrays instead of a tensor': /^fit: inputs entry 0 \('features'\) is not a weft tensor; make one with weft\.tensor\(data, shape\)/,
  'two inputs for a one-input model': /^fit: the model has 1 model inputs \(features\) but 2 input arrays were given/,
  'unknown input name': /^fit: unknown input name 'nope'; the model's model inputs are features/,
  'missing target': /^fit: expected a tensor, an array of tensors or an object of tensors keyed by name for the model outputs, got nothing/,
  'fit while fit': /^fit: the model is already running fit; await it before calling fit/,
  'compile: unknown loss': /^compile: unknown loss 'crossEntropyish' for output 'classes'; use one of/,
  'compile: unknown optimizer': /^compile: unknown optimizer "adamw"; use 'sgd', 'adam'/,
  'compile: unknown metric': /^compile: unknown metric 'f1' for output 'classes'/,
  'compile: negative lossWeights': /^compile: lossWeights for output 'classes' must be a non-negative number, got -1/,
  'compile: losses for 2 outputs on a 1-output model': /^compile: loss has 2 entries but the model has 1 outputs \(classes\)/,
  'compile: cross-entropy on a linear output':
    /^compile: categoricalCrossentropy on output 'value' needs a softmax activation on that output layer .* its activation is 'linear'/,
  'compile: learning rate 0': /^SGD: the learning rate must be a positive number, got 0/,
  'setWeights: wrong shape': /^setWeights: weight 0 \('hidden\/kernel'\) must have shape \[3, 4\], got \[4, 3\]/,
  'setWeights: NaN': /^setWeights: weight 'hidden\/bias' holds NaN; weights must be finite/,
  'setWeights: too few': /^setWeights: the model has 4 weight tensors \(hidden\/kernel, hidden\/bias, classes\/kernel, classes\/bias\), got 1/,
  'dense units 0': /^dense '.*': units must be a positive integer, got 0/,
  'input shape [0]': /^weft\.input '.*': every dimension after the batch must be a positive integer, got \[0\]/,
  'compile: an output of rank 3': /^compile: output '.*' has shape \[null, 2, 2\]; weft trains outputs of shape \[batch, units\] only: add a flatten layer/,
  'model with an unused input': /^weft\.model: input '.*' is not used by any output; remove it from inputs or connect it/,
  'unknown activation': /^dense '.*': unknown activation 'swish'; use one of linear, relu, sigmoid, tanh, softmax/,
};

test('bad input: a WeftError naming what is wrong, before the GPU runs, weights untouched', async () => {
  const results = await inPage(
    page,
    async () => {
      const weft = window.weft;
      const other = window.weftTesting.weft; // another copy of weft (its own Tensor class)
      const build = (lossOutput: 'softmax' | 'linear' = 'softmax') => {
        const input = weft.input({ shape: [3], name: 'features' });
        const h = weft.layers.dense({ units: 4, activation: 'relu', seed: 1, name: 'hidden' }).apply(input);
        const out = weft.layers.dense({ units: 3, activation: lossOutput, seed: 2, name: lossOutput === 'softmax' ? 'classes' : 'value' }).apply(h);
        return weft.model({ inputs: input, outputs: out });
      };
      const model = build();
      model.compile({ optimizer: weft.train.sgd(0.1), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      const oneHot = build();
      oneHot.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
      const regression = build('linear');
      regression.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      const n = 8;
      const xs = Float32Array.from({ length: n * 3 }, (_, i) => ((i * 7) % 11) / 11);
      const x = weft.tensor(xs, [n, 3]);
      const y = weft.tensor(
        Int32Array.from({ length: n }, (_, i) => i % 3),
        [n],
      );
      const withValue = (data: Float32Array, at: number, v: number) => {
        const d = data.slice();
        d[at] = v;
        return d;
      };
      const labels = (values: number[]) => weft.tensor(Float32Array.from(values), [values.length]);
      const oneHotRows = Float32Array.from({ length: n * 3 }, (_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0));
      class FakeTfTensor {
        shape = [n, 3];
        dtype = 'float32';
        dataSync() {
          return xs;
        }
        async data() {
          return xs;
        }
      }
      const disposedModel = build();
      disposedModel.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
      await disposedModel.fit(x, y, { epochs: 1, verbose: 0 });
      disposedModel.dispose();
      const uncompiled = build();

      const cases: Record<string, () => unknown> = {
        'x: wrong feature size': () => model.fit(weft.tensor(new Float32Array(n * 5), [n, 5]), y),
        'x: wrong rank': () => model.fit(weft.tensor(new Float32Array(n * 3), [n, 3, 1]), y),
        'x: NaN': () => model.fit(weft.tensor(withValue(xs, 7, NaN), [n, 3]), y),
        'x: +Infinity': () => model.fit(weft.tensor(withValue(xs, 0, Infinity), [n, 3]), y),
        'x: -Infinity': () => model.fit(weft.tensor(withValue(xs, 5, -Infinity), [n, 3]), y),
        'validation x: NaN': () => model.fit(x, y, { validationData: [weft.tensor(withValue(xs, 1, NaN), [n, 3]), y] }),
        'predict x: NaN': () => model.predict(weft.tensor(withValue(xs, 1, NaN), [n, 3])),
        'evaluate x: wrong feature size': () => model.evaluate(weft.tensor(new Float32Array(n * 2), [n, 2]), y),
        'labels: not integers': () => model.fit(x, labels([0, 1, 2, 1.5, 0, 1, 2, 0])),
        'labels: NaN': () => model.fit(x, labels([NaN, 1, 2, 1, 0, 1, 2, 0])),
        'labels: too large': () => model.fit(x, labels([0, 1, 2, 1, 0, 1, 2, 3])),
        'labels: negative': () => model.fit(x, labels([-1, 1, 2, 1, 0, 1, 2, 0])),
        'labels: one-hot given to a sparse loss': () => model.fit(x, weft.tensor(oneHotRows, [n, 3])),
        'one-hot: rows not summing to 1': () => oneHot.fit(x, weft.tensor(withValue(oneHotRows, 3, 1), [n, 3])),
        'one-hot: wrong width': () => oneHot.fit(x, weft.tensor(new Float32Array(n * 4), [n, 4])),
        'mse targets: Infinity': () => regression.fit(x, weft.tensor(withValue(new Float32Array(n * 3), 12, Infinity), [n, 3])),
        'empty data': () => model.fit(weft.tensor(new Float32Array(0), [0, 3]), weft.tensor(new Int32Array(0), [0])),
        'sample counts differ': () => model.fit(x, weft.tensor(new Int32Array(7), [7])),
        'batchSize 0': () => model.fit(x, y, { batchSize: 0 }),
        'batchSize -4': () => model.fit(x, y, { batchSize: -4 }),
        'batchSize 2.5': () => model.fit(x, y, { batchSize: 2.5 }),
        'batchSize NaN': () => model.fit(x, y, { batchSize: NaN }),
        "batchSize '8'": () => model.fit(x, y, { batchSize: '8' as never }),
        'evaluate batchSize 0': () => model.evaluate(x, y, { batchSize: 0 }),
        'predict batchSize -1': () => model.predict(x, { batchSize: -1 }),
        'explain batchSize 0': () => model.explain(0),
        'explain given an options object': () => model.explain({ batchSize: 32 } as never),
        'epochs < initialEpoch': () => model.fit(x, y, { epochs: 2, initialEpoch: 3 }),
        'epochs -1': () => model.fit(x, y, { epochs: -1 }),
        'epochs 1.5': () => model.fit(x, y, { epochs: 1.5 }),
        'validationSplit 1.5': () => model.fit(x, y, { validationSplit: 1.5 }),
        'validationData [x]': () => model.fit(x, y, { validationData: [x] as never }),
        'options null': () => model.fit(x, y, null as never),
        'callbacks [null]': () => model.fit(x, y, { callbacks: [null as never] }),
        'callbacks onEpochEnd: 5': () => model.fit(x, y, { callbacks: { onEpochEnd: 5 as never } }),
        'callbacks onBatchBegin': () => model.fit(x, y, { callbacks: { onBatchBegin: () => {} } as never }),
        'seed NaN': () => model.fit(x, y, { seed: NaN }),
        'fit before compile': () => uncompiled.fit(x, y),
        'evaluate before compile': () => uncompiled.evaluate(x, y),
        'fit on a disposed model': () => disposedModel.fit(x, y),
        'predict on a disposed model': () => disposedModel.predict(x),
        'getWeights on a disposed model': () => disposedModel.getWeights(),
        'compile on a disposed model': () => disposedModel.compile({ optimizer: 'sgd', loss: 'mse' }),
        'disposed x tensor': () => {
          const t = weft.tensor(xs.slice(), [n, 3]);
          t.dispose();
          return model.fit(t, y);
        },
        'disposed validation tensor': () => {
          const t = weft.tensor(Int32Array.from(y.dataSync()), [n]);
          t.dispose();
          return model.fit(x, y, { validationData: [x, t] });
        },
        'tensor from another copy of weft': () => model.fit(other.tensor(xs, [n, 3]), y),
        'TF.js-like tensor in an array': () => model.fit([new FakeTfTensor()], y),
        'TF.js-like tensor in a record': () => model.predict({ features: new FakeTfTensor() }),
        'nested JS arrays instead of a tensor': () => model.fit([[[0, 1, 2]]], y),
        'two inputs for a one-input model': () => model.fit([x, x], y),
        'unknown input name': () => model.fit({ nope: x }, y),
        // @ts-expect-error the target is deliberately left out
        'missing target': () => model.fit(x),
        'fit while fit': async () => {
          const busy = build();
          busy.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
          const first = busy.fit(x, y, { epochs: 1, verbose: 0 });
          try {
            await busy.fit(x, y, { epochs: 1, verbose: 0 });
          } finally {
            await first;
          }
        },
        'compile: unknown loss': () => build().compile({ optimizer: 'sgd', loss: 'crossEntropyish' }),
        'compile: unknown optimizer': () => build().compile({ optimizer: 'adamw', loss: 'mse' }),
        'compile: unknown metric': () => build().compile({ optimizer: 'sgd', loss: 'mse', metrics: ['f1'] }),
        'compile: negative lossWeights': () => build().compile({ optimizer: 'sgd', loss: 'mse', lossWeights: [-1] }),
        'compile: losses for 2 outputs on a 1-output model': () => build().compile({ optimizer: 'sgd', loss: ['mse', 'mse'] }),
        'compile: cross-entropy on a linear output': () => build('linear').compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' }),
        'compile: learning rate 0': () => build().compile({ optimizer: weft.train.sgd(0), loss: 'mse' }),
        'setWeights: wrong shape': () =>
          model.setWeights([weft.tensor(new Float32Array(12), [4, 3]), ...[1, 2, 3].map(() => weft.tensor(new Float32Array(1), [1]))]),
        'setWeights: NaN': () =>
          model.setWeights([
            weft.tensor(new Float32Array(12), [3, 4]),
            weft.tensor(new Float32Array([0, NaN, 0, 0]), [4]),
            weft.tensor(new Float32Array(12), [4, 3]),
            weft.tensor(new Float32Array(3), [3]),
          ]),
        'setWeights: too few': () => model.setWeights([weft.tensor(new Float32Array(12), [3, 4])]),
        'dense units 0': () => weft.layers.dense({ units: 0 }),
        'input shape [0]': () => weft.input({ shape: [0] }),
        'compile: an output of rank 3': () => {
          // dense works along the last axis of a rank-3 input (as TF.js); training such an output is refused.
          const x = weft.input({ shape: [2, 3] });
          const m = weft.model({ inputs: x, outputs: weft.layers.dense({ units: 2 }).apply(x) });
          m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
        },
        'model with an unused input': () => {
          const a = weft.input({ shape: [2] });
          const b = weft.input({ shape: [2] });
          return weft.model({ inputs: [a, b], outputs: weft.layers.dense({ units: 1 }).apply(a) });
        },
        'unknown activation': () => weft.layers.dense({ units: 2, activation: 'swish' }),
      };

      const bits = async (m: any) => {
        const ws = await m.getWeights();
        const parts = ws.map((w: any) => new Uint32Array(Float32Array.from(w.dataSync()).buffer));
        return parts.flatMap((p: Uint32Array) => Array.from(p)).join(',');
      };
      await model.fit(x, y, { epochs: 1, verbose: 0, seed: 1 }); // the engine exists; weights are on the GPU
      const before = { model: await bits(model), oneHot: await bits(oneHot), regression: await bits(regression) };
      const out: { name: string; error: string; message: string; weft: boolean }[] = [];
      for (const [name, call] of Object.entries(cases)) {
        try {
          await call();
          out.push({ name, error: 'none', message: '', weft: false });
        } catch (e: any) {
          out.push({ name, error: String(e?.name), message: String(e?.message), weft: e instanceof weft.WeftError });
        }
      }
      const after = { model: await bits(model), oneHot: await bits(oneHot), regression: await bits(regression) };
      const gpu = await weft.getGpu();
      return {
        out,
        untouched: before.model === after.model && before.oneHot === after.oneHot && before.regression === after.regression,
        uncaptured: gpu.uncapturedErrors,
      };
    },
    undefined,
  );
  for (const r of results.out) console.log(`${r.name}\n    → ${r.error}: ${r.message}`);
  expect(results.out.map((r) => r.name).sort()).toEqual(Object.keys(EXPECTED).sort());
  for (const r of results.out) {
    expect(r.weft, `${r.name}: ${r.error}: ${r.message}`).toBe(true);
    expect(r.message, r.name).toMatch(EXPECTED[r.name]!);
  }
  expect(results.untouched).toBe(true);
  expect(results.uncaptured).toEqual([]);
});
