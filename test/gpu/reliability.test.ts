// Nothing the GPU or the optimizer can do silently corrupts a model or loses work: divergence,
// device loss, limits, leaks, kernels that do not compile, and determinism under seeds.
import type { Page } from 'puppeteer';
import { beforeAll, expect, test } from 'vitest';
import type { Tensor } from '../../src/index.js';
import type { GeneratedKernel } from '../../src/wgsl/index.js';
import { inPage, openPage } from './harness.js';

/** The GPU part of weft.memory() (live buffers and bytes); host tensors the tests keep are not counted. */
const gpuPart = (m: { numBuffers: number; numBytes: number }) => ({ numBuffers: m.numBuffers, numBytes: m.numBytes });

let page: Page;
beforeAll(async () => {
  page = await openPage();
  // Helpers shared by the tests below (window.rel), defined once in the page.
  await inPage(
    page,
    () => {
      const weft = window.weft;
      const rel = {
        data(n: number, seed = 1) {
          const random = window.weftTesting.lcg(seed);
          const x = Float32Array.from({ length: n * 3 }, () => random() * 2 - 1);
          const y = Int32Array.from({ length: n }, (_, i) => (x[i * 3]! + x[i * 3 + 1]! > 0 ? 1 : 0) + (x[i * 3 + 2]! > 0.5 ? 1 : 0));
          const t = Float32Array.from({ length: n }, (_, i) => x[i * 3]! - 2 * x[i * 3 + 1]! + 0.5 * x[i * 3 + 2]!);
          return { x: weft.tensor(x, [n, 3]), y: weft.tensor(y, [n]), t: weft.tensor(t, [n, 1]) };
        },
        classifier(dropout = false) {
          const input = weft.input({ shape: [3], name: 'features' });
          let h = weft.layers.dense({ units: 8, activation: 'relu', seed: 11, name: 'hidden' }).apply(input);
          if (dropout) h = weft.layers.dropout({ rate: 0.25, seed: 12 }).apply(h);
          const out = weft.layers.dense({ units: 3, activation: 'softmax', seed: 13, name: 'classes' }).apply(h);
          return weft.model({ inputs: input, outputs: out });
        },
        regressor() {
          const input = weft.input({ shape: [3], name: 'features' });
          const h = weft.layers.dense({ units: 8, activation: 'tanh', seed: 21, name: 'hidden' }).apply(input);
          const out = weft.layers.dense({ units: 1, seed: 22, name: 'value' }).apply(h);
          return weft.model({ inputs: input, outputs: out });
        },
        async flat(model: any): Promise<Float32Array> {
          const ws = await model.getWeights();
          const parts = ws.map((w: any) => Float32Array.from(w.dataSync()));
          const out = new Float32Array(parts.reduce((n: number, p: Float32Array) => n + p.length, 0));
          let o = 0;
          for (const p of parts) out.set(p, (o += p.length) - p.length);
          return out;
        },
        same(a: Float32Array, b: Float32Array): boolean {
          if (a.length !== b.length) return false;
          const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
          const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
          return ua.every((v, i) => v === ub[i]);
        },
        async error(p: Promise<unknown> | (() => unknown)): Promise<string> {
          try {
            await (typeof p === 'function' ? p() : p);
            return 'no error';
          } catch (e: any) {
            return `${e?.name}: ${e?.message}`;
          }
        },
      };
      window.rel = rel;
    },
    undefined,
  );
});

