// TensorFlow.js (CPU backend, in the same page) as the oracle for convolutional models: random small
// CNNs (1–3 convolutions with and without pooling, both paddings, strides 1–2, flatten or global
// pooling, an optional dense layer, a channel-concat branch) on small odd images. With the same
// weights: predict within 1e-5 (relative), weights after 5 SGD and 5 Adam steps within 1e-4; weight
// names and order as TensorFlow.js's (getWeights/setWeights layout). Uses tfjs-oracle's page side.
import type { Page } from 'puppeteer';
import { beforeAll, describe, expect, test } from 'vitest';
import { inPage, openPage } from './harness.js';
import type { CaseOptions, CaseReport } from './oracle/page.js';
import type { Activation, GraphSpec, NodeSpec } from '../reference/randomGraphs.js';
import { random } from '../reference/randomGraphs.js';
import { loadOracle } from './tfjs.js';

let page: Page;
beforeAll(async () => {
  page = await openPage();
  await loadOracle(page);
});

/** A random CNN on a small odd image; every conv output fits its next window. */
function randomCnn(seed: number): GraphSpec {
  const r = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const image = [pick([7, 9]), pick([5, 7]), pick([1, 2, 3])];
  const nodes: NodeSpec[] = [];
  let current = 'image';
  let [h, w] = image as [number, number];
  const out = (padding: 'valid' | 'same', k: number, s: number, d: number): number => (padding === 'same' ? Math.ceil(d / s) : Math.floor((d - k) / s) + 1);
  const convs = 1 + Math.floor(r() * 3);
  let concatDone = false;
  for (let i = 0; i < convs; i++) {
    const kernelSize = Math.min(pick([1, 3]), h, w);
    const strides = pick([1, 2]);
    const padding = pick(['valid', 'same'] as const);
    nodes.push({
      kind: 'conv2d',
      layer: `conv${i}`,
      filters: 2 + Math.floor(r() * 3),
      kernelSize,
      strides,
      padding,
      activation: pick(['relu', 'tanh', 'linear', 'sigmoid'] as Activation[]),
      inputs: [current],
      out: `c${i}`,
    });
    current = `c${i}`;
    [h, w] = [out(padding, kernelSize, strides, h), out(padding, kernelSize, strides, w)];
    if (!concatDone && r() < 0.6) {
      concatDone = true;
      nodes.push({
        kind: 'conv2d',
        layer: `branch${i}`,
        filters: 2,
        kernelSize: 1,
        strides: 1,
        padding: 'valid',
        activation: 'relu',
        inputs: [current],
        out: `b${i}`,
      });
      nodes.push({ kind: 'concatenate', layer: `cat${i}`, inputs: [current, `b${i}`], out: `cat${i}` });
      current = `cat${i}`;
    }
    if (r() < 0.5 && h >= 2 && w >= 2) {
      const padding = pick(['valid', 'same'] as const);
      const strides = pick([1, 2]);
      nodes.push({
        kind: pick(['maxPooling2d', 'averagePooling2d'] as const),
        layer: `pool${i}`,
        poolSize: 2,
        strides,
        padding,
        inputs: [current],
        out: `p${i}`,
      });
      current = `p${i}`;
      [h, w] = [out(padding, 2, strides, h), out(padding, 2, strides, w)];
    }
  }
  nodes.push({ kind: pick(['flatten', 'globalAveragePooling2d', 'globalMaxPooling2d'] as const), layer: 'to_rows', inputs: [current], out: 'rows' });
  current = 'rows';
  if (r() < 0.5) {
    nodes.push({ kind: 'dense', layer: 'hidden', units: 5, activation: 'relu', inputs: [current], out: 'hidden' });
    current = 'hidden';
  }
  nodes.push({ kind: 'dense', layer: 'output', units: 3, activation: 'softmax', inputs: [current], out: 'output' });
  return {
    inputs: [{ name: 'image', units: image.reduce((a, b) => a * b, 1), shape: image }],
    nodes,
    outputs: [{ tensor: 'output', loss: 'sparseCategoricalCrossentropy', weight: 1, metrics: ['accuracy'] }],
  };
}

const TRAIN: Omit<CaseOptions, 'seed'> = { batchSize: 8, steps: 5, sgd: 0.1, adam: 0.01 };

describe('random CNNs agree with TensorFlow.js', () => {
  for (let seed = 1; seed <= 6; seed++)
    // even seeds: the last training batch is partial (weft runs it on the full batch's plan, padded, where the graph allows)
    test(`random CNN ${seed}${seed % 2 === 0 ? `, last batch ${seed / 2} rows` : ''}`, async () => {
      const spec = randomCnn(seed);
      const options: CaseOptions = { ...TRAIN, seed, ...(seed % 2 === 0 ? { lastBatch: seed / 2 } : {}) };
      const r: CaseReport = await inPage(page, ([s, o]) => (window as any).weftOracle.runCase(s, o), [spec, options] as [GraphSpec, CaseOptions]);
      const context = JSON.stringify(spec.nodes.map((n) => ({ ...n, inputs: undefined })));
      console.log(
        `[weft] cnn oracle ${seed}: predict ${r.predict.maxScaled.toExponential(1)} · sgd ${r.sgd.maxAbs.toExponential(1)} · adam ${r.adam.maxAbs.toExponential(1)} (moved ${r.moved.adam.toFixed(3)}) · ${Math.round(r.ms)} ms`,
      );
      expect(r.weightNames.weft, context).toEqual(r.weightNames.tf);
      expect(r.predict.maxScaled, `predict: ${r.predict.worst}; ${context}`).toBeLessThanOrEqual(1e-5);
      expect(r.sgd.maxAbs, `SGD: ${r.sgd.worst}; ${context}`).toBeLessThanOrEqual(1e-4);
      expect(r.adam.maxAbs, `Adam: ${r.adam.worst}; ${context}`).toBeLessThanOrEqual(1e-4);
      expect(r.adam.maxAbs).toBeLessThanOrEqual(r.moved.adam / 100);
    });
});
