// weft.layers: layer factories with TensorFlow.js names.
export { dense, Dense } from './dense.js';
export { concatenate, Concatenate } from './concatenate.js';
export { activation, Activation } from './activation.js';
export { dropout, Dropout } from './dropout.js';
export { flatten, reshape, Flatten, Reshape } from './reshape.js';
export { add, Add } from './add.js';
export { Layer } from './layer.js';
export { InputLayer } from './input.js';
export { batchNormalization, BatchNormalization } from './batchNormalization.js';
