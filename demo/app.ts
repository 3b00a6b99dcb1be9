// The demo page (bundled into dist/demo.js): trains the article's four models and a CNN on
// Fashion-MNIST with weft on WebGPU, shows progress, learning curves and diagrams as it goes, and renders the report.
//
// Driven two ways:
//   - headless by `npm start` (demo/run.mjs): it calls window.weftDemo.start(options) and receives
//     every event through window.weftDemoEvent (a puppeteer exposeFunction), then writes the report;
//   - by a person in a real browser (`npm run serve`, demo/serve.mjs): the form starts a run
//     (or ?autostart=1 with the options as query parameters), and the page updates live.

import * as weft from '../src/index.js';
import { formatDuration, MODEL_INFO, MODEL_KEYS, progressLine, resultRows, thousands, type Logs, type ModelKey } from './shared.mjs';

export type OptimizerName = 'adam' | 'sgd' | 'momentum' | 'rmsprop';

export interface DemoOptions {
  /** Epochs of the article's four models (and of the CNN, up to CNN_DEFAULT_EPOCHS, unless cnnEpochs is given). */
  epochs: number;
  /** Epochs of the CNN; null: the smaller of `epochs` and CNN_DEFAULT_EPOCHS (on SwiftShader it trains ~35× fewer samples/s than the MLP). */
  cnnEpochs: number | null;
  batchSize: number;
  /** Train on the first N of the 55,000 training images (null: all). */
  trainLimit: number | null;
  models: ModelKey[];
  optimizer: OptimizerName;
  /** null: the optimizer's Keras default (adam/rmsprop 0.001, sgd/momentum 0.01). */
  learningRate: number | null;
  /** The learning rate of epoch e is learningRate × lrDecay^e (1: constant). */
  lrDecay: number;
  /** Seeds the weights (each layer its own) and the shuffling; the same seed gives the same run. */
  seed: number;
  /** Where the dataset's .gz files are served. */
  dataUrl: string;
  /** Progress readbacks per epoch (they feed the progress bars). */
  progressUpdates: number;
}

/** The CNN's epochs unless cnnEpochs says otherwise (README, "The demo": what they reach, how long they take). */
// Eight epochs: in PyTorch with the same recipe (bench/native/torch_cnn_epochs.py --padding same --dense 128)
// this model is at 88.9% after 2 epochs, 90.4–90.6% after 4–6, 91.3% after 7 and 91.5% after 8; a
// quiet epoch takes ~4 minutes here on SwiftShader.
export const CNN_DEFAULT_EPOCHS = 8;

/** The defaults `npm start` uses (see README, "The demo", for how they were chosen). */
export const DEFAULT_OPTIONS: DemoOptions = {
  epochs: 20,
  cnnEpochs: null,
  batchSize: 32,
  trainLimit: null,
  models: [...MODEL_KEYS],
  optimizer: 'adam',
  learningRate: null,
  lrDecay: 0.9,
  seed: 42,
  dataUrl: '/data/fashion-mnist',
  progressUpdates: 20,
};

const DEFAULT_LEARNING_RATE: Record<OptimizerName, number> = { adam: 1e-3, rmsprop: 1e-3, sgd: 1e-2, momentum: 1e-2 };

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  description: string;
}

export interface ModelResult {
  name: ModelKey;
  title: string;
  metricsNames: string[];
  /** model.evaluate on the 10,000 test images, in metricsNames order. */
  evaluate: number[];
  history: Record<string, number[]>;
  epochs: number;
  params: number;
  /** Wall time of fit (training and the per-epoch validation pass). */
  trainSeconds: number;
  /** Training samples per second of fit (epochs × samples / trainSeconds). */
  samplesPerSecond: number;
  dispatchesPerStep: number;
  kernels: number;
  summary: string;
  diagram: string;
  chart: string;
  /** weft.exportModule(model): the standalone predict module's size (raw and gzipped) and its weights' bytes. */
  module: { bytes: number; gzippedBytes: number; weightBytes: number };
}

export interface DemoResults {
  models: ModelResult[];
  options: DemoOptions & { learningRate: number; cnnEpochs: number };
  adapter: AdapterSummary;
  userAgent: string;
  dataset: { train: number; validation: number; test: number };
  samples: { images: string[]; labels: string[] };
  date: string;
  wallSeconds: number;
}

export type DemoEvent =
  | { type: 'start'; options: DemoResults['options']; adapter: AdapterSummary; userAgent: string }
  | { type: 'data'; train: number; validation: number; test: number; seconds: number; samples: DemoResults['samples'] }
  | { type: 'model'; key: ModelKey; title: string; index: number; count: number; summary: string; epochs: number; steps: number; samples: number }
  | { type: 'epochBegin'; key: ModelKey; epoch: number; epochs: number; steps: number }
  | { type: 'batch'; key: ModelKey; epoch: number; epochs: number; step: number; steps: number; logs: Logs; elapsedMs: number }
  | { type: 'epochEnd'; key: ModelKey; epoch: number; epochs: number; steps: number; logs: Logs; elapsedMs: number }
  | { type: 'modelDone'; key: ModelKey; result: ModelResult }
  /** The model's exported predict module (demo/run.mjs writes out/<key>.module.js and out/<key>.weights.bin). */
  | { type: 'module'; key: ModelKey; code: string; weightsBase64: string }
  | { type: 'done'; results: DemoResults; reportHtml: string }
  | { type: 'error'; message: string; stack: string };

