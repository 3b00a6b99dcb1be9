// The float64 CPU interpreter of the IR: the oracle every pass and every GPU kernel is tested against.

import { dropoutFactor } from './dropoutMask.js';
import { EPSILON, elementLoss, elementLossGrad, sigmoid } from './elementLosses.js';
import type { ActivationName, IrGraph, IrNode, LossKind, MetricKind, NodeOf, ValueId } from './graph.js';
import type { MatmulEpilogue } from './graph.js';
import { convFilterGrad64, convForward64, convInputGrad64, pool64, poolGrad64, type At } from './ops/windowMath.js';
import { imageGeometry } from './ops/windowOps.js';
import { colsOf, matrixOf, type Shape } from './shape.js';

/** A value: its full shape, and the rows × cols matrix the kernels see (row-major data). */
export interface Tensor64 {
  shape: Shape;
  rows: number;
  cols: number;
  data: Float64Array;
}

export interface InterpretInputs {
  /** One [batch, cols] array per model input. */
  inputs: ArrayLike<number>[];
  /** One per model output: class ids ([batch]) when sparse, else [batch, cols]. */
  targets: ArrayLike<number>[];
  /** Per-sample loss weights ([batch]) by output index, for graphs with sampleWeight leaves. */
  sampleWeights?: (ArrayLike<number> | undefined)[];
  /** One per param, row-major in the param's shape. */
  params: ArrayLike<number>[];
  /** The step's random seed (dropout masks). */
  seed?: number;
}

export interface InterpretResult {
  values: Tensor64[];
  /** Batch sums per metric slot (accumulators and lossHead side effects). */
  slots: Map<number, number>;
}

export function tensor64(rows: number, cols: number, data?: ArrayLike<number>): Tensor64 {
  const t = { shape: [rows, cols], rows, cols, data: new Float64Array(rows * cols) };
  if (data) {
    if (data.length !== rows * cols) throw new Error(`expected ${rows * cols} values, got ${data.length}`);
    t.data.set(Array.from(data));
  }
  return t;
}

export function activate(name: Exclude<ActivationName, 'softmax'>, x: number): number {
  switch (name) {
    case 'linear':
      return x;
    case 'relu':
      return x > 0 ? x : 0;
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
    case 'tanh':
      return Math.tanh(x);
    default:
      return name satisfies never;
  }
}

/** f'(x) written through y = f(x). */
export function activationDerivativeFromOutput(name: Exclude<ActivationName, 'softmax'>, y: number): number {
  switch (name) {
    case 'linear':
      return 1;
    case 'relu':
      return y > 0 ? 1 : 0;
    case 'sigmoid':
      return y * (1 - y);
    case 'tanh':
      return 1 - y * y;
    default:
      return name satisfies never;
  }
}

function softmaxRow(z: Float64Array, offset: number, cols: number, out: Float64Array): number {
  let max = -Infinity;
  for (let j = 0; j < cols; j++) max = Math.max(max, z[offset + j]!);
  let sum = 0;
  for (let j = 0; j < cols; j++) sum += Math.exp(z[offset + j]! - max);
  for (let j = 0; j < cols; j++) out[offset + j] = Math.exp(z[offset + j]! - max) / sum;
  return max + Math.log(sum); // logsumexp
}

function argmax(data: Float64Array, offset: number, cols: number): number {
  let best = 0;
  for (let j = 1; j < cols; j++) if (data[offset + j]! > data[offset + best]!) best = j;
  return best;
}

/** Row r of a target as a dense vector (one-hot when sparse). */
function targetValue(target: Tensor64, sparse: boolean, r: number, j: number, cols: number): number {
  if (!sparse) return target.data[r * cols + j]!;
  return target.data[r] === j ? 1 : 0;
}

