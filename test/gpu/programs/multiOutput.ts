// A functional model with two inputs and two outputs, after the Keras functional-API guide's
// "models with multiple inputs and outputs" (keras.io/guides/functional_api) as TensorFlow.js writes
// it (js.tensorflow.org/guide/models_and_layers, "functional model"): tf.input ×2, a shared trunk,
// tf.layers.concatenate, a class head and a regression head; compile with a loss per output (by
// name); fit, evaluate (total and each output's loss), predict (one tensor per output). Left out of
// the guide's compile, for TensorFlow.js's sake: lossWeights (TensorFlow.js 4.22 ignores them,
// tfjs-layers engine/training.js "TODO(cais): Add lossWeights.", where weft applies them) and metrics
// by output name (its evaluate then returns one number more than metricsNames names).
import { gaussian, type Log, seededRandom, setSeededWeights, type Tf } from './support.js';

export async function multiOutput(tf: Tf, log: Log): Promise<void> {
  const random = seededRandom(51);
  const rows = 64;
  const title: number[] = [];
  const body: number[] = [];
  const priority: number[] = [];
  const department: number[] = [];
  for (let i = 0; i < rows; i++) {
    const t = Array.from({ length: 6 }, () => gaussian(random));
    const b = Array.from({ length: 8 }, () => gaussian(random));
    title.push(...t);
    body.push(...b);
    priority.push(0.5 * t[0]! - 0.3 * b[1]! + 0.1 * gaussian(random));
    department.push(t[2]! + b[3]! > 0.5 ? 2 : t[2]! + b[3]! > -0.5 ? 1 : 0);
  }

  const titleInput = tf.input({ shape: [6], name: 'title' });
  const bodyInput = tf.input({ shape: [8], name: 'body' });
  const titleFeatures = tf.layers.dense({ units: 8, activation: 'relu' }).apply(titleInput);
  const bodyFeatures = tf.layers.dense({ units: 8, activation: 'relu' }).apply(bodyInput);
  const joined = tf.layers.concatenate().apply([titleFeatures, bodyFeatures]);
  const priorityOut = tf.layers.dense({ units: 1, name: 'priority' }).apply(joined);
  const departmentOut = tf.layers.dense({ units: 3, activation: 'softmax', name: 'department' }).apply(joined);
  const model = tf.model({ inputs: [titleInput, bodyInput], outputs: [priorityOut, departmentOut] });
  setSeededWeights(tf, model, 11);
  model.compile({
    optimizer: tf.train.adam(0.02),
    loss: { priority: 'meanSquaredError', department: 'categoricalCrossentropy' },
  });
  log('outputs', JSON.stringify(model.outputNames));

  const xs = [tf.tensor2d(title, [rows, 6]), tf.tensor2d(body, [rows, 8])];
  const ys = [tf.tensor2d(priority, [rows, 1]), tf.oneHot(tf.tensor1d(department, 'int32'), 3)];
  const history = await model.fit(xs, ys, { epochs: 8, batchSize: 16, shuffle: false });
  for (const key of ['loss', 'priority_loss', 'department_loss']) log(key, history.history[key].map((v: number) => v.toFixed(4)).join(' '));

  const evaluation = model.evaluate(xs, ys, { batchSize: 64 });
  // Keras's order: total loss, then each output's (metricsNames). TensorFlow.js 4.22 returns one
  // number more than metricsNames names for a multi-output model, in front; the named ones are last.
  const named = evaluation.slice(-model.metricsNames.length);
  log('evaluate', model.metricsNames.map((name: string, i: number) => `${name} ${named[i].dataSync()[0].toFixed(4)}`).join(' '));
  const [predictedPriority, predictedDepartment] = model.predict([xs[0].slice([0, 0], [3, 6]), xs[1].slice([0, 0], [3, 8])]);
  predictedPriority.print();
  predictedDepartment.print();
}
