// Ported from tfjs-examples/jena-weather/models.js: buildMLPModel (flatten over [lookBack, features]
// → dense 32 relu, with an optional kernelRegularizer → dense 1) and trainModel (rmsprop,
// meanAbsoluteError). The example trains on tf.data datasets with fitDataset; here the same windows
// go to fit as tensors. Synthetic weather: four daily-periodic series with noise; the target is the
// first series `delay` steps after the window.
import { gaussian, type Log, seededRandom, setSeededWeights, type Tf } from './support.js';

const LOOK_BACK = 10;
const NUM_FEATURES = 4;
const DELAY = 3;

function windows(tf: Tf, count: number, seed: number): { xs: Tf; ys: Tf } {
  const random = seededRandom(seed);
  const length = count + LOOK_BACK + DELAY;
  const series = Array.from({ length }, (_, t) =>
    Array.from({ length: NUM_FEATURES }, (_, f) => Math.sin((2 * Math.PI * t) / 24 + f) + 0.1 * gaussian(random)),
  );
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < count; i++) {
    for (let t = 0; t < LOOK_BACK; t++) xs.push(...series[i + t]!);
    ys.push(series[i + LOOK_BACK + DELAY - 1]![0]!);
  }
  return { xs: tf.tensor3d(xs, [count, LOOK_BACK, NUM_FEATURES]), ys: tf.tensor2d(ys, [count, 1]) };
}

export function buildMLPModel(tf: Tf, inputShape: number[], kernelRegularizer?: unknown, dropoutRate?: number): Tf {
  const model = tf.sequential();
  model.add(tf.layers.flatten({ inputShape }));
  model.add(tf.layers.dense({ units: 32, kernelRegularizer, activation: 'relu' }));
  if (dropoutRate !== undefined && dropoutRate > 0) model.add(tf.layers.dropout({ rate: dropoutRate }));
  model.add(tf.layers.dense({ units: 1 }));
  return model;
}

async function trainModel(tf: Tf, log: Log, model: Tf, epochs: number): Promise<void> {
  const train = windows(tf, 120, 41);
  const val = windows(tf, 40, 42);
  model.compile({ loss: 'meanAbsoluteError', optimizer: 'rmsprop' });
  await model.fit(train.xs, train.ys, {
    batchSize: 32,
    epochs,
    shuffle: false,
    validationData: [val.xs, val.ys],
    callbacks: {
      onEpochEnd: async (epoch: number, logs: Record<string, number>) => {
        log(`epoch ${epoch}: loss=${logs.loss!.toFixed(4)}, val_loss=${logs.val_loss!.toFixed(4)}`);
      },
    },
  });
  const evaluation = model.evaluate(val.xs, val.ys);
  log(`validation MAE: ${evaluation.dataSync()[0].toFixed(4)}`);
}

/** The example's 'mlp' model type. */
export async function jenaWeatherMlp(tf: Tf, log: Log): Promise<void> {
  const model = buildMLPModel(tf, [LOOK_BACK, NUM_FEATURES]);
  setSeededWeights(tf, model, 7);
  await trainModel(tf, log, model, 6);
}

/** The example's 'mlp-l2' model type: the same MLP with tf.regularizers.l2() on the hidden kernel. */
export async function jenaWeatherMlpL2(tf: Tf, log: Log): Promise<void> {
  const model = buildMLPModel(tf, [LOOK_BACK, NUM_FEATURES], tf.regularizers.l2());
  setSeededWeights(tf, model, 7);
  await trainModel(tf, log, model, 6);
}
