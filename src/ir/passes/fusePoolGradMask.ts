// An activation gradient whose dy is a max-pool gradient is folded into it: conv → relu → max-pool
// differentiates to activationGrad(relu, y, pool2dGrad(y, dy)), two passes over the conv's output
// where the pool gradient alone already visits every element. The pool gradient then multiplies by
// activation'(y) as it writes (pool2dGrad's gradMask). Folded only when the pool gradient has no
// other reader.

import { copyNode, rebuild } from '../builder.js';
import { consumersOf, rootsOf, type IrGraph, type NodeOf } from '../graph.js';

export function fusePoolGradMask(graph: IrGraph): IrGraph {
  const consumers = consumersOf(graph);
  const roots = new Set(rootsOf(graph));
  const absorbed = new Set<number>();
  for (const node of graph.nodes) {
    if (node.op !== 'activationGrad' || node.activation === 'softmax') continue;
    const d = graph.nodes[node.dy]!;
    if (d.op === 'pool2dGrad' && !d.gradMask && consumers[d.id]!.length === 1 && !roots.has(d.id) && d.id !== node.y) absorbed.add(d.id);
  }
  if (absorbed.size === 0) return graph;
  const fused = rebuild(graph, (node, builder, oldId) => {
    const old = graph.nodes[oldId]!;
    if (node.op === 'activationGrad' && old.op === 'activationGrad' && node.activation !== 'softmax' && absorbed.has(old.dy)) {
      const { id: _id, shape: _shape, label, ...pool } = builder.nodes[node.dy] as NodeOf<'pool2dGrad'>;
      return builder.add({ ...pool, gradMask: { activation: node.activation, y: node.y } }, label ?? node.label);
    }
    return copyNode(node, builder);
  });
  // The unmasked pool gradients are no longer read: rebuild drops them.
  return rebuild(fused);
}
