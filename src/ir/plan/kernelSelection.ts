// Kernel selection: each node of a placed graph becomes the kernel that computes it (or none: views
// and leaves), over the views placement and allocation gave its values, in the execution order
// (executionOrder.ts). One gather comes first, copies right after their source, the optimizer last.

import type { IrGraph, IrNode, ValueId } from '../graph.js';
import { optimizerStateArrays, paddedParamCount, type ElementwiseExpr, type GatherSource, type KernelDesc, type PenaltyTerm, type View } from '../kernel.js';
import { HALF_WEIGHTS } from '../precision.js';
import { matrixOf } from '../shape.js';
import { windowKernelFor } from './windowKernels.js';
import { paramLayout, type Home, type Placement } from './placement.js';
import type { PlanOptions } from './types.js';

/** Views of values, given where placement put them and where allocation put the blocks. */
export interface ValueViews {
  /** A view of `home` as a rows × cols matrix. */
  at(home: Home, rows: number, cols: number): View;
  /** The matrix view of a value. */
  of(id: ValueId): View;
}

export function valueViews(graph: IrGraph, placement: Placement, blockOffsets: number[]): ValueViews {
  const at = (home: Home, rows: number, cols: number): View =>
    home.kind === 'fixed'
      ? {
          buffer: home.buffer,
          offset: home.offset,
          rowStride: home.rowStride,
          rows,
          cols,
          ...(home.rowBaseFromStep ? { rowBaseFromStep: true } : {}),
          ...(home.rowsPerSample ? { rowsPerSample: home.rowsPerSample } : {}),
        }
      : { buffer: 'arena', offset: blockOffsets[home.block]! + home.offset, rowStride: home.rowStride, rows, cols };
  const of = (id: ValueId): View => {
    const home = placement.homes[id];
    const node = graph.nodes[id]!;
    if (!home) throw new Error(`internal: %${id} (${node.op}) has no storage`);
    const [rows, cols] = matrixOf(node.shape);
    return at(home, rows, cols);
  };
  return { at, of };
}

export function selectKernels(
  graph: IrGraph,
  placement: Placement,
  views: ValueViews,
  options: PlanOptions,
  paramCount: number,
  order: ValueId[] = graph.nodes.map((n) => n.id),
): KernelDesc[] {
  const kernels: KernelDesc[] = [];
  const gather = gatherKernel(graph, placement, views, options);
  if (gather) kernels.push(gather);
  const copiesAfter = new Map<ValueId, Placement['copies']>();
  for (const copy of placement.copies) copiesAfter.set(copy.source, [...(copiesAfter.get(copy.source) ?? []), copy]);
  // Regularized weights: the first loss head sums the penalty, the optimizer adds its gradient.
  const { paramOffsets } = paramLayout(graph);
  const terms = (trainableOnly: boolean): PenaltyTerm[] =>
    graph.params.flatMap((p, i) => {
      const r = p.regularizer;
      if (!r || (r.l1 === 0 && r.l2 === 0) || (trainableOnly && !p.trainable)) return [];
      return [{ offset: paramOffsets[i]!, count: p.shape[0] * p.shape[1], l1: r.l1, l2: r.l2 }];
    });
  const penaltyHead = graph.penaltySlot === undefined ? undefined : graph.nodes.find((n) => n.op === 'lossHead')?.id;
  if (graph.penaltySlot !== undefined && penaltyHead === undefined) throw new Error('internal: a penalty slot but no loss head to sum it');
  for (const node of order.map((id) => graph.nodes[id]!)) {
    let kernel = kernelFor(node, views.of, graph);
    if (kernel?.kind === 'lossHead' && node.id === penaltyHead)
      kernel = { ...kernel, penalty: { slot: graph.penaltySlot!, params: 'params', terms: terms(false) } };
    if (kernel) kernels.push(kernel);
    for (const copy of copiesAfter.get(node.id) ?? []) {
      const [rows, cols] = copy.matrix;
      const from = views.at(placement.homes[node.id]!, rows, cols);
      kernels.push({ kind: 'elementwise', name: `copy %${node.id}`, rows, cols, expr: { op: 'read', view: from }, out: views.at(copy.to, rows, cols) });
    }
  }
  if (options.mode === 'train') {
    const optimizer = options.optimizer ?? { kind: 'sgd' };
    const stateArrays = optimizerStateArrays(optimizer);
    const penalties = terms(true);
    kernels.push({
      kind: 'optimizer',
      name: `${optimizer.kind} update`,
      algorithm: optimizer,
      count: paramCount,
      params: 'params',
      grads: 'grads',
      ...(stateArrays > 0 ? { state: 'optimizerState', stateStride: paddedParamCount(paramCount) } : {}),
      ...(options.precision === 'mixed_float16' ? { halfCopy: HALF_WEIGHTS } : {}),
      ...(penalties.length ? { penalties } : {}),
    });
  }
  return kernels;
}

