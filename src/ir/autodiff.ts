// Reverse-mode autodiff over the IR: one vector-Jacobian rule per primitive. The backward graph is
// appended to the forward graph as ordinary IR, so the same passes fuse it.
//
// The differentiated quantity is the total loss Σ_i weight_i × mean_rows(loss_i); its seed for the
// per-row loss of output i is the constant weight_i / batch.

import { GraphBuilder, copyNode } from './builder.js';
import { operandsOf, type IrGraph, type IrNode, type ValueId } from './graph.js';
import { gradientOperandsOf } from './ops/table.js';
import { colsOf, rowsOf, withCols } from './shape.js';

export class NotDifferentiableError extends Error {
  override name = 'NotDifferentiableError';
}

export function autodiff(graph: IrGraph): IrGraph {
  const builder = new GraphBuilder(graph.batchSize);
  for (const node of graph.nodes) copyNode(node, builder);
  const forwardCount = graph.nodes.length;

  // Cotangent contributions per value, summed lazily when the value is visited.
  const contributions = new Map<ValueId, ValueId[]>();
  const contribute = (id: ValueId, grad: ValueId): void => {
    const list = contributions.get(id);
    if (list) list.push(grad);
    else contributions.set(id, [grad]);
  };
  const total = (id: ValueId): ValueId | undefined => {
    const list = contributions.get(id);
    if (!list || list.length === 0) return undefined;
    let sum = list[0]!;
    for (let i = 1; i < list.length; i++) sum = builder.add({ op: 'add', a: sum, b: list[i]! });
    contributions.set(id, [sum]);
    return sum;
  };

  // Weighted samples (classWeight) seed row r with w_r × weight / batch: TensorFlow.js's mean over
  // the batch of loss × w.
  for (const loss of graph.losses) {
    const scale = loss.weight / graph.batchSize;
    const seed =
      loss.sampleWeight === undefined
        ? builder.leaf({ op: 'constant', value: scale }, [graph.batchSize, 1], `d loss ${loss.output}`)
        : builder.add({ op: 'scale', x: loss.sampleWeight, factor: scale }, `d loss ${loss.output}`);
    contribute(loss.value, seed);
  }

  // Which values lead to a trainable param: gradients are only built along those paths.
  const needsGrad = graph.nodes.map(() => false);
  for (const node of graph.nodes) {
    if (node.op === 'param') {
      needsGrad[node.id] = graph.params[node.index]!.trainable;
      continue;
    }
    const operands = gradientOperandsOf(node);
    if (operands === 'secondOrder') {
      if (operandsOf(node).some((o) => needsGrad[o]))
        throw new NotDifferentiableError(`second derivatives are not supported (${node.op} %${node.id} depends on a trainable weight)`);
      continue;
    }
    needsGrad[node.id] = operands.some((o) => needsGrad[o]);
  }

  for (let id = forwardCount - 1; id >= 0; id--) {
    const node = graph.nodes[id]!;
    if (!needsGrad[id]) continue;
    const dy = total(id);
    if (dy === undefined) continue;
    vjp(
      node,
      dy,
      builder,
      (operand, grad) => {
        if (needsGrad[operand]) contribute(operand, grad);
      },
      needsGrad,
    );
  }

  const paramGrads = graph.params.map((_, index) => {
    const node = graph.nodes.find((n) => n.op === 'param' && n.index === index);
    return node ? (total(node.id) ?? null) : null;
  });
  return { ...graph, nodes: builder.nodes, paramGrads };
}

