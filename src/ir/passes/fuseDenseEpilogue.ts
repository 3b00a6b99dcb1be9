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
      const foldable = (x.op === 'matmul' && !x.activation && !x.gradMask && !x.aOnesRow && x.accumulate === undefined) || (x.op === 'biasAdd' && absorbed.has(x.x));
      if (foldable && soleUse(x.id)) absorbed.add(x.id);
    } else if (node.op === 'activationGrad' && node.activation !== 'softmax') {
      // dy may be a chain of matmuls accumulating into each other: (Σ pᵢ) × f' = Σ (pᵢ × f'), so
      // every link of the chain takes the mask.
      const chain = accumulationChain(graph, node.dy);
      const maskable = (id: number): boolean => {
        const m = graph.nodes[id]!;
        return m.op === 'matmul' && soleUse(id) && !m.activation && !m.gradMask && id !== node.y;
      };
      if (chain && chain.every(maskable)) for (const id of chain) absorbed.add(id);
    }
  }
  const fused = rebuild(graph, (node, builder, oldId, mapId) => {
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
      // Re-emit the whole accumulation chain with the mask, innermost first.
      const chain = accumulationChain(graph, old.dy)!.reverse();
      let previous: number | undefined;
      for (const oldLink of chain) {
        const link = builder.nodes[mapId(oldLink)] as MatmulNode;
        const op = operation(link);
        previous = builder.add(
          { ...op, gradMask: { activation: node.activation, y: node.y }, ...(previous !== undefined ? { accumulate: previous } : {}) },
          link.label ?? node.label,
        );
      }
      return previous!;
    }
    return copyNode(node, builder);
  });
  return rebuild(fused); // drops the absorbed originals, now unread
}

function isPlain(m: MatmulNode): boolean {
  return !m.aOnesRow && m.bias === undefined && !m.activation && !m.gradMask && m.accumulate === undefined;
}

/** Old ids of a matmul and the matmuls it accumulates into, outermost first; null if not all matmuls. */
function accumulationChain(graph: IrGraph, id: number): number[] | null {
  const chain: number[] = [];
  let current: number | undefined = id;
  while (current !== undefined) {
    const node: IrNode = graph.nodes[current]!;
    if (node.op !== 'matmul') return null;
    chain.push(current);
    current = node.accumulate;
  }
  return chain;
}

function operation(m: MatmulNode): Omit<MatmulNode, 'id' | 'shape' | 'label'> {
  const { id: _id, shape: _shape, label: _label, ...op } = m;
  return op;
}
