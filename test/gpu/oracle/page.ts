// Runs IN THE TEST PAGE (bundled by test/gpu/tfjs.ts into dist/weft-oracle.js as `window.weftOracle`):
// builds one model description in weft and in TensorFlow.js (window.tf, CPU backend), gives both
// the same weights and data, and measures how far weft's predict / evaluate / trained weights are
// from TensorFlow.js's. The tests (test/gpu/tfjs-oracle.test.ts) decide what is close enough.
//
// TensorFlow.js 4.22 faults worked around here (not copied into weft):
//   - it ignores compile({ lossWeights }) in training: each output's weight is folded into a custom
//     loss (w · Keras's per-sample loss), with one-hot targets for the cross-entropies;
//   - its evaluate() for several outputs shifts the metrics by one and drops the last: evaluate
//     numbers are computed here from TensorFlow.js's predictions instead (float64).
import type * as TfModule from '@tensorflow/tfjs';
import type * as WeftModule from '../../../src/index.js';
import { buildModel, outputNames, outputUnits, random, type GraphSpec, type LossName } from '../../reference/randomGraphs.js';

export { outputNames, outputUnits, random, randomGraph } from '../../reference/randomGraphs.js';
export type { Activation, GraphSpec, LossName, NodeSpec, OutputSpec } from '../../reference/randomGraphs.js';

type Tf = typeof TfModule;
type Weft = typeof WeftModule;
type TfTensor = TfModule.Tensor;
type WeftModel = WeftModule.LayersModel;
type TfModel = TfModule.LayersModel;

const tfjs = (): Tf => {
  const tf = window.tf as Tf | undefined;
  if (!tf) throw new Error('window.tf is missing: call loadTfjs(page) (test/gpu/tfjs.ts) first');
  return tf;
};
const weftApi = (): Weft => window.weft as Weft;

// ── model descriptions (test/reference/randomGraphs.ts) ──

export function buildWeft(spec: GraphSpec, seed = 1): WeftModel {
  return buildModel<WeftModel>(weftApi(), spec, seed, 'weft_model');
}

export function buildTf(spec: GraphSpec): TfModel {
  return buildModel<TfModel>(tfjs(), spec, undefined, 'tf_model');
}

// ── data ──

export interface CaseData {
  rows: number;
  xs: Float32Array[];
  /** Per output: the target weft gets (class ids for the sparse loss), and the one-hot/dense target TensorFlow.js gets. */
  ys: { weft: Float32Array | Int32Array; dense: Float32Array; labels: Int32Array | null }[];
}

export function makeData(spec: GraphSpec, rows: number, seed: number): CaseData {
  const r = random(seed);
  const xs = spec.inputs.map((i) => Float32Array.from({ length: rows * i.units }, () => r() * 2 - 1));
  const units = outputUnits(spec);
  const ys = spec.outputs.map((o, k) => {
    const u = units[k]!;
    if (o.loss === 'sparseCategoricalCrossentropy' || o.loss === 'categoricalCrossentropy') {
      const labels = Int32Array.from({ length: rows }, () => Math.floor(r() * u));
      const dense = new Float32Array(rows * u);
      labels.forEach((l, i) => (dense[i * u + l] = 1));
      return { weft: o.loss === 'sparseCategoricalCrossentropy' ? labels : dense, dense, labels };
    }
    // Binary cross-entropy: 0/1 targets (binary accuracy compares them with p > 0.5).
    const dense = Float32Array.from({ length: rows * u }, () => (o.loss === 'binaryCrossentropy' ? (r() < 0.5 ? 0 : 1) : r()));
    return { weft: dense, dense, labels: null };
  });
  return { rows, xs, ys };
}

function weftTensors(spec: GraphSpec, data: CaseData) {
  const weft = weftApi();
  const units = outputUnits(spec);
  return {
    xs: data.xs.map((x, i) => weft.tensor(x, [data.rows, ...(spec.inputs[i]!.shape ?? [spec.inputs[i]!.units])])),
    ys: data.ys.map((y, k) => weft.tensor(y.weft, y.weft instanceof Int32Array ? [data.rows] : [data.rows, units[k]!])),
  };
}

function tfTensors(spec: GraphSpec, data: CaseData) {
  const tf = tfjs();
  const units = outputUnits(spec);
  return {
    xs: data.xs.map((x, i) => tf.tensor(x, [data.rows, ...(spec.inputs[i]!.shape ?? [spec.inputs[i]!.units])])),
    ys: data.ys.map((y, k) => tf.tensor2d(y.dense, [data.rows, units[k]!])),
  };
}

// ── the oracle's side of training and evaluation ──

