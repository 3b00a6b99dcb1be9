// compile({ precision: 'mixed_float16' }) on the GPU. SwiftShader and Dawn's Vulkan backends here lack
// 'shader-f16', so these tests run the f16 plans with f16 storage emulated in f32 (weftTesting's
// runtime.setF16Emulation: every arena store rounded with quantizeToF16), which gives the same values
// as f16 storage; the f16 WGSL text itself is checked in test/unit/precision.test.ts. Without the
// emulation, a mixed_float16 model falls back to float32 with one warning.
import type { Page } from 'puppeteer';
import { beforeAll, expect, test } from 'vitest';
import { inPage, openPage } from './harness.js';

let page: Page;
beforeAll(async () => {
  page = await openPage();
});

/**
 * The odd MLP, built from the same seeds in float32 and in mixed_float16: its predictions, then one
 * full-batch SGD step (one step: at this learning rate the runs drift apart step by step, 1.7% of
 * the first layer's change after three steps of 19), and the weights before and after.
 */
async function trainBoth(page: Page, emulate: boolean) {
  return inPage(
    page,
    async (emulate: boolean) => {
      const T = window.weftTesting;
      const weft = T.weft;
      const random = window.weftTesting.lcg(99);
      const rows = 3 * 19;
      const x = weft.tensor(
        Float32Array.from({ length: rows * 37 }, () => random() * 2 - 1),
        [rows, 37],
      );
      const y = weft.tensor(
        Int32Array.from({ length: rows }, () => Math.floor(random() * 5)),
        [rows],
      );
      const build = (precision: 'float32' | 'mixed_float16') => {
        const input = weft.input({ shape: [37] });
        const h1 = weft.layers.dense({ units: 13, activation: 'relu', seed: 1 }).apply(input);
        const h2 = weft.layers.dense({ units: 11, activation: 'tanh', seed: 2 }).apply(h1);
        const out = weft.layers.dense({ units: 5, activation: 'softmax', seed: 3 }).apply(h2);
        const model = weft.model({ inputs: input, outputs: out });
        model.compile({ optimizer: weft.train.sgd(0.5), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'], precision });
        return model;
      };
      const warnings: string[] = [];
      const warn = console.warn;
      console.warn = (...a: unknown[]) => void warnings.push(a.map(String).join(' '));
      T.runtime.setF16Emulation(emulate);
      try {
        const runs = [];
        for (const precision of ['float32', 'mixed_float16'] as const) {
          const model = build(precision);
          const predicted = model.predict(x, { batchSize: 19 }) as any;
          const before = Array.from((await predicted.data()) as Float32Array);
          const initialTensors = await model.getWeights();
          const initial = initialTensors.map((w: any) => Array.from(w.dataSync() as Float32Array));
          const history = await model.fit(x, y, { epochs: 1, batchSize: rows, shuffle: false, verbose: 0 });
          const weights = (await model.getWeights()).map((w: any) => Array.from(w.dataSync() as Float32Array));
          // Writing weights from the host must reach the kernels' f16 copy too: predict as before training.
          model.setWeights(initialTensors);
          const restored = Array.from((await (model.predict(x, { batchSize: 19 }) as any).data()) as Float32Array);
          const explain = await model.explain(19);
          const plan = JSON.stringify({ stages: explain.stages, wgsl: explain.kernels.map((k) => k.wgsl) });
          runs.push({ before, restored, initial, weights, loss: history.history.loss![0]!, plan });
          model.dispose();
        }
        return { runs, warnings };
      } finally {
        T.runtime.setF16Emulation(false);
        console.warn = warn;
      }
    },
    emulate,
  );
}

/** ‖a − b‖ / ‖b‖. */
const normRel = (a: number[], b: number[]) => {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
};

const maxRel = (a: number[], b: number[]) => {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return num / den;
};

test('mixed_float16 (f16 storage emulated): predictions and one SGD step agree with float32 to f16 precision, and differ from it', async () => {
  const { runs, warnings } = await trainBoth(page, true);
  const [full, mixed] = runs as [(typeof runs)[0], (typeof runs)[0]];
  expect(warnings).toEqual([]);
  expect(mixed.restored).toEqual(mixed.before);
  expect(full.restored).toEqual(full.before);
  expect(mixed.plan).toContain('buffer arena: f16');
  expect(mixed.plan).toContain('quantizeToF16('); // the emulation's rounding on every arena store
  expect(full.plan).not.toMatch(/arena: f16|quantizeToF16/);
  // f16 keeps 11 significant bits: rounding every stored activation moves results by ~1e-3 relative.
  const predRel = maxRel(mixed.before, full.before);
  expect(predRel).toBeGreaterThan(0); // the rounding is really there
  expect(predRel).toBeLessThan(5e-3);
  // The training's change of each weight tensor (same start in both) agrees as a whole to f16's precision.
  expect(mixed.initial).toEqual(full.initial);
  full.weights.forEach((_, i) => {
    const change = (run: typeof full) => run.weights[i]!.map((v, j) => v - run.initial[i]![j]!);
    const rel = normRel(change(mixed), change(full));
    expect(rel).toBeLessThan(5e-3); // measured 1.4e-3 to 1.6e-3 per tensor
    expect(rel).toBeGreaterThan(0);
  });
  expect(mixed.weights.flat().some((v, i) => v !== full.weights.flat()[i])).toBe(true);
  expect(Math.abs(mixed.loss - full.loss) / full.loss).toBeLessThan(5e-3);
});

test('without shader-f16 (and no emulation) a mixed_float16 model trains in float32 and warns once', async () => {
  const { runs, warnings } = await trainBoth(page, false);
  const [full, mixed] = runs as [(typeof runs)[0], (typeof runs)[0]];
  expect(warnings.filter((w) => w.includes("'shader-f16'"))).toHaveLength(1);
  expect(mixed.plan).not.toMatch(/arena: f16|quantizeToF16/);
  expect(mixed.before).toEqual(full.before);
  expect(mixed.weights).toEqual(full.weights);
});
