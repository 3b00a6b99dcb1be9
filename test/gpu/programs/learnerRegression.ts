// A learner's first programs:
//  - gettingStarted: the TensorFlow.js README / js.tensorflow.org "Getting started" snippet (one dense
//    unit learning y = 2x − 1; predict(tf.tensor2d([5], [1, 1])).print()), starting from a fixed weight.
//  - codelabRegression: the "Making predictions from 2D data" codelab
//    (codelabs.developers.google.com/codelabs/tfjs-training-regression): convertToTensor inside
//    tf.tidy (min–max normalisation), createModel (dense 1 → dense 1), trainModel (adam, mse,
//    batchSize 32), testModel inside tf.tidy reading predictions with dataSync. Synthetic cars
//    (horsepower → mpg) replace the JSON download; tf.util.shuffle is left out (Math.random) and
//    fit's shuffle is off; 25 epochs instead of 50.
import { gaussian, type Log, seededRandom, type Tf } from './support.js';

export async function gettingStarted(tf: Tf, _log: Log): Promise<void> {
  // A simple model for linear regression.
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 1, inputShape: [1] }));
  model.setWeights([tf.tensor2d([[0.5]]), tf.tensor1d([0])]);
  // Prepare the model for training: specify the loss and the optimizer.
  model.compile({ loss: 'meanSquaredError', optimizer: 'sgd' });
  // Generate some synthetic data for training.
  const xs = tf.tensor2d([1, 2, 3, 4], [4, 1]);
  const ys = tf.tensor2d([1, 3, 5, 7], [4, 1]);
  // Train the model using the data.
  await model.fit(xs, ys, { epochs: 10 });
  // Use the model to do inference on a data point the model hasn't seen before:
  model.predict(tf.tensor2d([5], [1, 1])).print();
}

function cars(): { horsepower: number; mpg: number }[] {
  const random = seededRandom(61);
  return Array.from({ length: 96 }, () => {
    const horsepower = 50 + 180 * random();
    return { horsepower, mpg: Math.max(8, 46 - 0.16 * horsepower + 2 * gaussian(random)) };
  });
}

function createModel(tf: Tf): Tf {
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [1], units: 1, useBias: true }));
  model.add(tf.layers.dense({ units: 1, useBias: true }));
  return model;
}

function convertToTensor(tf: Tf, data: { horsepower: number; mpg: number }[]) {
  return tf.tidy(() => {
    const inputs = data.map((d) => d.horsepower);
    const labels = data.map((d) => d.mpg);
    const inputTensor = tf.tensor2d(inputs, [inputs.length, 1]);
    const labelTensor = tf.tensor2d(labels, [labels.length, 1]);
    const inputMax = inputTensor.max();
    const inputMin = inputTensor.min();
    const labelMax = labelTensor.max();
    const labelMin = labelTensor.min();
    const normalizedInputs = inputTensor.sub(inputMin).div(inputMax.sub(inputMin));
    const normalizedLabels = labelTensor.sub(labelMin).div(labelMax.sub(labelMin));
    return { inputs: normalizedInputs, labels: normalizedLabels, inputMax, inputMin, labelMax, labelMin };
  });
}

async function trainModel(tf: Tf, log: Log, model: Tf, inputs: Tf, labels: Tf): Promise<Tf> {
  model.compile({ optimizer: tf.train.adam(), loss: tf.losses.meanSquaredError, metrics: ['mse'] });
  const batchSize = 32;
  const epochs = 25;
  return await model.fit(inputs, labels, {
    batchSize,
    epochs,
    shuffle: false,
    callbacks: {
      onEpochEnd: (epoch: number, logs: Record<string, number>) => {
        if (epoch % 5 === 4) log(`epoch ${epoch + 1} loss ${logs.loss!.toFixed(5)} mse ${logs.mse!.toFixed(5)}`);
      },
    },
  });
}

function testModel(tf: Tf, log: Log, model: Tf, normalizationData: Record<string, Tf>): void {
  const { inputMax, inputMin, labelMin, labelMax } = normalizationData;
  const [xs, preds] = tf.tidy(() => {
    const xsNorm = tf.linspace(0, 1, 100);
    const predictions = model.predict(xsNorm.reshape([100, 1]));
    const unNormXs = xsNorm.mul(inputMax.sub(inputMin)).add(inputMin);
    const unNormPreds = predictions.mul(labelMax.sub(labelMin)).add(labelMin);
    // Un-normalize the data
    return [unNormXs.dataSync(), unNormPreds.dataSync()];
  });
  for (const i of [0, 25, 50, 75, 99]) log(`horsepower ${xs[i].toFixed(1)} → predicted mpg ${preds[i].toFixed(3)}`);
}

export async function codelabRegression(tf: Tf, log: Log): Promise<void> {
  const data = cars();
  const model = createModel(tf);
  model.setWeights([tf.tensor2d([[0.7]]), tf.tensor1d([0]), tf.tensor2d([[-0.4]]), tf.tensor1d([0])]);
  const tensorData = convertToTensor(tf, data);
  const { inputs, labels } = tensorData;
  await trainModel(tf, log, model, inputs, labels);
  log('Done Training');
  testModel(tf, log, model, tensorData);
}
