// weft.data and model.fitDataset / evaluateDataset: batches streamed through a ring of upload slots
// train as fit does on the same data (Fashion-MNIST), many steps per submit, ragged batches work;
// bad input in the middle of an epoch is a WeftError naming the batch, the last completed epoch's
// weights are kept and nothing leaks.
import type { Page } from 'puppeteer';
import { beforeAll, expect, test } from 'vitest';
import { inPage, openPage } from './harness.js';

let page: Page;
beforeAll(async () => {
  page = await openPage();
});

test('fitDataset on Fashion-MNIST batches trains as fit on the same data', async () => {
  const r = await inPage(
    page,
    async () => {
      const weft = (window as any).weft;
      const d = await weft.datasets.loadFashionMnist({ trainLimit: 4000 });
      const rows = 4000 - 17; // a ragged last batch
      const pixels = weft.datasets.toFloat01(d.train.images).subarray(0, rows * 784);
      const labels = Int32Array.from(d.train.labels.subarray(0, rows));
      const x = weft.tensor(pixels, [rows, 784]);
      const y = weft.tensor(labels, [rows]);
      const tx = weft.tensor(weft.datasets.toFloat01(d.test.images).subarray(0, 2000 * 784), [2000, 784]);
      const ty = weft.tensor(Int32Array.from(d.test.labels.subarray(0, 2000)), [2000]);
      const build = () => {
        const input = weft.input({ shape: [784] });
        const h = weft.layers.dense({ units: 64, activation: 'relu', seed: 1 }).apply(input);
        const out = weft.layers.dense({ units: 10, activation: 'softmax', seed: 2 }).apply(h);
        const model = weft.model({ inputs: input, outputs: out });
        model.compile({ optimizer: weft.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
        return model;
      };
      const batchSize = 32;
      // The same batches, in order, as a generator of { xs, ys } tensors.
      const batches = weft.data.generator(function* () {
        for (let start = 0; start < rows; start += batchSize) {
          const end = Math.min(rows, start + batchSize);
          yield { xs: weft.tensor(pixels.slice(start * 784, end * 784), [end - start, 784]), ys: weft.tensor(labels.slice(start, end), [end - start]) };
        }
      });
      const fitModel = build();
      const fitHistory = await fitModel.fit(x, y, { epochs: 2, batchSize, shuffle: false, verbose: 0 });
      const streamModel = build();
      const before = weft.snapshotCounters();
      const streamHistory = await streamModel.fitDataset(batches, { epochs: 2, verbose: 0, validationData: [tx, ty] });
      const counters = Object.fromEntries(Object.entries(weft.snapshotCounters()).map(([k, v]) => [k, (v as number) - (before as any)[k]]));
      const fitEval = [await fitModel.evaluate(tx, ty)].flat().map((t: any) => t.dataSync()[0]);
      const streamEval = [await streamModel.evaluate(tx, ty)].flat().map((t: any) => t.dataSync()[0]);
      // weft.data's own pipeline: array → shuffle → batch, and evaluateDataset.
      const items = Array.from({ length: 2000 }, (_, i) => ({ xs: Array.from(pixels.subarray(i * 784, (i + 1) * 784)), ys: labels[i] }));
      const pipeline = weft.data.array(items).shuffle(500, 7).batch(64);
      const pipelineModel = build();
      await pipelineModel.fitDataset(pipeline, { epochs: 1, verbose: 0 });
      const testSet = weft.data
        .zip({
          xs: weft.data.array(Array.from({ length: 2000 }, (_, i) => Array.from(tx.dataSync().subarray(i * 784, (i + 1) * 784)))),
          ys: weft.data.array(Array.from(ty.dataSync())),
        })
        .batch(100);
      const pipelineEval = [await pipelineModel.evaluateDataset(testSet)].flat().map((t: any) => t.dataSync()[0]);
      const pipelineEvalTensors = [await pipelineModel.evaluate(tx, ty)].flat().map((t: any) => t.dataSync()[0]);
      const take = await weft.data
        .array([1, 2, 3, 4, 5])
        .repeat(2)
        .skip(3)
        .take(4)
        .map((v: number) => v * 10)
        .toArray();
      for (const m of [fitModel, streamModel, pipelineModel]) m.dispose();
      return {
        fitLoss: fitHistory.history.loss,
        streamLoss: streamHistory.history.loss,
        streamValAcc: streamHistory.history.val_acc ?? streamHistory.history.val_accuracy,
        fitEval,
        streamEval,
        counters,
        steps: 2 * Math.ceil(rows / batchSize),
        pipelineEval,
        pipelineEvalTensors,
        take,
      };
    },
    undefined,
  );
  console.log(JSON.stringify(r));
  for (let e = 0; e < 2; e++) expect(Math.abs(r.streamLoss[e] - r.fitLoss[e])).toBeLessThan(1e-3 * r.fitLoss[e]);
  expect(Math.abs(r.streamEval[1] - r.fitEval[1])).toBeLessThan(0.005);
  expect(r.streamEval[1]).toBeGreaterThan(0.7);
  expect(r.streamValAcc.length).toBe(2);
  // Many steps per submit: a chunk of 16 batches is one command buffer.
  expect(r.counters.submits).toBeLessThan(r.steps / 8);
  expect(Math.abs(r.pipelineEval[0] - r.pipelineEvalTensors[0])).toBeLessThan(1e-4);
  expect(Math.abs(r.pipelineEval[1] - r.pipelineEvalTensors[1])).toBeLessThan(1e-6);
  expect(r.take).toEqual([40, 50, 10, 20]);
});

test('bad input while streaming: a WeftError naming the batch, the last completed epoch kept, nothing leaked', async () => {
  const r = await inPage(
    page,
    async () => {
      const weft = (window as any).weft;
      const random = window.weftTesting.lcg(3);
      const batch = (rows: number, features = 8) => ({
        xs: weft.tensor(
          Float32Array.from({ length: rows * features }, () => random() - 0.5),
          [rows, features],
        ),
        ys: weft.tensor(
          Int32Array.from({ length: rows }, () => Math.floor(random() * 3)),
          [rows],
        ),
      });
      const input = weft.input({ shape: [8], name: 'features' });
      const out = weft.layers.dense({ units: 3, activation: 'softmax', seed: 1 }).apply(input);
      const model = weft.model({ inputs: input, outputs: out });
      model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
      const flat = async () => {
        const ws = await model.getWeights();
        const text = ws.flatMap((w: any) => Array.from(w.dataSync())).join(',');
        for (const w of ws) w.dispose();
        return text;
      };
      const error = (p: Promise<unknown>) =>
        p.then(
          () => 'no error',
          (e: any) => `${e?.name}: ${e?.message}`,
        );
      // Epoch 1 is fine; epoch 2 goes wrong at its 21st batch (after a chunk has trained).
      const failing = (kind: string) => {
        let epoch = 0;
        return weft.data.generator(function* () {
          epoch++;
          for (let b = 0; b < 40; b++) {
            if (epoch === 2 && b === 20) {
              if (kind === 'shape') yield batch(16, 7);
              else if (kind === 'nan') {
                const bad = batch(16);
                bad.xs.dataSync()[5] = NaN;
                yield bad;
              } else if (kind === 'throw') throw new Error('the source went away');
              else if (kind === 'grow') yield batch(32);
              else return; // ends early
            }
            yield batch(16);
          }
        });
      };
      const warm = batch(16);
      await model.fit(warm.xs, warm.ys, { epochs: 1, verbose: 0 }); // the plans exist
      warm.xs.dispose();
      warm.ys.dispose();
      const results: Record<string, any> = {};
      for (const kind of ['shape', 'nan', 'throw', 'grow', 'early']) {
        const memoryBefore = weft.memory();
        let afterEpoch1 = '';
        const message = await error(
          model.fitDataset(failing(kind), {
            epochs: 3,
            verbose: 0,
            // With batchesPerEpoch one iterator runs across epochs (as TF.js): 40 batches, 30 per epoch.
            ...(kind === 'early' ? { batchesPerEpoch: 30 } : {}),
            callbacks: { onEpochEnd: async (e: number) => e === 0 && (afterEpoch1 = await flat()) },
          }),
        );
        const kept = (await flat()) === afterEpoch1;
        await new Promise((resolve) => setTimeout(resolve, 20));
        const memoryAfter = weft.memory();
        results[kind] = {
          message,
          kept,
          buffersBefore: memoryBefore.numBuffers,
          buffersAfter: memoryAfter.numBuffers,
          tensorsBefore: memoryBefore.numTensors,
          tensorsAfter: memoryAfter.numTensors,
        };
      }
      // After all that, fitDataset still trains.
      let n = 0;
      const fine = weft.data.generator(function* () {
        for (let b = 0; b < 5; b++, n++) yield batch(16);
      });
      const history = await model.fitDataset(fine, { epochs: 2, verbose: 0 });
      model.dispose();
      return { results, finalLoss: history.history.loss, n };
    },
    undefined,
  );
  console.log(JSON.stringify(r, null, 1));
  const { results } = r;
  expect(results.shape.message).toBe(
    "WeftError: fitDataset: batch 21 of epoch 2: input 'features' expects shape [n, 8], got [16, 7]. The model keeps the weights of epoch 1, the last completed one.",
  );
  expect(results.nan.message).toMatch(
    /^WeftError: fitDataset: batch 21 of epoch 2: input 'features' holds NaN at sample 0, feature 5; clean the data .*The model keeps the weights of epoch 1/,
  );
  expect(results.throw.message).toMatch(
    /^WeftError: fitDataset: the dataset threw while making batch 21 of epoch 2: the source went away\. The model keeps the weights of epoch 1/,
  );
  expect(results.grow.message).toMatch(/^WeftError: fitDataset: batch 21 of epoch 2 holds 32 samples, more than the first batch's 16/);
  expect(results.early.message).toMatch(
    /^WeftError: fitDataset: the dataset ended after 10 batches in epoch 2, but batchesPerEpoch is 30; use dataset.repeat\(\)/,
  );
  for (const kind of Object.keys(results)) {
    expect(results[kind].kept).toBe(true);
    expect(results[kind].buffersAfter).toBe(results[kind].buffersBefore);
    expect(results[kind].tensorsAfter).toBe(results[kind].tensorsBefore);
  }
  expect(r.finalLoss.every(Number.isFinite)).toBe(true);
});

test('fitDataset with classWeight trains as fit with the same classWeight (one-hot and sparse outputs)', async () => {
  const r = await inPage(
    page,
    async () => {
      const weft = (window as any).weft;
      const random = window.weftTesting.lcg(99);
      const rows = 61; // batches of 8 and a ragged last one
      const batchSize = 8;
      const x = Float32Array.from({ length: rows * 5 }, () => random() * 2 - 1);
      const kinds = Int32Array.from({ length: rows }, () => Math.floor(random() * 3));
      const grades = new Float32Array(rows * 4);
      for (let i = 0; i < rows; i++) grades[i * 4 + Math.floor(random() * 4)] = 1;
      const classWeight = { kind: { 0: 0.5, 1: 3, 2: 1 }, grade: { 0: 2, 1: 0.25, 2: 1, 3: 4 } };
      const build = () => {
        const input = weft.input({ shape: [5] });
        const h = weft.layers.dense({ units: 6, activation: 'tanh', seed: 1 }).apply(input);
        const kind = weft.layers.dense({ units: 3, activation: 'softmax', seed: 2, name: 'kind' }).apply(h);
        const grade = weft.layers.dense({ units: 4, activation: 'softmax', seed: 3, name: 'grade' }).apply(h);
        const model = weft.model({ inputs: input, outputs: [kind, grade] });
        model.compile({ optimizer: weft.train.adam(0.01), loss: ['sparseCategoricalCrossentropy', 'categoricalCrossentropy'], metrics: ['accuracy'] });
        return model;
      };
      const batches = weft.data.generator(function* () {
        for (let start = 0; start < rows; start += batchSize) {
          const end = Math.min(rows, start + batchSize);
          yield {
            xs: weft.tensor(x.slice(start * 5, end * 5), [end - start, 5]),
            ys: { kind: weft.tensor(kinds.slice(start, end), [end - start]), grade: weft.tensor(grades.slice(start * 4, end * 4), [end - start, 4]) },
          };
        }
      });
      const xt = weft.tensor(x, [rows, 5]);
      const yt = [weft.tensor(kinds, [rows]), weft.tensor(grades, [rows, 4])];
      const weighted = build();
      const fitHistory = await weighted.fit(xt, yt, { epochs: 2, batchSize, shuffle: false, verbose: 0, classWeight });
      const streamed = build();
      const streamHistory = await streamed.fitDataset(batches, { epochs: 2, verbose: 0, classWeight });
      const plain = build();
      const plainHistory = await plain.fitDataset(batches, { epochs: 2, verbose: 0 });
      const weights = async (m: any) => (await m.getWeights()).map((t: any) => Array.from(t.dataSync() as Float32Array));
      const [a, b, c] = [await weights(weighted), await weights(streamed), await weights(plain)];
      const maxDiff = (p: number[][], q: number[][]) => Math.max(...p.map((w, i) => Math.max(...w.map((v, j) => Math.abs(v - q[i]![j]!)))));
      const result = {
        fitLoss: fitHistory.history.loss,
        streamLoss: streamHistory.history.loss,
        plainLoss: plainHistory.history.loss,
        streamVsFit: maxDiff(b, a),
        plainVsFit: maxDiff(c, a),
      };
      for (const m of [weighted, streamed, plain]) m.dispose();
      return result;
    },
    undefined,
  );
  console.log(JSON.stringify(r));
  for (let e = 0; e < 2; e++) expect(Math.abs(r.streamLoss[e] - r.fitLoss[e])).toBeLessThan(1e-5 * r.fitLoss[e]);
  expect(r.streamVsFit).toBeLessThan(1e-5);
  // and the weights matter: unweighted training ends elsewhere
  expect(r.plainVsFit).toBeGreaterThan(100 * r.streamVsFit);
  expect(Math.abs(r.plainLoss[0] - r.fitLoss[0])).toBeGreaterThan(1e-3);
});