declare global {
  interface Window {
    weftDemo: typeof api;
    /** Set by demo/run.mjs (puppeteer exposeFunction): receives every event in node. */
    weftDemoEvent?: (event: DemoEvent) => unknown;
  }
}

// ───────────────────────── options ─────────────────────────

/** Options as a form or URL gives them: any may be missing (undefined = the default). */
export type DemoOptionsInput = { [K in keyof DemoOptions]?: DemoOptions[K] | undefined };

export function normalizeOptions(partial: DemoOptionsInput = {}): DemoResults['options'] {
  const o: DemoOptions = { ...DEFAULT_OPTIONS };
  for (const [k, v] of Object.entries(partial)) if (v !== undefined) (o as unknown as Record<string, unknown>)[k] = v;
  const positiveInt = (v: unknown, what: string) => {
    if (!Number.isInteger(v) || (v as number) <= 0) throw new Error(`demo: ${what} must be a positive integer, got ${v}`);
  };
  positiveInt(o.epochs, 'epochs');
  if (o.cnnEpochs !== null) positiveInt(o.cnnEpochs, 'CNN epochs');
  positiveInt(o.batchSize, 'batch size');
  if (o.trainLimit !== null) positiveInt(o.trainLimit, 'train limit');
  if (!Array.isArray(o.models) || o.models.length === 0) throw new Error('demo: choose at least one model');
  for (const m of o.models) if (!MODEL_KEYS.includes(m)) throw new Error(`demo: unknown model '${m}'; choose from ${MODEL_KEYS.join(', ')}`);
  o.models = MODEL_KEYS.filter((k) => o.models.includes(k));
  if (!(o.optimizer in DEFAULT_LEARNING_RATE))
    throw new Error(`demo: unknown optimizer '${o.optimizer}'; use ${Object.keys(DEFAULT_LEARNING_RATE).join(', ')}`);
  const learningRate = o.learningRate ?? DEFAULT_LEARNING_RATE[o.optimizer];
  if (!(learningRate > 0)) throw new Error(`demo: the learning rate must be positive, got ${learningRate}`);
  if (!(o.lrDecay > 0 && o.lrDecay <= 1)) throw new Error(`demo: the learning-rate decay must be in (0, 1], got ${o.lrDecay}`);
  if (!Number.isInteger(o.seed)) throw new Error(`demo: seed must be an integer, got ${o.seed}`);
  return { ...o, learningRate, cnnEpochs: o.cnnEpochs ?? Math.min(o.epochs, CNN_DEFAULT_EPOCHS) };
}

/** The epochs `key` trains for. */
function epochsOf(key: ModelKey, options: DemoResults['options']): number {
  return key === 'cnn' ? options.cnnEpochs : options.epochs;
}

function makeOptimizer(name: OptimizerName, learningRate: number): weft.Optimizer {
  switch (name) {
    case 'adam':
      return weft.train.adam(learningRate);
    case 'rmsprop':
      return weft.train.rmsprop(learningRate);
    case 'momentum':
      return weft.train.sgd(learningRate, { momentum: 0.9 });
    case 'sgd':
      return weft.train.sgd(learningRate);
  }
}

// ───────────────────────── data and models ─────────────────────────

interface Split {
  count: number;
  /** [count, 784]: the pixels as rows. */
  full: weft.Tensor;
  /** [count, 28, 28, 1]: the same pixels as images (channels last), for the CNN. */
  images: () => weft.Tensor;
  /** [pixels 0–391, pixels 392–783], made on first use. */
  halves: () => [weft.Tensor, weft.Tensor];
  labels: weft.Tensor;
}

function split(images: Uint8Array, labels: Uint8Array, count: number): Split {
  const pixels = weft.datasets.toFloat01(images);
  let halves: [weft.Tensor, weft.Tensor] | null = null;
  const full = weft.tensor(pixels, [count, 784]);
  return {
    count,
    full,
    images: () => full.reshape([count, 28, 28, 1]),
    labels: weft.tensor(Int32Array.from(labels), [count]),
    halves: () => {
      if (!halves) {
        const a = new Float32Array(count * 392);
        const b = new Float32Array(count * 392);
        for (let i = 0; i < count; i++) {
          a.set(pixels.subarray(i * 784, i * 784 + 392), i * 392);
          b.set(pixels.subarray(i * 784 + 392, i * 784 + 784), i * 392);
        }
        halves = [weft.tensor(a, [count, 392]), weft.tensor(b, [count, 392])];
      }
      return halves;
    },
  };
}

