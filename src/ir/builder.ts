// Building IR graphs: shape inference for every op, and a rebuild helper that passes use to
// rewrite a graph node by node (ids are renumbered, dead nodes dropped).

import { operandsOf, mapOperands, rootsOf, type IrGraph, type IrNode, type IrOp, type Shape2, type ValueId } from './graph.js';

export class IrShapeError extends Error {
  override name = 'IrShapeError';
}

function fail(message: string): never {
  throw new IrShapeError(message);
}

/** Output shape of an op given its operands' shapes; throws an IrShapeError on mismatch. */
export function inferShape(op: IrOp, shapeOf: (id: ValueId) => Shape2, batchSize: number): Shape2 {
  switch (op.op) {
    case 'input':
    case 'target':
    case 'param':
    case 'constant':
      return fail(`${op.op} nodes carry their own shape`);
    case 'matmul': {
      const [ar, ac] = shapeOf(op.a);
      const [br, bc] = shapeOf(op.b);
      const m = op.transA ? ac : ar;
      const k = op.transA ? ar : ac;
      const kb = op.transB ? bc : br;
      const n = op.transB ? br : bc;
      if (k !== kb) fail(`matmul: inner sizes differ (${k} vs ${kb})`);
      if (op.bias !== undefined) {
        const [r, c] = shapeOf(op.bias);
        if (r !== 1 || c !== n) fail(`matmul: bias must be [1, ${n}], got [${r}, ${c}]`);
      }
      const shape: Shape2 = [m + (op.aOnesRow ? 1 : 0), n];
      if (op.accumulate !== undefined) {
        const [r, c] = shapeOf(op.accumulate);
        if (r !== shape[0] || c !== shape[1]) fail(`matmul: accumulated value [${r}, ${c}] does not match the product [${shape}]`);
      }
      return shape;
    }
    case 'biasAdd': {
      const x = shapeOf(op.x);
      const [r, c] = shapeOf(op.bias);
      if (r !== 1 || c !== x[1]) fail(`biasAdd: bias must be [1, ${x[1]}], got [${r}, ${c}]`);
      return x;
    }
    case 'activation':
      return shapeOf(op.x);
    case 'activationGrad':
    case 'add':
    case 'mul': {
      const a = shapeOf(op.op === 'activationGrad' ? op.y : op.a);
      const b = shapeOf(op.op === 'activationGrad' ? op.dy : op.b);
      if (a[0] !== b[0] || a[1] !== b[1]) fail(`${op.op}: shapes differ ([${a}] vs [${b}])`);
      return a;
    }
    case 'concat': {
      if (op.xs.length === 0) fail('concat of nothing');
      const rows = shapeOf(op.xs[0]!)[0];
      let cols = 0;
      for (const x of op.xs) {
        const [r, c] = shapeOf(x);
        if (r !== rows) fail(`concat: row counts differ (${rows} vs ${r})`);
        cols += c;
      }
      return [rows, cols];
    }
    case 'slice': {
      const [r, c] = shapeOf(op.x);
      const extent = op.axis === 0 ? r : c;
      if (op.start < 0 || op.size <= 0 || op.start + op.size > extent) fail(`slice [${op.start}, ${op.start + op.size}) outside axis ${op.axis} of size ${extent}`);
      return op.axis === 0 ? [op.size, c] : [r, op.size];
    }
    case 'scale':
    case 'dropout':
      return shapeOf(op.x);
    case 'columnSum':
      return [1, shapeOf(op.x)[1]];
    case 'broadcastRows': {
      const [r, c] = shapeOf(op.x);
      if (r !== 1) fail(`broadcastRows needs a single row, got [${r}, ${c}]`);
      return [op.rows, c];
    }
    case 'mulRow': {
      const x = shapeOf(op.x);
      const [r, c] = shapeOf(op.row);
      if (r !== 1 || c !== x[1]) fail(`mulRow: row must be [1, ${x[1]}], got [${r}, ${c}]`);
      return x;
    }
    case 'rsqrt':
      return shapeOf(op.x);
    case 'assignParam': {
      const p = shapeOf(op.param);
      const v = shapeOf(op.value);
      if (p[0] !== v[0] || p[1] !== v[1]) fail(`assignParam: value [${v}] does not match param [${p}]`);
      return p;
    }
    case 'crossEntropy':
    case 'softmaxCrossEntropy':
    case 'pointwiseLoss':
    case 'metric':
      return [batchSize, 1];
    case 'crossEntropyGrad':
      return shapeOf(op.probs);
    case 'softmaxCrossEntropyGrad':
      return shapeOf(op.logits);
    case 'pointwiseLossGrad':
      return shapeOf(op.pred);
    case 'lossHead':
      return shapeOf(op.input);
    default:
      return op satisfies never;
  }
}

