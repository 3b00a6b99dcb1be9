// Counts that hold on any GPU: dispatches per training step, and in steady state an epoch makes no
// buffers and no bind groups, submits at most once per 32 steps and reads back at most 10 times.
import type { Page } from 'puppeteer';
import { beforeAll, expect, test } from 'vitest';
import { inPage, openPage } from './harness.js';

let page: Page;
beforeAll(async () => {
  page = await openPage();
});

test('article MLP and wide & deep: dispatches per step, and a steady-state epoch', async () => {
  const r = await inPage(
    page,
    async () => {
      const weft = window.weft;
      const rows = 32 * 70 + 5;
      const random = window.weftTesting.lcg(3);
      const x = weft.tensor(
        Float32Array.from({ length: rows * 784 }, () => random()),
        [rows, 784],
      );
      const y = weft.tensor(
        Int32Array.from({ length: rows }, () => Math.floor(random() * 10)),
        [rows],
      );
      const build = (wide: boolean) => {
        const input = weft.input({ shape: [784] });
        const h1 = weft.layers.dense({ units: 30, activation: 'relu', seed: 1 }).apply(input);
        const h2 = weft.layers.dense({ units: 30, activation: 'relu', seed: 2 }).apply(h1);
        const top = wide ? weft.layers.concatenate().apply([input, h2]) : h2;
        const out = weft.layers.dense({ units: 10, activation: 'softmax', seed: 3 }).apply(top);
        const model = weft.model({ inputs: input, outputs: out });
        model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
        return model;
      };
      const results: any = { gatheredProducts: window.weftTesting.runtime.gatheredProductsWanted(await weft.getGpu()) };
      for (const wide of [false, true]) {
        const model = build(wide);
        const snapshots: any[] = [];
        let batchEnds = 0;
        await model.fit(x, y, {
          epochs: 3,
          batchSize: 32,
          verbose: 0,
          validationData: [x, y],
          callbacks: {
            onEpochBegin: () => void snapshots.push(weft.snapshotCounters()),
            onEpochEnd: () => void snapshots.push(weft.snapshotCounters()),
            onBatchEnd: () => void batchEnds++,
          },
        });
        const delta = (a: any, b: any) => Object.fromEntries(Object.keys(a).map((k) => [k, b[k] - a[k]]));
        const beforeExplain = weft.snapshotCounters();
        const explain = await model.explain();
        results[wide ? 'wideDeep' : 'mlp'] = {
          // explain() describes (its predict plan was never run here): nothing compiled or made on the GPU.
          explainCost: delta(beforeExplain, weft.snapshotCounters()),
          epoch2: delta(snapshots[2], snapshots[3]),
          epoch3: delta(snapshots[4], snapshots[5]),
          dispatchesPerTrainStep: explain.dispatchesPerTrainStep,
          // The last, partial batch runs on the full batch's plan, padded (session.ts paddedSchedule): these
          // models take it (plan/paddedBatches.ts), so its step dispatches what a full one does.
          dispatchesPerPredictBatch: explain.dispatchesPerPredictBatch,
          batchEnds,
          kernels: explain.kernels.map((k: any) => `${k.name}: ${k.fusedOps}`),
          stages: explain.stages.map((st: any) => st.name),
          wgslLines: explain.kernels.reduce((n: number, k: any) => n + k.wgsl.split('\n').length, 0),
        };
      }
      return results;
    },
    undefined,
  );
  console.log(JSON.stringify(r, null, 1));
  const steps = 71; // 70 full batches + a partial one
  for (const m of [r.mlp, r.wideDeep]) {
    expect(m.explainCost.pipelineCreations).toBe(0);
    expect(m.explainCost.bufferCreations).toBe(0);
    expect(m.epoch3.bufferCreations).toBe(0);
    expect(m.epoch3.bindGroupCreations).toBe(0);
    expect(m.epoch3.pipelineCreations).toBe(0);
    expect(m.epoch3.submits).toBeLessThanOrEqual(Math.ceil(steps / 32) + 4);
    expect(m.epoch3.readbacks).toBeLessThanOrEqual(10);
    // Training steps, then the validation pass (at most a training step's dispatches per batch); an
    // epoch in steady state dispatches what the one before did.
    const validation = m.epoch3.dispatches - steps * m.dispatchesPerTrainStep;
    expect(validation).toBeGreaterThanOrEqual(steps);
    expect(validation).toBeLessThanOrEqual(steps * m.dispatchesPerTrainStep);
    expect(m.epoch3.dispatches).toBe(m.epoch2.dispatches);
    expect(m.stages).toContain('lowered');
    expect(m.stages).toContain('plan');
    expect(m.batchEnds).toBeGreaterThan(0);
  }
  // Everything in a training step — batch gather, forward, loss, backward, optimizer, metrics: 9
  // (10 before kernel grouping; 8 where the optimizer runs in the weight gradients,
  // test/gpu/fused-updates.test.ts). Where matmuls read inputs through the sample indices
  // (gatheredProducts: quadTiled adapters such as this one) the MLP, whose input only its first layer
  // reads, has no gather: 8 (4 with its small kernels chained); nor has wide & deep, whose output
  // layer's products over [input, hidden] split at the input's columns: 4 with chains (8 without).
  expect(r.mlp.dispatchesPerTrainStep).toBeLessThanOrEqual(r.gatheredProducts ? 8 : 9);
  expect(r.wideDeep.dispatchesPerTrainStep).toBeLessThanOrEqual(r.gatheredProducts ? 8 : 9);
  expect(r.mlp.kernels.some((k: string) => k.startsWith('gather batch'))).toBe(!r.gatheredProducts);
  expect(r.wideDeep.kernels.some((k: string) => k.startsWith('gather batch'))).toBe(!r.gatheredProducts);
});
