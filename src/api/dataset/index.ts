// weft.data: datasets in TensorFlow.js's shape (tf.data), for model.fitDataset / evaluateDataset.
export { Dataset } from './dataset.js';
export { array, generator, zip } from './sources.js';
