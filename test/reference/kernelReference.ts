// A float64 CPU executor of KernelDesc semantics, exactly as documented in src/ir/kernel.ts.
// The oracle of the GPU kernel tests. Buffers are plain JS arrays keyed by name, one entry per
// logical element (u8 buffers: one entry per byte, unpacked); they are updated in place.
import { conv2dReference, pool2dReference } from './windowReference.js';
import { dropoutFactor } from '../../src/ir/dropoutMask.js';
import { elementLoss, elementLossGrad, sigmoid } from '../../src/ir/elementLosses.js';
import type {
  ElementwiseActivation,
  ElementwiseExpr,
  FusedUpdate,
  KernelDesc,
  LossHeadKernel,
  MatmulKernel,
  OptimizerAlgorithm,
  OptimizerKernel,
  PenaltyTerm,
  View,
} from '../../src/ir/kernel.js';

export type RefArray = Float64Array | Float32Array | Int32Array | Uint32Array | Uint8Array;
export type RefBuffers = Record<string, RefArray>;

export interface RefStep {
  rowBase: number;
  t: number;
  learningRate: number;
  beta1Power: number;
  beta2Power: number;
  seed: number;
  /** Samples in the step's batch: a loss head with maskRows leaves out rows from here on. */
  rows: number;
}

export const ZERO_STEP: RefStep = { rowBase: 0, t: 0, learningRate: 0, beta1Power: 0, beta2Power: 0, seed: 0, rows: 0 };

function buf(buffers: RefBuffers, name: string): RefArray {
  const b = buffers[name];
  if (!b) throw new Error(`reference: no buffer "${name}"`);
  return b;
}

/** Element index of view(r, c). */
export function viewIndex(view: View, r: number, c: number, step: RefStep): number {
  if (view.gathered) throw new Error(`reference: a gathered view of "${view.buffer}" needs its indices (read it through get)`);
  return view.offset + ((view.rowBaseFromStep ? step.rowBase : 0) + r) * view.rowStride + c;
}

function get(buffers: RefBuffers, view: View, r: number, c: number, step: RefStep): number {
  const b = buf(buffers, view.buffer);
  if (view.gathered) {
    // Row r is dataset sample indices[step.rowBase + r] (View.gathered in src/ir/kernel.ts).
    const sample = buf(buffers, view.gathered.indices)[step.rowBase + r]!;
    const i = view.offset + sample * view.rowStride + c;
    if (i < 0 || i >= b.length) throw new Error(`reference: gathered read of "${view.buffer}"[${i}] out of bounds (${b.length})`);
    return view.gathered.scale * b[i]!;
  }
  const i = viewIndex(view, r, c, step);
  if (i < 0 || i >= b.length) throw new Error(`reference: read of "${view.buffer}"[${i}] out of bounds (${b.length})`);
  return b[i]!;
}

function set(buffers: RefBuffers, view: View, r: number, c: number, step: RefStep, value: number, accumulate: boolean): void {
  const b = buf(buffers, view.buffer);
  const i = viewIndex(view, r, c, step);
  if (i < 0 || i >= b.length) throw new Error(`reference: write of "${view.buffer}"[${i}] out of bounds (${b.length})`);
  b[i] = accumulate ? b[i]! + value : value;
}

export function activation(a: ElementwiseActivation, x: number): number {
  switch (a) {
    case 'linear':
      return x;
    case 'relu':
      return x > 0 ? x : 0;
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
    case 'tanh':
      return Math.tanh(x);
    default:
      return a satisfies never;
  }
}

/** dy × activation'(y), y being the activation's output. */
export function activationGrad(a: ElementwiseActivation, y: number, dy: number): number {
  switch (a) {
    case 'linear':
      return dy;
    case 'relu':
      return y > 0 ? dy : 0;
    case 'sigmoid':
      return dy * y * (1 - y);
    case 'tanh':
      return dy * (1 - y * y);
    default:
      return a satisfies never;
  }
}

