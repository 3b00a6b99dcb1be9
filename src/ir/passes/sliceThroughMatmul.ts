// slice(op(A)·op(B)) → op(A)·op(slice(B)) (column slices) or op(slice(A))·op(B) (row slices), when the
// full product is only ever sliced. The gradient of a concat is a set of slices of one matmul; after
// this pass each part reads a view of the weights and nothing computes the parts nobody needs
// (such as the gradient flowing into a model input).

import { copyNode, rebuild } from '../builder.js';
import { consumersOf, isPlainMatmul, rootsOf, type IrGraph } from '../graph.js';

export function sliceThroughMatmul(graph: IrGraph): IrGraph {
  const consumers = consumersOf(graph);
  const roots = new Set(rootsOf(graph));
  const onlySliced = graph.nodes.map(
    (node) => isPlainMatmul(node) && !roots.has(node.id) && consumers[node.id]!.length > 0 && consumers[node.id]!.every((c) => graph.nodes[c]!.op === 'slice'),
  );
  return rebuild(graph, (node, builder, oldId) => {
    if (node.op === 'slice') {
      const oldSource = (graph.nodes[oldId] as { x: number }).x;
      const product = builder.nodes[node.x]!;
      if (onlySliced[oldSource] && isPlainMatmul(product)) {
        const { a, b, transA, transB } = product;
        if (node.axis === 1) {
          const sliced = builder.add({ op: 'slice', x: b, axis: transB ? 0 : 1, start: node.start, size: node.size });
          return builder.add({ op: 'matmul', a, b: sliced, transA, transB }, node.label);
        }
        const sliced = builder.add({ op: 'slice', x: a, axis: transA ? 1 : 0, start: node.start, size: node.size });
        return builder.add({ op: 'matmul', a: sliced, b, transA, transB }, node.label);
      }
    }
    return copyNode(node, builder);
  });
}
