// Ported from tfjs-examples/mnist/index.js: createDenseModel (flatten → dense 42 relu → dense 10
// softmax), train() and showPredictions(), on synthetic 8×8 digits (mnistData.ts) instead of 28×28.
import { syntheticDigits } from './mnistData.js';
import { showPredictions, train } from './mnistTraining.js';
import { type Log, setSeededWeights, type Tf } from './support.js';

const IMAGE_H = 8;
const IMAGE_W = 8;

function createDenseModel(tf: Tf): Tf {
  const model = tf.sequential();
  model.add(tf.layers.flatten({ inputShape: [IMAGE_H, IMAGE_W, 1] }));
  model.add(tf.layers.dense({ units: 42, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  return model;
}

export async function mnistDense(tf: Tf, log: Log): Promise<void> {
  const model = createDenseModel(tf);
  setSeededWeights(tf, model, 5);
  await train(tf, log, model, syntheticDigits(tf, IMAGE_H, 200, 1), syntheticDigits(tf, IMAGE_H, 50, 2), 4, 32);
  showPredictions(tf, log, model, syntheticDigits(tf, IMAGE_H, 20, 3));
}
