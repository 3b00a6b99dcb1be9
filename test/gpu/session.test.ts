// The runtime session on its own (src/runtime/session.ts): typed arrays and handles in and out,
// optimizer state that resumes training exactly, memory accounted and freed by dispose.
import type { Page } from 'puppeteer';
import { beforeAll, expect, test } from 'vitest';
import { inPage, openPage } from './harness.js';

let page: Page;
beforeAll(async () => {
  page = await openPage();
});

test('a session trains, evaluates and predicts; its optimizer state resumes training bit for bit', async () => {
  const r = await inPage(
    page,
    async () => {
      const { runtime, weft, planSource, resolveCompileArgs } = window.weftTesting;
      const memoryStart = weft.memory();
      const input = weft.input({ shape: [3] });
      const hidden = weft.layers.dense({ units: 5, activation: 'tanh', seed: 1 }).apply(input);
      const out = weft.layers.dense({ units: 1, seed: 2 }).apply(hidden);
      const model = weft.model({ inputs: input, outputs: out });
      const state = resolveCompileArgs({ optimizer: weft.train.adam(0.05), loss: 'meanSquaredError' }, model.outputs);
      const source = planSource(model, state);
      const flat = new Float32Array(model.weights.flatMap((w: any) => Array.from(w.values)));
      const rows = 40;
      const batchSize = 8;
      const x = Float32Array.from({ length: rows * 3 }, (_, i) => Math.sin(i * 0.7));
      const y = Float32Array.from({ length: rows }, (_, i) => x[i * 3]! - x[i * 3 + 1]!);
      const storage = [{ elementType: 'f32' as const, scale: 1 }];
      const arrays = [
        { name: 'input0', data: x },
        { name: 'target0', data: y },
      ];
      const order = Uint32Array.from({ length: rows }, (_, i) => (i * 7) % rows);
      const steps = (from: number) =>
        Array.from({ length: rows / batchSize }, (_, s) => ({ t: from + s + 1, ...state.optimizer.stepValues(from + s + 1), seed: s }));

      const a = await runtime.ModelSession.create(flat.length, flat, source);
      const dataA = a.uploadDataset(rows, arrays, storage, rows / batchSize);
      const firstLoss = (await a.evaluate(dataA, batchSize))[0]! / rows;
      await a.train(dataA, { batchSize, order, steps: steps(0) });
      const saved = await a.readOptimizerState();
      const params = await a.readParams();
      const memory = a.memory();

      // A second session from the saved parameters and optimizer state...
      const b = await runtime.ModelSession.create(flat.length, params, source);
      b.writeOptimizerState(saved);
      const dataB = b.uploadDataset(rows, arrays, storage, rows / batchSize);
      // ...takes the same next epoch as the first.
      await a.train(dataA, { batchSize, order, steps: steps(a.optimizerStep) });
      await b.train(dataB, { batchSize, order, steps: steps(b.optimizerStep) });
      const pa = await a.readParams();
      const pb = await b.readParams();
      const same = pa.every((v: number, i: number) => Object.is(v, pb[i]));
      const lastLoss = (await a.evaluate(dataA, batchSize))[0]! / rows;
      const [predictions] = await a.predict(dataA, batchSize, [{ units: 1, description: 'the predictions' }]);
      const released = await (async () => {
        a.releaseDataset(dataA);
        try {
          await a.evaluate(dataA, batchSize);
          return 'no error';
        } catch (e: any) {
          return e.message;
        }
      })();
      a.dispose();
      b.dispose();
      model.dispose();
      await new Promise((resolve) => setTimeout(resolve, 50));
      return {
        step: saved.step,
        slots: saved.arrays.length,
        params: flat.length,
        same,
        firstLoss,
        lastLoss,
        predictions: predictions!.length,
        memory,
        released,
        memoryStart,
        memoryEnd: weft.memory(),
      };
    },
    undefined,
  );
  expect(r.step).toBe(5);
  expect(r.slots).toBe(2 * r.params); // Adam: m and v per parameter
  expect(r.same).toBe(true);
  expect(r.lastLoss).toBeLessThan(r.firstLoss);
  expect(r.predictions).toBe(40);
  expect(r.memory.buffers).toBeGreaterThan(0);
  expect(r.memory.bytes).toBeGreaterThan(0);
  expect(r.released).toMatch(/released/);
  expect(r.memoryEnd).toEqual(r.memoryStart);
});

test('compile() starts a guessed training plan only where warm-ups are wanted (not on CPU adapters)', async () => {
  const r = await inPage(
    page,
    async () => {
      const { weft, runtime } = window.weftTesting;
      const gpu = await weft.getGpu();
      const pipelines = () => weft.snapshotCounters().pipelineCreations;
      // Layer sizes no other test uses, so that no pipeline of theirs is cached for it.
      const build = (units: number) => {
        const input = weft.input({ shape: [13] });
        const hidden = weft.layers.dense({ units, activation: 'relu', seed: 1 }).apply(input);
        const out = weft.layers.dense({ units: 3, activation: 'softmax', seed: 2 }).apply(hidden);
        const model = weft.model({ inputs: input, outputs: out });
        model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
        return model;
      };
      const waitForPipelines = async (from: number, ms: number) => {
        const end = performance.now() + ms;
        while (pipelines() === from && performance.now() < end) await new Promise((ok) => setTimeout(ok, 50));
        return pipelines() - from;
      };
      const wanted = runtime.warmUpWanted(gpu);
      let before = pipelines();
      const guessed = build(11);
      const byDefault = await waitForPipelines(before, wanted ? 30_000 : 1_000);
      (globalThis as Record<string, unknown>).WEFT_WARM_UP = 1;
      before = pipelines();
      const forced = build(9);
      const whenForced = await waitForPipelines(before, 30_000);
      delete (globalThis as Record<string, unknown>).WEFT_WARM_UP;
      // The guess is float inputs at batch 32: a fit of that kind then compiles nothing more.
      const x = weft.tensor(
        Float32Array.from({ length: 64 * 13 }, (_, i) => Math.sin(i)),
        [64, 13],
      );
      const y = weft.tensor(
        Int32Array.from({ length: 64 }, (_, i) => i % 3),
        [64],
      );
      before = pipelines();
      await forced.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0 });
      const fitAfterWarmUp = pipelines() - before;
      guessed.dispose();
      forced.dispose();
      return { cpuAdapter: gpu.cpuAdapter, wanted, byDefault, whenForced, fitAfterWarmUp };
    },
    null,
  );
  expect(r.wanted).toBe(!r.cpuAdapter);
  if (r.wanted) expect(r.byDefault).toBeGreaterThan(0);
  else expect(r.byDefault).toBe(0);
  expect(r.whenForced).toBeGreaterThan(0);
  expect(r.fitAfterWarmUp).toBe(0);
});
