// The optimizer applied inside the weight-gradient kernels (plan option fuseUpdates: on for real GPUs,
// off on CPU adapters like this one, where the separate optimizer kernel measured faster) trains
// exactly as the optimizer kernel does: forced on in the page (window.WEFT_FUSED_UPDATES), the same
// model from the same weights reaches the same weights and losses, in one dispatch per step fewer.
import type { Page } from 'puppeteer';
import { beforeAll, expect, test } from 'vitest';
import { inPage, openPage } from './harness.js';

let page: Page;
beforeAll(async () => {
  page = await openPage();
});

test('fused updates train as the optimizer kernel does (Adam, a regularized layer, a concat), one dispatch fewer', async () => {
  const r = await inPage(
    page,
    async (): Promise<Record<'apart' | 'fused', { weights: number[]; loss: number[]; dispatches: number; optimizerKernel: boolean }>> => {
      const weft = (window as any).weft;
      const n = 75;
      const data = window.weftTesting.seededClassification(n, 9, 4, 5);
      const x = weft.tensor(data.x, [n, 9]);
      const y = weft.tensor(data.y, [n]);
      const train = async (fused: boolean) => {
        (window as any).WEFT_FUSED_UPDATES = fused;
        try {
          const input = weft.input({ shape: [9] });
          const h1 = weft.layers.dense({ units: 7, activation: 'relu', seed: 1, kernelRegularizer: weft.regularizers.l2({ l2: 0.01 }) }).apply(input);
          const h2 = weft.layers.dense({ units: 5, activation: 'tanh', seed: 2 }).apply(h1);
          const out = weft.layers.dense({ units: 4, activation: 'softmax', seed: 3 }).apply(weft.layers.concatenate().apply([input, h2]));
          const model = weft.model({ inputs: input, outputs: out });
          model.compile({ optimizer: weft.train.adam(0.01), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
          const explain = await model.explain();
          // 75 samples in batches of 16: four full steps and a partial one (a plan of its own) per epoch.
          const history = await model.fit(x, y, { epochs: 3, batchSize: 16, shuffle: false, verbose: 0 });
          const weights: number[] = (await model.getWeights()).flatMap((w: any) => Array.from(w.dataSync() as Float32Array));
          model.dispose();
          return {
            weights,
            loss: history.history.loss,
            dispatches: explain.dispatchesPerTrainStep,
            optimizerKernel: explain.kernels.some((k: any) => k.kind === 'optimizer'),
          };
        } finally {
          delete (window as any).WEFT_FUSED_UPDATES;
        }
      };
      return { apart: await train(false), fused: await train(true) };
    },
    undefined,
  );
  expect(r.apart.optimizerKernel).toBe(true);
  expect(r.fused.optimizerKernel).toBe(false);
  expect(r.fused.dispatches).toBe(r.apart.dispatches - 1);
  expect(r.fused.weights.length).toBe(r.apart.weights.length);
  const scale = Math.max(...r.apart.weights.map((w) => Math.abs(w)));
  r.fused.weights.forEach((w, i) => expect(Math.abs(w - r.apart.weights[i]!), `weight ${i}`).toBeLessThan(1e-5 * scale));
  r.fused.loss.forEach((l, i) => expect(l).toBeCloseTo(r.apart.loss[i]!, 5));
});
