// Ported from tfjs-examples/boston-housing/index.js (linearRegressionModel,
// multiLayerPerceptronRegressionModel1Hidden, run, computeBaseline) and boston-housing/normalization.js
// (determineMeanAndStddev, normalizeTensor). Synthetic houses (12 features, a price linear in them
// plus a bend and noise) replace the CSV; status lines become log lines; 20 epochs instead of 200,
// shuffle off, seeded starting weights.
import { fixed, gaussian, type Log, seededRandom, setSeededWeights, type Tf } from './support.js';

const FEATURES = ['CRIM', 'ZN', 'INDUS', 'CHAS', 'NOX', 'RM', 'AGE', 'DIS', 'RAD', 'TAX', 'PTRATIO', 'LSTAT'];
const NUM_EPOCHS = 20;
const BATCH_SIZE = 40;
const LEARNING_RATE = 0.01;

function houses(random: () => number, n: number): { features: number[][]; prices: number[][] } {
  const features: number[][] = [];
  const prices: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row = FEATURES.map((_, j) => 10 * (j + 1) * random());
    features.push(row);
    const linear = row.reduce((s, v, j) => s + v * (j % 3 === 0 ? 0.08 : -0.03), 22);
    prices.push([linear + 0.002 * row[5]! * row[5]! + gaussian(random)]);
  }
  return { features, prices };
}

function determineMeanAndStddev(tf: Tf, data: Tf): { dataMean: Tf; dataStd: Tf } {
  const dataMean = data.mean(0);
  const diffFromMean = data.sub(dataMean);
  const squaredDiffFromMean = diffFromMean.square();
  const variance = squaredDiffFromMean.mean(0);
  const dataStd = variance.sqrt();
  return { dataMean, dataStd: tf.keep(dataStd) };
}

function normalizeTensor(data: Tf, dataMean: Tf, dataStd: Tf): Tf {
  return data.sub(dataMean).div(dataStd);
}

/** The example's weight illustration: the kernel's elements with their feature names, largest first. */
function describeKernelElements(kernel: ArrayLike<number>): { value: number; description: string }[] {
  return Array.from(kernel, (value, i) => ({ value, description: FEATURES[i]! })).sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
}

async function run(tf: Tf, log: Log, model: Tf, modelName: string, weightsIllustration: boolean, t: Record<string, Tf>): Promise<void> {
  model.compile({ optimizer: tf.train.sgd(LEARNING_RATE), loss: 'meanSquaredError' });
  const trainLogs: Record<string, number>[] = [];
  await model.fit(t.trainFeatures, t.trainTarget, {
    batchSize: BATCH_SIZE,
    epochs: NUM_EPOCHS,
    validationSplit: 0.2,
    shuffle: false,
    callbacks: {
      onEpochEnd: async (epoch: number, logs: Record<string, number>) => {
        trainLogs.push(logs);
        if (epoch % 5 === 4) log(`${modelName}: Epoch ${epoch + 1} of ${NUM_EPOCHS} completed. loss ${fixed(logs.loss!)} val_loss ${fixed(logs.val_loss!)}`);
        if (weightsIllustration && epoch === NUM_EPOCHS - 1) {
          const kernelAsArr = await model.layers[0].getWeights()[0].data();
          const top = describeKernelElements(kernelAsArr).slice(0, 3);
          log(`${modelName}: largest weights ${top.map((w) => `${w.description} ${fixed(w.value)}`).join(', ')}`);
        }
      },
    },
  });
  const result = model.evaluate(t.testFeatures, t.testTarget, { batchSize: BATCH_SIZE });
  const testLoss = result.dataSync()[0];
  const trainLoss = trainLogs[trainLogs.length - 1]!.loss!;
  const valLoss = trainLogs[trainLogs.length - 1]!.val_loss!;
  log(`${modelName}: Final train-set loss: ${trainLoss.toFixed(4)}`);
  log(`${modelName}: Final validation-set loss: ${valLoss.toFixed(4)}`);
  log(`${modelName}: Test-set loss: ${testLoss.toFixed(4)}`);
}

export async function bostonHousing(tf: Tf, log: Log): Promise<void> {
  const random = seededRandom(21);
  const train = houses(random, 100);
  const test = houses(random, 40);
  const rawTrain = tf.tensor2d(train.features);
  const rawTest = tf.tensor2d(test.features);
  const { dataMean, dataStd } = determineMeanAndStddev(tf, rawTrain);
  const t = {
    trainFeatures: normalizeTensor(rawTrain, dataMean, dataStd),
    testFeatures: normalizeTensor(rawTest, dataMean, dataStd),
    trainTarget: tf.tensor2d(train.prices),
    testTarget: tf.tensor2d(test.prices),
  };

  // computeBaseline
  const avgPrice = tf.mean(t.trainTarget);
  log(`Average price: ${avgPrice.dataSync()}`);
  const baseline = tf.mean(tf.pow(tf.sub(t.testTarget, avgPrice), 2));
  log(`Baseline loss: ${baseline.dataSync()}`);

  const linear = tf.sequential();
  linear.add(tf.layers.dense({ inputShape: [FEATURES.length], units: 1 }));
  setSeededWeights(tf, linear, 2);
  await run(tf, log, linear, 'Linear Regression', true, t);

  const mlp = tf.sequential();
  mlp.add(tf.layers.dense({ inputShape: [FEATURES.length], units: 50, activation: 'sigmoid', kernelInitializer: 'leCunNormal' }));
  mlp.add(tf.layers.dense({ units: 1 }));
  setSeededWeights(tf, mlp, 3);
  await run(tf, log, mlp, 'Neural Network Regression (1 hidden layer)', false, t);
}