test('divergence: fit rejects with a clear error and keeps the last finite weights; training can go on', async () => {
  const r = await inPage(
    page,
    async () => {
      const { weft, rel } = window as any;
      const { x, t } = rel.data(64);
      const model = rel.regressor();
      const optimizer = weft.train.sgd(0.01, { momentum: 0.9 });
      model.compile({ optimizer, loss: 'meanSquaredError' });
      let afterEpoch1: Float32Array | null = null;
      const error = await rel.error(
        model.fit(x, t, {
          epochs: 4,
          batchSize: 8,
          seed: 1,
          verbose: 0,
          callbacks: {
            onEpochEnd: async (epoch: number) => {
              if (epoch !== 0) return;
              afterEpoch1 = await rel.flat(model); // host copy, current at every epoch end
              optimizer.learningRate = 1e25; // the next epoch blows up
            },
          },
        }),
      );
      const kept = await rel.flat(model);
      // Training goes on from the kept weights with fresh optimizer state.
      optimizer.learningRate = 0.01;
      const history = await model.fit(x, t, { epochs: 1, batchSize: 8, seed: 2, verbose: 0 });
      const after = await rel.flat(model);
      return {
        error,
        keptIsEpoch1: rel.same(kept, afterEpoch1!),
        keptFinite: kept.every(Number.isFinite),
        nextLoss: history.history.loss[0],
        afterFinite: after.every(Number.isFinite),
        uncaptured: (await weft.getGpu()).uncapturedErrors,
      };
    },
    undefined,
  );
  console.log(r.error);
  expect(r.error).toMatch(
    /^WeftError: fit: the (loss became (NaN|Infinity)|weights became non-finite \(NaN or Infinity\)) in epoch 2; training diverged \(lower the learning rate, or check the data\)\. The model keeps the weights of epoch 1\.$/,
  );
  expect(r.keptIsEpoch1).toBe(true);
  expect(r.keptFinite).toBe(true);
  expect(Number.isFinite(r.nextLoss)).toBe(true);
  expect(r.afterFinite).toBe(true);
  expect(r.uncaptured).toEqual([]);
});

test('divergence with weft.callbacks.terminateOnNaN(): fit stops without throwing, last finite weights kept', async () => {
  const r = await inPage(
    page,
    async () => {
      const { weft, rel } = window as any;
      const { x, t } = rel.data(64);
      const model = rel.regressor();
      const optimizer = weft.train.sgd(0.01);
      model.compile({ optimizer, loss: 'mse' });
      let afterEpoch2: Float32Array | null = null;
      const history = await model.fit(x, t, {
        epochs: 6,
        batchSize: 8,
        seed: 3,
        verbose: 0,
        callbacks: [
          weft.callbacks.terminateOnNaN(),
          {
            onEpochEnd: async (epoch: number) => {
              if (epoch !== 1) return;
              afterEpoch2 = await rel.flat(model);
              optimizer.learningRate = 1e25;
            },
          },
        ],
      });
      const kept = await rel.flat(model);
      return { losses: history.history.loss, epochs: history.epoch, keptIsEpoch2: rel.same(kept, afterEpoch2!), stopTraining: model.stopTraining };
    },
    undefined,
  );
  expect(r.epochs).toEqual([0, 1, 2]);
  expect(Number.isFinite(r.losses[0])).toBe(true);
  expect(Number.isFinite(r.losses[1])).toBe(true);
  expect(Number.isFinite(r.losses[2])).toBe(false);
  expect(r.keptIsEpoch2).toBe(true);
  expect(r.stopTraining).toBe(true);
});

test('earlyStopping({ restoreBestWeights }) restores the best epoch from the host copies', async () => {
  const r = await inPage(
    page,
    async () => {
      const { weft, rel } = window as any;
      const { x, y } = rel.data(64);
      const model = rel.classifier();
      model.compile({ optimizer: weft.train.sgd(0.1), loss: 'sparseCategoricalCrossentropy' });
      const snapshots: Float32Array[] = [];
      weft.resetCounters();
      // mode 'max' on a falling loss: epoch 1 is the best, training stops after epoch 2.
      const stopper = weft.callbacks.earlyStopping({ monitor: 'loss', mode: 'max', patience: 0, restoreBestWeights: true });
      const history = await model.fit(x, y, {
        epochs: 5,
        batchSize: 16,
        seed: 4,
        verbose: 0,
        callbacks: [{ onEpochEnd: async () => void snapshots.push(await rel.flat(model)) }, stopper],
      });
      const readbacks = weft.snapshotCounters().readbacks;
      const final = await rel.flat(model);
      const predicted = (await model.predict(x)).dataSync();
      const check = rel.classifier();
      check.setWeights(await model.getWeights());
      const expected = (await check.predict(x)).dataSync();
      return {
        epochs: history.epoch,
        restored: rel.same(final, snapshots[0]!),
        changed: !rel.same(snapshots[0]!, snapshots[1]!),
        gpuRestored: rel.same(predicted, expected),
        readbacks,
      };
    },
    undefined,
  );
  expect(r.epochs).toEqual([0, 1]);
  expect(r.changed).toBe(true);
  expect(r.restored).toBe(true);
  expect(r.gpuRestored).toBe(true);
});

