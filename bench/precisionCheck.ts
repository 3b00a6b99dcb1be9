// Accuracy and speed of compile({ precision: 'mixed_float16' }) against float32 on the article's MLP:
// the same initial weights, the same Fashion-MNIST samples, shuffle seed and epochs; test accuracy
// after training must agree within 0.5 points. Runs only where the device has 'shader-f16' (without
// it weft trains mixed_float16 models in float32, so there is nothing to compare).
import type * as Weft from '../src/index.js';
import { benchData, type BenchEnv } from './cases.js';
import { one, weftModel } from './models.js';

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
  /** samples/s of the timed fit (all epochs, after a one-epoch warm-up on a slice). */
  samplesPerSecond: number;
  plannedBytes: number | undefined;
}

export type PrecisionCheck =
  | { ran: false; reason: string }
  | { ran: true; options: PrecisionCheckOptions; runs: PrecisionRun[]; differencePoints: number; withinTolerance: boolean; speedup: number };

export const PRECISION_CHECK_DEFAULTS: PrecisionCheckOptions = { epochs: 5, batchSize: 32, trainSamples: 55_000, testSamples: 10_000, tolerancePoints: 0.5 };

export async function precisionCheck(env: BenchEnv, overrides: Partial<PrecisionCheckOptions> = {}): Promise<PrecisionCheck> {
  const o = { ...PRECISION_CHECK_DEFAULTS, ...overrides };
  const { weft } = env;
  const gpu = await weft.getGpu();
  if (!gpu.shaderF16)
    return {
      ran: false,
      reason: `the adapter lacks 'shader-f16' (${gpu.adapterInfo.vendor} ${gpu.adapterInfo.architecture}): mixed_float16 falls back to float32 there`,
    };
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
        // Plans and pipelines first (a short fit), then the same starting weights for both.
        await model.fit(one(warm.x), one(warm.y), { epochs: 1, batchSize: o.batchSize, verbose: 0, seed: 1 });
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
    ran: true,
    options: o,
    runs,
    differencePoints,
    withinTolerance: Math.abs(differencePoints) <= o.tolerancePoints,
    speedup: mixed.samplesPerSecond / full.samplesPerSecond,
  };
}