export function metricRow(metric: MetricKind, p: Float64Array, r: number, cols: number, target: Tensor64, sparse: boolean): number {
  const o = r * cols;
  switch (metric) {
    case 'sparseCategoricalAccuracy':
      return argmax(p, o, cols) === (sparse ? target.data[r] : argmax(target.data, o, cols)) ? 1 : 0;
    case 'categoricalAccuracy':
      return argmax(p, o, cols) === (sparse ? target.data[r] : argmax(target.data, o, cols)) ? 1 : 0;
    case 'binaryAccuracy': {
      let s = 0;
      for (let j = 0; j < cols; j++) s += p[o + j]! > 0.5 === targetValue(target, sparse, r, j, cols) > 0.5 ? 1 : 0;
      return s / cols;
    }
    case 'meanSquaredError': {
      let s = 0;
      for (let j = 0; j < cols; j++) s += (p[o + j]! - targetValue(target, sparse, r, j, cols)) ** 2;
      return s / cols;
    }
    case 'meanAbsoluteError': {
      let s = 0;
      for (let j = 0; j < cols; j++) s += Math.abs(p[o + j]! - targetValue(target, sparse, r, j, cols));
      return s / cols;
    }
    default:
      return metric satisfies never;
  }
}

function matmul(node: NodeOf<'matmul'>, value: (id: ValueId) => Tensor64): Tensor64 {
  const a = value(node.a);
  const b = value(node.b);
  const e = node.epilogue ?? {};
  const m = node.transA ? a.cols : a.rows;
  const k = node.transA ? a.rows : a.cols;
  const n = node.transB ? b.rows : b.cols;
  const rows = m + (e.aOnesRow ? 1 : 0);
  const out = tensor64(rows, n);
  const bias = e.bias !== undefined ? value(e.bias) : undefined;
  const mask = e.gradMask ? value(e.gradMask.y) : undefined;
  const accumulated = e.accumulate !== undefined ? value(e.accumulate) : undefined;
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const av = i === m ? 1 : node.transA ? a.data[p * a.cols + i]! : a.data[i * a.cols + p]!;
        const bv = node.transB ? b.data[j * b.cols + p]! : b.data[p * b.cols + j]!;
        s += av * bv;
      }
      if (bias) s += bias.data[j]!;
      if (e.activation) s = activate(e.activation, s);
      if (mask && e.gradMask) s *= activationDerivativeFromOutput(e.gradMask.activation, mask.data[i * n + j]!);
      if (accumulated) s += accumulated.data[i * n + j]!;
      out.data[i * n + j] = s;
    }
  return out;
}

/** A matmul-style epilogue (bias, activation, × activation'(y), += accumulated) over a product. */
function withEpilogue64(product: Float64Array, rows: number, cols: number, e: MatmulEpilogue | undefined, value: (id: ValueId) => Tensor64): Tensor64 {
  const out = tensor64(rows, cols, product);
  if (!e) return out;
  const bias = e.bias !== undefined ? value(e.bias) : undefined;
  const mask = e.gradMask ? value(e.gradMask.y) : undefined;
  const accumulated = e.accumulate !== undefined ? value(e.accumulate) : undefined;
  for (let i = 0; i < out.data.length; i++) {
    let s = out.data[i]!;
    if (bias) s += bias.data[i % cols]!;
    if (e.activation) s = activate(e.activation, s);
    if (mask && e.gradMask) s *= activationDerivativeFromOutput(e.gradMask.activation, mask.data[i]!);
    if (accumulated) s += accumulated.data[i]!;
    out.data[i] = s;
  }
  return out;
}

const reader =
  (t: Tensor64): At =>
  (r, c) =>
    t.data[r * t.cols + c]!;

function windowed(node: NodeOf<'conv2d' | 'conv2dInputGrad' | 'conv2dFilterGrad' | 'pool2d' | 'pool2dGrad'>, value: (id: ValueId) => Tensor64): Tensor64 {
  const [rows, cols] = matrixOf(node.shape);
  switch (node.op) {
    case 'conv2d': {
      const x = value(node.x);
      const g = imageGeometry(node.op, node.window, x.shape);
      return withEpilogue64(convForward64(g, x.cols, cols, reader(x), reader(value(node.filter))), rows, cols, node.epilogue, value);
    }
    case 'conv2dInputGrad': {
      const g = imageGeometry(node.op, node.window, node.inputShape);
      const dy = value(node.dy);
      return withEpilogue64(convInputGrad64(g, cols, dy.cols, reader(dy), reader(value(node.filter))), rows, cols, node.epilogue, value);
    }
    case 'conv2dFilterGrad': {
      const x = value(node.x);
      const g = imageGeometry(node.op, node.window, x.shape);
      const product = convFilterGrad64(g, x.cols, cols, reader(x), reader(value(node.dy)), !!node.epilogue?.aOnesRow);
      return withEpilogue64(product, rows, cols, node.epilogue, value);
    }
    case 'pool2d': {
      const x = value(node.x);
      return tensor64(rows, cols, pool64(imageGeometry(node.op, node.window, x.shape), colsOf(x.shape), node.mode, reader(x)));
    }
    case 'pool2dGrad': {
      const x = value(node.x);
      const g = imageGeometry(node.op, node.window, x.shape);
      const grad = poolGrad64(g, colsOf(x.shape), node.mode, reader(x), reader(value(node.dy)));
      return withEpilogue64(grad, rows, cols, node.gradMask ? { gradMask: node.gradMask } : undefined, value);
    }
    default:
      return node satisfies never;
  }
}

