// The article's four Fashion-MNIST models and issue 11's reference CNN, built the same way in weft and in
// TensorFlow.js (their Layers APIs share names), and the data each one takes.
import type * as Weft from '../src/index.js';

export type ModelId = 'mlp' | 'wideDeep' | 'multiInput' | 'multiOutput' | 'cnn';
/** The models a run takes by default; the CNN is opt-in (`--models cnn`): per sample it costs ~50× the MLP. */
export const MODEL_IDS: ModelId[] = ['mlp', 'wideDeep', 'multiInput', 'multiOutput'];
/** Every model `--models` accepts. */
export const ALL_MODEL_IDS: ModelId[] = [...MODEL_IDS, 'cnn'];

export interface ModelSpec {
  id: ModelId;
  label: string;
  /** Column ranges of the 784 pixels that feed each input, in input order. */
  inputs: [number, number][];
  outputs: number;
  lossWeights?: number[];
  /** The single input's image shape [h, w, channels] when the model takes images (its 784 pixels reshaped). */
  image?: [number, number, number];
  /** Its fit and predict calls take this fraction of the options' sample counts (a slow model's calls stay short). */
  sampleFraction: number;
  /** Why TF.js's WASM backend cannot train it (its fit case is left out), when it cannot. */
  tfjsWasmCannotFit?: string;
}

export const MODELS: Record<ModelId, ModelSpec> = {
  mlp: { id: 'mlp', label: 'MLP 784→30→30→10', inputs: [[0, 784]], outputs: 1, sampleFraction: 1 },
  wideDeep: { id: 'wideDeep', label: 'wide & deep', inputs: [[0, 784]], outputs: 1, sampleFraction: 1 },
  multiInput: {
    id: 'multiInput',
    label: 'two inputs 392+392',
    inputs: [
      [0, 392],
      [392, 784],
    ],
    outputs: 1,
    sampleFraction: 1,
  },
  multiOutput: {
    id: 'multiOutput',
    label: 'two outputs (aux 0.3)',
    inputs: [
      [0, 392],
      [392, 784],
    ],
    outputs: 2,
    lossWeights: [0.7, 0.3],
    sampleFraction: 1,
  },
  cnn: {
    id: 'cnn',
    label: 'CNN conv16-pool-conv32-pool-64',
    inputs: [[0, 784]],
    outputs: 1,
    image: [28, 28, 1],
    sampleFraction: 1 / 4,
    tfjsWasmCannotFit: "TF.js 4.22's WASM backend has no Conv2DBackpropFilter kernel",
  },
};

/** Samples per fit or predict call of `id` when the options ask for `samples` (at least two batches). */
export function samplesFor(id: ModelId, samples: number, batch: number): number {
  return Math.max(2 * batch, Math.round(samples * MODELS[id].sampleFraction));
}

/** What both libraries offer under the same names (tf.input / weft.input, tf.layers.dense, ...). */
interface LayersApi {
  input(args: { shape: number[]; name?: string }): unknown;
  layers: {
    dense(args: { units: number; activation?: string; name?: string }): { apply(x: unknown): unknown };
    concatenate(args?: { name?: string }): { apply(x: unknown[]): unknown };
    conv2d(args: { filters: number; kernelSize: number; activation?: string }): { apply(x: unknown): unknown };
    maxPooling2d(args: { poolSize: number }): { apply(x: unknown): unknown };
    flatten(): { apply(x: unknown): unknown };
    dropout(args: { rate: number }): { apply(x: unknown): unknown };
  };
  model(args: { inputs: unknown; outputs: unknown }): unknown;
}

