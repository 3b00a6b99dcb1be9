// The order a plan's kernels run in, over the graph's node ids; block lifetimes are measured in it.
// The graph's own order, except in training plans whose optimizer will be applied inside the weight-
// gradient kernels (fuseOptimizerUpdates.ts): those kernels update the weights, so they must run after
// every kernel that reads them (the input gradients read the weights of the step before), and run
// last — together, in one dispatch, as they write disjoint parameters; and in training plans whose
// chains run in row parts (rowParts.ts), which move the weight gradients to the dispatch after the
// chain. Measuring lifetimes in this order keeps their operands (activations, output gradients) alive
// until they have run.
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

/**
 * With inputs read by index (plan option gatheredProducts, foldGather.ts), the weight gradients over one
 * model input — the first layer's Xᵀ·dH₁ and wide & deep's output layer's over [input, hidden] — run
 * together, at the last one's place in `order`. The dispatch planner can then put their products over
 * the input's rows side by side (one kernel that loads those rows once, src/wgsl/sharedOperand.ts): in
 * the graph's order the output layer's comes first, and the arena reuses its operand dZ before the
 * first layer's can run. A gradient moves only with its slices and when nothing else reads it; the
 * order is otherwise unchanged.
 */
export function inputGradientsTogether(graph: IrGraph, order: ValueId[]): ValueId[] {
  const consumers = consumersOf(graph);
  const isInput = (id: ValueId): boolean => graph.nodes[id]!.op === 'input';
  const inputOf = (id: ValueId): ValueId | undefined => {
    const node = graph.nodes[id]!;
    if (node.op !== 'matmul' || !node.transA) return undefined;
    if (isInput(node.a)) return node.a;
    const a = graph.nodes[node.a]!;
    return a.op === 'concat' ? a.xs.find(isInput) : undefined;
  };
  // A gradient product and the slices of it (its weight's and bias's gradients), when nothing else reads it.
  const withSlices = (id: ValueId): ValueId[] | null => {
    const all = [id];
    for (let i = 0; i < all.length; i++)
      for (const c of consumers[all[i]!]!) {
        if (graph.nodes[c]!.op !== 'slice') return null;
        all.push(c);
      }
    return all;
  };
  const gradients = new Set((graph.paramGrads ?? []).filter((g): g is ValueId => g !== null));
  const writerOf = (g: ValueId): ValueId => {
    let w = g;
    while (graph.nodes[w]!.op === 'slice') w = (graph.nodes[w] as { x: ValueId }).x;
    return w;
  };
  const byInput = new Map<ValueId, ValueId[]>();
  for (const g of gradients) {
    const writer = writerOf(g);
    const input = inputOf(writer);
    if (input === undefined) continue;
    const list = byInput.get(input) ?? [];
    if (!list.includes(writer)) list.push(writer);
    byInput.set(input, list);
  }
  let result = order;
  for (const writers of byInput.values()) {
    if (writers.length < 2) continue;
    const moved = writers.map(withSlices);
    if (moved.some((m) => m === null)) continue;
    const members = new Set(moved.flat() as ValueId[]);
    const last = Math.max(...writers.map((w) => result.indexOf(w)));
    const before = result.slice(0, last).filter((id) => !members.has(id));
    const after = result.slice(last).filter((id) => !members.has(id));
    result = [...before, ...result.filter((id) => members.has(id)), ...after];
  }
  return result;
}