/** Keras's per-sample loss, times the output's weight (TensorFlow.js ignores lossWeights). */
function tfLoss(loss: LossName, weight: number) {
  const tf = tfjs();
  return (yTrue: TfTensor, yPred: TfTensor): TfTensor =>
    tf.tidy(() => {
      const perSample =
        loss === 'meanSquaredError'
          ? tf.metrics.meanSquaredError(yTrue, yPred)
          : loss === 'meanAbsoluteError'
            ? tf.metrics.meanAbsoluteError(yTrue, yPred)
            : loss === 'binaryCrossentropy'
              ? tf.metrics.binaryCrossentropy(yTrue, yPred)
              : tf.metrics.categoricalCrossentropy(yTrue, yPred);
      return tf.mul(perSample, weight);
    });
}

export type OptimizerSpec = { kind: 'sgd'; learningRate: number } | { kind: 'adam'; learningRate: number };

function compileTf(model: TfModel, spec: GraphSpec, optimizer: OptimizerSpec): void {
  const tf = tfjs();
  model.compile({
    optimizer: optimizer.kind === 'sgd' ? tf.train.sgd(optimizer.learningRate) : tf.train.adam(optimizer.learningRate),
    loss: spec.outputs.map((o) => tfLoss(o.loss, o.weight)),
  });
}

function compileWeft(model: WeftModel, spec: GraphSpec, optimizer: OptimizerSpec): void {
  const weft = weftApi();
  model.compile({
    optimizer: optimizer.kind === 'sgd' ? weft.train.sgd(optimizer.learningRate) : weft.train.adam(optimizer.learningRate),
    loss: spec.outputs.map((o) => o.loss),
    lossWeights: spec.outputs.map((o) => o.weight),
    metrics: Object.fromEntries(outputNames(spec).map((n, k) => [n, spec.outputs[k]!.metrics])),
  });
}

const EPSILON = 1e-7;

function argmax(p: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (p[offset + j]! > p[offset + best]!) best = j;
  return best;
}

/** Keras's per-output loss over all rows (mean), as TensorFlow.js computes it, in float64. */
function lossOf(loss: LossName, p: Float32Array, y: Float32Array, rows: number, u: number): number {
  let total = 0;
  for (let i = 0; i < rows; i++) {
    let s = 0;
    if (loss === 'meanSquaredError' || loss === 'meanAbsoluteError') {
      for (let j = 0; j < u; j++) {
        const d = p[i * u + j]! - y[i * u + j]!;
        s += loss === 'meanSquaredError' ? d * d : Math.abs(d);
      }
      s /= u;
    } else if (loss === 'binaryCrossentropy') {
      for (let j = 0; j < u; j++) {
        const q = Math.min(1 - EPSILON, Math.max(EPSILON, p[i * u + j]!));
        const t = y[i * u + j]!;
        s -= t * Math.log(q) + (1 - t) * Math.log(1 - q);
      }
      s /= u;
    } else {
      let norm = 0;
      for (let j = 0; j < u; j++) norm += p[i * u + j]!;
      for (let j = 0; j < u; j++) {
        const q = Math.min(1 - EPSILON, Math.max(EPSILON, p[i * u + j]! / norm));
        s -= y[i * u + j]! * Math.log(q);
      }
    }
    total += s;
  }
  return total / rows;
}

function metricOf(metric: string, loss: LossName, p: Float32Array, y: Float32Array, rows: number, u: number): number {
  let kind = metric;
  if (metric === 'accuracy' || metric === 'acc')
    kind =
      u === 1 || loss === 'binaryCrossentropy'
        ? 'binaryAccuracy'
        : loss === 'sparseCategoricalCrossentropy'
          ? 'sparseCategoricalAccuracy'
          : 'categoricalAccuracy';
  switch (kind) {
    case 'sparseCategoricalAccuracy':
    case 'categoricalAccuracy': {
      let hits = 0;
      for (let i = 0; i < rows; i++) if (argmax(p, i * u, u) === argmax(y, i * u, u)) hits++;
      return hits / rows;
    }
    case 'binaryAccuracy': {
      let hits = 0;
      for (let i = 0; i < rows * u; i++) if ((p[i]! > 0.5 ? 1 : 0) === y[i]) hits++;
      return hits / (rows * u);
    }
    case 'mse':
    case 'meanSquaredError':
      return lossOf('meanSquaredError', p, y, rows, u);
    case 'mae':
    case 'meanAbsoluteError':
      return lossOf('meanAbsoluteError', p, y, rows, u);
    default:
      throw new Error(`oracle: no reference for metric ${metric}`);
  }
}

