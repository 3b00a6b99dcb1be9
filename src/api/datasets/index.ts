// Datasets for the browser bundle (weft.datasets). The node loader lives in fashionMnistNode.ts.
export {
  loadFashionMnist,
  toFloat01,
  splitFashionMnist,
  FASHION_MNIST_CLASS_NAMES,
  FASHION_MNIST_VALIDATION_SIZE,
  FASHION_MNIST_FILES,
  type FashionMnist,
  type FashionMnistSplit,
  type FashionMnistFiles,
  type LoadFashionMnistOptions,
  type LoadFashionMnistBrowserOptions,
} from './fashionMnist.js';
export { parseIdx, encodeIdx, type IdxArray } from './idx.js';