/** Runs one kernel on the CPU in float64, updating `buffers` in place. */
export function runKernelReference(desc: KernelDesc, buffers: RefBuffers, step: RefStep = ZERO_STEP): void {
  switch (desc.kind) {
    case 'gather': {
      const indices = buf(buffers, desc.indices);
      for (const s of desc.sources) {
        const data = buf(buffers, s.dataset);
        const cols = s.out.cols;
        for (let r = 0; r < desc.rows; r++) {
          const sample = indices[step.rowBase + r]!;
          for (let c = 0; c < cols; c++) set(buffers, s.out, r, c, step, s.scale * data[sample * cols + c]!, false);
        }
      }
      return;
    }
    case 'matmul':
      return matmul(desc, buffers, step);
    case 'elementwise': {
      const values = new Float64Array(desc.rows * desc.cols);
      for (let r = 0; r < desc.rows; r++) {
        for (let c = 0; c < desc.cols; c++) values[r * desc.cols + c] = evalExpr(desc.expr, buffers, r, c, step, desc.cols);
      }
      for (let r = 0; r < desc.rows; r++) {
        for (let c = 0; c < desc.cols; c++) set(buffers, desc.out, r, c, step, values[r * desc.cols + c]!, !!desc.accumulate);
      }
      return;
    }
    case 'softmaxRows': {
      const { rows, cols } = desc.x;
      for (let r = 0; r < rows; r++) {
        const x = Array.from({ length: cols }, (_, c) => get(buffers, desc.x, r, c, step));
        let out: number[];
        if (desc.dy) {
          const dy = Array.from({ length: cols }, (_, c) => get(buffers, desc.dy!, r, c, step));
          const s = x.reduce((acc, y, c) => acc + y * dy[c]!, 0);
          out = x.map((y, c) => y * (dy[c]! - s));
        } else {
          out = softmax(x);
        }
        out.forEach((v, c) => set(buffers, desc.out, r, c, step, v, !!desc.accumulate));
      }
      return;
    }
    case 'columnSum': {
      const { rows, cols } = desc.x;
      for (let c = 0; c < cols; c++) {
        let s = 0;
        for (let r = 0; r < rows; r++) s += get(buffers, desc.x, r, c, step);
        set(buffers, desc.out, 0, c, step, s, !!desc.accumulate);
      }
      return;
    }
    case 'lossHead':
      return lossHead(desc, buffers, step);
    case 'optimizer':
      return optimizer(desc, buffers, step);
    case 'conv2d':
      return conv2dReference(desc, buffers, step);
    case 'pool2d':
      return pool2dReference(desc, buffers, step);
    default:
      return desc satisfies never;
  }
}

export function softmax(x: number[]): number[] {
  const mx = Math.max(...x);
  const e = x.map((v) => Math.exp(v - mx));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

function evalExpr(e: ElementwiseExpr, buffers: RefBuffers, r: number, c: number, step: RefStep, cols = 0): number {
  switch (e.op) {
    case 'read':
      return get(buffers, e.view, e.broadcastRows ? 0 : r, c, step);
    case 'const':
      return e.value;
    case 'add':
      return evalExpr(e.a, buffers, r, c, step, cols) + evalExpr(e.b, buffers, r, c, step, cols);
    case 'sub':
      return evalExpr(e.a, buffers, r, c, step, cols) - evalExpr(e.b, buffers, r, c, step, cols);
    case 'mul':
      return evalExpr(e.a, buffers, r, c, step, cols) * evalExpr(e.b, buffers, r, c, step, cols);
    case 'activation':
      return activation(e.activation, evalExpr(e.x, buffers, r, c, step, cols));
    case 'activationGrad':
      return activationGrad(e.activation, evalExpr(e.y, buffers, r, c, step, cols), evalExpr(e.dy, buffers, r, c, step, cols));
    case 'rsqrt':
      return 1 / Math.sqrt(evalExpr(e.x, buffers, r, c, step, cols) + e.epsilon);
    case 'dropout':
      return evalExpr(e.x, buffers, r, c, step, cols) * dropoutFactor(step.seed, e.salt, r * cols + c, e.rate);
    default:
      return e satisfies never;
  }
}

function matmul(d: MatmulKernel, buffers: RefBuffers, step: RefStep): void {
  const { m: M, n: N, k: K } = d;
  const opA = (m: number, k: number): number => {
    if (d.aOnesRow && m === M - 1) return 1;
    return d.transA ? get(buffers, d.a, k, m, step) : get(buffers, d.a, m, k, step);
  };
  const opB = (k: number, n: number): number => (d.transB ? get(buffers, d.b, n, k, step) : get(buffers, d.b, k, n, step));
  const aRows = Array.from({ length: M }, (_, m) => Float64Array.from({ length: K }, (_, k) => opA(m, k)));
  const bCols = Array.from({ length: N }, (_, n) => Float64Array.from({ length: K }, (_, k) => opB(k, n)));
  const result = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      const a = aRows[m]!;
      const b = bCols[n]!;
      let s = 0;
      for (let k = 0; k < K; k++) s += a[k]! * b[k]!;
      if (d.bias) s += get(buffers, d.bias, 0, n, step);
      if (d.activation) s = activation(d.activation, s);
      if (d.gradMask) s = activationGrad(d.gradMask.activation, get(buffers, d.gradMask.y, m, n, step), s);
      result[m * N + n] = s;
    }
  }
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) {
      if (d.update) applyFusedUpdate(d.update, d.out, buffers, step, m, n, result[m * N + n]!);
      else set(buffers, d.out, m, n, step, result[m * N + n]!, !!d.accumulate);
    }
}