/** Keras-order evaluate numbers (total, each output's loss when several, each output's metrics) from predictions. */
export function evaluateFromPredictions(spec: GraphSpec, predictions: Float32Array[], data: CaseData): number[] {
  const units = outputUnits(spec);
  const losses = spec.outputs.map((o, k) => lossOf(o.loss, predictions[k]!, data.ys[k]!.dense, data.rows, units[k]!));
  const out = [losses.reduce((s, l, k) => s + spec.outputs[k]!.weight * l, 0)];
  if (spec.outputs.length > 1) out.push(...losses);
  spec.outputs.forEach((o, k) => o.metrics.forEach((m) => out.push(metricOf(m, o.loss, predictions[k]!, data.ys[k]!.dense, data.rows, units[k]!))));
  return out;
}

// ── comparisons ──

export interface Difference {
  /** max |a − b| */
  maxAbs: number;
  /** max |a − b| / max(|b|, 1) */
  maxScaled: number;
  /** max |a − b| / |b| over |b| ≥ 1e-3 */
  maxRel: number;
  /** where maxScaled is: "name[index]: weft vs tf" */
  worst: string;
}

export function difference(names: string[], a: ArrayLike<number>[], b: ArrayLike<number>[]): Difference {
  const d: Difference = { maxAbs: 0, maxScaled: 0, maxRel: 0, worst: '' };
  a.forEach((x, k) => {
    if (x.length !== b[k]!.length) throw new Error(`${names[k]}: weft has ${x.length} values, TensorFlow.js ${b[k]!.length}`);
    for (let i = 0; i < x.length; i++) {
      const e = Math.abs(x[i]! - b[k]![i]!);
      const ref = Math.abs(b[k]![i]!);
      if (!(e <= d.maxAbs)) d.maxAbs = Number.isNaN(e) ? Infinity : e;
      if (ref >= 1e-3 && e / ref > d.maxRel) d.maxRel = e / ref;
      const scaled = e / Math.max(ref, 1);
      if (!(scaled <= d.maxScaled) || (d.worst === '' && Number.isNaN(e))) {
        d.maxScaled = Number.isNaN(scaled) ? Infinity : scaled;
        d.worst = `${names[k]}[${i}]: weft ${x[i]} vs tf ${b[k]![i]}`;
      }
    }
  });
  return d;
}

async function weftWeightsByName(model: WeftModel): Promise<Map<string, { shape: number[]; values: Float32Array }>> {
  const tensors = await model.getWeights();
  const names = model.weights.map((w) => w.name);
  return new Map(tensors.map((t, i) => [names[i]!, { shape: t.shape, values: t.dataSync() as Float32Array }]));
}

/** Gives the TensorFlow.js model weft's weights, matched by weight name (`layer/kernel`). */
async function copyWeights(from: WeftModel, to: TfModel): Promise<void> {
  const tf = tfjs();
  const byName = await weftWeightsByName(from);
  to.setWeights(
    to.weights.map((v) => {
      const w = byName.get(v.originalName);
      if (!w) throw new Error(`TensorFlow.js weight ${v.originalName} has no weft counterpart (weft: ${[...byName.keys()].join(', ')})`);
      return tf.tensor(w.values, w.shape);
    }),
  );
}

async function compareWeights(weftModel: WeftModel, tfModel: TfModel): Promise<Difference> {
  const byName = await weftWeightsByName(weftModel);
  const names = tfModel.weights.map((v) => v.originalName);
  const tfValues = tfModel.getWeights().map((t) => t.dataSync() as Float32Array);
  return difference(
    names,
    names.map((n) => byName.get(n)!.values),
    tfValues,
  );
}

function tfPredict(model: TfModel, xs: TfTensor[], batchSize: number): Float32Array[] {
  const out = model.predict(xs.length === 1 ? xs[0]! : xs, { batchSize });
  return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
}

async function weftPredict(model: WeftModel, xs: WeftModule.Tensor[], batchSize: number): Promise<Float32Array[]> {
  const out = await model.predict(xs.length === 1 ? xs[0]! : xs, { batchSize });
  return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
}

export interface CaseOptions {
  /** Rows per training batch; training runs one epoch of `steps` batches (the last may be partial: `lastBatch`). */
  batchSize: number;
  steps: number;
  /** Rows of the last training batch (default batchSize). */
  lastBatch?: number;
  seed: number;
  sgd: number;
  adam: number;
  /** batch size weft's and TensorFlow.js's predict/evaluate use (default 32). */
  evalBatchSize?: number;
  /** fit's classWeight, one {class: weight} map per output (given to both libraries). */
  classWeight?: Record<number, number>[];
}