/** The article's models, with the article's layer names, and the CNN; one seed per layer. */
function buildModel(key: ModelKey, seed: number): weft.LayersModel {
  let s = seed * 100;
  const dense = (units: number, activation: string, name: string) => weft.layers.dense({ units, activation, name, seed: s++ });
  if (key === 'cnn') {
    // 'same' padding keeps the borders (28 → 14 → 7 after the pools): in PyTorch with the same recipe it is
    // ~2 points ahead of 'valid' after 2 epochs for ~1.5× the work (README, "The CNN").
    const conv = (filters: number, name: string) => weft.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', name, seed: s++ });
    const image = weft.input({ shape: [28, 28, 1], name: 'image' });
    const conv1 = conv(16, 'conv1').apply(image);
    const pool1 = weft.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }).apply(conv1);
    const conv2 = conv(32, 'conv2').apply(pool1);
    const pool2 = weft.layers.maxPooling2d({ poolSize: 2, name: 'pool2' }).apply(conv2);
    const flat = weft.layers.flatten({ name: 'flatten' }).apply(pool2);
    const hidden = dense(128, 'relu', 'hidden').apply(flat);
    const dropped = weft.layers.dropout({ rate: 0.3, name: 'dropout', seed: s++ }).apply(hidden);
    const output = dense(10, 'softmax', 'output').apply(dropped);
    return weft.model({ inputs: image, outputs: output, name: key });
  }
  if (key === 'mlp') {
    const input = weft.input({ shape: [784], name: 'input' });
    const hidden1 = dense(30, 'relu', 'hidden1').apply(input);
    const hidden2 = dense(30, 'relu', 'hidden2').apply(hidden1);
    const output = dense(10, 'softmax', 'output').apply(hidden2);
    return weft.model({ inputs: input, outputs: output, name: key });
  }
  if (key === 'wide_deep') {
    const input = weft.input({ shape: [784], name: 'input' });
    const hidden1 = dense(30, 'relu', 'hidden1').apply(input);
    const hidden2 = dense(30, 'relu', 'hidden2').apply(hidden1);
    const concat = weft.layers.concatenate({ name: 'concat' }).apply([input, hidden2]);
    const output = dense(10, 'softmax', 'output').apply(concat);
    return weft.model({ inputs: input, outputs: output, name: key });
  }
  const wide = weft.input({ shape: [392], name: 'wide_input' });
  const deep = weft.input({ shape: [392], name: 'deep_input' });
  const hidden1 = dense(30, 'relu', 'hidden1').apply(deep);
  const hidden2 = dense(30, 'relu', 'hidden2').apply(hidden1);
  const concat = weft.layers.concatenate({ name: 'concat' }).apply([wide, hidden2]);
  const main = dense(10, 'softmax', 'main_output').apply(concat);
  if (key === 'multi_input') return weft.model({ inputs: [wide, deep], outputs: main, name: key });
  const aux = dense(10, 'softmax', 'aux_output').apply(hidden2);
  return weft.model({ inputs: [wide, deep], outputs: [main, aux], name: key });
}

function inputsFor(key: ModelKey, s: Split): weft.Tensor | weft.Tensor[] {
  switch (key) {
    case 'mlp':
    case 'wide_deep':
      return s.full;
    case 'multi_input':
    case 'multi_output':
      return s.halves();
    case 'cnn':
      return s.images();
    default:
      return key satisfies never;
  }
}

function targetsFor(key: ModelKey, s: Split): weft.Tensor | weft.Tensor[] {
  return key === 'multi_output' ? [s.labels, s.labels] : s.labels;
}

/** What runDemo needs of the place it runs in: this page (pageHost below) or Node (demo/node.ts). */
export interface DemoHost {
  loadFashionMnist(options: { baseUrl: string; trainLimit?: number }): Promise<weft.datasets.FashionMnist>;
  /** A 28 × 28 grayscale image (row-major, 0 black … 255 white) as a PNG data URL. */
  grayPngDataUrl(pixels: Uint8Array): string | Promise<string>;
  userAgent: string;
}