function map2(a: Tensor64, f: (v: number, i: number) => number): Tensor64 {
  const out = tensor64(a.rows, a.cols);
  for (let i = 0; i < a.data.length; i++) out.data[i] = f(a.data[i]!, i);
  return out;
}

export function interpret(graph: IrGraph, env: InterpretInputs): InterpretResult {
  const values: Tensor64[] = [];
  const slots = new Map<number, number>();
  const addToSlot = (slot: number, v: number): void => void slots.set(slot, (slots.get(slot) ?? 0) + v);
  const value = (id: ValueId): Tensor64 => {
    const t = values[id];
    if (!t) throw new Error(`internal: %${id} not computed`);
    return t;
  };
  for (const node of graph.nodes) values[node.id] = { ...evaluateNode(node, value, env, addToSlot), shape: [...node.shape] };
  for (const acc of graph.accumulators) {
    const t = value(acc.value);
    let s = 0;
    for (const v of t.data) s += v;
    addToSlot(acc.slot, s);
  }
  if (graph.penaltySlot !== undefined) addToSlot(graph.penaltySlot, graph.batchSize * weightPenalty(graph, env.params));
  return { values, slots };
}

/** A node's value as a rows × cols matrix (its full shape is attached by the caller). */
function evaluateNode(node: IrNode, value: (id: ValueId) => Tensor64, env: InterpretInputs, addToSlot: (slot: number, v: number) => void): Tensor64 {
  const [rows, cols] = matrixOf(node.shape);
  switch (node.op) {
    case 'input':
      return tensor64(rows, cols, env.inputs[node.index]!);
    case 'target':
      return tensor64(rows, cols, env.targets[node.index]!);
    case 'sampleWeight': {
      const weights = env.sampleWeights?.[node.index];
      if (!weights) throw new Error(`interpret: the graph reads sample weights of output ${node.index}, but none were given`);
      return tensor64(rows, cols, weights);
    }
    case 'param':
      return tensor64(rows, cols, env.params[node.index]!);
    case 'constant':
      return map2(tensor64(rows, cols), () => node.value);
    case 'matmul':
      return matmul(node, value);
    case 'biasAdd': {
      const b = value(node.bias);
      return map2(value(node.x), (v, i) => v + b.data[i % cols]!);
    }
    case 'activation': {
      const x = value(node.x);
      if (node.activation !== 'softmax') {
        const f = node.activation;
        return map2(x, (v) => activate(f, v));
      }
      const out = tensor64(rows, cols);
      for (let r = 0; r < rows; r++) softmaxRow(x.data, r * cols, cols, out.data);
      return out;
    }
    case 'activationGrad': {
      const y = value(node.y);
      const dy = value(node.dy);
      if (node.activation !== 'softmax') {
        const f = node.activation;
        return map2(dy, (g, i) => g * activationDerivativeFromOutput(f, y.data[i]!));
      }
      const out = tensor64(rows, cols);
      for (let r = 0; r < rows; r++) {
        let dot = 0;
        for (let j = 0; j < cols; j++) dot += dy.data[r * cols + j]! * y.data[r * cols + j]!;
        for (let j = 0; j < cols; j++) out.data[r * cols + j] = y.data[r * cols + j]! * (dy.data[r * cols + j]! - dot);
      }
      return out;
    }
    case 'concat': {
      const out = tensor64(rows, cols);
      let offset = 0;
      for (const id of node.xs) {
        const x = value(id);
        for (let r = 0; r < rows; r++) for (let j = 0; j < x.cols; j++) out.data[r * cols + offset + j] = x.data[r * x.cols + j]!;
        offset += x.cols;
      }
      return out;
    }
    case 'slice': {
      const x = value(node.x);
      const out = tensor64(rows, cols);
      for (let r = 0; r < rows; r++)
        for (let j = 0; j < cols; j++) out.data[r * cols + j] = node.axis === 0 ? x.data[(node.start + r) * x.cols + j]! : x.data[r * x.cols + node.start + j]!;
      return out;
    }
    case 'reshape':
      return tensor64(rows, cols, value(node.x).data);
    case 'add': {
      const b = value(node.b);
      return map2(value(node.a), (v, i) => v + b.data[i]!);
    }
    case 'mul': {
      const b = value(node.b);
      return map2(value(node.a), (v, i) => v * b.data[i]!);
    }
    case 'scale':
      return map2(value(node.x), (v) => v * node.factor);
    case 'toyScaledIdentity':
      return map2(value(node.x), (v) => v * node.factor);
    case 'conv2d':
    case 'conv2dInputGrad':
    case 'conv2dFilterGrad':
    case 'pool2d':
    case 'pool2dGrad':
      return windowed(node, value);
    case 'dropout': {
      const seed = env.seed ?? 0;
      return map2(value(node.x), (v, i) => v * dropoutFactor(seed, node.salt, i, node.rate));
    }
    case 'broadcastRows': {
      const x = value(node.x);
      return map2(tensor64(rows, cols), (_, i) => x.data[i % cols]!);
    }
    case 'mulRow': {
      const row = value(node.row);
      return map2(value(node.x), (v, i) => v * row.data[i % cols]!);
    }
    case 'rsqrt':
      return map2(value(node.x), (v) => 1 / Math.sqrt(v + node.epsilon));
    case 'assignParam': {
      const next = value(node.value);
      return map2(value(node.param), (p, i) => node.momentum * p + (1 - node.momentum) * next.data[i]!);
    }
    case 'columnSum': {
      const x = value(node.x);
      const out = tensor64(1, cols);
      for (let r = 0; r < x.rows; r++) for (let j = 0; j < cols; j++) out.data[j] = out.data[j]! + x.data[r * cols + j]!;
      return out;
    }
    case 'crossEntropy': {
      const p = value(node.probs);
      const t = value(node.target);
      const c = p.cols;
      const out = tensor64(rows, 1);
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let j = 0; j < c; j++) {
          const tj = targetValue(t, node.sparse, r, j, c);
          if (tj !== 0) s -= tj * Math.log(Math.min(Math.max(p.data[r * c + j]!, EPSILON), 1 - EPSILON));
        }
        out.data[r] = s;
      }
      return out;
    }
    case 'crossEntropyGrad': {
      const p = value(node.probs);
      const t = value(node.target);
      const dy = value(node.dy);
      return map2(p, (pv, i) => {
        const r = Math.floor(i / cols);
        const tj = targetValue(t, node.sparse, r, i % cols, cols);
        return pv > EPSILON && pv < 1 - EPSILON ? (-tj / pv) * dy.data[r]! : 0;
      });
    }
    case 'softmaxCrossEntropy': {
      const z = value(node.logits);
      const t = value(node.target);
      const c = z.cols;
      const probs = new Float64Array(z.data.length);
      const out = tensor64(rows, 1);
      for (let r = 0; r < rows; r++) {
        const lse = softmaxRow(z.data, r * c, c, probs);
        let s = 0;
        for (let j = 0; j < c; j++) s += targetValue(t, node.sparse, r, j, c) * (lse - z.data[r * c + j]!);
        out.data[r] = s;
      }
      return out;
    }
    case 'softmaxCrossEntropyGrad': {
      const z = value(node.logits);
      const t = value(node.target);
      const dy = value(node.dy);
      const out = tensor64(rows, cols);
      for (let r = 0; r < rows; r++) {
        softmaxRow(z.data, r * cols, cols, out.data);
        for (let j = 0; j < cols; j++) out.data[r * cols + j] = (out.data[r * cols + j]! - targetValue(t, node.sparse, r, j, cols)) * dy.data[r]!;
      }
      return out;
    }
    case 'pointwiseLoss':
    case 'sigmoidCrossEntropy': {
      const kind = node.op === 'pointwiseLoss' ? node.loss : 'sigmoidCrossEntropy';
      const x = value(node.op === 'pointwiseLoss' ? node.pred : node.logits);
      const t = value(node.target);
      const out = tensor64(rows, 1);
      for (let r = 0; r < rows; r++) out.data[r] = rowMeanLoss(kind, x.data, r, x.cols, t, false);
      return out;
    }
    case 'pointwiseLossGrad':
    case 'sigmoidCrossEntropyGrad': {
      const kind = node.op === 'pointwiseLossGrad' ? node.loss : 'sigmoidCrossEntropy';
      const x = value(node.op === 'pointwiseLossGrad' ? node.pred : node.logits);
      const t = value(node.target);
      const dy = value(node.dy);
      return map2(x, (xv, i) => (elementLossGrad(kind, xv, t.data[i]!) / cols) * dy.data[Math.floor(i / cols)]!);
    }
    case 'metric': {
      const p = value(node.pred);
      const t = value(node.target);
      const out = tensor64(rows, 1);
      for (let r = 0; r < rows; r++) out.data[r] = metricRow(node.metric, p.data, r, p.cols, t, node.sparse);
      return out;
    }
    case 'lossHead': {
      const x = value(node.input);
      const t = value(node.target);
      const c = x.cols;
      const p = predictionOf(node.loss, x, rows);
      const weights = node.sampleWeight === undefined ? undefined : value(node.sampleWeight);
      const grad = tensor64(rows, c);
      let lossSum = 0;
      for (let r = 0; r < rows; r++) {
        const w = weights ? weights.data[r]! : 1;
        if (node.loss === 'softmaxCrossEntropy') {
          const lse = softmaxRow(x.data, r * c, c, new Float64Array(x.data.length));
          for (let j = 0; j < c; j++) {
            const tj = targetValue(t, node.sparse, r, j, c);
            lossSum += w * tj * (lse - x.data[r * c + j]!);
            grad.data[r * c + j] = w * (p[r * c + j]! - tj) * node.gradScale;
          }
        } else {
          lossSum += w * rowMeanLoss(node.loss, x.data, r, c, t, node.sparse);
          for (let j = 0; j < c; j++)
            grad.data[r * c + j] = w * (elementLossGrad(node.loss, x.data[r * c + j]!, targetValue(t, node.sparse, r, j, c)) / c) * node.gradScale;
        }
        for (const m of node.metrics) addToSlot(m.slot, metricRow(m.metric, p, r, c, t, node.sparse));
      }
      addToSlot(node.lossSlot, lossSum);
      if (node.withGrad) return grad;
      const prediction = tensor64(rows, c);
      prediction.data.set(p);
      return prediction;
    }
    default:
      return node satisfies never;
  }
}