export interface CaseReport {
  weightNames: { weft: string[]; tf: string[] };
  metricsNames: string[];
  outputNames: { weft: string[]; tf: string[] };
  predict: Difference;
  evaluate: { weft: number[]; oracle: number[] };
  sgd: Difference;
  adam: Difference;
  /** How far the weights moved in training (so a "match" is not two models that did not move). */
  moved: { sgd: number; adam: number };
  /** fit's reported epoch loss: [weft, TensorFlow.js]. */
  fitLoss: { sgd: [number, number]; adam: [number, number] };
  ms: number;
}

function maxMove(before: Map<string, { values: Float32Array }>, after: Map<string, { values: Float32Array }>): number {
  let m = 0;
  for (const [name, w] of before) {
    const a = after.get(name)!.values;
    for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - w.values[i]!));
  }
  return m;
}

/** The full comparison for one model description. */
export async function runCase(spec: GraphSpec, options: CaseOptions): Promise<CaseReport> {
  const t0 = performance.now();
  const tf = tfjs();
  const rows = options.batchSize * (options.steps - 1) + (options.lastBatch ?? options.batchSize);
  const data = makeData(spec, rows, options.seed);
  const w = weftTensors(spec, data);
  const t = tfTensors(spec, data);
  const evalBatch = options.evalBatchSize ?? 32;
  const names = outputNames(spec);
  const disposeAll: { dispose(): void }[] = [...t.xs, ...t.ys];
  try {
    // predict and evaluate with the same (weft-initialised) weights
    const weftModel = buildWeft(spec, options.seed);
    const tfModel = buildTf(spec);
    await copyWeights(weftModel, tfModel);
    const initial = await weftWeightsByName(weftModel);
    const initialTensors = await weftModel.getWeights();
    const weftOut = await weftPredict(weftModel, w.xs, evalBatch);
    const tfOut = tfPredict(tfModel, t.xs, evalBatch);
    const predict = difference(names, weftOut, tfOut);
    compileWeft(weftModel, spec, { kind: 'sgd', learningRate: options.sgd });
    const weftEval = await weftModel.evaluate(w.xs.length === 1 ? w.xs[0]! : w.xs, w.ys.length === 1 ? w.ys[0]! : w.ys, { batchSize: evalBatch });
    const evaluate = { weft: [weftEval].flat().map((t) => t.dataSync()[0]!), oracle: evaluateFromPredictions(spec, tfOut, data) };
    const report: Partial<CaseReport> = {
      weightNames: { weft: weftModel.weights.map((x) => x.name), tf: tfModel.weights.map((v) => v.originalName) },
      metricsNames: weftModel.metricsNames,
      outputNames: { weft: weftModel.outputNames, tf: tfModel.outputNames },
      predict,
      evaluate,
    };

    // training: the same batches in the same order, one epoch
    const classWeight = options.classWeight ? { classWeight: options.classWeight.length === 1 ? options.classWeight[0]! : options.classWeight } : {};
    const train = async (optimizer: OptimizerSpec): Promise<[Difference, number, [number, number]]> => {
      const wm = buildWeft(spec, options.seed);
      wm.setWeights(initialTensors);
      compileWeft(wm, spec, optimizer);
      const tm = buildTf(spec);
      await copyWeights(wm, tm);
      compileTf(tm, spec, optimizer);
      const weftHistory = await wm.fit(w.xs.length === 1 ? w.xs[0]! : w.xs, w.ys.length === 1 ? w.ys[0]! : w.ys, {
        epochs: 1,
        batchSize: options.batchSize,
        shuffle: false,
        verbose: 0,
        ...classWeight,
      });
      const tfHistory = await tm.fit(t.xs.length === 1 ? t.xs[0]! : t.xs, t.ys.length === 1 ? t.ys[0]! : t.ys, {
        epochs: 1,
        batchSize: options.batchSize,
        shuffle: false,
        verbose: 0,
        ...classWeight,
      });
      const fitLoss: [number, number] = [Number(weftHistory.history.loss![0]), Number(tfHistory.history.loss![0])];
      const diff = await compareWeights(wm, tm);
      const moved = maxMove(initial, await weftWeightsByName(wm));
      wm.dispose();
      tm.dispose();
      return [diff, moved, fitLoss];
    };
    const [sgd, movedSgd, sgdLoss] = await train({ kind: 'sgd', learningRate: options.sgd });
    const [adam, movedAdam, adamLoss] = await train({ kind: 'adam', learningRate: options.adam });
    weftModel.dispose();
    tfModel.dispose();
    return {
      ...(report as CaseReport),
      sgd,
      adam,
      moved: { sgd: movedSgd, adam: movedAdam },
      fitLoss: { sgd: sgdLoss, adam: adamLoss },
      ms: performance.now() - t0,
    };
  } finally {
    for (const d of disposeAll) d.dispose();
    void tf;
  }
}
