// Row parts (plan/rowParts.ts; on by default where chains run on a CPU adapter with subgroups, like
// this one): a chain and the products before it run as parts over their own rows, the chain's weight
// gradients in the next dispatch, each part's loss head into its own copy of the metric slots. Forced
// on and off in the page (window.WEFT_ROW_PARTS), the same models from the same weights reach the
// same weights, losses, metrics, evaluation and predictions, in fewer dispatches per step. The plans
// without row parts are what the float64 and TensorFlow.js checks test.
import type { Page } from 'puppeteer';
import { beforeAll, expect, test } from 'vitest';
import { inPage, openPage } from './harness.js';

let page: Page;
beforeAll(async () => {
  page = await openPage();
});

interface Run {
  weights: number[];
  history: Record<string, number[]>;
  evaluation: number[];
  predictions: number[];
  dispatches: number;
  names: string[];
  /** Each training dispatch's workgroup size. */
  widths: number[];
}

type Model = 'mlp' | 'dropout' | 'wideDeep' | 'denseTargets';

/**
 * 160 features (the first layer, 32 × 16 × 160, is too big to chain; at batch 32 it runs as 4 quads of
 * 8 rows, so 4 parts), trained three epochs of 103 samples in batches of 32 (the last batch of 7 runs
 * on the same plan, padded) under WEFT_ROW_PARTS = `on`. The MLP learns with class weights (and, as
 * `dropout`, with a dropout layer between its hidden layers, whose mask must not change with the parts)
 * (the loss head reads each part's sample weights by index); wide & deep has the article's main and
 * auxiliary outputs, loss weights 0.7 / 0.3 (two loss heads per part); with dense targets (one-hot labels
 * and a sigmoid regression output) each part gathers its rows of the targets and runs the sigmoid's
 * gradient, an elementwise kernel, over its rows.
 */