/** The dataset buffer a sampleWeight leaf is read from. */
function sampleWeightBuffer(graph: IrGraph, id: ValueId): string {
  const leaf = graph.nodes[id]!;
  if (leaf.op !== 'sampleWeight') throw new Error('internal: a loss head weight is not a sampleWeight leaf');
  return `sampleWeights${leaf.index}`;
}

/** The batch: every input and dense target gathered by sample index, one [batch, features] row per sample. */
function gatherKernel(graph: IrGraph, placement: Placement, views: ValueViews, options: PlanOptions): KernelDesc | undefined {
  const sources: GatherSource[] = [];
  const sampleView = (node: IrNode): View => {
    const home = placement.homes[node.id]!;
    const [rows, cols] = matrixOf(node.shape);
    const batch = node.shape[0]!;
    const rowsPerSample = rows / batch;
    // One row per sample here, so a step shift is one such row: drop the home's rowsPerSample (an output's
    // home carries it) or the shift would count the sample's rows twice.
    if (home.kind === 'fixed') {
      const { rowsPerSample: _countedBelow, ...fixed } = home;
      return views.at({ ...fixed, rowStride: home.rowStride * rowsPerSample }, batch, cols * rowsPerSample);
    }
    return views.at({ ...home, rowStride: home.rowStride * rowsPerSample }, batch, cols * rowsPerSample);
  };
  for (const node of graph.nodes) {
    if (node.op === 'input') {
      const storage = options.inputStorage[node.index] ?? { elementType: 'f32', scale: 1 };
      sources.push({ dataset: `input${node.index}`, elementType: storage.elementType, scale: storage.scale, out: sampleView(node) });
    } else if (node.op === 'target' && !node.sparse && placement.homes[node.id]) {
      sources.push({ dataset: `target${node.index}`, elementType: 'f32', scale: 1, out: sampleView(node) });
    }
  }
  return sources.length ? { kind: 'gather', name: 'gather batch', indices: 'indices', rows: graph.batchSize, sources } : undefined;
}