test('a plan over a device limit: a WeftError naming the kernel and the limit, nothing left allocated', async () => {
  const r = await inPage(
    page,
    async () => {
      const { weft, rel } = window as any;
      const gpu = await weft.getGpu();
      const { x, y } = rel.data(32);
      const model = rel.classifier();
      model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
      const before = await rel.flat(model);
      const saved = gpu.limits.maxStorageBuffersPerShaderStage;
      gpu.limits.maxStorageBuffersPerShaderStage = 1;
      let error = 'no error';
      let wgsl = '';
      let kernel = '';
      try {
        await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
      } catch (e: any) {
        error = `${e?.name}: ${e?.message}`;
        wgsl = e?.wgsl ?? '';
        kernel = e?.kernel ?? '';
      } finally {
        gpu.limits.maxStorageBuffersPerShaderStage = saved;
      }
      const untouched = rel.same(before, await rel.flat(model));
      const history = await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 }); // the real limit: fine
      return { error, kernel, wgsl, untouched, loss: history.history.loss[0] };
    },
    undefined,
  );
  console.log(r.error);
  expect(r.error).toMatch(
    /^WeftError: kernel "[^"]+" \(the train plan for batch size 8\) binds \d+ storage buffers, more than this GPU's maxStorageBuffersPerShaderStage \(1\)$/,
  );
  expect(r.error).toContain(`kernel "${r.kernel}"`);
  expect(r.wgsl).toContain(`// weft kernel: ${r.kernel}`); // the error carries the kernel's WGSL
  expect(r.untouched).toBe(true);
  expect(Number.isFinite(r.loss)).toBe(true);
});

test('a kernel over the invocation limit or with bad WGSL: a WeftError naming the kernel (weftTesting.runtime)', async () => {
  const r = await inPage(
    page,
    async () => {
      const { runtime } = window.weftTesting;
      const gpu = await runtime.getGpu();
      const kernel = (name: string, wgsl: string): GeneratedKernel => ({
        name,
        wgsl,
        entryPoint: 'main',
        bindings: [],
        usesStep: false,
        workgroups: [1, 1, 1],
      });
      const limit = gpu.limits.maxComputeInvocationsPerWorkgroup!;
      const tooWide = await runtime.getPipeline(gpu, kernel('too wide', `@compute @workgroup_size(${limit * 2})\nfn main() {}\n`)).then(
        () => 'no error',
        (e: any) => ({ name: e.name, kernel: e.kernel, message: e.message }),
      );
      const typo = await runtime.getPipeline(gpu, kernel('typo', '@compute @workgroup_size(1)\nfn main() {\n  let y = 1.0 +;\n}\n')).then(
        () => 'no error',
        (e: any) => ({ name: e.name, kernel: e.kernel, message: e.message }),
      );
      return { limit, tooWide, typo, uncaptured: gpu.uncapturedErrors };
    },
    undefined,
  );
  console.log(JSON.stringify(r, null, 1));
  // 'no error' (a string) fails every check below
  const tooWide = r.tooWide as Exclude<typeof r.tooWide, string>;
  const typo = r.typo as Exclude<typeof r.typo, string>;
  expect(tooWide.name).toBe('WeftError');
  expect(tooWide.kernel).toBe('too wide');
  expect(tooWide.message).toMatch(/^kernel "too wide": /);
  expect(tooWide.message).toMatch(new RegExp(`${r.limit * 2}|${r.limit}|maxComputeInvocationsPerWorkgroup`, 'i'));
  expect(typo.name).toBe('WeftError');
  expect(typo.kernel).toBe('typo');
  expect(typo.message).toMatch(/^kernel "typo": WGSL does not compile:\n\s+3:\d+: error: /);
  expect(typo.message).toContain('3 |   let y = 1.0 +;');
  expect(r.uncaptured).toEqual([]);
});

