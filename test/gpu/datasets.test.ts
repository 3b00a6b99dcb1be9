// Fashion-MNIST loads in the browser from the served dataset directory (fetch + DecompressionStream).
import type { Page } from 'puppeteer';
import { beforeAll, expect, test } from 'vitest';
import { inPage, openPage } from './harness.js';

let page: Page;
beforeAll(async () => {
  page = await openPage();
});

test('weft.datasets.loadFashionMnist with trainLimit 1000', async () => {
  const r = await inPage(
    page,
    async (baseUrl: string) => {
      const weft = window.weft;
      const t0 = performance.now();
      const d = await weft.datasets.loadFashionMnist({ baseUrl, trainLimit: 1000 });
      let maxLabel = 0;
      for (const l of d.test.labels) maxLabel = Math.max(maxLabel, l);
      const f = weft.datasets.toFloat01(d.train.images.subarray(0, 784));
      return {
        ms: performance.now() - t0,
        counts: [d.train.count, d.validation.count, d.test.count],
        lengths: [d.train.images.length, d.train.labels.length, d.validation.images.length, d.test.images.length],
        maxLabel,
        classNames: d.classNames,
        imageShape: d.imageShape,
        floatRange: [Math.min(...f), Math.max(...f)],
        firstLabels: d.train.labels.subarray(0, 10),
      };
    },
    '/data/fashion-mnist',
  );
  expect(r.counts).toEqual([1000, 5000, 10000]);
  expect(r.lengths).toEqual([1000 * 784, 1000, 5000 * 784, 10000 * 784]);
  expect(r.maxLabel).toBe(9);
  expect(r.classNames).toHaveLength(10);
  expect(r.classNames[9]).toBe('Ankle boot');
  expect(r.imageShape).toEqual([28, 28]);
  expect(r.floatRange[0]).toBe(0);
  expect(r.floatRange[1]).toBeLessThanOrEqual(1);
  // Known first training labels of Fashion-MNIST: Ankle boot, T-shirt/top, T-shirt/top, Dress, ...
  expect(Array.from(r.firstLabels)).toEqual([9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
});