/** The kernel that computes one node (none for leaves and views). */
export function kernelFor(node: IrNode, view: (id: ValueId) => View, graph: IrGraph): KernelDesc | undefined {
  const name = `${node.label ?? node.op} (%${node.id})`;
  const [rows, cols] = matrixOf(node.shape);
  const read = (id: ValueId): ElementwiseExpr => ({ op: 'read', view: view(id) });
  const elementwise = (expr: ElementwiseExpr): KernelDesc => ({ kind: 'elementwise', name, rows, cols, expr, out: view(node.id) });
  switch (node.op) {
    case 'input':
    case 'target':
    case 'sampleWeight':
    case 'param':
    case 'slice':
    case 'reshape':
    case 'concat':
      return undefined;
    case 'constant':
      return elementwise({ op: 'const', value: node.value });
    case 'matmul': {
      const a = view(node.a);
      const b = view(node.b);
      const e = node.epilogue ?? {};
      return {
        kind: 'matmul',
        name,
        m: rows,
        n: cols,
        k: node.transA ? a.rows : a.cols,
        a,
        b,
        transA: node.transA,
        transB: node.transB,
        ...(e.aOnesRow ? { aOnesRow: true } : {}),
        ...(e.bias !== undefined ? { bias: view(e.bias) } : {}),
        ...(e.activation ? { activation: e.activation } : {}),
        ...(e.gradMask ? { gradMask: { activation: e.gradMask.activation, y: view(e.gradMask.y) } } : {}),
        ...(e.accumulate !== undefined ? { accumulate: true } : {}),
        out: view(node.id),
      };
    }
    case 'conv2d':
    case 'conv2dInputGrad':
    case 'conv2dFilterGrad':
    case 'pool2d':
    case 'pool2dGrad':
      return windowKernelFor(node, name, view, graph);
    case 'biasAdd':
      return elementwise({ op: 'add', a: read(node.x), b: { op: 'read', view: view(node.bias), broadcastRows: true } });
    case 'activation':
      if (node.activation === 'softmax') return { kind: 'softmaxRows', name, x: view(node.x), out: view(node.id) };
      return elementwise({ op: 'activation', activation: node.activation, x: read(node.x) });
    case 'activationGrad':
      if (node.activation === 'softmax') return { kind: 'softmaxRows', name, x: view(node.y), dy: view(node.dy), out: view(node.id) };
      return elementwise({ op: 'activationGrad', activation: node.activation, y: read(node.y), dy: read(node.dy) });
    case 'add':
      return elementwise({ op: 'add', a: read(node.a), b: read(node.b) });
    case 'mul':
      return elementwise({ op: 'mul', a: read(node.a), b: read(node.b) });
    case 'scale':
      return elementwise({ op: 'mul', a: read(node.x), b: { op: 'const', value: node.factor } });
    case 'toyScaledIdentity':
      return elementwise({ op: 'mul', a: read(node.x), b: { op: 'const', value: node.factor } });
    case 'dropout':
      return elementwise({ op: 'dropout', x: read(node.x), rate: node.rate, salt: node.salt });
    case 'columnSum':
      return { kind: 'columnSum', name, x: view(node.x), out: view(node.id) };
    case 'broadcastRows':
      return elementwise({ op: 'read', view: view(node.x), broadcastRows: true });
    case 'mulRow':
      return elementwise({ op: 'mul', a: read(node.x), b: { op: 'read', view: view(node.row), broadcastRows: true } });
    case 'rsqrt':
      return elementwise({ op: 'rsqrt', x: read(node.x), epsilon: node.epsilon });
    case 'assignParam': {
      // Written in place into the parameter buffer (each element reads and writes only itself).
      const target = view(node.param);
      return {
        kind: 'elementwise',
        name,
        rows,
        cols,
        expr: {
          op: 'add',
          a: { op: 'mul', a: { op: 'read', view: target }, b: { op: 'const', value: node.momentum } },
          b: { op: 'mul', a: read(node.value), b: { op: 'const', value: 1 - node.momentum } },
        },
        out: target,
      };
    }
    case 'lossHead': {
      const targetNode = graph.nodes[node.target]!;
      const targetIndex = targetNode.op === 'target' ? targetNode.index : -1;
      if (targetIndex < 0) throw new Error('internal: a loss head target is not a target node');
      return {
        kind: 'lossHead',
        name,
        loss: node.loss,
        rows,
        cols,
        input: view(node.input),
        target: node.sparse ? { sparse: true, labels: `labels${targetIndex}`, indices: 'indices' } : { sparse: false, view: view(node.target) },
        ...(node.withGrad ? { gradOut: view(node.id) } : {}),
        // A short last batch may run on the full batch's plan (plan/paddedBatches.ts): rows past it are masked.
        maskRows: { batch: graph.batchSize },
        gradScale: node.gradScale,
        ...(node.sampleWeight !== undefined ? { sampleWeights: { weights: sampleWeightBuffer(graph, node.sampleWeight), indices: 'indices' } } : {}),
        metricsBuffer: 'metrics',
        lossSlot: node.lossSlot,
        metrics: node.metrics.map((m) => ({ kind: m.metric, slot: m.slot })),
      };
    }
    case 'crossEntropy':
    case 'crossEntropyGrad':
    case 'softmaxCrossEntropy':
    case 'softmaxCrossEntropyGrad':
    case 'pointwiseLoss':
    case 'pointwiseLossGrad':
    case 'sigmoidCrossEntropy':
    case 'sigmoidCrossEntropyGrad':
    case 'metric':
      throw new Error(`internal: ${node.op} must be fused into a loss head before planning`);
    default:
      return node satisfies never;
  }
}