test('a dataset over maxStorageBufferBindingSize is split over several bindings: fit, evaluate and predict as on one', async () => {
  const r = await inPage(
    page,
    async () => {
      const { weft, rel } = window as any;
      const gpu = await weft.getGpu();
      const { x, y } = rel.data(2000);
      const model = rel.classifier();
      model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      await model.fit(x, y, { epochs: 1, batchSize: 64, verbose: 0 }); // engine and plans exist
      const whole = {
        evaluate: [await model.evaluate(x, y, { batchSize: 64 })].flat().map((t: any) => t.dataSync()[0]),
        predict: Array.from((await model.predict(x, { batchSize: 64 })).dataSync()),
      };
      const live = weft.memory();
      const saved = gpu.limits.maxStorageBufferBindingSize;
      gpu.limits.maxStorageBufferBindingSize = 16384; // a fake small limit: the input is 24000 bytes, two parts of 1364 and 636 rows
      // New tensors with the same data: the ones above are on the GPU already (uploaded once, in one part).
      const x2 = weft.tensor(x.dataSync().slice(), x.shape);
      const y2 = weft.tensor(y.dataSync().slice(), y.shape);
      let split: any;
      try {
        split = {
          evaluate: [await model.evaluate(x2, y2, { batchSize: 64 })].flat().map((t: any) => t.dataSync()[0]),
          predict: Array.from((await model.predict(x2, { batchSize: 64 })).dataSync()),
        };
        const history = await model.fit(x2, y2, { epochs: 2, batchSize: 64, verbose: 0 });
        split.loss = history.history.loss;
        split.parts = (model as any).owner.live.partsOf({ id: [...(model as any).owner.live.datasets.keys()].pop() });
      } finally {
        gpu.limits.maxStorageBufferBindingSize = saved;
      }
      // The split copies go with their tensors (the plans made for the parts' ragged batches stay).
      const session = (model as any).owner.live;
      const cachedBefore = session.cachedDatasets;
      const bytesBefore = weft.memory().numBytes;
      x2.dispose();
      y2.dispose();
      return { whole, split, cachedBefore, cachedAfter: session.cachedDatasets, freed: bytesBefore - weft.memory().numBytes, live };
    },
    undefined,
  );
  expect(r.split.parts).toBe(2);
  expect(Math.abs(r.split.evaluate[0] - r.whole.evaluate[0])).toBeLessThan(1e-5);
  expect(r.split.evaluate[1]).toBe(r.whole.evaluate[1]);
  expect(r.split.predict).toEqual(r.whole.predict);
  expect(r.split.loss.every(Number.isFinite)).toBe(true);
  expect(r.cachedBefore).toBe(4); // [x, y] and [x] in one part; [x2, y2] and [x2] in two
  expect(r.cachedAfter).toBe(2);
  expect(r.freed).toBeGreaterThan(2 * 24000);
});

