// Building IR graphs: a builder that infers every node's shape from the op table, and a rebuild
// helper that passes use to rewrite a graph node by node (ids are renumbered, dead nodes dropped).

import { operandsOf, mapOperands, rootsOf, type IrGraph, type IrNode, type IrOp, type LeafOp, type ValueId } from './graph.js';
import { inferShape } from './ops/table.js';
import { IrShapeError, type Shape } from './shape.js';

export { IrShapeError, inferShape };

export class GraphBuilder {
  readonly nodes: IrNode[] = [];
  constructor(readonly batchSize: number) {}

  shapeOf = (id: ValueId): Shape => {
    const node = this.nodes[id];
    if (!node) throw new IrShapeError(`unknown value %${id}`);
    return node.shape;
  };

  /** Adds a leaf (input, target, param, constant) with an explicit shape. */
  leaf(op: LeafOp, shape: readonly number[], label?: string): ValueId {
    const id = this.nodes.length;
    this.nodes.push({ ...op, id, shape: [...shape], ...(label ? { label } : {}) } as IrNode);
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
  rewrite: (node: IrNode, builder: GraphBuilder, oldId: ValueId, mapId: (old: ValueId) => ValueId) => ValueId = (node, builder) => copyNode(node, builder),
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
    losses: graph.losses.map((l) => ({
      ...l,
      value: map.get(l.value) ?? -1,
      ...(l.sampleWeight !== undefined ? { sampleWeight: map.get(l.sampleWeight) ?? -1 } : {}),
    })),
    ...(graph.paramGrads ? { paramGrads: graph.paramGrads.map((g) => (g === null ? null : mapId(g))) } : {}),
  };
}

/** The op of a node, without its id, shape and label. */
export function opOf<N extends IrNode>(node: N): IrOp {
  const { id: _id, shape: _shape, label: _label, ...op } = node;
  return op as unknown as IrOp;
}

/** Adds a node unchanged (with its own shape) to a builder. */
export function copyNode(node: IrNode, builder: GraphBuilder): ValueId {
  const op = opOf(node);
  if (op.op === 'input' || op.op === 'target' || op.op === 'sampleWeight' || op.op === 'param' || op.op === 'constant')
    return builder.leaf(op, node.shape, node.label);
  return builder.add(op, node.label);
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