/** Builds the model's graph with either library (no compile). */
export function buildGraph<M>(api: LayersApi, id: ModelId): M {
  const { input, layers, model } = api;
  const dense = (units: number, activation: string, name?: string) => layers.dense({ units, activation, ...(name ? { name } : {}) });
  switch (id) {
    case 'mlp': {
      const x = input({ shape: [784] });
      const h1 = dense(30, 'relu').apply(x);
      const h2 = dense(30, 'relu').apply(h1);
      return model({ inputs: x, outputs: dense(10, 'softmax').apply(h2) }) as M;
    }
    case 'wideDeep': {
      const x = input({ shape: [784] });
      const h1 = dense(30, 'relu').apply(x);
      const h2 = dense(30, 'relu').apply(h1);
      const concat = layers.concatenate().apply([x, h2]);
      return model({ inputs: x, outputs: dense(10, 'softmax').apply(concat) }) as M;
    }
    case 'multiInput':
    case 'multiOutput': {
      const wide = input({ shape: [392], name: 'wide_input' });
      const deep = input({ shape: [392], name: 'deep_input' });
      const h1 = dense(30, 'relu').apply(deep);
      const h2 = dense(30, 'relu').apply(h1);
      const concat = layers.concatenate().apply([wide, h2]);
      const main = dense(10, 'softmax', 'main_output').apply(concat);
      if (id === 'multiInput') return model({ inputs: [wide, deep], outputs: main }) as M;
      const aux = dense(10, 'softmax', 'aux_output').apply(h2);
      return model({ inputs: [wide, deep], outputs: [main, aux] }) as M;
    }
    case 'cnn': {
      // Issue 11's reference CNN ('valid' convolutions, dense 64; the demo's pads 'same' and has dense 128).
      const x = input({ shape: MODELS.cnn.image! });
      const c1 = layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu' }).apply(x);
      const p1 = layers.maxPooling2d({ poolSize: 2 }).apply(c1);
      const c2 = layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }).apply(p1);
      const p2 = layers.maxPooling2d({ poolSize: 2 }).apply(c2);
      const h = dense(64, 'relu').apply(layers.flatten().apply(p2));
      return model({ inputs: x, outputs: dense(10, 'softmax').apply(layers.dropout({ rate: 0.3 }).apply(h)) }) as M;
    }
    default:
      return id satisfies never;
  }
}

type WeftModule = typeof Weft;
type WeftModel = Weft.LayersModel;

/** A compiled weft model: Adam 1e-3, sparse categorical cross-entropy, accuracy. */
export function weftModel(weft: WeftModule, id: ModelId, precision: 'float32' | 'mixed_float16' = 'float32'): WeftModel {
  const m = buildGraph<WeftModel>(weft as unknown as LayersApi, id);
  compileWeft(weft, m, id, precision);
  return m;
}

/** Compiles (or compiles again: fresh optimizer state) a weft model of `id` with the bench's settings. */
export function compileWeft(weft: WeftModule, m: WeftModel, id: ModelId, precision: 'float32' | 'mixed_float16' = 'float32'): void {
  const spec = MODELS[id];
  m.compile({
    ...(precision === 'float32' ? {} : { precision }),
    optimizer: weft.train.adam(1e-3),
    loss: spec.outputs === 1 ? 'sparseCategoricalCrossentropy' : Array(spec.outputs).fill('sparseCategoricalCrossentropy'),
    ...(spec.lossWeights ? { lossWeights: spec.lossWeights } : {}),
    metrics: ['accuracy'],
  });
}

// TensorFlow.js is loaded as the page's global `tf` (its UMD bundles); typed loosely here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Tf = any;

/**
 * The same model compiled in TensorFlow.js. TF.js Layers ignores `lossWeights` (a TODO in its
 * training.ts), so the weights are folded into per-output loss functions instead; TF.js accepts
 * sparse (class id) targets only for its built-in sparse loss, so such a model takes one-hot
 * targets and a weighted categorical cross-entropy (see `tfOneHotTargets`).
 */