test('resources: 50 × build/compile/fit/evaluate/predict/dispose returns live GPU buffers and bytes to their start', async () => {
  const r = await inPage(
    page,
    async () => {
      const { weft, rel } = window as any;
      const { x, y } = rel.data(40);
      const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
      await settle();
      const start = weft.memory();
      const levels: { numBuffers: number; numBytes: number }[] = [];
      let peak = 0;
      for (let i = 0; i < 50; i++) {
        const model = rel.classifier(i % 2 === 1);
        model.compile({ optimizer: i % 3 === 0 ? 'adam' : 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
        await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0, validationData: i % 5 === 0 ? [x, y] : undefined });
        if (i % 10 === 0) {
          await model.evaluate(x, y, { batchSize: 16 });
          await model.predict(x, { batchSize: 16 });
        }
        peak = Math.max(peak, weft.memory().numBuffers);
        model.dispose();
        await settle();
        if (i % 10 === 9) levels.push(weft.memory());
      }
      // dispose() while fit runs: fit stops after the current epoch and then frees everything.
      const model = rel.classifier();
      model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
      const history = await model.fit(x, y, { epochs: 5, batchSize: 16, verbose: 0, callbacks: { onEpochEnd: () => model.dispose() } });
      await settle();
      return { start, levels, peak, end: weft.memory(), epochsRun: history.epoch.length, disposed: model.isDisposed };
    },
    undefined,
  );
  console.log(JSON.stringify(r));
  expect(r.peak).toBeGreaterThan(r.start.numBuffers);
  for (const level of r.levels) expect(gpuPart(level)).toEqual(gpuPart(r.start));
  expect(gpuPart(r.end)).toEqual(gpuPart(r.start));
  expect(r.epochsRun).toBe(1);
  expect(r.disposed).toBe(true);
});

test('determinism: the same seeds give bit-identical initial weights and final weights', async () => {
  const r = await inPage(
    page,
    async () => {
      const { rel } = window as any;
      const { x, y } = rel.data(100, 5);
      const run = async (fitSeed: number) => {
        const model = rel.classifier(true);
        model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
        const initial = await rel.flat(model);
        await model.fit(x, y, { epochs: 2, batchSize: 16, seed: fitSeed, shuffle: true, verbose: 0 });
        const final = await rel.flat(model);
        model.dispose();
        return { initial, final };
      };
      const a = await run(7);
      const b = await run(7);
      const c = await run(8);
      return {
        initialSame: rel.same(a.initial, b.initial),
        finalSame: rel.same(a.final, b.final),
        trained: !rel.same(a.initial, a.final),
        otherSeedDiffers: !rel.same(a.final, c.final),
        otherSeedSameStart: rel.same(a.initial, c.initial),
      };
    },
    undefined,
  );
  expect(r).toEqual({ initialSame: true, finalSame: true, trained: true, otherSeedDiffers: true, otherSeedSameStart: true });
});

// Found by reliability-fuzz.test.ts (and the TF.js oracle): the memory plan let the relu's output
// share the target's arena slot, so evaluate reported a wrong loss (fixed in src/ir/plan.ts).
test('evaluate of input → relu → dense with MSE equals the loss of its own predictions', async () => {
  const r = await inPage(
    page,
    async () => {
      const weft = window.weft;
      const input = weft.input({ shape: [2] });
      const h = weft.layers.activation({ activation: 'relu' }).apply(input);
      const out = weft.layers.dense({ units: 2, seed: 3 }).apply(h);
      const model = weft.model({ inputs: input, outputs: out });
      model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      const n = 8;
      const x = weft.tensor(
        Float32Array.from({ length: n * 2 }, (_, i) => Math.sin(i)),
        [n, 2],
      );
      const t = Float32Array.from({ length: n * 2 }, (_, i) => Math.cos(3 * i));
      const evaluated = ((await model.evaluate(x, weft.tensor(t, [n, 2]), { batchSize: 8 })) as Tensor).dataSync()[0]!;
      const p = ((await model.predict(x)) as Tensor).dataSync();
      let sum = 0;
      for (let i = 0; i < n * 2; i++) sum += (p[i]! - t[i]!) ** 2;
      model.dispose();
      return { evaluated, expected: sum / (n * 2) };
    },
    undefined,
  );
  expect(r.evaluated).toBeCloseTo(r.expected, 4);
});

