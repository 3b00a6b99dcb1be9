// The IR: a topologically ordered list of primitive ops on float tensors of any rank.
// Every node carries its full shape (e.g. [batch, features] or [batch, h, w, c]); kernels that work
// on matrices see a value as rows × cols, rows = the product of the leading dimensions, cols = the
// last one (see shape.ts). Parameters have their own fixed shape (a dense kernel is [inUnits, units],
// its bias [1, units]).
//
// What each op reads, how its shape follows from its operands, and which operands take a gradient
// are declared once, in the op table (ops/table.ts); the switches here are generated from it.

import type { ElementwiseActivation, ActivationName, LossKind, MetricKind, PointwiseLossKind } from './kernel.js';
import { mapOperandsByTable, operandsByTable } from './ops/table.js';
import type { Window2d } from './ops/window.js';
import type { Shape } from './shape.js';

export type { ActivationName, ElementwiseActivation, LossKind, MetricKind, PointwiseLossKind };
export type { Shape } from './shape.js';

export type ValueId = number;
/** A matrix shape; parameters and model-level tables still use it. */
export type Shape2 = [rows: number, cols: number];

/**
 * What a fused matmul does besides the product (filled in by passes, never by lowering), in this
 * order: aOnesRow appends a row of ones to op(a); then + bias, activation, × activation'(y), and
 * finally the result is added into `accumulate` (written in place over it).
 * A matmul with no epilogue has no `epilogue` field at all (see isPlainMatmul).
 */
export interface MatmulEpilogue {
  aOnesRow?: boolean;
  bias?: ValueId;
  activation?: ElementwiseActivation;
  gradMask?: { activation: ElementwiseActivation; y: ValueId };
  accumulate?: ValueId;
}