export function tfModel(tf: Tf, id: ModelId): Tf {
  const spec = MODELS[id];
  const m = buildGraph<Tf>(tf as LayersApi, id);
  const loss = spec.lossWeights
    ? spec.lossWeights.map((w) => (yTrue: unknown, yPred: unknown) => tf.mul(tf.metrics.categoricalCrossentropy(yTrue, yPred), w))
    : 'sparseCategoricalCrossentropy';
  m.compile({ optimizer: tf.train.adam(1e-3), loss, metrics: ['accuracy'] });
  return m;
}

/** Fashion-MNIST in the page, pixels as floats in [0, 1], sliced per model input and cached. */
export class BenchData {
  private readonly cache = new Map<string, Float32Array>();
  constructor(
    readonly train: { images: Uint8Array; labels: Uint8Array; count: number },
    readonly test: { images: Uint8Array; labels: Uint8Array; count: number },
  ) {}

  /** Rows [0, n) of a split, columns [c0, c1), as x/255. */
  pixels(split: 'train' | 'test', n: number, [c0, c1]: [number, number]): Float32Array {
    const key = `${split}:${n}:${c0}:${c1}`;
    let out = this.cache.get(key);
    if (!out) {
      const src = this[split];
      if (n > src.count) throw new Error(`bench: asked for ${n} ${split} samples, the split has ${src.count}`);
      const cols = c1 - c0;
      out = new Float32Array(n * cols);
      for (let r = 0; r < n; r++) {
        const row = src.images.subarray(r * 784 + c0, r * 784 + c1);
        for (let c = 0; c < cols; c++) out[r * cols + c] = row[c]! / 255;
      }
      this.cache.set(key, out);
    }
    return out;
  }

  labels(split: 'train' | 'test', n: number): Int32Array {
    return Int32Array.from(this[split].labels.subarray(0, n));
  }

  /** Inputs and targets for weft's fit/predict. */
  weft(weft: WeftModule, id: ModelId, split: 'train' | 'test', n: number): { x: Weft.Tensor[]; y: Weft.Tensor[] } {
    const spec = MODELS[id];
    const x = spec.inputs.map((range) => weft.tensor(this.pixels(split, n, range), shapeOf(spec, n, range)));
    const labels = this.labels(split, n);
    const y = Array.from({ length: spec.outputs }, () => weft.tensor(labels, [n]));
    return { x, y };
  }

  /** Inputs and targets as TF.js tensors on the current backend (the caller disposes them). */
  tf(tf: Tf, id: ModelId, split: 'train' | 'test', n: number): { x: Tf[]; y: Tf[]; dispose(): void } {
    const spec = MODELS[id];
    const x = spec.inputs.map((range) => tf.tensor(this.pixels(split, n, range), shapeOf(spec, n, range)));
    const labels = this.labels(split, n);
    let y1: Tf;
    if (tfOneHotTargets(id)) {
      const oneHot = new Float32Array(n * 10);
      for (let i = 0; i < n; i++) oneHot[i * 10 + labels[i]!] = 1;
      y1 = tf.tensor2d(oneHot, [n, 10]);
    } else y1 = tf.tensor2d(Float32Array.from(labels), [n, 1]);
    const y = Array.from({ length: spec.outputs }, () => y1);
    return {
      x,
      y,
      dispose: () => {
        for (const t of x) t.dispose();
        y1.dispose();
      },
    };
  }
}

/** [n, cols] for a model of rows, [n, h, w, channels] for a model of images. */
function shapeOf(spec: ModelSpec, n: number, [c0, c1]: [number, number]): number[] {
  return spec.image ? [n, ...spec.image] : [n, c1 - c0];
}

/** Whether the TF.js version of a model takes one-hot targets (it does when its losses are weighted). */
export function tfOneHotTargets(id: ModelId): boolean {
  return !!MODELS[id].lossWeights;
}

/** One input/target for a single-input/-output model, the array otherwise (either library). */
export function one<T>(list: T[]): T | T[] {
  return list.length === 1 ? list[0]! : list;
}
