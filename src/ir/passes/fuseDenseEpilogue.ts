// Dense epilogue fusion: matmul → biasAdd → activation becomes one matmul with an epilogue, and in
// backward an activation gradient whose dy comes from a matmul is folded into that matmul
// (× activation'(y)), so no kernel ever exists just for bias, activation or relu-grad.
// A link of the chain is folded only when the value it consumes has no other reader.

import { copyNode, rebuild } from '../builder.js';
import { consumersOf, rootsOf, type IrGraph, type IrNode } from '../graph.js';

type MatmulNode = Extract<IrNode, { op: 'matmul' }>;

export function fuseDenseEpilogue(graph: IrGraph): IrGraph {
  const consumers = consumersOf(graph);
  const roots = new Set(rootsOf(graph));
  const soleUse = (id: number): boolean => consumers[id]!.length === 1 && !roots.has(id);
  // Old ids of the values folded into their single consumer.
  const absorbed = new Set<number>();
  for (const node of graph.nodes) {
    if (node.op === 'biasAdd') {
      const m = graph.nodes[node.x]!;
      if (m.op === 'matmul' && soleUse(m.id) && isPlain(m)) absorbed.add(m.id);
    } else if (node.op === 'activation' && node.activation !== 'softmax') {
      const x = graph.nodes[node.x]!;
      const foldable = (x.op === 'matmul' && !x.activation && !x.gradMask && !x.aOnesRow) || (x.op === 'biasAdd' && absorbed.has(x.x));
      if (foldable && soleUse(x.id)) absorbed.add(x.id);
    } else if (node.op === 'activationGrad' && node.activation !== 'softmax') {
      const dy = graph.nodes[node.dy]!;
      if (dy.op === 'matmul' && soleUse(dy.id) && !dy.activation && !dy.gradMask && dy.id !== node.y) absorbed.add(dy.id);
    }
  }
  const fused = rebuild(graph, (node, builder, oldId) => {
    const old = graph.nodes[oldId]!;
    if (node.op === 'biasAdd' && old.op === 'biasAdd' && absorbed.has(old.x)) {
      const m = builder.nodes[node.x] as MatmulNode;
      return builder.add({ ...operation(m), bias: node.bias }, node.label ?? m.label);
    }
    if (node.op === 'activation' && old.op === 'activation' && node.activation !== 'softmax' && absorbed.has(old.x)) {
      const m = builder.nodes[node.x] as MatmulNode;
      return builder.add({ ...operation(m), activation: node.activation }, m.label ?? node.label);
    }
    if (node.op === 'activationGrad' && old.op === 'activationGrad' && node.activation !== 'softmax' && absorbed.has(old.dy)) {
      const m = builder.nodes[node.dy] as MatmulNode;
      return builder.add({ ...operation(m), gradMask: { activation: node.activation, y: node.y } }, m.label ?? node.label);
    }
    return copyNode(node, builder);
  });
  return rebuild(fused); // drops the absorbed originals, now unread
}

function isPlain(m: MatmulNode): boolean {
  return !m.aOnesRow && m.bias === undefined && !m.activation && !m.gradMask;
}

function operation(m: MatmulNode): Omit<MatmulNode, 'id' | 'shape' | 'label'> {
  const { id: _id, shape: _shape, label: _label, ...op } = m;
  return op;
}
