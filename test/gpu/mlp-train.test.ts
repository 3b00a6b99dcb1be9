// The spine end to end: the article's MLP trained on WebGPU on real Fashion-MNIST.
import type { Page } from 'puppeteer';
import { beforeAll, expect, test } from 'vitest';
import type { Tensor } from '../../src/index.js';
import { inPage, openPage } from './harness.js';

let page: Page;
beforeAll(async () => {
  page = await openPage();
});

test('article MLP, Adam 1e-3, batch 32, 10,000 images × 3 epochs: test accuracy ≥ 0.80', async () => {
  const r = await inPage(
    page,
    async () => {
      const weft = window.weft;
      const d = await weft.datasets.loadFashionMnist({ trainLimit: 10000 });
      const x = weft.tensor(weft.datasets.toFloat01(d.train.images), [d.train.count, 784]);
      const y = weft.tensor(Int32Array.from(d.train.labels), [d.train.count]);
      const tx = weft.tensor(weft.datasets.toFloat01(d.test.images), [d.test.count, 784]);
      const ty = weft.tensor(Int32Array.from(d.test.labels), [d.test.count]);
      const input = weft.input({ shape: [784] });
      const h1 = weft.layers.dense({ units: 30, activation: 'relu', seed: 1 }).apply(input);
      const h2 = weft.layers.dense({ units: 30, activation: 'relu', seed: 2 }).apply(h1);
      const out = weft.layers.dense({ units: 10, activation: 'softmax', seed: 3 }).apply(h2);
      const model = weft.model({ inputs: input, outputs: out });
      model.compile({ optimizer: weft.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      weft.resetCounters();
      const t0 = performance.now();
      const history = await model.fit(x, y, { epochs: 3, batchSize: 32, seed: 7, verbose: 0 });
      const fitMs = performance.now() - t0;
      const counters = weft.snapshotCounters();
      const evaluation = [await model.evaluate(tx, ty)].flat().map((t) => t.dataSync()[0]!);
      const predictions = (await model.predict(tx.dataSync().length ? weft.tensor(tx.dataSync().slice(0, 5 * 784), [5, 784]) : tx)) as Tensor;
      const explain = await model.explain();
      return {
        history: history.history,
        fitMs,
        counters,
        evaluation,
        rowSums: Array.from({ length: 5 }, (_, i) =>
          (predictions.dataSync() as Float32Array).slice(i * 10, i * 10 + 10).reduce((a: number, b: number) => a + b, 0),
        ),
        dispatches: explain.dispatchesPerTrainStep,
      };
    },
    undefined,
  );
  console.log(JSON.stringify(r, null, 1));
  expect(r.history.loss![2]).toBeLessThan(r.history.loss![0]!);
  expect(r.evaluation[1]).toBeGreaterThanOrEqual(0.8);
  for (const s of r.rowSums) expect(s).toBeCloseTo(1, 4);
});
