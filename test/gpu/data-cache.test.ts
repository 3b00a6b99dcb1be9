// Tensors uploaded once: a second fit / evaluate / predict on the same tensors makes no buffer and
// no bind group (fit writes only the shuffled indices and step records); the GPU copies go with
// tensor.dispose(), model.dispose(), or oldest first when the cache is over budget.
import type { Page } from 'puppeteer';
import { beforeAll, expect, test } from 'vitest';
import { inPage, openPage } from './harness.js';

let page: Page;
beforeAll(async () => {
  page = await openPage();
});

test('repeated calls on the same tensors reuse their GPU copies; dispose frees them', async () => {
  const r = await inPage(
    page,
    async () => {
      const { weft, runtime } = (window as any).weftTesting;
      const memoryStart = weft.memory();
      const rows = 32 * 20 + 7;
      const random = window.weftTesting.lcg(5);
      const makeX = () =>
        weft.tensor(
          Float32Array.from({ length: rows * 20 }, () => random() - 0.5),
          [rows, 20],
        );
      const makeY = () =>
        weft.tensor(
          Int32Array.from({ length: rows }, () => Math.floor(random() * 4)),
          [rows],
        );
      const x = makeX();
      const y = makeY();
      const input = weft.input({ shape: [20] });
      const hidden = weft.layers.dense({ units: 16, activation: 'relu', seed: 1 }).apply(input);
      const out = weft.layers.dense({ units: 4, activation: 'softmax', seed: 2 }).apply(hidden);
      const model = weft.model({ inputs: input, outputs: out });
      model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      const session = () => (model as any).owner.live;
      const delta = (a: any, b: any) => Object.fromEntries(Object.keys(a).map((k) => [k, b[k] - a[k]]));
      const measure = async (body: () => Promise<unknown>) => {
        const before = weft.snapshotCounters();
        await body();
        return delta(before, weft.snapshotCounters());
      };
      const fitOnce = () => model.fit(x, y, { epochs: 2, batchSize: 32, verbose: 0 });
      const firstFit = await measure(fitOnce);
      const secondFit = await measure(fitOnce);
      const firstEvaluate = await measure(() => model.evaluate(x, y, { batchSize: 32 }));
      const secondEvaluate = await measure(() => model.evaluate(x, y, { batchSize: 32 }));
      const firstPredict = await measure(async () => (await model.predict(x)).dispose());
      const secondPredict = await measure(async () => (await model.predict(x)).dispose());
      // A smaller batch size needs more step records: the step uniform grows once, then is reused.
      const smallerBatch = await measure(() => model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 }));
      const smallerAgain = await measure(() => model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 }));
      const cachedBefore = session().cachedDatasets;
      const bytesBefore = weft.memory().numBytes;
      y.dispose(); // frees the fit/evaluate copy (x and y); predict's copy (x alone) stays
      const cachedAfterY = session().cachedDatasets;
      const bytesAfterY = weft.memory().numBytes;
      // Over budget: the oldest idle dataset goes when a new one comes.
      runtime.setDatasetCacheBudget(1);
      const x2 = makeX();
      const y2 = makeY();
      await model.fit(x2, y2, { epochs: 1, batchSize: 32, verbose: 0 });
      const cachedUnderBudget = session().cachedDatasets;
      runtime.setDatasetCacheBudget(0);
      model.dispose();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const memoryEnd = weft.memory();
      for (const t of [x, x2, y2]) t.dispose();
      return {
        firstFit,
        secondFit,
        firstEvaluate,
        secondEvaluate,
        firstPredict,
        secondPredict,
        smallerBatch,
        smallerAgain,
        cachedBefore,
        cachedAfterY,
        bytesBefore,
        bytesAfterY,
        cachedUnderBudget,
        memoryStart,
        memoryEnd,
      };
    },
    undefined,
  );
  console.log(JSON.stringify({ firstFit: r.firstFit, secondFit: r.secondFit, secondEvaluate: r.secondEvaluate, secondPredict: r.secondPredict }));
  expect(r.firstFit.bufferCreations).toBeGreaterThan(0);
  expect(r.secondFit.bufferCreations).toBe(0);
  expect(r.secondFit.bindGroupCreations).toBe(0);
  // Per epoch: the shuffled indices and the step records, nothing else.
  expect(r.secondFit.writes).toBe(2 * 2);
  expect(r.secondEvaluate.bufferCreations).toBe(0);
  expect(r.secondEvaluate.bindGroupCreations).toBe(0);
  expect(r.secondPredict.bindGroupCreations).toBe(0);
  expect(r.secondPredict.bufferCreations).toBeLessThanOrEqual(1); // the readback's staging buffer
  expect(r.firstPredict.bufferCreations).toBeGreaterThan(r.secondPredict.bufferCreations!);
  expect(r.smallerBatch.bufferCreations).toBeGreaterThan(0); // the batch-16 plan, and a larger step uniform
  expect(r.smallerAgain.bufferCreations).toBe(0);
  expect(r.smallerAgain.bindGroupCreations).toBe(0);
  expect(r.cachedBefore).toBe(2); // [x, y] and [x]
  expect(r.cachedAfterY).toBe(1);
  expect(r.bytesAfterY).toBeLessThan(r.bytesBefore);
  expect(r.cachedUnderBudget).toBe(1);
  expect(r.memoryEnd.numBuffers).toBe(r.memoryStart.numBuffers);
  expect(r.memoryEnd.numBytes).toBe(r.memoryStart.numBytes);
});