function argmax(x: number[]): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
}

function lossHead(d: LossHeadKernel, buffers: RefBuffers, step: RefStep): void {
  const { rows, cols } = d;
  const metrics = buf(buffers, d.metricsBuffer);
  let lossSum = 0;
  const metricSums = d.metrics.map(() => 0);
  // A short batch on a plan made for more rows: rows from step.rows (in samples) on are padding.
  const liveRows = d.maskRows ? Math.min(rows, step.rows * (d.input.rowsPerSample ?? 1)) : rows;
  // The padding's gradient rows are zero; the live rows' gradient is the mean over step.rows samples.
  if (d.gradOut) for (let r = liveRows; r < rows; r++) for (let c = 0; c < cols; c++) set(buffers, d.gradOut, r, c, step, 0, false);
  const gradScale = d.maskRows ? (d.gradScale * d.maskRows.batch) / step.rows : d.gradScale;
  for (let r = 0; r < liveRows; r++) {
    const z = Array.from({ length: cols }, (_, c) => get(buffers, d.input, r, c, step));
    let t: number[];
    let label = -1;
    if (d.target.sparse) {
      const sample = buf(buffers, d.target.indices)[step.rowBase + r]!;
      label = buf(buffers, d.target.labels)[sample]!;
      t = Array.from({ length: cols }, (_, c) => (c === label ? 1 : 0));
    } else {
      const view = d.target.view;
      t = Array.from({ length: cols }, (_, c) => get(buffers, view, r, c, step));
    }
    let p: number[];
    let loss: number;
    let grad: number[];
    switch (d.loss) {
      case 'softmaxCrossEntropy': {
        const mx = Math.max(...z);
        const lse = mx + Math.log(z.reduce((a, v) => a + Math.exp(v - mx), 0));
        p = softmax(z);
        loss = lse - z.reduce((a, v, c) => a + t[c]! * v, 0);
        grad = p.map((v, c) => (v - t[c]!) * gradScale);
        break;
      }
      case 'sigmoidCrossEntropy':
        p = z.map(sigmoid);
        loss = z.reduce((a, v, c) => a + elementLoss('sigmoidCrossEntropy', v, t[c]!), 0) / cols;
        grad = z.map((v, c) => (elementLossGrad('sigmoidCrossEntropy', v, t[c]!) / cols) * gradScale);
        break;
      case 'binaryCrossEntropy':
        p = z;
        loss = p.reduce((a, v, c) => a + elementLoss('binaryCrossEntropy', v, t[c]!), 0) / cols;
        grad = p.map((v, c) => (elementLossGrad('binaryCrossEntropy', v, t[c]!) / cols) * gradScale);
        break;
      case 'meanSquaredError':
        p = z;
        loss = p.reduce((a, v, c) => a + (v - t[c]!) ** 2, 0) / cols;
        grad = p.map((v, c) => ((2 * (v - t[c]!)) / cols) * gradScale);
        break;
      case 'meanAbsoluteError':
        p = z;
        loss = p.reduce((a, v, c) => a + Math.abs(v - t[c]!), 0) / cols;
        grad = p.map((v, c) => (Math.sign(v - t[c]!) / cols) * gradScale);
        break;
      default:
        return d.loss satisfies never;
    }
    // Weighted samples: the loss and the gradient of row r times w_r; metrics unweighted.
    const w = d.sampleWeights ? buf(buffers, d.sampleWeights.weights)[buf(buffers, d.sampleWeights.indices)[step.rowBase + r]!]! : 1;
    lossSum += w * loss;
    grad = grad.map((v) => w * v);
    d.metrics.forEach((m, i) => {
      let value: number;
      switch (m.kind) {
        case 'sparseCategoricalAccuracy':
        case 'categoricalAccuracy':
          // sparse targets: the label; dense targets: argmax of the target row.
          value = argmax(p) === (d.target.sparse ? label : argmax(t)) ? 1 : 0;
          break;
        case 'binaryAccuracy':
          value = p.reduce((a, v, c) => a + (v > 0.5 === t[c]! > 0.5 ? 1 : 0), 0) / cols;
          break;
        case 'meanSquaredError':
          value = p.reduce((a, v, c) => a + (v - t[c]!) ** 2, 0) / cols;
          break;
        case 'meanAbsoluteError':
          value = p.reduce((a, v, c) => a + Math.abs(v - t[c]!), 0) / cols;
          break;
        default:
          return m.kind satisfies never;
      }
      metricSums[i]! += value;
    });
    if (d.gradOut) grad.forEach((v, c) => set(buffers, d.gradOut!, r, c, step, v, false));
    if (d.predictionOut) p.forEach((v, c) => set(buffers, d.predictionOut!, r, c, step, v, false));
  }
  metrics[d.lossSlot]! += lossSum;
  if (d.penalty) {
    const params = buf(buffers, d.penalty.params);
    let s = 0;
    for (const t of d.penalty.terms) for (let i = t.offset; i < t.offset + t.count; i++) s += t.l1 * Math.abs(params[i]!) + t.l2 * params[i]! ** 2;
    metrics[d.penalty.slot]! += liveRows * s;
  }
  d.metrics.forEach((m, i) => {
    metrics[m.slot]! += metricSums[i]!;
  });
}

