// Gradient accumulation: add(x, op(A)·op(B)) → a matmul that adds its product into x's storage in
// place. A value read by several layers (a hidden layer feeding two heads, a shared layer) gets its
// gradient contributions summed by the matmuls that make them, with no add kernel.

import { copyNode, rebuild } from '../builder.js';
import { consumersOf, isPlainMatmul, rootsOf, withEpilogue, type IrGraph, type NodeOf } from '../graph.js';

export function fuseGradientAccumulation(graph: IrGraph): IrGraph {
  const consumers = consumersOf(graph);
  const roots = new Set(rootsOf(graph));
  const soleUse = (id: number): boolean => consumers[id]!.length === 1 && !roots.has(id);
  const foldable = (id: number): boolean => {
    return isPlainMatmul(graph.nodes[id]!) && soleUse(id);
  };
  const fused = rebuild(graph, (node, builder, oldId) => {
    const old = graph.nodes[oldId]!;
    if (node.op === 'add' && old.op === 'add' && old.a !== old.b) {
      // The matmul becomes the accumulating one; the other operand is overwritten, so it must have
      // no other reader.
      const [product, into] = foldable(old.b) && soleUse(old.a) ? [node.b, node.a] : foldable(old.a) && soleUse(old.b) ? [node.a, node.b] : [-1, -1];
      if (product >= 0) {
        const matmul = builder.nodes[product] as NodeOf<'matmul'>;
        return builder.add(withEpilogue(matmul, { accumulate: into }), matmul.label ?? node.label);
      }
    }
    return copyNode(node, builder);
  });
  return rebuild(fused);
}
