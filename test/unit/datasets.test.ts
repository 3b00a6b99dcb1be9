// IDX parsing and the Fashion-MNIST split, on the real files (dataset-fashion-mnist) and on tiny buffers.
import { describe, expect, test } from 'vitest';
import { encodeIdx, parseIdx } from '../../src/api/datasets/idx.js';
import { FASHION_MNIST_CLASS_NAMES, splitFashionMnist, toFloat01 } from '../../src/api/datasets/fashionMnist.js';
import { loadFashionMnistFromDir } from '../../src/api/datasets/fashionMnistNode.js';

describe('parseIdx', () => {
  test('parses a hand-built buffer', () => {
    const bytes = new Uint8Array([0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const { dims, data } = parseIdx(bytes);
    expect(dims).toEqual([2, 2, 3]);
    expect(Array.from(data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(parseIdx(bytes.buffer).dims).toEqual([2, 2, 3]);
  });

  test('round-trips encodeIdx', () => {
    const data = Uint8Array.from({ length: 24 }, (_, i) => i * 10);
    const parsed = parseIdx(encodeIdx([4, 6], data));
    expect(parsed.dims).toEqual([4, 6]);
    expect(parsed.data).toEqual(data);
  });

  test('rejects corrupt buffers with clear messages', () => {
    const good = encodeIdx([3, 2], new Uint8Array(6));
    expect(() => parseIdx(good.subarray(0, good.length - 1), 'x')).toThrow(/x: IDX data truncated: shape \[3, 2\] needs 6 bytes/);
    expect(() => parseIdx(new Uint8Array([...good, 0]))).toThrow(/trailing bytes/);
    const badMagic = good.slice();
    badMagic[0] = 1;
    expect(() => parseIdx(badMagic)).toThrow(/bad IDX magic number \(01 00 08 02\)/);
    const floats = good.slice();
    floats[2] = 0x0d;
    expect(() => parseIdx(floats)).toThrow(/element type 0x0d \(float\) is not supported/);
    expect(() => parseIdx(new Uint8Array([0, 0, 8]))).toThrow(/too short/);
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 3, 0, 0, 0, 1]))).toThrow(/truncated IDX header/);
    expect(() => parseIdx(new Uint8Array([0x1f, 0x8b, 8, 0]))).toThrow(/gzip/);
  });
});

describe('splitFashionMnist', () => {
  const tiny = (n: number, label = (i: number) => i % 10) => ({
    images: encodeIdx(
      [n, 28, 28],
      Uint8Array.from({ length: n * 784 }, (_, i) => Math.floor(i / 784) % 256),
    ),
    labels: encodeIdx(
      [n],
      Uint8Array.from({ length: n }, (_, i) => label(i)),
    ),
  });

  test('holds out the last 5000 training images, truncates train with trainLimit', () => {
    const train = tiny(5010);
    const test = tiny(7);
    const d = splitFashionMnist({ trainImages: train.images, trainLabels: train.labels, testImages: test.images, testLabels: test.labels }, { trainLimit: 4 });
    expect([d.train.count, d.validation.count, d.test.count]).toEqual([4, 5000, 7]);
    expect(d.train.images.length).toBe(4 * 784);
    expect(d.validation.images[0]).toBe(10); // image 10 of the training file
    expect(Array.from(d.validation.labels.subarray(0, 3))).toEqual([0, 1, 2]);
    expect(d.validation.images.byteOffset).toBe(0);
  });

  test('rejects mismatched counts, bad shapes, labels out of range, bad trainLimit', () => {
    const a = tiny(5010);
    const b = tiny(7);
    const files = { trainImages: a.images, trainLabels: a.labels, testImages: b.images, testLabels: b.labels };
    expect(() => splitFashionMnist({ ...files, testLabels: tiny(6).labels })).toThrow(/t10k: 7 images but 6 labels/);
    expect(() => splitFashionMnist({ ...files, testImages: encodeIdx([7, 784], new Uint8Array(7 * 784)) })).toThrow(/expected shape \[N, 28, 28\]/);
    expect(() => splitFashionMnist({ ...files, testLabels: tiny(7, () => 10).labels })).toThrow(/label 10 at index 0 is outside 0..9/);
    expect(() => splitFashionMnist(files, { trainLimit: 0 })).toThrow(/trainLimit/);
  });

  test('toFloat01 divides by 255', () => {
    expect(Array.from(toFloat01(new Uint8Array([0, 51, 255])))).toEqual([0, Math.fround(0.2), 1]);
  });
});

describe('Fashion-MNIST files (dataset-fashion-mnist)', () => {
  test('load and split 55000 / 5000 / 10000', async () => {
    const d = await loadFashionMnistFromDir();
    expect([d.train.count, d.validation.count, d.test.count]).toEqual([55000, 5000, 10000]);
    expect(d.train.images.length).toBe(55000 * 784);
    expect(d.validation.images.length).toBe(5000 * 784);
    expect(d.test.images.length).toBe(10000 * 784);
    expect(d.train.labels.length).toBe(55000);
    expect(d.imageShape).toEqual([28, 28]);
    expect(d.classNames).toEqual([...FASHION_MNIST_CLASS_NAMES]);
    expect(d.classNames[0]).toBe('T-shirt/top');
    for (const split of [d.train, d.validation, d.test]) {
      const counts = new Array(10).fill(0);
      for (const l of split.labels) counts[l]++;
      expect(counts.reduce((s, c) => s + c, 0)).toBe(split.count);
      expect(Math.min(...counts)).toBeGreaterThan(0); // all ten classes present, nothing outside 0..9
    }
    // The full training and test sets are balanced: 6000 and 1000 per class.
    const trainCounts = new Array(10).fill(0);
    for (const l of [...d.train.labels, ...d.validation.labels]) trainCounts[l]++;
    expect(trainCounts).toEqual(new Array(10).fill(6000));
    expect(Array.from(d.train.labels.subarray(0, 5))).toEqual([9, 0, 0, 3, 0]);
    expect(Array.from(d.validation.labels.subarray(0, 5))).toEqual([0, 8, 0, 6, 5]);
    expect(Array.from(d.test.labels.subarray(0, 5))).toEqual([9, 2, 1, 1, 6]);
    let max = 0;
    for (let i = 0; i < 784 * 100; i++) max = Math.max(max, d.train.images[i]!);
    expect(max).toBe(255);
  });

  test('trainLimit keeps validation and test full', async () => {
    const d = await loadFashionMnistFromDir(undefined, { trainLimit: 1000 });
    expect([d.train.count, d.validation.count, d.test.count]).toEqual([1000, 5000, 10000]);
  });

  test('a missing directory names the package', async () => {
    await expect(loadFashionMnistFromDir('/nonexistent')).rejects.toThrow(/dataset-fashion-mnist/);
  });
});
