// A short last batch runs on the plan made for the pass's full batches, its rows past step.rows padding
// (session.ts paddedSchedule, ir/plan/paddedBatches.ts, LossHeadKernel.maskRows): the results equal those
// of a plan made for the exact rows, and a call whose rows leave another short batch compiles nothing.
// Training pads where every sum over samples has a factor the heads zero on the padding (not with batch
// statistics: such a model still compiles a plan for its short batch).
// Node only (vitest.config.ts): the session code is the same in Chromium, where every predict and evaluate
// with a short batch (export, storage, the oracle tests) runs this path too. Predictions of padding rows
// land past the real ones: their buffer is padded to whole plan batches (WebGPU lets an out-of-bounds
// store land anywhere in the buffer; Dawn drops it, so this test cannot see a buffer left short).
import type { Page } from 'puppeteer';
import { beforeAll, expect, test } from 'vitest';
import { inPage, openPage } from './harness.js';

let page: Page;
beforeAll(async () => {
  page = await openPage();
});

test('predict, evaluate and evaluateDataset: a padded short batch gives what the exact plan gives, and a new short size compiles nothing', async () => {
  const r = await inPage(
    page,
    async () => {
      const T = window.weftTesting;
      const weft = T.weft;
      const next = T.lcg(11);
      const random = () => next() * 2 - 1;
      const features = 13;
      // Two outputs (two loss heads), batch statistics (inference: moving ones) and dropout (identity).
      const input = weft.input({ shape: [features], name: 'x' });
      const h = weft.layers.dense({ units: 9, activation: 'relu', seed: 1 }).apply(input);
      const bn = weft.layers.batchNormalization().apply(h);
      const d = weft.layers.dropout({ rate: 0.3, seed: 5 }).apply(bn);
      const main = weft.layers.dense({ units: 5, activation: 'softmax', seed: 2, name: 'main' }).apply(d);
      const aux = weft.layers.dense({ units: 3, seed: 3, name: 'aux' }).apply(h);
      const model = weft.model({ inputs: input, outputs: [main, aux] });
      model.compile({ optimizer: weft.train.adam(0.01), loss: ['sparseCategoricalCrossentropy', 'meanSquaredError'], metrics: ['accuracy'] });
      const data = (rows: number) => ({
        x: weft.tensor(Float32Array.from({ length: rows * features }, random), [rows, features]),
        y: [
          weft.tensor(
            Int32Array.from({ length: rows }, () => Math.floor(((random() + 1) / 2) * 5) % 5),
            [rows],
          ),
          weft.tensor(Float32Array.from({ length: rows * 3 }, random), [rows, 3]),
        ],
      });
      const train = data(70);
      await model.fit(train.x, train.y, { epochs: 2, batchSize: 16, verbose: 0 });
      const values = async (out: any) => Promise.all((Array.isArray(out) ? out : [out]).map(async (t: any) => Array.from(await t.data()) as number[]));

      const test37 = data(37);
      const padded = await values(model.predict(test37.x, { batchSize: 32 })); // 32 + 5 on the 32-row plan
      const exact = await values(model.predict(test37.x, { batchSize: 37 })); // one 37-row plan
      const evalPadded = await values(await model.evaluate(test37.x, test37.y, { batchSize: 32 }));
      const evalExact = await values(await model.evaluate(test37.x, test37.y, { batchSize: 37 }));
      const evalRows = await values(await model.evaluate(test37.x, test37.y, { batchSize: 1 })); // 37 one-row batches

      // Streamed: batches of 8 with a short one of 5, evaluated on the 8-row plan.
      const xs = test37.x.dataSync() as Float32Array;
      const ys0 = test37.y[0]!.dataSync() as Int32Array;
      const ys1 = test37.y[1]!.dataSync() as Float32Array;
      const batches = weft.data.generator(function* () {
        for (let s = 0; s < 37; s += 8) {
          const e = Math.min(37, s + 8);
          yield {
            xs: weft.tensor(xs.slice(s * features, e * features), [e - s, features]),
            ys: [weft.tensor(ys0.slice(s, e), [e - s]), weft.tensor(ys1.slice(s * 3, e * 3), [e - s, 3])],
          };
        }
      });
      const evalStreamed = await values(await model.evaluateDataset(batches));

      // 45 rows at batch 32 (32 + 13) and 30 rows at batch 16 (16 + 14): plans made above (the 16-row one
      // by evaluating the 70 training rows, 4 × 16 + 6), nothing compiled.
      const evalTrain = await values(await model.evaluate(train.x, train.y, { batchSize: 16 }));
      const evalTrainExact = await values(await model.evaluate(train.x, train.y, { batchSize: 70 }));
      const before = weft.snapshotCounters().pipelineCreations;
      const test45 = data(45);
      await values(model.predict(test45.x, { batchSize: 32 }));
      await values(await model.evaluate(test45.x, test45.y, { batchSize: 32 }));
      const test30 = data(30);
      const evalThirty = await values(await model.evaluate(test30.x, test30.y, { batchSize: 16 }));
      const created = weft.snapshotCounters().pipelineCreations - before;
      const evalThirtyExact = await values(await model.evaluate(test30.x, test30.y, { batchSize: 30 }));
      model.dispose();
      return {
        evalTrain,
        evalTrainExact,
        padded,
        exact,
        evalPadded,
        evalExact,
        evalRows,
        evalStreamed,
        created,
        evalThirty,
        evalThirtyExact,
        names: model.metricsNames,
      };
    },
    undefined,
  );
  const close = (got: number[][], want: number[][], tol: number, what: string) => {
    expect(got.map((a) => a.length)).toEqual(want.map((a) => a.length));
    got.forEach((a, k) =>
      a.forEach((v, i) =>
        expect(Math.abs(v - want[k]![i]!), `${what}: output ${k}[${i}] ${v} vs ${want[k]![i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[k]![i]!))),
      ),
    );
  };
  expect(r.padded.map((a) => a.length)).toEqual([37 * 5, 37 * 3]);
  close(r.padded, r.exact, 1e-6, 'predict 32 + 5 padded vs one 37-row batch');
  expect(r.evalPadded).toHaveLength(r.names.length);
  close(r.evalPadded, r.evalExact, 1e-5, 'evaluate 32 + 5 padded vs 37');
  close(r.evalPadded, r.evalRows, 1e-5, 'evaluate 32 + 5 padded vs 37 batches of one');
  close(r.evalStreamed, r.evalExact, 1e-5, 'evaluateDataset 4 × 8 + 5 vs 37');
  close(r.evalThirty, r.evalThirtyExact, 1e-5, 'evaluate 16 + 14 padded vs 30');
  close(r.evalTrain, r.evalTrainExact, 1e-5, 'evaluate 4 × 16 + 6 padded vs 70');
  expect(r.created, 'pipelines compiled for new short batches').toBe(0);
});

test('fit: a short last batch on the full batch plan trains as on its own plan (WEFT_PADDED_BATCHES=0), compiles nothing more; batch statistics keep their own plan', async () => {
  const r = await inPage(
    page,
    async () => {
      const T = window.weftTesting;
      const weft = T.weft;
      const g = globalThis as Record<string, unknown>;
      const features = 11;
      const build = (normalize: boolean) => {
        const input = weft.input({ shape: [features], name: 'x' });
        let h = weft.layers.dense({ units: 9, activation: 'relu', seed: 1 }).apply(input);
        if (normalize) h = weft.layers.batchNormalization().apply(h);
        const wide = weft.layers.concatenate().apply([input, weft.layers.dropout({ rate: 0.25, seed: 4 }).apply(h)]);
        const main = weft.layers.dense({ units: 4, activation: 'softmax', seed: 2, name: 'main' }).apply(wide);
        const aux = weft.layers.dense({ units: 2, activation: 'sigmoid', seed: 3, name: 'aux' }).apply(h);
        const model = weft.model({ inputs: input, outputs: [main, aux] });
        model.compile({
          optimizer: weft.train.adam(0.02),
          loss: ['sparseCategoricalCrossentropy', 'binaryCrossentropy'],
          lossWeights: [0.6, 0.4],
          metrics: ['accuracy'],
        });
        return model;
      };
      const next = T.lcg(5);
      const data = (rows: number) => ({
        x: weft.tensor(
          Float32Array.from({ length: rows * features }, () => next() * 2 - 1),
          [rows, features],
        ),
        y: [
          weft.tensor(
            Int32Array.from({ length: rows }, () => Math.floor(next() * 4) % 4),
            [rows],
          ),
          weft.tensor(
            Float32Array.from({ length: rows * 2 }, () => (next() < 0.5 ? 0 : 1)),
            [rows, 2],
          ),
        ],
      });
      const train = data(70); // 4 × 16 + 6
      const classWeight = [
        { 0: 1, 1: 2.5, 2: 0.5, 3: 1 },
        { 0: 1, 1: 1 },
      ];
      const fitBoth = async (padded: boolean, normalize: boolean) => {
        g.WEFT_PADDED_BATCHES = padded ? undefined : '0';
        try {
          const model = build(normalize);
          const before = weft.snapshotCounters().pipelineCreations;
          const history = await model.fit(train.x, train.y, { epochs: 3, batchSize: 16, shuffle: true, seed: 9, verbose: 0, classWeight });
          const pipelines = weft.snapshotCounters().pipelineCreations - before;
          const weights = (await model.getWeights()).map((t: any) => Array.from(t.dataSync()) as number[]);
          // Another short batch (74 = 4 × 16 + 10): on the same plan, nothing to compile.
          const more = data(74);
          const again = weft.snapshotCounters().pipelineCreations;
          await model.fit(more.x, more.y, { epochs: 1, batchSize: 16, verbose: 0, classWeight });
          const againPipelines = weft.snapshotCounters().pipelineCreations - again;
          model.dispose();
          return { loss: history.history.loss as number[], weights, pipelines, againPipelines };
        } finally {
          g.WEFT_PADDED_BATCHES = undefined;
        }
      };
      // Without padding first: its full-batch plan's pipelines are then cached (by WGSL text), so the padded
      // run compiles exactly what its short batch needs beyond them: nothing.
      const exact = await fitBoth(false, false);
      const padded = await fitBoth(true, false);
      return { exact, padded, normalized: await fitBoth(true, true) };
    },
    undefined,
  );
  // The same training: the padded step's gradient scale is gradScale × 16 ÷ 6 against 1/6 (float32 rounding).
  r.padded.weights.forEach((w, k) =>
    w.forEach((v, i) =>
      expect(Math.abs(v - r.exact.weights[k]![i]!), `weight ${k}[${i}]: padded ${v} vs exact ${r.exact.weights[k]![i]}`).toBeLessThanOrEqual(1e-5),
    ),
  );
  r.padded.loss.forEach((l, e) => expect(Math.abs(l - r.exact.loss[e]!), `epoch ${e} loss`).toBeLessThanOrEqual(1e-5 * Math.max(1, l)));
  expect(r.padded.againPipelines, 'a new short batch on the padded plan').toBe(0);
  expect(r.exact.againPipelines, 'without padding a new short batch compiles its plan').toBeGreaterThan(0);
  expect(r.exact.pipelines, 'the full and the short batch plans').toBeGreaterThan(0);
  expect(r.padded.pipelines, 'the short batch on the full batch plan: no plan of its own').toBe(0);
  // Batch statistics sum the padding's forward values: that model compiles its short batch's plan.
  expect(r.normalized.againPipelines).toBeGreaterThan(0);
});
