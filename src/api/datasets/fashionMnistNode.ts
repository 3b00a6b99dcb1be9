// Node-only Fashion-MNIST loader (node:fs + node:zlib). Not imported by src/index.ts, so the browser
// bundle never sees it; node code (unit tests, scripts) imports this file directly.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { FASHION_MNIST_FILES, splitFashionMnist, type FashionMnist, type LoadFashionMnistOptions } from './fashionMnist.js';

export const FASHION_MNIST_DEFAULT_DIR = '/usr/share/datasets/fashion-mnist';

const gunzipAsync = promisify(gunzip);

async function readIdx(path: string): Promise<Uint8Array> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (e) {
    throw new Error(`loadFashionMnistFromDir: cannot read ${path} (${(e as Error).message}); install the Debian package dataset-fashion-mnist`);
  }
  if (raw.length < 2 || raw[0] !== 0x1f || raw[1] !== 0x8b) return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  try {
    const out = await gunzipAsync(raw);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    throw new Error(`loadFashionMnistFromDir: cannot decompress ${path}: ${(e as Error).message}`);
  }
}

/** Loads Fashion-MNIST from a directory of the four IDX .gz files (default: Debian's location). */
export async function loadFashionMnistFromDir(dir: string = FASHION_MNIST_DEFAULT_DIR, options: LoadFashionMnistOptions = {}): Promise<FashionMnist> {
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    readIdx(join(dir, FASHION_MNIST_FILES.trainImages)),
    readIdx(join(dir, FASHION_MNIST_FILES.trainLabels)),
    readIdx(join(dir, FASHION_MNIST_FILES.testImages)),
    readIdx(join(dir, FASHION_MNIST_FILES.testLabels)),
  ]);
  return splitFashionMnist({ trainImages, trainLabels, testImages, testLabels }, options);
}
