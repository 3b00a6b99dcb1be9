// Results TensorFlow.js returns synchronously: predict's tensors and evaluate's scalars come back at
// once, a synchronous read before the GPU answers computes the same values on the CPU, awaiting reads
// the GPU's; predict inside fit's callbacks works; Sequential models train; trainOnBatch and
// predictOnBatch as in TensorFlow.js.
import type { Page } from 'puppeteer';
import type { Tensor } from '../../src/index.js';
import { beforeAll, expect, test } from 'vitest';
import { inPage, openPage } from './harness.js';

let page: Page;
beforeAll(async () => {
  page = await openPage();
});

test('predict/evaluate at once (CPU for an early synchronous read, GPU when awaited), Sequential, trainOnBatch, predictOnBatch', async () => {
  const r = await inPage(
    page,
    async (_: undefined) => {
      const weft = window.weft;
      const random = window.weftTesting.lcg(11);
      const rows = 50;
      const xs = Float32Array.from({ length: rows * 6 }, () => random() * 2 - 1);
      const labels = Int32Array.from({ length: rows }, (_, i) => (xs[i * 6]! > 0 ? 1 : 0) + (xs[i * 6 + 1]! > 0 ? 1 : 0));
      const model = weft.sequential({
        layers: [
          weft.layers.dense({ units: 8, activation: 'tanh', inputShape: [6], seed: 1 }),
          weft.layers.dense({ units: 3, activation: 'softmax', seed: 2 }),
        ],
      });
      model.compile({ optimizer: weft.train.adam(0.02), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      const x = weft.tensor(xs, [rows, 6]);
      const y = weft.tensor(labels, [rows]);
      const insideCallback: number[] = [];
      await model.fit(x, y, {
        epochs: 3,
        batchSize: 10,
        verbose: 0,
        callbacks: { onEpochEnd: () => void insideCallback.push((model.predict(x) as Tensor).dataSync().length) },
      });
      // A synchronous read at once: the GPU has not answered yet, so the CPU computes it.
      const early = model.predict(x) as Tensor;
      const readyAtOnce = early.isReady;
      const cpu = Array.from(early.dataSync());
      // Awaiting reads the GPU's values.
      const gpu = Array.from(((await model.predict(x)) as Tensor).dataSync());
      const scores = model.evaluate(x, y) as Tensor[];
      const cpuScores = scores.map((s) => s.dataSync()[0]!);
      const gpuScores = ((await model.evaluate(x, y)) as Tensor[]).map((s) => s.dataSync()[0]!);
      const printed = (model.predict(x.slice([0, 0], [2, 6])) as Tensor).argMax(-1).toString();
      const weightsBefore = model.getWeights().map((w) => Array.from(w.dataSync()));
      const stepScores = await model.trainOnBatch(x, y);
      const weightsAfter = model.getWeights().map((w) => Array.from(w.dataSync()));
      const onBatch = Array.from((model.predictOnBatch(x) as Tensor).shape);
      return {
        readyAtOnce,
        cpu,
        gpu,
        cpuScores,
        gpuScores,
        printed,
        insideCallback,
        stepScores,
        moved: weightsBefore.some((w, i) => w.some((v, j) => v !== weightsAfter[i]![j])),
        onBatch,
        names: model.metricsNames,
        layers: model.layers.length,
      };
    },
    undefined,
  );
  expect(r.readyAtOnce).toBe(false);
  expect(r.cpu.length).toBe(50 * 3);
  r.gpu.forEach((v, i) => expect(Math.abs(v - r.cpu[i]!)).toBeLessThan(1e-5));
  expect(r.names).toEqual(['loss', 'accuracy']);
  r.gpuScores.forEach((v, i) => expect(v).toBeCloseTo(r.cpuScores[i]!, 4));
  expect(r.printed).toMatch(/^Tensor\n {4}\[\d, \d\]$/);
  expect(r.insideCallback).toEqual([150, 150, 150]);
  expect(Array.isArray(r.stepScores) && r.stepScores.length).toBe(2);
  expect(r.moved).toBe(true);
  expect(r.onBatch).toEqual([50, 3]);
  expect(r.layers).toBe(2);
});
