// A TensorFlow.js binary-classification program, as written for TensorFlow.js: a sigmoid output,
// loss 'binaryCrossentropy', metrics ['accuracy'], 1-D 0/1 targets, and callbacks and history read
// by TensorFlow.js's names (logs.acc, history.history.val_acc), while metricsNames and evaluate
// keep Keras's.
import type { Page } from 'puppeteer';
import { beforeAll, expect, test } from 'vitest';
import { inPage, openPage } from './harness.js';

let page: Page;
beforeAll(async () => {
  page = await openPage();
});

test('binary classifier: logs carry acc / val_acc beside accuracy / val_accuracy', async () => {
  const r = await inPage(
    page,
    async () => {
      const weft = (window as any).weft;
      const random = window.weftTesting.lcg(5);
      const rows = 96;
      const xs = Float32Array.from({ length: rows * 4 }, () => random() * 2 - 1);
      // A learnable rule: the class is whether the first two features sum above zero.
      const ys = Float32Array.from({ length: rows }, (_, i) => (xs[i * 4]! + xs[i * 4 + 1]! > 0 ? 1 : 0));
      const input = weft.input({ shape: [4] });
      const hidden = weft.layers.dense({ units: 8, activation: 'relu', seed: 1 }).apply(input);
      const output = weft.layers.dense({ units: 1, activation: 'sigmoid', seed: 2 }).apply(hidden);
      const model = weft.model({ inputs: input, outputs: output });
      model.compile({ optimizer: weft.train.adam(0.05), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
      const x = weft.tensor(xs.slice(0, 64 * 4), [64, 4]);
      const y = weft.tensor(ys.slice(0, 64), [64]);
      const vx = weft.tensor(xs.slice(64 * 4), [32, 4]);
      const vy = weft.tensor(ys.slice(64), [32]);
      const seen: number[] = [];
      const history = await model.fit(x, y, {
        epochs: 8,
        batchSize: 16,
        seed: 3,
        verbose: 0,
        validationData: [vx, vy],
        callbacks: { onEpochEnd: (_: number, logs: any) => void seen.push(logs.acc, logs.val_acc) },
      });
      const evaluation = await model.evaluate(vx, vy, { batchSize: 32 });
      return { history: history.history, seen, names: model.metricsNames, evaluation: [evaluation].flat().map((t) => t.dataSync()[0]!) };
    },
    undefined,
  );
  expect(r.names).toEqual(['loss', 'accuracy']);
  expect(r.evaluation).toHaveLength(2);
  expect(r.history.acc).toEqual(r.history.accuracy);
  expect(r.history.val_acc).toEqual(r.history.val_accuracy);
  expect(r.seen.every((v: number) => v >= 0 && v <= 1)).toBe(true);
  expect(r.history.loss.at(-1)).toBeLessThan(r.history.loss[0]);
  expect(r.history.val_accuracy.at(-1)).toBeCloseTo(r.evaluation[1]!, 5);
  expect(r.history.val_accuracy.at(-1)).toBeGreaterThanOrEqual(0.75);
});