export type IrOp =
  /** Rows of model input `index` for the current batch. */
  | { op: 'input'; index: number; name: string }
  /** Targets of model output `index`: class ids as [B, 1] when sparse, else [B, cols]. */
  | { op: 'target'; index: number; sparse: boolean; name: string }
  /**
   * Per-sample loss weights of model output `index` ([B, 1]; fit's classWeight): read from the
   * dataset through the indices, like sparse targets, never copied.
   */
  | { op: 'sampleWeight'; index: number; name: string }
  /** Trainable (or not) weight tensor `index` of the model. */
  | { op: 'param'; index: number; name: string }
  /** A tensor filled with one value (gradient seeds). */
  | { op: 'constant'; value: number }
  /** op(a)·op(b) on the rows × cols views of a and b, with an optional fused epilogue. */
  | { op: 'matmul'; a: ValueId; b: ValueId; transA: boolean; transB: boolean; epilogue?: MatmulEpilogue }
  | { op: 'biasAdd'; x: ValueId; bias: ValueId }
  | { op: 'activation'; x: ValueId; activation: ActivationName }
  /** dy × f'(x) written through y = f(x) (softmax: y ⊙ (dy − rowsum(dy ⊙ y))). */
  | { op: 'activationGrad'; y: ValueId; dy: ValueId; activation: ActivationName }
  /** All xs side by side on the last axis (every x has the same leading dimensions). */
  | { op: 'concat'; xs: ValueId[] }
  /** A contiguous range of rows (axis 0, matrices only) or of the last axis (axis 1). */
  | { op: 'slice'; x: ValueId; axis: 0 | 1; start: number; size: number }
  /** The same values in another shape (same batch, same element count): a view, no kernel. */
  | { op: 'reshape'; x: ValueId; to: number[] }
  | { op: 'add'; a: ValueId; b: ValueId }
  | { op: 'mul'; a: ValueId; b: ValueId }
  | { op: 'scale'; x: ValueId; factor: number }
  /**
   * x × factor: the worked example of adding an op (test/unit/toy-op.test.ts walks it through
   * autodiff, the interpreter, the plan and training); lowering never makes it.
   */
  | { op: 'toyScaledIdentity'; x: ValueId; factor: number }
  /**
   * A 2-D convolution of x [n, h, w, cin] with filter [kh·kw·cin, cout] (TF.js's [kh, kw, cin, cout]
   * seen as a matrix): [n, oh, ow, cout]. Its epilogue is matmul's (bias, activation; no ones row).
   */
  | { op: 'conv2d'; x: ValueId; filter: ValueId; window: Window2d; epilogue?: MatmulEpilogue }
  /** The gradient of conv2d with respect to x, of shape inputShape; epilogue: gradMask, accumulate. */
  | { op: 'conv2dInputGrad'; dy: ValueId; filter: ValueId; window: Window2d; inputShape: number[]; epilogue?: MatmulEpilogue }
  /** The gradient of conv2d with respect to its filter: [kh·kw·cin, cout] (+ a row Σ dy with aOnesRow). */
  | { op: 'conv2dFilterGrad'; x: ValueId; dy: ValueId; window: Window2d; epilogue?: MatmulEpilogue }
  /** Max or average of each window of x [n, h, w, c], channel by channel (avg: padding not counted). */
  | { op: 'pool2d'; x: ValueId; mode: 'max' | 'avg'; window: Window2d }
  /**
   * The gradient of pool2d with respect to x (max: recomputed from x, to the window's first maximum);
   * with gradMask, × activation'(y) element by element (the gradient of the activation before the
   * pooling, folded in: fusePoolGradMask).
   */
  | { op: 'pool2dGrad'; x: ValueId; dy: ValueId; mode: 'max' | 'avg'; window: Window2d; gradMask?: { activation: ElementwiseActivation; y: ValueId } }
  /** x × dropoutFactor(step seed, salt, r·cols + c, rate): the same mask for a value and its gradient. */
  | { op: 'dropout'; x: ValueId; rate: number; salt: number }
  /** Sum over rows: [1, cols]. */
  | { op: 'columnSum'; x: ValueId }
  /** A [1, cols] row repeated `rows` times. */
  | { op: 'broadcastRows'; x: ValueId; rows: number }
  /** x[r, c] × row[0, c]. */
  | { op: 'mulRow'; x: ValueId; row: ValueId }
  /** 1 / sqrt(x + epsilon). */
  | { op: 'rsqrt'; x: ValueId; epsilon: number }
  /**
   * A state update that runs every training step: param ← momentum × param + (1 − momentum) × value
   * (batch-norm moving statistics). Its value is the updated param.
   */
  | { op: 'assignParam'; param: ValueId; value: ValueId; momentum: number }
  /** Per-row −Σ t log(clip(p, 1e-7, 1 − 1e-7)) on probabilities: [B, 1]. */
  | { op: 'crossEntropy'; probs: ValueId; target: ValueId; sparse: boolean }
  | { op: 'crossEntropyGrad'; probs: ValueId; target: ValueId; sparse: boolean; dy: ValueId }
  /** Per-row logsumexp(z) − Σ t z on logits: [B, 1]. */
  | { op: 'softmaxCrossEntropy'; logits: ValueId; target: ValueId; sparse: boolean }
  | { op: 'softmaxCrossEntropyGrad'; logits: ValueId; target: ValueId; sparse: boolean; dy: ValueId }
  /** Per-row mean_j (p − t)², |p − t| or binary cross-entropy (p clipped as TensorFlow.js does): [B, 1]. */
  | { op: 'pointwiseLoss'; loss: PointwiseLossKind; pred: ValueId; target: ValueId }
  | { op: 'pointwiseLossGrad'; loss: PointwiseLossKind; pred: ValueId; target: ValueId; dy: ValueId }
  /** Per-row mean_j of max(z, 0) − z t + log(1 + e^−|z|) on logits (binary cross-entropy of sigmoid(z)): [B, 1]. */
  | { op: 'sigmoidCrossEntropy'; logits: ValueId; target: ValueId }
  | { op: 'sigmoidCrossEntropyGrad'; logits: ValueId; target: ValueId; dy: ValueId }
  /** Per-row metric value: [B, 1]. */
  | { op: 'metric'; metric: MetricKind; pred: ValueId; target: ValueId; sparse: boolean }
  /**
   * A fused output head (made by fuseLossHead): per-row loss and metrics summed into metric slots,
   * and, when withGrad, the gradient of the loss w.r.t. `input` × gradScale as this node's value.
   * Its value is [B, cols] (the gradient, or the prediction when !withGrad).
   */
  | {
      op: 'lossHead';
      loss: LossKind;
      input: ValueId;
      target: ValueId;
      sparse: boolean;
      withGrad: boolean;
      gradScale: number;
      /** Per-row weights (a sampleWeight leaf): the loss sum and the gradient are weighted, metrics are not. */
      sampleWeight?: ValueId;
      lossSlot: number;
      metrics: { metric: MetricKind; slot: number }[];
    };

export type OpName = IrOp['op'];
export type OpOf<K extends OpName> = Extract<IrOp, { op: K }>;
export type IrNode = IrOp & { id: ValueId; shape: Shape; label?: string };
export type NodeOf<K extends OpName> = OpOf<K> & { id: ValueId; shape: Shape; label?: string };
export type LeafOp = OpOf<'input' | 'target' | 'sampleWeight' | 'param' | 'constant'>;
export type MatmulOp = OpOf<'matmul'>;

