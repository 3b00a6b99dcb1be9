// Liveness and allocation: each arena block lives from the first write of a value stored in it to
// the last read; blocks whose lifetimes do not overlap share memory (first fit), so the arena's peak
// size is known before anything runs.

import { consumersOf, rootsOf, type IrGraph, type ValueId } from '../graph.js';
import { ALIGN, type Home, type Placement } from './placement.js';

/** Lifetime of each block in node positions: [start, end]; a block nothing touches has start = Infinity. */
export interface Lifetimes {
  start: number[];
  end: number[];
}

export function blockLifetimes(graph: IrGraph, placement: Placement, order: ValueId[] = graph.nodes.map((n) => n.id)): Lifetimes {
  const { homes, copies, blockSizes } = placement;
  const consumers = consumersOf(graph);
  const roots = new Set(rootsOf(graph));
  const start = blockSizes.map(() => Infinity);
  const end = blockSizes.map(() => -Infinity);
  // Times are positions in the execution order (plan/executionOrder.ts).
  const at: number[] = [];
  order.forEach((id, position) => {
    at[id] = position;
  });
  const touch = (home: Home | undefined, time: number): void => {
    if (home?.kind !== 'block') return;
    start[home.block] = Math.min(start[home.block]!, time);
    end[home.block] = Math.max(end[home.block]!, time);
  };
  const last = graph.nodes.length;
  for (const node of graph.nodes) {
    // Inputs and dense targets are written by the gather kernel, which runs before every node.
    touch(homes[node.id], node.op === 'input' || node.op === 'target' ? -1 : at[node.id]!);
    for (const c of consumers[node.id]!) touch(homes[node.id], at[c]!);
    if (roots.has(node.id)) touch(homes[node.id], last);
  }
  for (const copy of copies) {
    touch(homes[copy.source], at[copy.source]!);
    touch(copy.to, at[copy.source]!);
  }
  return { start, end };
}

/** First-fit allocation of blocks by lifetime: each block's offset in the arena, and the arena size. */
export function allocateBlocks(sizes: number[], { start, end }: Lifetimes): { offsets: number[]; arenaSize: number } {
  const order = sizes
    .map((_, i) => i)
    .filter((i) => Number.isFinite(start[i]!))
    .sort((a, b) => start[a]! - start[b]! || sizes[b]! - sizes[a]!);
  const offsets = sizes.map(() => 0);
  const placed: { offset: number; size: number; end: number }[] = [];
  for (const s of order) {
    const size = Math.ceil(sizes[s]! / ALIGN) * ALIGN;
    // A block freed by the previous node is not reused at once: adjacent independent kernels can then
    // share a dispatch (dispatchGroups.ts) at the cost of a little memory.
    const live = placed.filter((p) => p.end + 1 >= start[s]!).sort((a, b) => a.offset - b.offset);
    let offset = 0;
    for (const p of live) {
      if (offset + size <= p.offset) break;
      offset = Math.max(offset, p.offset + p.size);
    }
    offsets[s] = offset;
    placed.push({ offset, size, end: end[s]! });
  }
  const arenaSize = Math.max(ALIGN, ...sizes.map((size, s) => (Number.isFinite(start[s]!) ? offsets[s]! + size : 0)));
  return { offsets, arenaSize };
}