export class GraphBuilder {
  readonly nodes: IrNode[] = [];
  constructor(readonly batchSize: number) {}

  shapeOf = (id: ValueId): Shape2 => {
    const node = this.nodes[id];
    if (!node) throw new IrShapeError(`unknown value %${id}`);
    return node.shape;
  };

  /** Adds a leaf (input, target, param, constant) with an explicit shape. */
  leaf(op: Extract<IrOp, { op: 'input' | 'target' | 'param' | 'constant' }>, shape: Shape2, label?: string): ValueId {
    const id = this.nodes.length;
    this.nodes.push({ ...op, id, shape: [shape[0], shape[1]], ...(label ? { label } : {}) } as IrNode);
    return id;
  }

  /** Adds an op, inferring its shape. */
  add(op: IrOp, label?: string): ValueId {
    const shape = inferShape(op, this.shapeOf, this.batchSize);
    const id = this.nodes.length;
    this.nodes.push({ ...op, id, shape, ...(label ? { label } : {}) } as IrNode);
    return id;
  }
}

/**
 * Rebuilds a graph: `rewrite` is called for each live node in order with the node (operands
 * already renumbered) and returns the new id standing for it (usually `builder.add(...)`).
 * Nodes that no root reaches are dropped first. `mapId` renumbers any earlier old id.
 */
export function rebuild(
  graph: IrGraph,
  rewrite: (node: IrNode, builder: GraphBuilder, oldId: ValueId, mapId: (old: ValueId) => ValueId) => ValueId = (node, builder) =>
    copyNode(node, builder),
): IrGraph {
  const live = liveNodes(graph);
  const builder = new GraphBuilder(graph.batchSize);
  const map = new Map<ValueId, ValueId>();
  const mapId = (id: ValueId): ValueId => {
    const mapped = map.get(id);
    if (mapped === undefined) throw new Error(`internal: %${id} used before it is defined`);
    return mapped;
  };
  for (const node of graph.nodes) {
    if (!live[node.id]) continue;
    map.set(node.id, rewrite(mapOperands(node, mapId), builder, node.id, mapId));
  }
  return {
    ...graph,
    nodes: builder.nodes,
    outputs: graph.outputs.map(mapId),
    accumulators: graph.accumulators.map((a) => ({ ...a, value: mapId(a.value) })),
    losses: graph.losses.map((l) => ({ ...l, value: map.get(l.value) ?? -1 })),
    ...(graph.paramGrads ? { paramGrads: graph.paramGrads.map((g) => (g === null ? null : mapId(g))) } : {}),
  };
}

/** Adds a node unchanged (with its own shape) to a builder. */
export function copyNode(node: IrNode, builder: GraphBuilder): ValueId {
  const { id: _id, shape, label, ...op } = node;
  if (op.op === 'input' || op.op === 'target' || op.op === 'param' || op.op === 'constant') return builder.leaf(op, shape, label);
  return builder.add(op as IrOp, label);
}

/** Marks nodes reachable from the graph's roots, plus every leaf (inputs and params keep their places). */
export function liveNodes(graph: IrGraph): boolean[] {
  const visited = graph.nodes.map(() => false);
  const stack = [...rootsOf(graph)];
  while (stack.length) {
    const id = stack.pop()!;
    if (visited[id]) continue;
    visited[id] = true;
    for (const operand of operandsOf(graph.nodes[id]!)) if (!visited[operand]) stack.push(operand);
  }
  return graph.nodes.map((n, i) => visited[i]! || n.op === 'input' || n.op === 'target' || n.op === 'param');
}