test('device loss during fit: a clear rejection, the last completed epoch kept, and fit continues after resetGpu()', async () => {
  const lossPage = await openPage(); // its own page: this test destroys the page's device
  const r = await inPage(
    lossPage,
    async () => {
      const weft = window.weft;
      const n = 48;
      const random = window.weftTesting.lcg(9);
      const x = weft.tensor(
        Float32Array.from({ length: n * 3 }, () => random() * 2 - 1),
        [n, 3],
      );
      const y = weft.tensor(
        Int32Array.from({ length: n }, () => Math.floor(random() * 3)),
        [n],
      );
      const build = () => {
        const input = weft.input({ shape: [3], name: 'features' });
        const h = weft.layers.dense({ units: 8, activation: 'relu', seed: 1, name: 'hidden' }).apply(input);
        const out = weft.layers.dense({ units: 3, activation: 'softmax', seed: 2, name: 'classes' }).apply(h);
        const model = weft.model({ inputs: input, outputs: out });
        model.compile({ optimizer: weft.train.sgd(0.1), loss: 'sparseCategoricalCrossentropy' });
        return model;
      };
      const flat = async (model: any) => {
        const ws = await model.getWeights();
        return ws.flatMap((w: any) => Array.from(new Uint32Array(Float32Array.from(w.dataSync()).buffer))).join(',');
      };
      const error = async (p: Promise<unknown>) =>
        p.then(
          () => 'no error',
          (e: any) => `${e?.name}: ${e?.message}`,
        );
      await weft.getGpu();
      const start = weft.memory();
      const model = build();
      let afterEpoch2 = '';
      const fitError = await error(
        model.fit(x, y, {
          epochs: 4,
          batchSize: 8,
          seed: 1,
          verbose: 0,
          callbacks: {
            onEpochEnd: async (epoch: number) => {
              if (epoch !== 1) return;
              afterEpoch2 = await flat(model);
              (await weft.getGpu()).device.destroy();
            },
          },
        }),
      );
      const kept = await flat(model); // no device needed: the host copy
      const memoryAfterLoss = weft.memory();
      const predictError = await error((model.predict(x) as Tensor).data()); // before resetGpu: the device is still lost
      weft.resetGpu();
      // The model drops its dead engine and builds a new one from the host weights.
      const reference = build();
      reference.setWeights(await model.getWeights());
      const p1 = ((await model.predict(x)) as Tensor).dataSync();
      const p2 = ((await reference.predict(x)) as Tensor).dataSync();
      const history = await model.fit(x, y, { epochs: 1, batchSize: 8, seed: 2, verbose: 0 });
      const continued = await flat(model);
      model.dispose();
      reference.dispose();
      await new Promise((resolve) => setTimeout(resolve, 0));
      return {
        fitError,
        keptIsEpoch2: kept === afterEpoch2 && kept.length > 0,
        start,
        memoryAfterLoss,
        predictError,
        samePredictions: p1.every((v: number, i: number) => Object.is(v, p2[i])),
        loss: history.history.loss![0],
        changed: continued !== kept,
        end: weft.memory(),
      };
    },
    undefined,
  );
  console.log(r.fitError);
  console.log(r.predictError);
  expect(r.fitError).toMatch(
    /^WeftError: fit: the GPU device was lost during epoch 3 \(destroyed[^)]*\); the model keeps the weights of epoch 2, the last completed one\. Call weft\.resetGpu\(\) and fit again to continue from there\.$/,
  );
  expect(r.keptIsEpoch2).toBe(true);
  expect(gpuPart(r.memoryAfterLoss)).toEqual(gpuPart(r.start)); // the dead engine's buffers are released
  expect(r.predictError).toMatch(/^WeftError: GPU device was lost: destroyed.*call resetGpu\(\) to make a new device$/);
  expect(r.samePredictions).toBe(true);
  expect(Number.isFinite(r.loss)).toBe(true);
  expect(r.changed).toBe(true);
  expect(gpuPart(r.end)).toEqual(gpuPart(r.start));
});
