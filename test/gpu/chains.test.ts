// Chains of small kernels (plan/dispatchGroups.ts chainDispatches: on for real GPUs and for CPU adapters
// with subgroups like this one, where their quadTiled matmuls take small blocks, wgsl chainQuadBlock)
// compute what separate dispatches do: forced on and off (globalThis.WEFT_CHAINS: the page's window in Chromium; this
// project runs the file in Node on Dawn, vitest.config.ts), the same models from the same weights reach the same
// weights, losses and predictions in fewer dispatches per step, with the optimizer fused into the
// weight gradients too (the real-GPU configuration) and without.
import type { Page } from 'puppeteer';
import { beforeAll, expect, test } from 'vitest';
import { inPage, openPage } from './harness.js';

let page: Page;
beforeAll(async () => {
  page = await openPage();
});

type Run = { weights: number[]; loss: number[]; predictions: number[]; dispatches: number; chained: boolean };

test('chained small kernels train and predict as separate dispatches (Adam, a penalty, a concat, dropout, two outputs)', async () => {
  const r = await inPage(
    page,
    async (): Promise<Record<'apart' | 'chained' | 'chainedFused', Run>> => {
      const weft = (window as any).weft;
      const n = 75;
      const data = window.weftTesting.seededClassification(n, 9, 4, 11);
      const random = data.random;
      const x = weft.tensor(data.x, [n, 9]);
      const y = weft.tensor(data.y, [n]);
      const z = weft.tensor(
        Float32Array.from({ length: n * 2 }, () => random()),
        [n, 2],
      );
      const train = async (chains: boolean, fused: boolean): Promise<Run> => {
        (globalThis as any).WEFT_CHAINS = chains;
        (globalThis as any).WEFT_FUSED_UPDATES = fused;
        try {
          const input = weft.input({ shape: [9] });
          const h1 = weft.layers.dense({ units: 7, activation: 'relu', seed: 1, kernelRegularizer: weft.regularizers.l2({ l2: 0.01 }) }).apply(input);
          const h2 = weft.layers.dense({ units: 5, activation: 'tanh', seed: 2 }).apply(weft.layers.dropout({ rate: 0.25, seed: 4 }).apply(h1));
          const classes = weft.layers.dense({ units: 4, activation: 'softmax', seed: 3, name: 'classes' }).apply(weft.layers.concatenate().apply([input, h2]));
          const value = weft.layers.dense({ units: 2, activation: 'sigmoid', seed: 5, name: 'value' }).apply(h2);
          const model = weft.model({ inputs: input, outputs: [classes, value] });
          model.compile({
            optimizer: weft.train.adam(0.01),
            loss: ['sparseCategoricalCrossentropy', 'meanSquaredError'],
            lossWeights: [0.7, 0.3],
            metrics: ['accuracy'],
          });
          const explain = await model.explain(16);
          // 75 samples in batches of 16: four full steps and a partial one (a plan of its own) per epoch.
          const history = await model.fit(x, [y, z], { epochs: 3, batchSize: 16, shuffle: false, verbose: 0, seed: 9 });
          const weights: number[] = (await model.getWeights()).flatMap((w: any) => Array.from(w.dataSync() as Float32Array));
          const out = model.predict(x, { batchSize: 16 });
          const predictions: number[] = [];
          for (const t of out) predictions.push(...(Array.from(await t.data()) as number[]));
          model.dispose();
          return {
            weights,
            loss: history.history.loss,
            predictions,
            dispatches: explain.dispatchesPerTrainStep,
            chained: explain.kernels.some((k: any) => k.name.includes(' → ')),
          };
        } finally {
          delete (globalThis as any).WEFT_CHAINS;
          delete (globalThis as any).WEFT_FUSED_UPDATES;
        }
      };
      return { apart: await train(false, false), chained: await train(true, false), chainedFused: await train(true, true) };
    },
    undefined,
  );
  expect(r.apart.chained).toBe(false);
  expect(r.chained.chained).toBe(true);
  expect(r.chained.dispatches).toBeLessThan(r.apart.dispatches);
  expect(r.chainedFused.dispatches).toBeLessThan(r.chained.dispatches);
  for (const run of [r.chained, r.chainedFused]) {
    expect(run.weights.length).toBe(r.apart.weights.length);
    const scale = Math.max(...r.apart.weights.map((w) => Math.abs(w)));
    run.weights.forEach((w, i) => expect(Math.abs(w - r.apart.weights[i]!), `weight ${i}`).toBeLessThan(1e-5 * scale));
    run.loss.forEach((l, i) => expect(l).toBeCloseTo(r.apart.loss[i]!, 5));
    expect(run.predictions.length).toBe(r.apart.predictions.length);
    run.predictions.forEach((p, i) => expect(Math.abs(p - r.apart.predictions[i]!), `prediction ${i}`).toBeLessThan(1e-5));
  }
});

