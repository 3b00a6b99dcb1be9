// The order a plan's kernels run in, over the graph's node ids; block lifetimes are measured in it.
// The graph's own order, except in training plans whose optimizer will be applied inside the weight-
// gradient kernels (fuseOptimizerUpdates.ts): those kernels update the weights, so they must run after
// every kernel that reads them (the input gradients read the weights of the step before), and run
// last — together, in one dispatch, as they write disjoint parameters. Measuring lifetimes in this
// order keeps their operands (activations, output gradients) alive until they have run.
import { consumersOf, storesProductAsIs, type IrGraph, type ValueId } from '../graph.js';
import type { PlanOptions } from './types.js';

export function executionOrder(graph: IrGraph, options: Pick<PlanOptions, 'mode'>): ValueId[] {
  const order = graph.nodes.map((n) => n.id);
  if (options.mode !== 'train' || !graph.paramGrads) return order;
  const consumers = consumersOf(graph);
  const gradients = new Set(graph.paramGrads.filter((g): g is ValueId => g !== null));
  if (gradients.size === 0) return order;
  const deferred = new Set<ValueId>();
  for (const g of gradients) {
    // A gradient is its writer's output or a slice of it (a weight and its bias from one product).
    let writer = g;
    while (graph.nodes[writer]!.op === 'slice') writer = (graph.nodes[writer] as { x: ValueId }).x;
    const node = graph.nodes[writer]!;
    if (node.op !== 'matmul') return order;
    if (!storesProductAsIs(node.epilogue ?? {})) return order;
    deferred.add(writer);
  }
  // Nothing may be computed from a deferred product but its slices, which are the gradients.
  const views = (id: ValueId): ValueId[] => consumers[id]!.flatMap((c) => [c, ...views(c)]);
  for (const writer of [...deferred]) {
    for (const c of views(writer)) {
      if (graph.nodes[c]!.op !== 'slice') return order;
      deferred.add(c);
    }
  }
  return [...order.filter((id) => !deferred.has(id)), ...order.filter((id) => deferred.has(id))];
}