function optimizer(d: OptimizerKernel, buffers: RefBuffers, step: RefStep): void {
  const p = buf(buffers, d.params);
  const g = buf(buffers, d.grads);
  const slots = d.state ? buf(buffers, d.state) : undefined;
  const n = d.count;
  // Distance between state arrays (padded to whole vec4s in plans).
  const stride = d.stateStride ?? n;
  // The penalty's gradient of regularized weights, from the weights before the update.
  const penaltyGrad = new Float64Array(n);
  for (const t of d.penalties ?? []) for (let i = t.offset; i < t.offset + t.count; i++) penaltyGrad[i]! += penaltyGradient(t, p[i]!);
  for (let i = 0; i < n; i++) updateElement(d.algorithm, p, slots, stride, i, g[i]! + penaltyGrad[i]!, step);
}

/** A weight penalty's gradient at p: 2·l2·p + l1·d|p| (d|p| = −1 at 0, as TensorFlow.js). */
function penaltyGradient(t: PenaltyTerm, p: number): number {
  return 2 * t.l2 * p + t.l1 * (p > 0 ? 1 : -1);
}

/** The optimizer step of parameter i with gradient gi (state array s of element i at slots[s·stride + i]). */
function updateElement(a: OptimizerAlgorithm, p: RefArray, slots: RefArray | undefined, stride: number, i: number, gi: number, step: RefStep): void {
  const lr = step.learningRate;
  switch (a.kind) {
    case 'sgd':
      p[i] = p[i]! - lr * gi;
      return;
    case 'momentum': {
      const acc = a.momentum * slots![i]! + gi;
      slots![i] = acc;
      p[i] = p[i]! - lr * (a.nesterov ? gi + a.momentum * acc : acc);
      return;
    }
    case 'adam': {
      const m = a.beta1 * slots![i]! + (1 - a.beta1) * gi;
      const v = a.beta2 * slots![stride + i]! + (1 - a.beta2) * gi * gi;
      slots![i] = m;
      slots![stride + i] = v;
      p[i] = p[i]! - (lr * (m / (1 - step.beta1Power))) / (Math.sqrt(v / (1 - step.beta2Power)) + a.epsilon);
      return;
    }
    case 'rmsprop': {
      const ms = a.decay * slots![i]! + (1 - a.decay) * gi * gi;
      slots![i] = ms;
      let denom: number;
      if (a.centered) {
        const mg = a.decay * slots![2 * stride + i]! + (1 - a.decay) * gi;
        slots![2 * stride + i] = mg;
        denom = Math.sqrt(ms - mg * mg + a.epsilon);
      } else {
        denom = Math.sqrt(ms + a.epsilon);
      }
      const mom = a.momentum * slots![stride + i]! + (lr * gi) / denom;
      slots![stride + i] = mom;
      p[i] = p[i]! - mom;
      return;
    }
    case 'adagrad': {
      const acc = slots![i]! + gi * gi;
      slots![i] = acc;
      p[i] = p[i]! - (lr * gi) / Math.sqrt(acc + a.epsilon);
      return;
    }
    default:
      return a satisfies never;
  }
}

/** A fused update (MatmulKernel.update): output element e is the gradient of params[e]. */
function applyFusedUpdate(u: FusedUpdate, out: View, buffers: RefBuffers, step: RefStep, m: number, n: number, value: number): void {
  const p = buf(buffers, u.params);
  const slots = u.state ? buf(buffers, u.state) : undefined;
  const e = viewIndex(out, m, n, step);
  let gi = value;
  for (const t of u.penalties ?? []) if (e >= t.offset && e < t.offset + t.count) gi += penaltyGradient(t, p[e]!);
  updateElement(u.algorithm, p, slots, u.stateStride, e, gi, step);
}