function vjp(node: IrNode, dy: ValueId, b: GraphBuilder, give: (operand: ValueId, grad: ValueId) => void, needsGrad: boolean[]): void {
  switch (node.op) {
    case 'input':
    case 'target':
    case 'sampleWeight':
    case 'param':
    case 'constant':
    case 'metric':
      return;
    case 'matmul': {
      if (node.epilogue) throw new NotDifferentiableError('autodiff runs before epilogue fusion: a fused matmul cannot be differentiated');
      const { a, b: bb, transA, transB } = node;
      const name = node.label ?? `matmul %${node.id}`;
      if (needsGrad[a])
        give(
          a,
          transA
            ? b.add({ op: 'matmul', a: bb, b: dy, transA: transB, transB: true }, `${name} input gradient`)
            : b.add({ op: 'matmul', a: dy, b: bb, transA: false, transB: !transB }, `${name} input gradient`),
        );
      if (needsGrad[bb])
        give(
          bb,
          transB
            ? b.add({ op: 'matmul', a: dy, b: a, transA: true, transB: transA }, `${name} weight gradient`)
            : b.add({ op: 'matmul', a, b: dy, transA: !transA, transB: false }, `${name} weight gradient`),
        );
      return;
    }
    case 'biasAdd':
      give(node.x, dy);
      if (needsGrad[node.bias]) give(node.bias, b.add({ op: 'columnSum', x: dy }, `${node.label ?? 'bias'} gradient`));
      return;
    case 'activation':
      give(node.x, node.activation === 'linear' ? dy : b.add({ op: 'activationGrad', y: node.id, dy, activation: node.activation }));
      return;
    case 'concat': {
      let offset = 0;
      for (const x of node.xs) {
        const cols = colsOf(b.shapeOf(x));
        if (needsGrad[x]) give(x, b.add({ op: 'slice', x: dy, axis: 1, start: offset, size: cols }));
        offset += cols;
      }
      return;
    }
    case 'slice': {
      // The gradient of a slice is dy placed back in a zero tensor of the source's shape.
      const source = b.shapeOf(node.x);
      const parts: ValueId[] = [];
      const extent = node.axis === 0 ? rowsOf(source) : colsOf(source);
      const zeros = (size: number): ValueId => b.leaf({ op: 'constant', value: 0 }, node.axis === 0 ? [size, colsOf(source)] : withCols(source, size));
      if (node.axis === 0) throw new NotDifferentiableError('the gradient of a row slice is not supported');
      if (node.start > 0) parts.push(zeros(node.start));
      parts.push(dy);
      if (node.start + node.size < extent) parts.push(zeros(extent - node.start - node.size));
      give(node.x, parts.length === 1 ? dy : b.add({ op: 'concat', xs: parts }));
      return;
    }
    case 'reshape':
      give(node.x, b.add({ op: 'reshape', x: dy, to: [...b.shapeOf(node.x)] }));
      return;
    case 'add':
      give(node.a, dy);
      give(node.b, dy);
      return;
    case 'mul':
      give(node.a, b.add({ op: 'mul', a: dy, b: node.b }));
      give(node.b, b.add({ op: 'mul', a: dy, b: node.a }));
      return;
    case 'scale':
      give(node.x, b.add({ op: 'scale', x: dy, factor: node.factor }));
      return;
    case 'toyScaledIdentity':
      give(node.x, b.add({ op: 'toyScaledIdentity', x: dy, factor: node.factor }));
      return;
    case 'conv2d': {
      if (node.epilogue) throw new NotDifferentiableError('autodiff runs before epilogue fusion: a fused conv2d cannot be differentiated');
      const name = node.label ?? `conv2d %${node.id}`;
      if (needsGrad[node.x])
        give(
          node.x,
          b.add({ op: 'conv2dInputGrad', dy, filter: node.filter, window: node.window, inputShape: [...b.shapeOf(node.x)] }, `${name} input gradient`),
        );
      if (needsGrad[node.filter]) give(node.filter, b.add({ op: 'conv2dFilterGrad', x: node.x, dy, window: node.window }, `${name} filter gradient`));
      return;
    }
    case 'pool2d':
      give(
        node.x,
        b.add({ op: 'pool2dGrad', x: node.x, dy, mode: node.mode, window: node.window }, `${node.label ?? `${node.mode}Pool2d %${node.id}`} gradient`),
      );
      return;
    case 'dropout':
      give(node.x, b.add({ op: 'dropout', x: dy, rate: node.rate, salt: node.salt }));
      return;
    case 'columnSum': {
      const source = b.shapeOf(node.x);
      // An image's gradient keeps its shape ([n, h, w, c], not the [n·h·w, c] broadcast): dy added to zeros of it.
      if (source.length !== 2) give(node.x, b.add({ op: 'biasAdd', x: b.leaf({ op: 'constant', value: 0 }, source), bias: dy }));
      else give(node.x, b.add({ op: 'broadcastRows', x: dy, rows: rowsOf(source) }));
      return;
    }
    case 'broadcastRows':
      give(node.x, b.add({ op: 'columnSum', x: dy }));
      return;
    case 'mulRow':
      if (needsGrad[node.x]) give(node.x, b.add({ op: 'mulRow', x: dy, row: node.row }));
      if (needsGrad[node.row]) give(node.row, b.add({ op: 'columnSum', x: b.add({ op: 'mul', a: dy, b: node.x }) }));
      return;
    case 'rsqrt': {
      // d/dx (x + ε)^(-1/2) = −½ y³
      const y3 = b.add({ op: 'mul', a: node.id, b: b.add({ op: 'mul', a: node.id, b: node.id }) });
      give(node.x, b.add({ op: 'mul', a: dy, b: b.add({ op: 'scale', x: y3, factor: -0.5 }) }));
      return;
    }
    case 'assignParam':
      return;
    case 'crossEntropy':
      give(node.probs, b.add({ op: 'crossEntropyGrad', probs: node.probs, target: node.target, sparse: node.sparse, dy }));
      return;
    case 'softmaxCrossEntropy':
      give(node.logits, b.add({ op: 'softmaxCrossEntropyGrad', logits: node.logits, target: node.target, sparse: node.sparse, dy }));
      return;
    case 'sigmoidCrossEntropy':
      give(node.logits, b.add({ op: 'sigmoidCrossEntropyGrad', logits: node.logits, target: node.target, dy }));
      return;
    case 'pointwiseLoss':
      give(node.pred, b.add({ op: 'pointwiseLossGrad', loss: node.loss, pred: node.pred, target: node.target, dy }));
      return;
    case 'activationGrad':
    case 'conv2dInputGrad':
    case 'conv2dFilterGrad':
    case 'pool2dGrad':
    case 'crossEntropyGrad':
    case 'softmaxCrossEntropyGrad':
    case 'pointwiseLossGrad':
    case 'sigmoidCrossEntropyGrad':
    case 'lossHead':
      throw new NotDifferentiableError(`second derivatives are not supported (${node.op})`);
    default:
      return node satisfies never;
  }
}