/** Σ over regularized params of l1·|w| + l2·w² (kernelRegularizer / biasRegularizer). */
export function weightPenalty(graph: IrGraph, params: ArrayLike<number>[]): number {
  let s = 0;
  graph.params.forEach((p, i) => {
    const r = p.regularizer;
    if (!r) return;
    for (const w of Array.from(params[i]!)) s += r.l1 * Math.abs(w) + r.l2 * w * w;
  });
  return s;
}

/** Mean over row r's columns of an element-wise loss. */
function rowMeanLoss(kind: Parameters<typeof elementLoss>[0], x: Float64Array, r: number, cols: number, target: Tensor64, sparse: boolean): number {
  let s = 0;
  for (let j = 0; j < cols; j++) s += elementLoss(kind, x[r * cols + j]!, targetValue(target, sparse, r, j, cols));
  return s / cols;
}

/** What a loss head predicts from its input: softmax or sigmoid of logits, else the input itself. */
function predictionOf(loss: LossKind, x: Tensor64, rows: number): Float64Array {
  switch (loss) {
    case 'softmaxCrossEntropy': {
      const p = new Float64Array(x.data.length);
      for (let r = 0; r < rows; r++) softmaxRow(x.data, r * x.cols, x.cols, p);
      return p;
    }
    case 'sigmoidCrossEntropy':
      return x.data.map(sigmoid);
    case 'meanSquaredError':
    case 'meanAbsoluteError':
    case 'binaryCrossEntropy':
      return x.data;
    default:
      return loss satisfies never;
  }
}
