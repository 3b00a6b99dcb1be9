// The IR: a topologically ordered list of primitive ops on 2-D float tensors [rows, cols].
// Batch-shaped values have `rows` = the batch size the graph was built for; parameters have their
// own fixed shape (a dense kernel is [inUnits, units], its bias [1, units]).

import type { ElementwiseActivation, ActivationName, LossKind, MetricKind } from './kernel.js';

export type { ActivationName, ElementwiseActivation, LossKind, MetricKind };

export type ValueId = number;
export type Shape2 = [rows: number, cols: number];

export type IrOp =
  /** Rows of model input `index` for the current batch. */
  | { op: 'input'; index: number; name: string }
  /** Targets of model output `index`: class ids as [B, 1] when sparse, else [B, cols]. */
  | { op: 'target'; index: number; sparse: boolean; name: string }
  /** Trainable (or not) weight tensor `index` of the model. */
  | { op: 'param'; index: number; name: string }
  /** A tensor filled with one value (gradient seeds). */
  | { op: 'constant'; value: number }
  /**
   * op(a)·op(b), with an optional fused epilogue (filled in by passes, never by lowering):
   * aOnesRow appends a row of ones to op(a); then + bias, activation, × activation'(y).
   */
  | {
      op: 'matmul';
      a: ValueId;
      b: ValueId;
      transA: boolean;
      transB: boolean;
      aOnesRow?: boolean;
      bias?: ValueId;
      activation?: ElementwiseActivation;
      gradMask?: { activation: ElementwiseActivation; y: ValueId };
      /** Adds the epilogue's result to this value (written in place over it): gradient accumulation. */
      accumulate?: ValueId;
    }
  | { op: 'biasAdd'; x: ValueId; bias: ValueId }
  | { op: 'activation'; x: ValueId; activation: ActivationName }
  /** dy × f'(x) written through y = f(x) (softmax: y ⊙ (dy − rowsum(dy ⊙ y))). */
  | { op: 'activationGrad'; y: ValueId; dy: ValueId; activation: ActivationName }
  /** Columns of all xs side by side (axis 1; every x has the same rows). */
  | { op: 'concat'; xs: ValueId[] }
  /** A contiguous range of rows (axis 0) or columns (axis 1). */
  | { op: 'slice'; x: ValueId; axis: 0 | 1; start: number; size: number }
  | { op: 'add'; a: ValueId; b: ValueId }
  | { op: 'mul'; a: ValueId; b: ValueId }
  | { op: 'scale'; x: ValueId; factor: number }
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
  /** Per-row mean_j (p − t)² or |p − t|: [B, 1]. */
  | { op: 'pointwiseLoss'; loss: 'meanSquaredError' | 'meanAbsoluteError'; pred: ValueId; target: ValueId }
  | { op: 'pointwiseLossGrad'; loss: 'meanSquaredError' | 'meanAbsoluteError'; pred: ValueId; target: ValueId; dy: ValueId }
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
      lossSlot: number;
      metrics: { metric: MetricKind; slot: number }[];
    };

export type IrNode = IrOp & { id: ValueId; shape: Shape2; label?: string };

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
  /** Loss per output: the per-row loss value and its weight in the total. */
  losses: { output: number; value: ValueId; weight: number }[];
  /** Gradient of the total loss w.r.t. each param (after autodiff); null where it does not depend on it. */
  paramGrads?: (ValueId | null)[];
}

/** Operands of a node, in a fixed order. */
export function operandsOf(node: IrOp): ValueId[] {
  switch (node.op) {
    case 'input':
    case 'target':
    case 'param':
    case 'constant':
      return [];
    case 'matmul':
      return [
        node.a,
        node.b,
        ...(node.bias !== undefined ? [node.bias] : []),
        ...(node.gradMask ? [node.gradMask.y] : []),
        ...(node.accumulate !== undefined ? [node.accumulate] : []),
      ];
    case 'biasAdd':
      return [node.x, node.bias];
    case 'activation':
      return [node.x];
    case 'activationGrad':
      return [node.y, node.dy];
    case 'concat':
      return [...node.xs];
    case 'slice':
      return [node.x];
    case 'add':
    case 'mul':
      return [node.a, node.b];
    case 'scale':
    case 'dropout':
      return [node.x];
    case 'columnSum':
    case 'broadcastRows':
    case 'rsqrt':
      return [node.x];
    case 'mulRow':
      return [node.x, node.row];
    case 'assignParam':
      return [node.param, node.value];
    case 'crossEntropy':
      return [node.probs, node.target];
    case 'crossEntropyGrad':
      return [node.probs, node.target, node.dy];
    case 'softmaxCrossEntropy':
      return [node.logits, node.target];
    case 'softmaxCrossEntropyGrad':
      return [node.logits, node.target, node.dy];
    case 'pointwiseLoss':
      return [node.pred, node.target];
    case 'pointwiseLossGrad':
      return [node.pred, node.target, node.dy];
    case 'metric':
      return [node.pred, node.target];
    case 'lossHead':
      return [node.input, node.target];
    default:
      return node satisfies never;
  }
}

/** Rewrites every operand id of a node through `map`. */
export function mapOperands(node: IrNode, map: (id: ValueId) => ValueId): IrNode {
  const n = { ...node } as IrNode;
  switch (n.op) {
    case 'input':
    case 'target':
    case 'param':
    case 'constant':
      return n;
    case 'matmul':
      n.a = map(n.a);
      n.b = map(n.b);
      if (n.bias !== undefined) n.bias = map(n.bias);
      if (n.gradMask) n.gradMask = { ...n.gradMask, y: map(n.gradMask.y) };
      if (n.accumulate !== undefined) n.accumulate = map(n.accumulate);
      return n;
    case 'biasAdd':
      n.x = map(n.x);
      n.bias = map(n.bias);
      return n;
    case 'activation':
    case 'slice':
    case 'scale':
    case 'dropout':
    case 'columnSum':
    case 'broadcastRows':
    case 'rsqrt':
      n.x = map(n.x);
      return n;
    case 'mulRow':
      n.x = map(n.x);
      n.row = map(n.row);
      return n;
    case 'assignParam':
      n.param = map(n.param);
      n.value = map(n.value);
      return n;
    case 'activationGrad':
      n.y = map(n.y);
      n.dy = map(n.dy);
      return n;
    case 'concat':
      n.xs = n.xs.map(map);
      return n;
    case 'add':
    case 'mul':
      n.a = map(n.a);
      n.b = map(n.b);
      return n;
    case 'crossEntropy':
      n.probs = map(n.probs);
      n.target = map(n.target);
      return n;
    case 'crossEntropyGrad':
      n.probs = map(n.probs);
      n.target = map(n.target);
      n.dy = map(n.dy);
      return n;
    case 'softmaxCrossEntropy':
      n.logits = map(n.logits);
      n.target = map(n.target);
      return n;
    case 'softmaxCrossEntropyGrad':
      n.logits = map(n.logits);
      n.target = map(n.target);
      n.dy = map(n.dy);
      return n;
    case 'pointwiseLoss':
    case 'metric':
      n.pred = map(n.pred);
      n.target = map(n.target);
      return n;
    case 'pointwiseLossGrad':
      n.pred = map(n.pred);
      n.target = map(n.target);
      n.dy = map(n.dy);
      return n;
    case 'lossHead':
      n.input = map(n.input);
      n.target = map(n.target);
      return n;
    default:
      return n satisfies never;
  }
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