const pageHost: DemoHost = {
  loadFashionMnist: (options) => weft.datasets.loadFashionMnist(options),
  grayPngDataUrl(pixels) {
    const canvas = document.createElement('canvas');
    canvas.width = 28;
    canvas.height = 28;
    const ctx = canvas.getContext('2d')!;
    const img = ctx.createImageData(28, 28);
    for (let p = 0; p < 784; p++) {
      img.data.fill(pixels[p]!, p * 4, p * 4 + 3);
      img.data[p * 4 + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    return canvas.toDataURL('image/png');
  },
  get userAgent() {
    return navigator.userAgent;
  },
};

/** The first `count` training images as PNG data URLs, dark garment on white (matplotlib's "binary"). */
async function sampleImages(images: Uint8Array, labels: Uint8Array, classNames: string[], count: number, host: DemoHost): Promise<DemoResults['samples']> {
  const out: DemoResults['samples'] = { images: [], labels: [] };
  for (let i = 0; i < count; i++) {
    const inverted = images.slice(i * 784, (i + 1) * 784).map((v) => 255 - v);
    out.images.push(await host.grayPngDataUrl(inverted));
    out.labels.push(classNames[labels[i]!]!);
  }
  return out;
}

async function adapterSummary(): Promise<AdapterSummary> {
  const gpu = await weft.getGpu();
  const i = gpu.adapterInfo;
  return { vendor: i.vendor, architecture: i.architecture, description: i.description };
}

/** Trains the chosen models and returns everything the report shows. Events go to `emit`. */
export async function runDemo(partial: DemoOptionsInput, emit: (e: DemoEvent) => void, host: DemoHost = pageHost): Promise<DemoResults> {
  const options = normalizeOptions(partial);
  const t0 = performance.now();
  const adapter = await adapterSummary();
  emit({ type: 'start', options, adapter, userAgent: host.userAgent });

  const d = await host.loadFashionMnist({ baseUrl: options.dataUrl, ...(options.trainLimit ? { trainLimit: options.trainLimit } : {}) });
  const train = split(d.train.images, d.train.labels, d.train.count);
  const validation = split(d.validation.images, d.validation.labels, d.validation.count);
  const test = split(d.test.images, d.test.labels, d.test.count);
  const samples = await sampleImages(d.train.images, d.train.labels, d.classNames, Math.min(40, d.train.count), host);
  emit({ type: 'data', train: train.count, validation: validation.count, test: test.count, seconds: (performance.now() - t0) / 1000, samples });

  const models: ModelResult[] = [];
  for (const [index, key] of options.models.entries()) {
    const model = buildModel(key, options.seed + index);
    const summary = model.summary(undefined, undefined, () => {});
    const steps = Math.ceil(train.count / options.batchSize);
    const epochs = epochsOf(key, options);
    emit({ type: 'model', key, title: MODEL_INFO[key].title, index, count: options.models.length, summary, epochs, steps, samples: train.count });
    const multi = key === 'multi_output';
    const optimizer = makeOptimizer(options.optimizer, options.learningRate);
    model.compile({
      optimizer,
      loss: multi ? ['sparseCategoricalCrossentropy', 'sparseCategoricalCrossentropy'] : 'sparseCategoricalCrossentropy',
      ...(multi ? { lossWeights: [0.7, 0.3] } : {}),
      metrics: ['accuracy'],
    });
    let epochNow = 0;
    let epochStarted = 0;
    const fitStarted = performance.now();
    const history = await model.fit(inputsFor(key, train), targetsFor(key, train), {
      epochs,
      batchSize: options.batchSize,
      validationData: [inputsFor(key, validation), targetsFor(key, validation)],
      shuffle: true,
      seed: options.seed + index,
      verbose: 0,
      progressUpdates: options.progressUpdates,
      callbacks: {
        onEpochBegin: (epoch) => {
          // Exponential decay, one step per epoch (fit reads the rate when it encodes an epoch).
          optimizer.learningRate = options.learningRate * options.lrDecay ** epoch;
          epochNow = epoch;
          epochStarted = performance.now();
          emit({ type: 'epochBegin', key, epoch, epochs, steps });
        },
        onBatchEnd: (batch, logs) => {
          emit({
            type: 'batch',
            key,
            epoch: epochNow,
            epochs,
            step: Math.min(steps, batch + 1),
            steps,
            logs: { ...(logs ?? {}) },
            elapsedMs: performance.now() - epochStarted,
          });
        },
        onEpochEnd: (epoch, logs) => {
          emit({ type: 'epochEnd', key, epoch, epochs, steps, logs: { ...(logs ?? {}) }, elapsedMs: performance.now() - epochStarted });
        },
      },
    });
    const trainSeconds = (performance.now() - fitStarted) / 1000;
    // At fit's batch size (Keras's default, as the article's model.evaluate): the validation passes' plan
    // runs it, its short last batch padded, so nothing compiles (at 256 a plan of its own took 3.3 s of
    // pipeline compilation in Chromium on SwiftShader, more than the 313 steps at 32 take).
    const evaluation = await model.evaluate(inputsFor(key, test), targetsFor(key, test), { batchSize: options.batchSize });
    const explained = await model.explain(options.batchSize);
    const exported = await weft.exportModule(model);
    emit({ type: 'module', key, code: exported.code, weightsBase64: base64(exported.weights) });
    const result: ModelResult = {
      name: key,
      title: MODEL_INFO[key].title,
      metricsNames: model.metricsNames,
      evaluate: [evaluation].flat().map((t) => t.dataSync()[0]!),
      history: Object.fromEntries(Object.entries(history.history).map(([k, v]) => [k, [...v]])),
      epochs,
      params: model.countParams(),
      trainSeconds,
      samplesPerSecond: (train.count * epochs) / trainSeconds,
      dispatchesPerStep: explained.dispatchesPerTrainStep,
      kernels: explained.kernels.length,
      summary,
      diagram: weft.plotModel(model, { showShapes: true }),
      chart: weft.plotHistory(history, { title: MODEL_INFO[key].title, width: 600, height: 380 }),
      module: {
        bytes: new TextEncoder().encode(exported.code).length,
        gzippedBytes: await gzippedSize(exported.code),
        weightBytes: exported.weights.byteLength,
      },
    };
    models.push(result);
    emit({ type: 'modelDone', key, result });
    model.dispose();
  }
  const results: DemoResults = {
    models,
    options,
    adapter,
    userAgent: host.userAgent,
    dataset: { train: train.count, validation: validation.count, test: test.count },
    samples,
    date: new Date().toISOString(),
    wallSeconds: (performance.now() - t0) / 1000,
  };
  return results;
}

// ───────────────────────── rendering (report and live page) ─────────────────────────

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f5f5f2; color: #1f1f1f; font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, 'Liberation Sans', Arial, sans-serif; }
main { max-width: 1260px; margin: 0 auto; padding: 26px 28px 56px; }
h1 { font-size: 27px; margin: 0 0 2px; letter-spacing: -0.01em; }
h2 { font-size: 20px; margin: 0 0 2px; }
h3 { font-size: 15px; margin: 14px 0 6px; color: #444; }
.sub, .muted { color: #5d5d5d; }
.card { background: #fff; border: 1px solid #e1e1dc; border-radius: 10px; padding: 18px 22px; margin: 18px 0; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; font-size: 14px; margin: 10px 0 0; }
.meta dt { color: #666; }
.meta dd { margin: 0; }
.table-wrap { overflow-x: auto; }
table.results { border-collapse: collapse; font-variant-numeric: tabular-nums; width: 100%; font-size: 14px; }
table.results th { text-align: right; font-weight: 600; color: #444; border-bottom: 2px solid #ccc; padding: 6px 10px; white-space: nowrap; }
table.results td { text-align: right; padding: 5px 10px; border-bottom: 1px solid #ececec; white-space: nowrap; }
table.results .l { text-align: left; }
table.results .mark { text-align: left; padding-left: 0; width: 1.2em; }
table.results tr.first td { border-top: 1px solid #d6d6d6; }
table.results td.model { font-weight: 600; vertical-align: top; }
.ok { color: #17803a; font-weight: 600; }
.miss { color: #c0392b; font-weight: 600; }
.samples { display: grid; grid-template-columns: repeat(10, minmax(0, 1fr)); gap: 12px 10px; margin-top: 10px; }
.samples figure { margin: 0; text-align: center; }
.samples img { width: 100%; max-width: 88px; image-rendering: pixelated; display: block; margin: 0 auto; border: 1px solid #e3e3e3; }
.samples figcaption { font-size: 12px; color: #333; margin-top: 2px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.figures { display: flex; flex-wrap: wrap; gap: 18px 26px; align-items: flex-start; margin-top: 12px; }
.figures > figure { margin: 0; min-width: 0; }
.figures > figure.diagram { flex: 0 1 auto; }
.figures > figure.chart { flex: 1 1 520px; }
.figures figcaption { font-size: 13px; color: #555; margin-bottom: 6px; }
.figures svg { max-width: 100%; height: auto; display: block; }
.stats { font-size: 14px; color: #333; margin: 8px 0 0; }
.stats b { font-variant-numeric: tabular-nums; }
details { margin-top: 12px; }
summary { cursor: pointer; color: #444; font-size: 14px; }
pre { font: 12px/1.4 ui-monospace, 'DejaVu Sans Mono', 'Liberation Mono', Menlo, monospace; background: #fafaf8; border: 1px solid #ebebe6; border-radius: 6px; padding: 10px 12px; overflow-x: auto; margin: 8px 0 0; }
.bar { height: 8px; background: #ebebe6; border-radius: 4px; overflow: hidden; margin: 10px 0 4px; }
.bar > div { height: 100%; width: 0; background: #2f6fde; transition: width 0.2s; }
.bar.done > div { background: #17803a; }
pre.keras { white-space: pre-wrap; background: #1e1e1e; color: #e8e8e8; border: 0; }
form.controls { display: flex; flex-wrap: wrap; gap: 10px 18px; align-items: end; font-size: 14px; }
form.controls label { display: flex; flex-direction: column; gap: 2px; color: #444; }
form.controls input, form.controls select { font: inherit; padding: 4px 6px; width: 8em; }
form.controls input[type=checkbox] { width: auto; padding: 0; margin: 0; }
form.controls fieldset { border: 0; padding: 0; margin: 0; display: flex; gap: 10px; }
form.controls fieldset label { flex-direction: row; align-items: center; gap: 4px; }
form.controls button { font: inherit; padding: 6px 16px; border-radius: 6px; border: 1px solid #2f6fde; background: #2f6fde; color: #fff; cursor: pointer; }
form.controls button:disabled { opacity: 0.5; cursor: default; }
.status { margin-top: 10px; font-size: 14px; }
.error { color: #c0392b; white-space: pre-wrap; }
.downloads a { margin-right: 14px; }
`;

function fmtArticle(metric: string, value: number | null, name: string): string {
  if (value === null) return '—';
  return metric.includes('acc') && name !== 'multi_output' ? `${(value * 100).toFixed(1)}%` : value.toFixed(4);
}

async function gzippedSize(text: string): Promise<number> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

function base64(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

export function resultsTableHtml(models: ModelResult[]): string {
  const rows = resultRows(models);
  const body = rows
    .map((r) => {
      const mark =
        r.meets === null
          ? ''
          : r.meets
            ? '<span class="ok" title="matches or beats the article">✓</span>'
            : '<span class="miss" title="below the article">✗</span>';
      return `<tr${r.first ? ' class="first"' : ''}>${r.first ? `<td class="l model" rowspan="${r.span}">${esc(r.title)}</td>` : ''}<td class="l">${esc(r.metric)}</td><td>${r.value.toFixed(4)}</td><td>${fmtArticle(r.metric, r.article, r.name)}</td><td class="mark">${mark}</td>${
        r.first
          ? `<td rowspan="${r.span}">${formatDuration(r.trainSeconds)}</td><td rowspan="${r.span}">${thousands(r.samplesPerSecond)}</td><td rowspan="${r.span}">${r.dispatchesPerStep}</td>`
          : ''
      }</tr>`;
    })
    .join('\n');
  return `<div class="table-wrap"><table class="results"><thead><tr><th class="l">Model</th><th class="l">Test metric</th><th>weft</th><th>Article</th><th class="mark"></th><th>Train time</th><th>Samples/s</th><th>Dispatches / step</th></tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

function samplesHtml(samples: DemoResults['samples']): string {
  return `<div class="samples">${samples.images.map((src, i) => `<figure><img src="${src}" width="84" height="84" alt="${esc(samples.labels[i]!)}"><figcaption>${esc(samples.labels[i]!)}</figcaption></figure>`).join('')}</div>`;
}

function adapterText(a: AdapterSummary): string {
  const text = [a.vendor, a.architecture, a.description].filter(Boolean).join(' · ') || 'unknown adapter';
  return /swiftshader/i.test(text) ? `${text} (SwiftShader: WebGPU emulated on the CPU, no GPU)` : text;
}

function optionsText(o: DemoResults['options']): string {
  return `${o.epochs} epochs${o.models.includes('cnn') ? ` (CNN ${o.cnnEpochs})` : ''}, batch ${o.batchSize}, ${o.optimizer} (learning rate ${o.learningRate}${o.lrDecay !== 1 ? ` × ${o.lrDecay}^epoch` : ''}), seed ${o.seed}${o.trainLimit ? `, first ${thousands(o.trainLimit)} training images` : ''}`;
}

function modelStatsHtml(m: ModelResult): string {
  const accuracies = m.metricsNames
    .map((name, i) => {
      if (!name.includes('acc')) return '';
      const article = MODEL_INFO[m.name].article[name];
      return `${esc(name)} <b>${m.evaluate[i]!.toFixed(4)}</b>${article !== undefined ? ` (article ${fmtArticle(name, article, m.name)})` : ''}`;
    })
    .filter(Boolean);
  return `<p class="stats">Test ${accuracies.join(', ')} · ${thousands(m.params)} parameters · ${m.epochs} epochs in <b>${formatDuration(m.trainSeconds)}</b> · <b>${thousands(m.samplesPerSecond)}</b> samples/s · <b>${m.dispatchesPerStep}</b> dispatches per training step (${m.kernels} kernels) · predict module (weft.exportModule) <b>${kb(m.module.gzippedBytes)}</b> gzipped (${kb(m.module.bytes)}) + ${kb(m.module.weightBytes)} of weights</p>`;
}

function modelSectionHtml(m: ModelResult, index: number): string {
  return `<section class="card model" id="model-${m.name}">
<h2>${index + 1} · ${esc(m.title)} <span class="muted">(${m.name})</span></h2>
<div class="sub">${esc(MODEL_INFO[m.name].description)}</div>
${modelStatsHtml(m)}
<div class="figures">
<figure class="diagram"><figcaption>weft.plotModel(model, { showShapes: true })</figcaption>${m.diagram}</figure>
<figure class="chart"><figcaption>weft.plotHistory(history)</figcaption>${m.chart}</figure>
</div>
<details><summary>model.summary()</summary><pre>${esc(m.summary)}</pre></details>
</section>`;
}

/** The self-contained report (inline CSS, SVGs and PNG data URLs; no scripts). */
export function renderReport(r: DemoResults): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>weft · Fashion-MNIST report</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>weft · the article's four models and a CNN on Fashion-MNIST</h1>
<div class="sub">Keras-style functional models compiled to fused WebGPU kernels, trained in the browser.</div>
<dl class="meta">
<dt>Date</dt><dd>${esc(new Date(r.date).toUTCString())}</dd>
<dt>Adapter</dt><dd>${esc(adapterText(r.adapter))}</dd>
<dt>Browser</dt><dd>${esc(r.userAgent)}</dd>
<dt>Training</dt><dd>${esc(optionsText(r.options))}</dd>
<dt>Wall time</dt><dd>${formatDuration(r.wallSeconds)} (loading data, compiling, training, evaluating)</dd>
</dl>
</header>
<section class="card" id="dataset">
<h2>Fashion-MNIST</h2>
<div class="sub">${thousands(r.dataset.train)} training, ${thousands(r.dataset.validation)} validation and ${thousands(r.dataset.test)} test images, 28 × 28 pixels scaled to [0, 1]. The first ${r.samples.images.length} training images:</div>
${samplesHtml(r.samples)}
</section>
<section class="card" id="results">
<h2>Results on the test set</h2>
<div class="sub">model.evaluate on the ${thousands(r.dataset.test)} test images beside the article's figures (✓: matches or beats it). Train time is fit's wall time, validation included.</div>
${resultsTableHtml(r.models)}
</section>
${r.models.map(modelSectionHtml).join('\n')}
</main>
</body>
</html>
`;
}

// ───────────────────────── the live page ─────────────────────────

class LivePage {
  private readonly root: HTMLElement;
  private form!: HTMLFormElement;
  private status!: HTMLElement;
  private running = false;
  private histories = new Map<ModelKey, Record<string, number[]>>();
  private results: ModelResult[] = [];
  private moduleLinks: string[] = [];

  constructor(root: HTMLElement) {
    this.root = root;
    const style = document.createElement('style');
    style.textContent = CSS;
    document.head.append(style);
    this.render();
  }

  private el<T extends HTMLElement = HTMLElement>(selector: string): T | null {
    return this.root.querySelector<T>(selector);
  }

  private render(): void {
    const p = new URLSearchParams(location.search);
    const d = DEFAULT_OPTIONS;
    const v = (name: string, fallback: string) => esc(p.get(name) ?? fallback);
    const chosen = (p.get('models') ?? d.models.join(',')).split(',');
    this.root.innerHTML = `<main>
<header><h1>weft · the article's four models and a CNN on Fashion-MNIST</h1>
<div class="sub">Keras-style functional models compiled to fused WebGPU kernels, trained here, in this tab, on your GPU.</div></header>
<section class="card">
<form class="controls">
<label>Epochs<input name="epochs" type="number" min="1" value="${v('epochs', String(d.epochs))}"></label>
<label>CNN epochs<input name="cnnEpochs" type="number" min="1" placeholder="${CNN_DEFAULT_EPOCHS} at most" value="${v('cnnEpochs', '')}"></label>
<label>Batch size<input name="batchSize" type="number" min="1" value="${v('batchSize', String(d.batchSize))}"></label>
<label>Train limit<input name="trainLimit" type="number" min="1" placeholder="all 55,000" value="${v('trainLimit', '')}"></label>
<label>Optimizer<select name="optimizer">${(['adam', 'sgd', 'momentum', 'rmsprop'] as const).map((o) => `<option${(p.get('optimizer') ?? d.optimizer) === o ? ' selected' : ''}>${o}</option>`).join('')}</select></label>
<label>Learning rate<input name="learningRate" type="number" step="any" min="0" placeholder="default" value="${v('learningRate', '')}"></label>
<label>Decay per epoch<input name="lrDecay" type="number" step="any" min="0" max="1" value="${v('lrDecay', String(d.lrDecay))}"></label>
<label>Seed<input name="seed" type="number" value="${v('seed', String(d.seed))}"></label>
<fieldset>${MODEL_KEYS.map((k) => `<label><input type="checkbox" name="models" value="${k}"${chosen.includes(k) ? ' checked' : ''}>${esc(MODEL_INFO[k].title)}</label>`).join('')}</fieldset>
<button type="submit">Train</button>
</form>
<div class="status" id="status">WebGPU: ${'gpu' in navigator ? 'checking the adapter…' : '<span class="error">not available in this browser</span>'}</div>
</section>
<section class="card" id="dataset" hidden><h2>Fashion-MNIST</h2><div class="sub" id="dataset-text"></div><div id="samples"></div></section>
<section class="card" id="results" hidden><h2>Results on the test set</h2><div id="results-table"></div><div class="downloads" id="downloads"></div></section>
<div id="models"></div>
</main>`;
    this.form = this.el<HTMLFormElement>('form')!;
    this.status = this.el('#status')!;
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.start(this.formOptions());
    });
    if ('gpu' in navigator)
      adapterSummary().then(
        (a) => !this.running && (this.status.textContent = `WebGPU adapter: ${adapterText(a)}. Choose options and press Train.`),
        (e) => (this.status.innerHTML = `<span class="error">${esc(String(e?.message ?? e))}</span>`),
      );
  }

  private formOptions(): DemoOptionsInput {
    const f = new FormData(this.form);
    const num = (k: string) => (String(f.get(k) ?? '').trim() === '' ? undefined : Number(f.get(k)));
    return {
      epochs: num('epochs'),
      cnnEpochs: num('cnnEpochs') ?? null,
      batchSize: num('batchSize'),
      trainLimit: num('trainLimit') ?? null,
      optimizer: String(f.get('optimizer')) as OptimizerName,
      learningRate: num('learningRate') ?? null,
      lrDecay: num('lrDecay'),
      seed: num('seed'),
      models: f.getAll('models').map(String) as ModelKey[],
    };
  }

  /** Starts a run; events go to the page and, when running under demo/run.mjs, to node. */
  start(options: DemoOptionsInput): void {
    if (this.running) return;
    this.running = true;
    this.results = [];
    this.moduleLinks = [];
    this.histories.clear();
    this.el('#models')!.innerHTML = '';
    this.el<HTMLElement>('#results')!.hidden = true;
    this.form.querySelector('button')!.disabled = true;
    const emit = (e: DemoEvent) => {
      try {
        this.onEvent(e);
      } catch (err) {
        console.error('[weft demo] UI update failed:', err);
      }
      void window.weftDemoEvent?.(e);
    };
    runDemo(options, emit)
      .then((results) => emit({ type: 'done', results, reportHtml: renderReport(results) }))
      .catch((e: unknown) => {
        const err = e as Error;
        emit({ type: 'error', message: String(err?.message ?? e), stack: String(err?.stack ?? '') });
      })
      .finally(() => {
        this.running = false;
        this.form.querySelector('button')!.disabled = false;
      });
  }

  private onEvent(e: DemoEvent): void {
    switch (e.type) {
      case 'start':
        this.status.textContent = `WebGPU adapter: ${adapterText(e.adapter)} · ${optionsText(e.options)} · loading Fashion-MNIST…`;
        break;
      case 'data':
        this.el<HTMLElement>('#dataset')!.hidden = false;
        this.el('#dataset-text')!.textContent =
          `${thousands(e.train)} training, ${thousands(e.validation)} validation and ${thousands(e.test)} test images (loaded in ${e.seconds.toFixed(1)}s). The first ${e.samples.images.length} training images:`;
        this.el('#samples')!.innerHTML = samplesHtml(e.samples);
        break;
      case 'model': {
        const section = document.createElement('section');
        section.className = 'card model';
        section.id = `model-${e.key}`;
        section.innerHTML = `<h2>${e.index + 1} · ${esc(e.title)} <span class="muted">(${e.key})</span></h2>
<div class="sub">${esc(MODEL_INFO[e.key].description)}</div>
<div class="bar"><div></div></div><pre class="keras">Compiling…</pre>
<div class="stats"></div>
<div class="figures"><figure class="chart"><figcaption>Learning curves</figcaption><div class="chart-svg"></div></figure></div>
<details><summary>model.summary()</summary><pre>${esc(e.summary)}</pre></details>`;
        this.el('#models')!.append(section);
        this.status.textContent = `Training ${e.title} (${e.index + 1} of ${e.count}): ${thousands(e.samples)} images, ${e.steps} steps per epoch.`;
        this.histories.set(e.key, {});
        break;
      }
      case 'epochBegin':
      case 'batch':
      case 'epochEnd': {
        const section = this.el(`#model-${e.key}`);
        if (!section) break;
        const step = e.type === 'epochBegin' ? 0 : e.type === 'epochEnd' ? e.steps : e.step;
        const fraction = (e.epoch + step / e.steps) / e.epochs;
        (section.querySelector('.bar > div') as HTMLElement).style.width = `${(fraction * 100).toFixed(2)}%`;
        const line = progressLine({
          step,
          steps: e.steps,
          elapsedMs: e.type === 'epochBegin' ? 0 : e.elapsedMs,
          logs: e.type === 'epochBegin' ? {} : e.logs,
          done: e.type === 'epochEnd',
        });
        section.querySelector('pre.keras')!.textContent = `Epoch ${e.epoch + 1}/${e.epochs}\n${line}`;
        if (e.type === 'epochEnd') {
          const h = this.histories.get(e.key)!;
          for (const [k, v] of Object.entries(e.logs)) (h[k] ??= []).push(v);
          section.querySelector('.chart-svg')!.innerHTML = weft.plotHistory(h, { title: MODEL_INFO[e.key].title, width: 600, height: 380 });
        }
        break;
      }
      case 'modelDone': {
        const section = this.el(`#model-${e.key}`);
        if (!section) break;
        this.results.push(e.result);
        section.querySelector('.bar')!.classList.add('done');
        (section.querySelector('.bar > div') as HTMLElement).style.width = '100%';
        section.querySelector('.stats')!.outerHTML = modelStatsHtml(e.result);
        section.querySelector('.figures')!.innerHTML =
          `<figure class="diagram"><figcaption>weft.plotModel(model, { showShapes: true })</figcaption>${e.result.diagram}</figure><figure class="chart"><figcaption>weft.plotHistory(history)</figcaption>${e.result.chart}</figure>`;
        this.el<HTMLElement>('#results')!.hidden = false;
        this.el('#results-table')!.innerHTML = resultsTableHtml(this.results);
        break;
      }
      case 'done': {
        this.status.textContent = `Done in ${formatDuration(e.results.wallSeconds)} on ${adapterText(e.results.adapter)}.`;
        const report = URL.createObjectURL(new Blob([e.reportHtml], { type: 'text/html' }));
        const { models, ...rest } = e.results;
        const json = JSON.stringify({ ...rest, samples: undefined, models: models.map(({ summary, diagram, chart, ...m }) => m) }, null, 1);
        const data = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
        this.el('#downloads')!.innerHTML =
          `<p><a href="${report}" download="report.html">Download report.html</a><a href="${data}" download="results.json">Download results.json</a>${this.moduleLinks.join('')}</p>`;
        break;
      }
      case 'module': {
        const code = URL.createObjectURL(new Blob([e.code], { type: 'text/javascript' }));
        const weights = URL.createObjectURL(new Blob([Uint8Array.from(atob(e.weightsBase64), (c) => c.charCodeAt(0))], { type: 'application/octet-stream' }));
        this.moduleLinks.push(
          `<a href="${code}" download="${e.key}.module.js">${e.key}.module.js</a><a href="${weights}" download="${e.key}.weights.bin">${e.key}.weights.bin</a>`,
        );
        break;
      }
      case 'error':
        this.status.innerHTML = `<span class="error">${esc(e.message)}</span>`;
        break;
    }
  }
}

let live: LivePage | null = null;

const api = {
  DEFAULT_OPTIONS,
  normalizeOptions,
  runDemo,
  renderReport,
  /** Starts a run on the page (events to window.weftDemoEvent too); resolves at once. */
  start(options: DemoOptionsInput = {}): void {
    if (!live) throw new Error('weftDemo.start: the page is not rendered');
    live.start(options);
  },
};
// In Node (demo/node.ts bundles this file too) there is no page: only runDemo and renderReport are used.
const root = typeof document === 'undefined' ? null : document.getElementById('weft-demo');
if (typeof window !== 'undefined') window.weftDemo = api;
if (root) {
  live = new LivePage(root);
  const p = new URLSearchParams(location.search);
  if (p.has('autostart')) {
    const n = (k: string) => (p.get(k) ? Number(p.get(k)) : undefined);
    live.start({
      epochs: n('epochs'),
      cnnEpochs: n('cnnEpochs') ?? null,
      batchSize: n('batchSize'),
      trainLimit: n('trainLimit') ?? null,
      optimizer: (p.get('optimizer') ?? undefined) as OptimizerName | undefined,
      learningRate: n('learningRate') ?? null,
      lrDecay: n('lrDecay'),
      seed: n('seed'),
      models: p.get('models') ? (p.get('models')!.split(',') as ModelKey[]) : undefined,
    });
  }
}
