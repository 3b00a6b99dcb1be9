// Examples from the TensorFlow.js API reference (js.tensorflow.org/api/latest/), as printed there,
// with the weights made deterministic (setSeededWeights) where the page relies on random ones.
import { type Log, setSeededWeights, type Tf } from './support.js';

/** js.tensorflow.org/api/latest/#model: tf.input, two dense layers applied, tf.model, predict().print(). */
export async function tfModelDoc(tf: Tf, _log: Log): Promise<void> {
  // Define input, which has a size of 5 (not including batch dimension).
  const input = tf.input({ shape: [5] });
  // First dense layer uses relu activation.
  const denseLayer1 = tf.layers.dense({ units: 10, activation: 'relu' });
  // Second dense layer uses softmax activation.
  const denseLayer2 = tf.layers.dense({ units: 4, activation: 'softmax' });
  // Obtain the output symbolic tensor by applying the layers on the input.
  const output = denseLayer2.apply(denseLayer1.apply(input));
  // Create the model based on the inputs.
  const model = tf.model({ inputs: input, outputs: output });
  setSeededWeights(tf, model, 8);
  // The model can be used for training, evaluation and prediction.
  // For example, the following line runs prediction with the model on
  // some fake data.
  model.predict(tf.ones([2, 5])).print();
}

/**
 * js.tensorflow.org/api/latest/#layers.concatenate (and #input): two rank-3 inputs joined on the last
 * axis, then (beyond the doc) a model on the joined tensor, predicted on ones.
 */
export async function concatenateDoc(tf: Tf, log: Log): Promise<void> {
  const input1 = tf.input({ shape: [2, 3] });
  const input2 = tf.input({ shape: [2, 4] });
  const concatLayer = tf.layers.concatenate();
  const output = concatLayer.apply([input1, input2]);
  log(JSON.stringify(output.shape));
  // You get [null, 2, 7], with the first dimension as the undetermined batch
  // dimension and the last dimension as the result of concatenating the
  // last dimensions of the two inputs.
  const model = tf.model({ inputs: [input1, input2], outputs: tf.layers.dense({ units: 1 }).apply(output) });
  setSeededWeights(tf, model, 9);
  model.predict([tf.ones([1, 2, 3]), tf.ones([1, 2, 4])]).print();
}

/** js.tensorflow.org/api/latest/#tf.LayersModel.fit: fit called four times, loss of each call's first epoch. */
export async function fitDoc(tf: Tf, log: Log): Promise<void> {
  const model = tf.sequential({
    layers: [tf.layers.dense({ units: 1, inputShape: [10] })],
  });
  setSeededWeights(tf, model, 10);
  model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  for (let i = 1; i < 5; ++i) {
    const h = await model.fit(tf.ones([8, 10]), tf.ones([8, 1]), {
      batchSize: 4,
      epochs: 3,
    });
    log(`Loss after Epoch ${i} : ${h.history.loss[0]}`);
  }
}

/** js.tensorflow.org/api/latest/#callbacks.earlyStopping, as written there (kernelInitializer 'ones'). */
export async function earlyStoppingDoc(tf: Tf, log: Log): Promise<void> {
  const model = tf.sequential();
  model.add(
    tf.layers.dense({
      units: 3,
      activation: 'softmax',
      kernelInitializer: 'ones',
      inputShape: [2],
    }),
  );
  const xs = tf.tensor2d([1, 2, 3, 4], [2, 2]);
  const ys = tf.tensor2d(
    [
      [1, 0, 0],
      [0, 1, 0],
    ],
    [2, 3],
  );
  const xsVal = tf.tensor2d([4, 3, 2, 1], [2, 2]);
  const ysVal = tf.tensor2d(
    [
      [0, 0, 1],
      [0, 1, 0],
    ],
    [2, 3],
  );
  model.compile({ loss: 'categoricalCrossentropy', optimizer: 'sgd', metrics: ['acc'] });

  // Without the EarlyStopping callback, the val_acc value would be:
  //   0.5, 0.5, 0.5, 0.5, ...
  // With val_acc being monitored, training should stop after the 2nd epoch.
  const history = await model.fit(xs, ys, {
    epochs: 10,
    validationData: [xsVal, ysVal],
    callbacks: tf.callbacks.earlyStopping({ monitor: 'val_acc' }),
  });

  // Expect to see a length-2 array.
  log(history.history.val_acc);
}
