// Accuracy and speed of compile({ precision: 'mixed_float16' }) against float32 on the article's MLP:
// the same initial weights, the same Fashion-MNIST samples, shuffle seed and epochs; test accuracy
// after training must agree within 0.5 points. Runs where the device has 'shader-f16' (without it
// weft trains mixed_float16 models in float32, so there is nothing to compare), or, with `emulate`,
// on any adapter with f16 storage emulated in f32 (weftTesting's copy of weft: the same rounding,
// hence the same accuracy, but not f16's speed or bytes).
import type * as Weft from '../src/index.js';
import { benchData, type BenchEnv } from './cases.js';
import { compileWeft, one, weftModel } from './models.js';

export interface PrecisionCheckOptions {
  epochs: number;
  batchSize: number;
  trainSamples: number;
  testSamples: number;
  /** Largest allowed |accuracy(mixed) − accuracy(float32)|, in percentage points. */
  tolerancePoints: number;
}

export interface PrecisionRun {
  precision: 'float32' | 'mixed_float16';
  testAccuracy: number;
  testLoss: number;
  /** samples/s of the timed fit (all epochs, after a short warm-up fit and a fresh compile). */
  samplesPerSecond: number;
  plannedBytes: number | undefined;
}

interface Compared {
  options: PrecisionCheckOptions;
  runs: PrecisionRun[];
  /** accuracy(mixed) − accuracy(float32), percentage points. */
  differencePoints: number;
  withinTolerance: boolean;
  /** samples/s mixed / float32. */
  speedup: number;
}

export type PrecisionCheck = { ran: false; reason: string } | ({ ran: true; emulated: boolean } & Compared);

export const PRECISION_CHECK_DEFAULTS: PrecisionCheckOptions = { epochs: 5, batchSize: 32, trainSamples: 55_000, testSamples: 10_000, tolerancePoints: 0.5 };

export async function precisionCheck(env: BenchEnv, overrides: Partial<PrecisionCheckOptions> = {}, emulate = false): Promise<PrecisionCheck> {
  const o = { ...PRECISION_CHECK_DEFAULTS, ...overrides };
  const weft: typeof Weft = emulate ? env.weftTesting.weft : env.weft;
  const gpu = await weft.getGpu();
  const emulated = !gpu.shaderF16 && emulate;
  if (!gpu.shaderF16 && !emulate)
    return {
      ran: false,
      reason: `the adapter lacks 'shader-f16' (${gpu.adapterInfo.vendor} ${gpu.adapterInfo.architecture}): mixed_float16 falls back to float32 there (--emulate-f16 checks the numerics with f16 rounding in f32 storage)`,
    };
  if (emulated) env.weftTesting.runtime.setF16Emulation(true);
  try {
    return { ran: true, emulated, ...(await compare(env, weft, o)) };
  } finally {
    if (emulated) env.weftTesting.runtime.setF16Emulation(false);
  }
}

async function compare(env: BenchEnv, weft: typeof Weft, o: PrecisionCheckOptions): Promise<Compared> {
  const data = await benchData(env);
  o.trainSamples = Math.min(o.trainSamples, data.train.count); // a trimmed copy of the data set (bench/real-gpu.sh) has fewer
  const train = data.weft(weft, 'mlp', 'train', o.trainSamples);
  const test = data.weft(weft, 'mlp', 'test', o.testSamples);
  const warm = data.weft(weft, 'mlp', 'train', o.batchSize * 4);
  const reference = weftModel(weft, 'mlp');
  const initial = reference.getWeights();
  const runs: PrecisionRun[] = [];
  try {
    for (const precision of ['float32', 'mixed_float16'] as const) {
      const model = weftModel(weft, 'mlp', precision);
      try {
        // Plans and pipelines first (a short fit); then a fresh optimizer and the same starting weights for both.
        await model.fit(one(warm.x), one(warm.y), { epochs: 1, batchSize: o.batchSize, verbose: 0, seed: 1 });
        compileWeft(weft, model, 'mlp', precision);
        model.setWeights(initial);
        const t0 = performance.now();
        await model.fit(one(train.x), one(train.y), { epochs: o.epochs, batchSize: o.batchSize, verbose: 0, seed: 7 });
        const ms = performance.now() - t0;
        const evaluated = model.evaluate(one(test.x), one(test.y), { batchSize: 1000 }) as unknown as Weft.Tensor[];
        const [loss, accuracy] = await Promise.all(evaluated.map(async (t) => (await t.data())[0]!));
        const explain = await model.explain(o.batchSize);
        runs.push({
          precision,
          testAccuracy: accuracy!,
          testLoss: loss!,
          samplesPerSecond: (o.trainSamples * o.epochs * 1000) / ms,
          plannedBytes: (explain.plannedBytes as { train?: number }).train,
        });
      } finally {
        model.dispose();
      }
    }
  } finally {
    reference.dispose();
  }
  const [full, mixed] = runs as [PrecisionRun, PrecisionRun];
  const differencePoints = 100 * (mixed.testAccuracy - full.testAccuracy);
  return {
    options: o,
    runs,
    differencePoints,
    withinTolerance: Math.abs(differencePoints) <= o.tolerancePoints,
    speedup: mixed.samplesPerSecond / full.samplesPerSecond,
  };
}