/** A per-row value whose batch sum goes into a metric slot (losses and metrics). */
export interface Accumulator {
  slot: number;
  name: string;
  value: ValueId;
}

export interface ParamInfo {
  name: string;
  shape: Shape2;
  trainable: boolean;
  /** A weight penalty Σ l1·|w| + l2·w² (kernelRegularizer / biasRegularizer). */
  regularizer?: { l1: number; l2: number };
}

export interface IrGraph {
  batchSize: number;
  nodes: IrNode[];
  params: ParamInfo[];
  inputs: { name: string; cols: number }[];
  targets: { name: string; cols: number; sparse: boolean }[];
  /** Model outputs (predictions), one per model output. */
  outputs: ValueId[];
  /** Per-row values summed into metric slots every step (loss per output, then metrics). */
  accumulators: Accumulator[];
  /**
   * Loss per output: the per-row loss value, its weight in the total, and its per-row weights (a
   * sampleWeight leaf) when the output's samples are weighted (its accumulator is then loss × weight).
   */
  losses: { output: number; value: ValueId; weight: number; sampleWeight?: ValueId }[];
  /**
   * Training with regularized params: the slot that sums batch × Σ penalty(param) each step (the
   * penalty of the weights the step starts from, as TensorFlow.js adds it to the batch's loss). The
   * penalty's gradient is added by the optimizer (OptimizerKernel.penalties), not by autodiff.
   */
  penaltySlot?: number;
  /** Gradient of the total loss w.r.t. each param (after autodiff); null where it does not depend on it. */
  paramGrads?: (ValueId | null)[];
}

/** A matmul with no epilogue: the one test every pass uses ("is this a plain product?"). */
export function isPlainMatmul(node: IrNode | IrOp, options: { allowAccumulate?: boolean } = {}): node is MatmulOp & IrNode {
  if (node.op !== 'matmul') return false;
  const e = node.epilogue;
  if (!e) return true;
  return !!options.allowAccumulate && !e.aOnesRow && e.bias === undefined && !e.activation && !e.gradMask;
}

/**
 * Whether an epilogue stores the product as computed (a ones row allowed): no bias, no activation or
 * activation gradient, no accumulation. A weight gradient like that can be handed to the optimizer
 * as it is (plan/executionOrder.ts on IR epilogues, plan/fuseOptimizerUpdates.ts on MatmulKernels,
 * whose `accumulate` is a flag rather than a ValueId).
 */
export function storesProductAsIs(e: { bias?: unknown; activation?: string; gradMask?: unknown; accumulate?: ValueId | boolean }): boolean {
  return e.bias === undefined && (e.activation ?? 'linear') === 'linear' && e.gradMask === undefined && (e.accumulate === undefined || e.accumulate === false);
}

/** A matmul op with `extra` merged into its epilogue (never leaves an empty epilogue behind). */
/** `extra` overrides the epilogue's fields; a field given as undefined is removed. */
export function withEpilogue(m: MatmulOp, extra: { [K in keyof MatmulEpilogue]?: MatmulEpilogue[K] | undefined }): MatmulOp {
  const { id: _id, shape: _shape, label: _label, ...op } = m as MatmulOp & Partial<IrNode>;
  const epilogue = Object.fromEntries(Object.entries({ ...op.epilogue, ...extra }).filter(([, v]) => v !== undefined && v !== false));
  const { epilogue: _old, ...rest } = op;
  return Object.keys(epilogue).length ? { ...rest, epilogue } : rest;
}

/** Operands of a node, in a fixed order (from the op table). */
export function operandsOf(node: IrOp): ValueId[] {
  return operandsByTable(node);
}

/** Rewrites every operand id of a node through `map` (from the op table). */
export function mapOperands<N extends IrOp>(node: N, map: (id: ValueId) => ValueId): N {
  return mapOperandsByTable(node, map);
}

/** Ids a graph keeps alive regardless of consumers. */
export function rootsOf(graph: IrGraph): ValueId[] {
  const roots = [...graph.outputs, ...graph.accumulators.map((a) => a.value)];
  for (const g of graph.paramGrads ?? []) if (g !== null) roots.push(g);
  for (const node of graph.nodes) if (node.op === 'lossHead' || node.op === 'assignParam') roots.push(node.id);
  return roots;
}

/** Consumers of each value (node ids that read it). */
export function consumersOf(graph: IrGraph): ValueId[][] {
  const consumers: ValueId[][] = graph.nodes.map(() => []);
  for (const node of graph.nodes) for (const operand of operandsOf(node)) consumers[operand]!.push(node.id);
  return consumers;
}
