// Dense epilogue fusion: matmul → biasAdd → activation becomes one matmul with an epilogue, and in
// backward an activation gradient whose dy comes from a matmul is folded into that matmul
// (× activation'(y)), so no kernel ever exists just for bias, activation or relu-grad.
// A link of the chain is folded only when the value it consumes has no other reader.

import { copyNode, rebuild } from '../builder.js';
import { consumersOf, isPlainMatmul, rootsOf, withEpilogue, type IrGraph, type IrNode, type NodeOf } from '../graph.js';

type MatmulNode = NodeOf<'matmul'>;

export function fuseDenseEpilogue(graph: IrGraph): IrGraph {
  const consumers = consumersOf(graph);
  const roots = new Set(rootsOf(graph));
  const soleUse = (id: number): boolean => consumers[id]!.length === 1 && !roots.has(id);
  // Old ids of the values folded into their single consumer.
  const absorbed = new Set<number>();
  for (const node of graph.nodes) {
    if (node.op === 'biasAdd') {
      const m = graph.nodes[node.x]!;
      if (isPlainMatmul(m) && soleUse(m.id)) absorbed.add(m.id);
    } else if (node.op === 'activation' && node.activation !== 'softmax') {
      const x = graph.nodes[node.x]!;
      const foldable = isPlainMatmul(x) || (x.op === 'biasAdd' && absorbed.has(x.x));
      if (foldable && soleUse(x.id)) absorbed.add(x.id);
    } else if (node.op === 'activationGrad' && node.activation !== 'softmax') {
      // dy may be a chain of matmuls accumulating into each other: (Σ pᵢ) × f' = Σ (pᵢ × f'), so
      // every link of the chain takes the mask.
      const chain = accumulationChain(graph, node.dy);
      const maskable = (id: number): boolean => {
        return isPlainMatmul(graph.nodes[id]!, { allowAccumulate: true }) && soleUse(id) && id !== node.y;
      };
      if (chain && chain.every(maskable)) for (const id of chain) absorbed.add(id);
    }
  }
  const fused = rebuild(graph, (node, builder, oldId, mapId) => {
    const old = graph.nodes[oldId]!;
    if (node.op === 'biasAdd' && old.op === 'biasAdd' && absorbed.has(old.x)) {
      const m = builder.nodes[node.x] as MatmulNode;
      return builder.add(withEpilogue(m, { bias: node.bias }), node.label ?? m.label);
    }
    if (node.op === 'activation' && old.op === 'activation' && node.activation !== 'softmax' && absorbed.has(old.x)) {
      const m = builder.nodes[node.x] as MatmulNode;
      return builder.add(withEpilogue(m, { activation: node.activation }), m.label ?? node.label);
    }
    if (node.op === 'activationGrad' && old.op === 'activationGrad' && node.activation !== 'softmax' && absorbed.has(old.dy)) {
      // Re-emit the whole accumulation chain with the mask, innermost first.
      const chain = accumulationChain(graph, old.dy)!.reverse();
      let previous: number | undefined;
      for (const oldLink of chain) {
        const link = builder.nodes[mapId(oldLink)] as MatmulNode;
        // The link's own accumulation is replaced by the chain rebuilt inside out.
        previous = builder.add(
          withEpilogue(withEpilogue(link, { accumulate: undefined }), {
            gradMask: { activation: node.activation, y: node.y },
            ...(previous !== undefined ? { accumulate: previous } : {}),
          }),
          link.label ?? node.label,
        );
      }
      return previous!;
    }
    return copyNode(node, builder);
  });
  return rebuild(fused); // drops the absorbed originals, now unread
}

/** Old ids of a matmul and the matmuls it accumulates into, outermost first; null if not all matmuls. */
function accumulationChain(graph: IrGraph, id: number): number[] | null {
  const chain: number[] = [];
  let current: number | undefined = id;
  while (current !== undefined) {
    const node: IrNode = graph.nodes[current]!;
    if (node.op !== 'matmul') return null;
    chain.push(current);
    current = node.epilogue?.accumulate;
  }
  return chain;
}
