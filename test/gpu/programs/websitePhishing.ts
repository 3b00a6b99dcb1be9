// Ported from tfjs-examples/website-phishing/index.js (the model, fit with validationSplit, the test
// accuracy line, the ROC curve's area) and website-phishing/utils.js (binarize, falsePositiveRate).
// Synthetic sites (30 features in [-1, 1]; phishing when a weighted sum of a few is positive) replace
// the dataset; 10 epochs, shuffle off, seeded starting weights.
import { type Log, seededRandom, setSeededWeights, type Tf } from './support.js';

const NUM_FEATURES = 30;

function sites(random: () => number, n: number): { data: number[][]; target: number[][] } {
  const data: number[][] = [];
  const target: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: NUM_FEATURES }, () => (random() < 0.5 ? -1 : random() < 0.5 ? 0 : 1));
    data.push(row);
    target.push([row[0]! + 0.8 * row[5]! - 0.6 * row[13]! + 0.3 * (random() - 0.5) > 0 ? 1 : 0]);
  }
  return { data, target };
}

/** utils.binarize: 1 where y > threshold, else 0. */
function binarize(tf: Tf, y: Tf, threshold = 0.5): Tf {
  return tf.tidy(() => {
    const condition = y.greater(tf.scalar(threshold));
    return tf.where(condition, tf.onesLike(y), tf.zerosLike(y));
  });
}

/** utils.falsePositiveRate and its helpers. */
function falsePositiveRate(tf: Tf, yTrue: Tf, yPred: Tf): Tf {
  return tf.tidy(() => {
    const one = tf.scalar(1);
    const zero = tf.scalar(0);
    const fp = tf.logicalAnd(yTrue.equal(zero), yPred.equal(one)).sum().cast('float32');
    const tn = tf.logicalAnd(yTrue.equal(zero), yPred.equal(zero)).sum().cast('float32');
    return fp.div(fp.add(tn));
  });
}

function truePositiveRate(tf: Tf, yTrue: Tf, yPred: Tf): Tf {
  return tf.tidy(() => {
    const one = tf.scalar(1);
    const tp = tf.logicalAnd(yTrue.equal(one), yPred.equal(one)).sum().cast('float32');
    return tp.div(yTrue.sum());
  });
}

/** The example's drawROC, without the plot: the area under the curve by trapezoids. */
function areaUnderRoc(tf: Tf, targets: Tf, probs: Tf): number {
  return tf.tidy(() => {
    const thresholds = [1.0, 0.9, 0.7, 0.5, 0.3, 0.1, 0.0];
    let area = 0;
    let fprs: number | undefined;
    let tprs: number | undefined;
    for (const threshold of thresholds) {
      const predictions = binarize(tf, probs, threshold).as1D();
      const fpr = falsePositiveRate(tf, targets, predictions).dataSync()[0];
      const tpr = truePositiveRate(tf, targets, predictions).dataSync()[0];
      if (fprs !== undefined && tprs !== undefined) area += ((tpr + tprs) * (fpr - fprs)) / 2;
      fprs = fpr;
      tprs = tpr;
    }
    return area;
  });
}

export async function websitePhishing(tf: Tf, log: Log): Promise<void> {
  const random = seededRandom(31);
  const train = sites(random, 200);
  const test = sites(random, 80);
  const trainData = { data: tf.tensor2d(train.data), target: tf.tensor2d(train.target) };
  const testData = { data: tf.tensor2d(test.data), target: tf.tensor2d(test.target) };
  const batchSize = 50;
  const epochs = 10;

  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [NUM_FEATURES], units: 100, activation: 'sigmoid' }));
  model.add(tf.layers.dense({ units: 100, activation: 'sigmoid' }));
  model.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
  setSeededWeights(tf, model, 4);
  model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });

  const trainLogs: Record<string, number>[] = [];
  let auc = 0;
  await model.fit(trainData.data, trainData.target, {
    batchSize,
    epochs,
    validationSplit: 0.2,
    shuffle: false,
    callbacks: {
      onEpochEnd: async (epoch: number, logs: Record<string, number>) => {
        trainLogs.push(logs);
        log(
          `Epoch ${epoch + 1}: loss ${logs.loss!.toFixed(4)} acc ${logs.acc!.toFixed(4)} val_loss ${logs.val_loss!.toFixed(4)} val_acc ${logs.val_acc!.toFixed(4)}`,
        );
        if (epoch === epochs - 1) {
          const probs = tf.tidy(() => model.predict(testData.data).as1D());
          auc = areaUnderRoc(tf, testData.target.as1D(), probs);
        }
      },
    },
  });

  const result = model.evaluate(testData.data, testData.target, { batchSize });
  const testAccPercent = result[1].dataSync()[0] * 100;
  const finalValAccPercent = trainLogs[trainLogs.length - 1]!.val_acc! * 100;
  log(`Final validation accuracy: ${finalValAccPercent.toFixed(1)}%; Final test accuracy: ${testAccPercent.toFixed(1)}%`);
  log(`AUC: ${auc.toFixed(3)}`);
  const probs = model.predict(testData.data);
  const predictions = binarize(tf, probs).as1D();
  log(
    'first predictions',
    Array.from(predictions.dataSync() as Float32Array)
      .slice(0, 12)
      .join(' '),
  );
}
