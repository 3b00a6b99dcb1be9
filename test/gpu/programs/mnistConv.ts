// Ported from tfjs-examples/mnist/index.js: createConvModel (conv2d 3×3 relu → maxPooling2d 2/2 →
// conv2d → maxPooling2d → conv2d → flatten → dense relu → dense 10 softmax), train() and
// showPredictions(), on synthetic 18×18 digits (mnistData.ts) with fewer filters (4/8/8, dense 16
// instead of 16/32/32, dense 64) so that TensorFlow.js's CPU backend trains it quickly.
import { syntheticDigits } from './mnistData.js';
import { showPredictions, train } from './mnistTraining.js';
import { type Log, setSeededWeights, type Tf } from './support.js';

const IMAGE_H = 18;
const IMAGE_W = 18;

function createConvModel(tf: Tf): Tf {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [IMAGE_H, IMAGE_W, 1], kernelSize: 3, filters: 4, activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  model.add(tf.layers.conv2d({ kernelSize: 3, filters: 8, activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  model.add(tf.layers.conv2d({ kernelSize: 3, filters: 8, activation: 'relu' }));
  model.add(tf.layers.flatten({}));
  model.add(tf.layers.dense({ units: 16, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  return model;
}

export async function mnistConv(tf: Tf, log: Log): Promise<void> {
  const model = createConvModel(tf);
  setSeededWeights(tf, model, 6);
  await train(tf, log, model, syntheticDigits(tf, IMAGE_H, 80, 1), syntheticDigits(tf, IMAGE_H, 20, 2), 2, 17);
  showPredictions(tf, log, model, syntheticDigits(tf, IMAGE_H, 20, 3));
}
