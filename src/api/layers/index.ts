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
export { conv2d, Conv2D } from './conv2d.js';
export {
  averagePooling2d,
  globalAveragePooling2d,
  globalMaxPooling2d,
  maxPooling2d,
  AveragePooling2D,
  GlobalAveragePooling2D,
  GlobalMaxPooling2D,
  MaxPooling2D,
} from './pooling.js';