/** A switch set for one run (globalThis.WEFT_…), and the optimizer that run trains with. */
interface WideDeepRun {
  switches: Partial<Record<'WEFT_CHAINS' | 'WEFT_GATHERED_PRODUCTS' | 'WEFT_ROW_PARTS', boolean>>;
  optimizer: 'adam' | 'sgd';
}

/**
 * Wide & deep with 300 features (the first layer's products and the output layer's over the concat are big,
 * chainWork > CHAIN_KERNEL_WORK; the hidden layer's and the loss head small), trained from the same weights
 * for two epochs of 96 samples under each run's switches, fused updates off: weights, losses, predictions,
 * dispatches per step and the step's kernel names.
 */
async function trainWideDeep(runs: WideDeepRun[]): Promise<(Run & { names: string[] })[]> {
  return inPage(
    page,
    async (runs: WideDeepRun[]): Promise<(Run & { names: string[] })[]> => {
      const weft = (window as any).weft;
      const n = 96;
      const features = 300;
      const data = window.weftTesting.seededClassification(n, features, 10, 17);
      const x = weft.tensor(data.x, [n, features]);
      const y = weft.tensor(data.y, [n]);
      const results: (Run & { names: string[] })[] = [];
      for (const run of runs) {
        for (const [name, value] of Object.entries(run.switches)) if (value !== undefined) (globalThis as any)[name] = value;
        (globalThis as any).WEFT_FUSED_UPDATES = false;
        try {
          const input = weft.input({ shape: [features] });
          const h1 = weft.layers.dense({ units: 30, activation: 'relu', seed: 1 }).apply(input);
          const h2 = weft.layers.dense({ units: 30, activation: 'relu', seed: 2 }).apply(h1);
          const out = weft.layers.dense({ units: 10, activation: 'softmax', seed: 3 }).apply(weft.layers.concatenate().apply([input, h2]));
          const model = weft.model({ inputs: input, outputs: out });
          const optimizer = run.optimizer === 'adam' ? weft.train.adam(0.01) : weft.train.sgd(0.1);
          model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
          const explain = await model.explain(32);
          const history = await model.fit(x, y, { epochs: 2, batchSize: 32, shuffle: true, verbose: 0, seed: 3 });
          const weights: number[] = (await model.getWeights()).flatMap((w: any) => Array.from(w.dataSync() as Float32Array));
          const predictions = Array.from((await model.predict(x, { batchSize: 32 }).data()) as Float32Array);
          model.dispose();
          const names: string[] = explain.kernels.map((k: any) => k.name);
          results.push({
            weights,
            loss: history.history.loss,
            predictions,
            dispatches: explain.dispatchesPerTrainStep,
            chained: names.some((k) => k.includes(' → ')),
            names,
          });
        } finally {
          for (const name of [...Object.keys(run.switches), 'WEFT_FUSED_UPDATES']) delete (globalThis as any)[name];
        }
      }
      return results;
    },
    runs,
  );
}

