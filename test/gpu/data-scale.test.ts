// Datasets larger than one storage binding: 200,000 × 784 float32 (627 MB) trains in one fit call
// under WebGPU's default 128 MiB binding limit (the dataset is split over five bindings), and GPU
// memory returns to where it was after dispose().
import type { Page } from 'puppeteer';
import { beforeAll, expect, test } from 'vitest';
import { inPage, openPage } from './harness.js';

let page: Page;
beforeAll(async () => {
  page = await openPage();
});

test('200,000 × 784 float32 (627 MB) trains in one fit call with a 128 MiB binding limit; memory returns after dispose', async () => {
  const r = await inPage(
    page,
    async () => {
      const weft = (window as any).weft;
      const gpu = await weft.getGpu();
      const adapterLimit = gpu.limits.maxStorageBufferBindingSize;
      const memoryStart = weft.memory();
      const rows = 200_000;
      const features = 784;
      const random = window.weftTesting.lcg(1);
      const values = new Float32Array(rows * features);
      for (let i = 0; i < values.length; i++) values[i] = random();
      // A learnable label: whether the first feature is above one half (classes 0 and 1 of 10).
      const labels = Int32Array.from({ length: rows }, (_, r) => (values[r * features]! > 0.5 ? 1 : 0));
      const x = weft.tensor(values, [rows, features]);
      const y = weft.tensor(labels, [rows]);
      const input = weft.input({ shape: [features] });
      const h = weft.layers.dense({ units: 16, activation: 'relu', seed: 1 }).apply(input);
      const out = weft.layers.dense({ units: 10, activation: 'softmax', seed: 2 }).apply(h);
      const model = weft.model({ inputs: input, outputs: out });
      model.compile({ optimizer: weft.train.adam(0.01), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      gpu.limits.maxStorageBufferBindingSize = 128 * 2 ** 20; // WebGPU's default, whatever this adapter offers
      const started = performance.now();
      let history: any;
      let parts = 0;
      let peakBytes = 0;
      try {
        history = await model.fit(x, y, {
          epochs: 1,
          batchSize: 2048,
          verbose: 0,
          callbacks: {
            onEpochEnd: () => {
              const session = (model as any).owner.live;
              parts = Math.max(...[...session.datasets.keys()].map((id: number) => session.partsOf({ id })));
              peakBytes = weft.memory().numBytes;
            },
          },
        });
      } finally {
        gpu.limits.maxStorageBufferBindingSize = adapterLimit;
      }
      const seconds = (performance.now() - started) / 1000;
      x.dispose();
      y.dispose();
      model.dispose();
      await new Promise((resolve) => setTimeout(resolve, 50));
      return {
        loss: history.history.loss[0],
        acc: history.history.acc?.[0] ?? history.history.accuracy?.[0],
        seconds,
        parts,
        peakBytes,
        memoryStart,
        memoryEnd: weft.memory(),
        adapterLimit,
      };
    },
    undefined,
  );
  console.log(JSON.stringify(r));
  expect(r.parts).toBe(5); // 40,960 rows (128 MiB / 3,136 bytes, rounded down to 4,096s) per part
  expect(r.peakBytes - r.memoryStart.numBytes).toBeGreaterThan(627_000_000);
  expect(Number.isFinite(r.loss)).toBe(true);
  expect(r.loss).toBeLessThan(Math.log(10) / 2); // from ln 10 at the start
  expect(r.acc).toBeGreaterThan(0.5);
  expect(r.memoryEnd.numBuffers).toBe(r.memoryStart.numBuffers);
  expect(r.memoryEnd.numBytes).toBe(r.memoryStart.numBytes);
});
