// Fashion-MNIST (Zalando): 70,000 28x28 grayscale images of 10 clothing classes.
//
// Split as in the article: the first 55,000 training images are `train`, the last 5,000 are
// `validation`, and the 10,000 t10k images are `test`. Pixels stay raw u8 (0..255); `toFloat01`
// scales them to [0, 1] (x / 255) when a float copy is wanted, or a GPU gather kernel can normalise.
//
// `loadFashionMnist` runs in the browser (fetch + DecompressionStream). For node, see
// fashionMnistNode.ts, which shares `splitFashionMnist` below.

import { parseIdx } from './idx.js';

export const FASHION_MNIST_CLASS_NAMES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

/** Number of training images held out (from the end of the training file) as the validation set. */
export const FASHION_MNIST_VALIDATION_SIZE = 5000;

/** File names inside the dataset directory (as shipped by Debian's dataset-fashion-mnist). */
export const FASHION_MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
} as const;

export interface FashionMnistSplit {
  /** count * 784 raw pixel bytes (0..255), image after image, row-major 28x28. Own buffer, byteOffset 0. */
  images: Uint8Array;
  /** count class indices 0..9. Own buffer, byteOffset 0. */
  labels: Uint8Array;
  count: number;
}

export interface FashionMnist {
  train: FashionMnistSplit;
  validation: FashionMnistSplit;
  test: FashionMnistSplit;
  classNames: string[];
  imageShape: [28, 28];
}

export interface LoadFashionMnistOptions {
  /** Keep only the first `trainLimit` training examples (validation and test stay full). */
  trainLimit?: number;
}

export interface LoadFashionMnistBrowserOptions extends LoadFashionMnistOptions {
  /** URL of the directory holding the four .gz files. Default '/data/fashion-mnist'. */
  baseUrl?: string;
}

/** The four decompressed IDX files. */
export interface FashionMnistFiles {
  trainImages: Uint8Array;
  trainLabels: Uint8Array;
  testImages: Uint8Array;
  testLabels: Uint8Array;
}

function checkPair(images: Uint8Array, labels: Uint8Array, which: string): { images: Uint8Array; labels: Uint8Array; count: number } {
  const img = parseIdx(images, `${which}-images`);
  const lab = parseIdx(labels, `${which}-labels`);
  if (img.dims.length !== 3 || img.dims[1] !== 28 || img.dims[2] !== 28) {
    throw new Error(`Fashion-MNIST ${which}-images: expected shape [N, 28, 28], got [${img.dims.join(', ')}]`);
  }
  if (lab.dims.length !== 1) {
    throw new Error(`Fashion-MNIST ${which}-labels: expected shape [N], got [${lab.dims.join(', ')}]`);
  }
  const count = img.dims[0]!;
  if (lab.dims[0] !== count) {
    throw new Error(`Fashion-MNIST ${which}: ${count} images but ${lab.dims[0]} labels`);
  }
  for (let i = 0; i < count; i++) {
    if (lab.data[i]! > 9) throw new Error(`Fashion-MNIST ${which}-labels: label ${lab.data[i]} at index ${i} is outside 0..9`);
  }
  return { images: img.data, labels: lab.data, count };
}

function take(images: Uint8Array, labels: Uint8Array, start: number, end: number): FashionMnistSplit {
  const px = 28 * 28;
  return {
    images: images.slice(start * px, end * px),
    labels: labels.slice(start, end),
    count: end - start,
  };
}

/** Parses the four decompressed IDX files and splits them 55,000 / 5,000 / 10,000. Pure. */
export function splitFashionMnist(files: FashionMnistFiles, options: LoadFashionMnistOptions = {}): FashionMnist {
  const train = checkPair(files.trainImages, files.trainLabels, 'train');
  const test = checkPair(files.testImages, files.testLabels, 't10k');
  if (train.count <= FASHION_MNIST_VALIDATION_SIZE) {
    throw new Error(`Fashion-MNIST train: ${train.count} images, need more than ${FASHION_MNIST_VALIDATION_SIZE} to hold out a validation set`);
  }
  const trainCount = train.count - FASHION_MNIST_VALIDATION_SIZE;
  let limit = trainCount;
  if (options.trainLimit !== undefined) {
    const l = options.trainLimit;
    if (!Number.isInteger(l) || l <= 0) throw new Error(`loadFashionMnist: trainLimit must be a positive integer, got ${l}`);
    limit = Math.min(l, trainCount);
  }
  return {
    train: take(train.images, train.labels, 0, limit),
    validation: take(train.images, train.labels, trainCount, train.count),
    test: take(test.images, test.labels, 0, test.count),
    classNames: [...FASHION_MNIST_CLASS_NAMES],
    imageShape: [28, 28],
  };
}

/** Raw u8 pixels → float32 in [0, 1] (x / 255, as the article's `X / 255.0`). */
export function toFloat01(images: Uint8Array): Float32Array {
  const out = new Float32Array(images.length);
  for (let i = 0; i < images.length; i++) out[i] = images[i]! / 255;
  return out;
}

async function fetchIdx(url: string): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`loadFashionMnist: could not fetch ${url}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new Error(`loadFashionMnist: GET ${url} answered ${res.status} ${res.statusText}`);
  const raw = new Uint8Array(await res.arrayBuffer());
  // A server may have decoded the gzip already (Content-Encoding); only gunzip what is still gzip.
  if (raw.length < 2 || raw[0] !== 0x1f || raw[1] !== 0x8b) return raw;
  try {
    const stream = new Blob([raw]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new Error(`loadFashionMnist: could not decompress ${url}: ${(e as Error).message}`);
  }
}

/**
 * Loads Fashion-MNIST in the browser from `${baseUrl}/train-images-idx3-ubyte.gz` and the three
 * other files (the layout of /usr/share/datasets/fashion-mnist/, which the test page and the
 * demo serve at /data/fashion-mnist/).
 */
export async function loadFashionMnist(options: LoadFashionMnistBrowserOptions = {}): Promise<FashionMnist> {
  const base = (options.baseUrl ?? '/data/fashion-mnist').replace(/\/+$/, '');
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    fetchIdx(`${base}/${FASHION_MNIST_FILES.trainImages}`),
    fetchIdx(`${base}/${FASHION_MNIST_FILES.trainLabels}`),
    fetchIdx(`${base}/${FASHION_MNIST_FILES.testImages}`),
    fetchIdx(`${base}/${FASHION_MNIST_FILES.testLabels}`),
  ]);
  return splitFashionMnist({ trainImages, trainLabels, testImages, testLabels }, options);
}