async function train(model: Model, on: boolean): Promise<Run> {
  return inPage(
    page,
    async ({ model, on }: { model: Model; on: boolean }): Promise<Run> => {
      const weft = (window as any).weft;
      const n = 103;
      const features = 160;
      const data = window.weftTesting.seededClassification(n, features, 5, 23);
      const x = weft.tensor(data.x, [n, features]);
      // On globalThis: the switch weft reads (in Node the page's window is an object of its own).
      (globalThis as any).WEFT_ROW_PARTS = on;
      try {
        const input = weft.input({ shape: [features] });
        const h1 = weft.layers.dense({ units: 16, activation: 'relu', seed: 1 }).apply(input);
        const dropped = model === 'dropout' ? weft.layers.dropout({ rate: 0.3, seed: 7 }).apply(h1) : h1;
        const h2 = weft.layers.dense({ units: 12, activation: 'tanh', seed: 2 }).apply(dropped);
        let net: any;
        let y: any;
        let fitArgs: Record<string, unknown> = {};
        if (model === 'mlp' || model === 'dropout') {
          const classes = weft.layers.dense({ units: 5, activation: 'softmax', seed: 3 }).apply(h2);
          net = weft.model({ inputs: input, outputs: classes });
          net.compile({ optimizer: weft.train.adam(0.01), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
          y = weft.tensor(data.y, [n]);
          fitArgs = { classWeight: { 0: 1, 1: 2, 2: 0.5, 3: 1, 4: 3 } };
        } else {
          // Two outputs: the classes over [input, hidden] and a second head on the hidden layer, loss weights 0.7 / 0.3.
          const dense = model === 'denseTargets';
          const classes = weft.layers.dense({ units: 5, activation: 'softmax', seed: 3, name: 'classes' }).apply(weft.layers.concatenate().apply([input, h2]));
          const second = dense
            ? weft.layers.dense({ units: 2, activation: 'sigmoid', seed: 4, name: 'value' }).apply(h2)
            : weft.layers.dense({ units: 5, activation: 'softmax', seed: 4, name: 'aux' }).apply(h2);
          net = weft.model({ inputs: input, outputs: [classes, second] });
          net.compile({
            optimizer: weft.train.adam(0.01),
            loss: dense ? ['categoricalCrossentropy', 'meanSquaredError'] : ['sparseCategoricalCrossentropy', 'sparseCategoricalCrossentropy'],
            lossWeights: [0.7, 0.3],
            metrics: dense ? { classes: 'accuracy', value: 'mae' } : ['accuracy'],
          });
          if (dense) {
            const oneHot = Float32Array.from({ length: n * 5 }, (_, i) => (data.y[Math.floor(i / 5)] === i % 5 ? 1 : 0));
            const targets = Float32Array.from({ length: n * 2 }, (_, i) => data.x[i * 3]!);
            y = [weft.tensor(oneHot, [n, 5]), weft.tensor(targets, [n, 2])];
          } else {
            const labels = weft.tensor(data.y, [n]);
            y = [labels, labels];
          }
        }
        const explain = await net.explain(32);
        const history = await net.fit(x, y, { epochs: 3, batchSize: 32, shuffle: true, verbose: 0, seed: 5, ...fitArgs });
        const weights: number[] = (await net.getWeights()).flatMap((w: any) => Array.from(w.dataSync() as Float32Array));
        const evaluated = await net.evaluate(x, y, { batchSize: 32 });
        const evaluation: number[] = [];
        for (const t of [evaluated].flat()) evaluation.push(...(Array.from(await t.data()) as number[]));
        const predictions: number[] = [];
        for (const t of [net.predict(x, { batchSize: 32 })].flat()) predictions.push(...(Array.from(await t.data()) as number[]));
        net.dispose();
        return {
          weights,
          history: history.history,
          evaluation,
          predictions,
          dispatches: explain.dispatchesPerTrainStep,
          names: explain.kernels.map((k: any) => k.name),
          widths: explain.kernels.map((k: any) => Number(/@workgroup_size\((\d+)/.exec(k.wgsl)?.[1])),
        };
      } finally {
        delete (globalThis as any).WEFT_ROW_PARTS;
      }
    },
    { model, on },
  );
}

function expectSame(split: Run, whole: Run): void {
  expect(split.weights.length).toBe(whole.weights.length);
  const scale = Math.max(...whole.weights.map((w) => Math.abs(w)));
  split.weights.forEach((w, i) => expect(Math.abs(w - whole.weights[i]!), `weight ${i}`).toBeLessThan(1e-5 * scale));
  expect(Object.keys(split.history).sort()).toEqual(Object.keys(whole.history).sort());
  for (const [name, values] of Object.entries(whole.history)) values.forEach((v, i) => expect(split.history[name]![i], `${name} epoch ${i}`).toBeCloseTo(v, 5));
  expect(split.evaluation.length).toBe(whole.evaluation.length);
  split.evaluation.forEach((v, i) => expect(v, `evaluation ${i}`).toBeCloseTo(whole.evaluation[i]!, 5));
  split.predictions.forEach((p, i) => expect(Math.abs(p - whole.predictions[i]!), `prediction ${i}`).toBeLessThan(1e-5));
}

test('the MLP with class weights: four row parts train, evaluate and predict as the whole plan, in one dispatch less', async () => {
  const whole = await train('mlp', false);
  const split = await train('mlp', true);
  expect(whole.names.some((k) => k.includes('row parts'))).toBe(false);
  expect(split.names[0]).toMatch(/→ .* \(4 row parts\)$/);
  expect(split.dispatches).toBe(whole.dispatches - 1);
  expect(split.history.acc ?? split.history.accuracy).toBeDefined();
  expectSame(split, whole);
});

test("dropout between the hidden layers: each part draws its rows of the whole batch's mask", async () => {
  const whole = await train('dropout', false);
  const split = await train('dropout', true);
  const parts = split.names.findIndex((k) => k.endsWith('(4 row parts)') && k.includes('dropout'));
  expect(parts).toBeGreaterThanOrEqual(0);
  // Its dropout stages are quad-wide like its products: one SIMD group, no coroutines between stages.
  expect(split.widths[parts]).toBe(4);
  expect(split.dispatches).toBe(whole.dispatches - 1);
  expectSame(split, whole);
});

test('wide & deep with an auxiliary output: two loss heads per part, their losses and metrics added across parts', async () => {
  const whole = await train('wideDeep', false);
  const split = await train('wideDeep', true);
  expect(split.names.some((k) => k.endsWith('(4 row parts)'))).toBe(true);
  expect(split.dispatches).toBeLessThan(whole.dispatches);
  expect(Object.keys(split.history)).toEqual(expect.arrayContaining(['loss', 'classes_loss', 'aux_loss']));
  expectSame(split, whole);
});

test('dense targets and a regression output: each part gathers its rows of the targets and runs the elementwise gradient over them', async () => {
  const whole = await train('denseTargets', false);
  const split = await train('denseTargets', true);
  const parts = split.names.find((k) => k.endsWith('(4 row parts)'));
  expect(parts).toMatch(/^gather batch \| .*activationGrad/);
  expect(split.dispatches).toBeLessThan(whole.dispatches);
  expect(Object.keys(split.history)).toEqual(expect.arrayContaining(['loss', 'classes_loss', 'value_loss', 'value_mae']));
  expectSame(split, whole);
});
