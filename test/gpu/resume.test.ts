// Resumable training: save(…, { includeOptimizer: true }) writes the optimizer's weights in
// TensorFlow.js's format and the training config; the loaded model calls fit without compile and
// continues exactly as uninterrupted training would (Adam: moments and step). The optimizer state
// also survives device loss.
import type { Page } from 'puppeteer';
import { beforeAll, expect, test } from 'vitest';
import { inPage, openPage } from './harness.js';

let page: Page;
beforeAll(async () => {
  page = await openPage();
});

/** Runs in the page: the data, a model builder and a weight reader shared by both tests. */
const SETUP = () => {
  const weft = (window as any).weft;
  const n = 96;
  const data = window.weftTesting.seededClassification(n, 6, 3, 11);
  const x = weft.tensor(data.x, [n, 6]);
  const y = weft.tensor(data.y, [n]);
  const build = () => {
    const input = weft.input({ shape: [6], name: 'features' });
    const h = weft.layers.dense({ units: 12, activation: 'relu', seed: 1, name: 'hidden' }).apply(input);
    const out = weft.layers.dense({ units: 3, activation: 'softmax', seed: 2, name: 'classes' }).apply(h);
    const model = weft.model({ inputs: input, outputs: out });
    model.compile({ optimizer: weft.train.adam(0.02), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    return model;
  };
  const flat = async (model: any) => Float32Array.from((await model.getWeights()).flatMap((w: any) => Array.from(w.dataSync() as Float32Array)));
  const fitArgs = { epochs: 1, batchSize: 16, shuffle: false, verbose: 0 };
  // The weights after two epochs without a break, and the largest difference from them.
  const uninterrupted = async (): Promise<Float32Array> => {
    const model = build();
    await model.fit(x, y, { ...fitArgs, epochs: 2 });
    const weights = await flat(model);
    model.dispose();
    return weights;
  };
  const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
  (window as any).resumeSetup = { weft, x, y, build, flat, fitArgs, uninterrupted, maxDiff };
};

test('save with includeOptimizer → load → fit continues as uninterrupted training (Adam)', async () => {
  const r = await inPage(
    page,
    async (setup: string) => {
      (0, eval)(`(${setup})()`);
      const { weft, x, y, build, flat, fitArgs, uninterrupted, maxDiff } = (window as any).resumeSetup;
      const expected = await uninterrupted();

      const first = build();
      await first.fit(x, y, fitArgs);
      let stored: any = null;
      await first.save({ save: async (artifacts: any) => ((stored = artifacts), { modelArtifactsInfo: {} }) }, { includeOptimizer: true });
      let plain: any = null;
      await first.save({ save: async (artifacts: any) => ((plain = artifacts), { modelArtifactsInfo: {} }) });
      const loaded = await weft.loadLayersModel({ load: async () => stored });
      const loadedCompiled = loaded.metricsNames;
      await loaded.fit(x, y, fitArgs); // no compile
      const resumed = await flat(loaded);
      const plainLoaded = await weft.loadLayersModel({ load: async () => plain });
      const plainCompiled = plainLoaded.metricsNames.length > 0;
      const specs = stored.weightSpecs.map((w: any) => `${w.name}:${w.dtype}:${w.group ?? 'model'}`);
      for (const m of [first, loaded, plainLoaded]) m.dispose();
      return {
        maxDiff: maxDiff(expected, resumed),
        count: expected.length,
        specs,
        trainingConfig: stored.trainingConfig,
        plainSpecs: plain.weightSpecs.length,
        plainConfig: plain.trainingConfig ?? null,
        loadedCompiled,
        plainCompiled,
      };
    },
    SETUP.toString(),
  );
  console.log(JSON.stringify(r));
  expect(r.maxDiff).toBeLessThan(1e-6);
  expect(r.specs).toEqual([
    'hidden/kernel:float32:model',
    'hidden/bias:float32:model',
    'classes/kernel:float32:model',
    'classes/bias:float32:model',
    'iter:int32:optimizer',
    'hidden/kernel/m:float32:optimizer',
    'hidden/bias/m:float32:optimizer',
    'classes/kernel/m:float32:optimizer',
    'classes/bias/m:float32:optimizer',
    'hidden/kernel/v:float32:optimizer',
    'hidden/bias/v:float32:optimizer',
    'classes/kernel/v:float32:optimizer',
    'classes/bias/v:float32:optimizer',
  ]);
  expect(r.trainingConfig).toEqual({
    loss: 'sparse_categorical_crossentropy',
    metrics: ['accuracy'],
    optimizer_config: { class_name: 'Adam', config: { learningRate: 0.02, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } },
  });
  expect(r.loadedCompiled).toEqual(['loss', 'accuracy']);
  expect(r.plainSpecs).toBe(4);
  expect(r.plainConfig).toBe(null);
  expect(r.plainCompiled).toBe(false);
});

test('the optimizer state survives device loss: fit after weft.resetGpu() continues as uninterrupted training', async () => {
  const lossPage = await openPage(); // its own page: this test destroys the page's device
  const r = await inPage(
    lossPage,
    async (setup: string) => {
      (0, eval)(`(${setup})()`);
      const { weft, x, y, build, flat, fitArgs, uninterrupted, maxDiff } = (window as any).resumeSetup;
      const expected = await uninterrupted();
      const model = build();
      await model.fit(x, y, fitArgs);
      (await weft.getGpu()).device.destroy();
      await new Promise((resolve) => setTimeout(resolve, 50));
      weft.resetGpu();
      await model.fit(x, y, fitArgs);
      const resumed = await flat(model);
      model.dispose();
      return { maxDiff: maxDiff(expected, resumed) };
    },
    SETUP.toString(),
  );
  expect(r.maxDiff).toBeLessThan(1e-6);
});