/** `run` reached what `reference` did: weights within 1e-5 of the largest, losses to 5 digits, predictions within 1e-5. */
function expectSameTraining(run: Run, reference: Run): void {
  const scale = Math.max(...reference.weights.map((w) => Math.abs(w)));
  expect(run.weights.length).toBe(reference.weights.length);
  run.weights.forEach((w, i) => expect(Math.abs(w - reference.weights[i]!), `weight ${i}`).toBeLessThan(1e-5 * scale));
  run.loss.forEach((l, i) => expect(l).toBeCloseTo(reference.loss[i]!, 5));
  expect(run.predictions.length).toBe(reference.predictions.length);
  run.predictions.forEach((p, i) => expect(Math.abs(p - reference.predictions[i]!), `prediction ${i}`).toBeLessThan(1e-5));
}

test('wide & deep: the small backward kernels that the plan interleaves with big ones chain out of its order, and train as the plan does', async () => {
  // The input gathered into the concat, as on real GPUs: read by index, the output layer's products split
  // at its columns and the plan changes shape (the test after this one).
  // Row parts off: they change the plan's order (weight gradients last), test/gpu/row-parts.test.ts.
  const [apart, chained] = await trainWideDeep([
    { switches: { WEFT_CHAINS: false, WEFT_GATHERED_PRODUCTS: false, WEFT_ROW_PARTS: false }, optimizer: 'adam' },
    { switches: { WEFT_CHAINS: true, WEFT_GATHERED_PRODUCTS: false, WEFT_ROW_PARTS: false }, optimizer: 'adam' },
  ]);
  // In the plan's order each small backward kernel shares a group with a big one and nothing chains;
  // reordered, the loss head and the hidden layer's two gradients run as one chain and the two big
  // weight gradients side by side: 9 → 7 dispatches.
  expect(apart!.dispatches).toBe(9);
  expect(chained!.dispatches).toBe(7);
  const chainNames = chained!.names.filter((name) => name.includes(' → '));
  expect(chainNames).toHaveLength(1);
  expect(chainNames[0]).toMatch(/head.* → .*dense_\d+ weight gradient/);
  expectSameTraining(chained!, apart!);
});

test("wide & deep with its input read by index: the output layer's products split at the input's columns, 4 dispatches (3 in row parts), and it trains as with the input gathered", async () => {
  // SGD: Adam turns rounding in a near-zero gradient into a whole step of either sign.
  const [gathered, read, parts] = await trainWideDeep([
    { switches: { WEFT_CHAINS: true, WEFT_GATHERED_PRODUCTS: false, WEFT_ROW_PARTS: false }, optimizer: 'sgd' },
    { switches: { WEFT_CHAINS: true, WEFT_GATHERED_PRODUCTS: true, WEFT_ROW_PARTS: false }, optimizer: 'sgd' },
    // This adapter's default: the first products and the chain as two row parts of 16 rows (plan/rowParts.ts).
    { switches: { WEFT_CHAINS: true, WEFT_GATHERED_PRODUCTS: true }, optimizer: 'sgd' },
  ]);
  // Gathered: the gather, the first layer, the hidden layer, the output layer, a chain, the two big weight
  // gradients, the optimizer (7). Read by index: the first layer with the output layer's input part (one kernel
  // over the rows read by index, wgsl/sharedOperand.ts), a chain from the hidden layer to its weight gradient,
  // the input parts' weight gradients (one kernel too), the optimizer.
  expect(gathered!.dispatches).toBe(7);
  expect(gathered!.names.some((k) => k.startsWith('gather'))).toBe(true);
  expect(read!.dispatches).toBe(4);
  expect(read!.names.some((k) => k.includes('gather'))).toBe(false);
  expect(read!.names[0]).toMatch(/^dense_\d+ \(%\d+\) & dense_\d+ \(%\d+\), columns 0–300$/);
  expect(read!.names[2]).toMatch(/weight gradient \+ bias gradient \(%\d+\), rows 0–300 & dense_\d+ weight gradient/);
  expectSameTraining(read!, gathered!);
  expect(parts!.dispatches).toBe(3);
  expect(parts!.names[0]).toMatch(/^dense_\d+ \(%\d+\) & dense_\d+ \(%\d+\), columns 0–300 → .* \(2 row parts\)$/);
  expectSameTraining(parts!, gathered!);
});
