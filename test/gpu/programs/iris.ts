// Ported from tfjs-examples/iris/index.js (trainModel, predictOnManualInput, the confusion matrix of
// calculateAndDrawConfusionMatrix) with iris/data.js's layout: 4 features, 3 classes one-hot. Synthetic
// flowers (gaussian clusters around the three species' means) replace the 150 real ones; the plots
// become log lines; shuffle is off (each library shuffles with its own random numbers) and the
// weights start seeded.
import { clusters, fixed, type Log, seededRandom, setSeededWeights, type Tf } from './support.js';

const IRIS_CLASSES = ['Iris-setosa', 'Iris-versicolor', 'Iris-virginica'];
const SPECIES_MEANS = [
  [5.0, 3.4, 1.5, 0.2],
  [5.9, 2.8, 4.3, 1.3],
  [6.6, 3.0, 5.6, 2.0],
];

export async function iris(tf: Tf, log: Log): Promise<void> {
  const random = seededRandom(11);
  const train = clusters(random, SPECIES_MEANS, 60, 0.25);
  const test = clusters(random, SPECIES_MEANS, 30, 0.25);
  const xTrain = tf.tensor2d(train.x, [60, 4]);
  const yTrain = tf.oneHot(tf.tensor1d(train.labels, 'int32'), 3);
  const xTest = tf.tensor2d(test.x, [30, 4]);
  const yTest = tf.oneHot(tf.tensor1d(test.labels, 'int32'), 3);

  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 10, activation: 'sigmoid', inputShape: [xTrain.shape[1]] }));
  model.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
  setSeededWeights(tf, model, 1);
  const optimizer = tf.train.adam(0.01);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });

  const history = await model.fit(xTrain, yTrain, {
    epochs: 40,
    shuffle: false,
    validationData: [xTest, yTest],
    callbacks: {
      onEpochEnd: async (epoch: number, logs: Record<string, number>) => {
        if (epoch % 10 === 9) {
          log(`Epoch ${epoch}: loss ${fixed(logs.loss!)} val_loss ${fixed(logs.val_loss!)} acc ${fixed(logs.acc!)} val_acc ${fixed(logs.val_acc!)}`);
          // The example predicts the test set at every epoch end for its confusion matrix.
          const topProbability = tf.tidy(() => model.predict(xTest).max(-1).mean().dataSync()[0]);
          log(`  mean top probability on the test set: ${fixed(topProbability)}`);
        }
        await tf.nextFrame();
      },
    },
  });
  log('history.history.loss', history.history.loss.length, 'epochs, last', fixed(history.history.loss.at(-1)));

  const [preds, labels] = tf.tidy(() => [model.predict(xTest).argMax(-1), yTest.argMax(-1)]);
  const confusion = [0, 1, 2].map(() => [0, 0, 0]);
  const p = preds.dataSync();
  const l = labels.dataSync();
  for (let i = 0; i < p.length; i++) confusion[l[i]!]![p[i]!]!++;
  log('confusion matrix', JSON.stringify(confusion));

  // predictOnManualInput
  tf.tidy(() => {
    const input = tf.tensor2d([[5.8, 2.7, 4.1, 1.0]], [1, 4]);
    const predictOut = model.predict(input);
    const logits = Array.from(predictOut.dataSync() as Float32Array).map((v) => fixed(v));
    const winner = IRIS_CLASSES[predictOut.argMax(-1).dataSync()[0]];
    log(`probabilities ${logits.join(' ')}; the winner is ${winner}`);
  });
}
