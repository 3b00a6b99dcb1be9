// Gather folding (plan option `gatheredProducts`): a model input whose only readers are matmuls that
// take it as their first operand is not copied into the batch buffer; those matmuls read its rows
// from the dataset through the step's sample indices instead (View.gathered). The article's MLP
// then runs without its gather dispatch, and its first layer's two products read the u8 pixels
// (a quarter of the bytes) where they read the f32 batch. The runtime asks for it where the matmul
// variant can read such rows (quadTiled: runtime/device.ts gatheredProductsWanted).

import type { GatherKernel, GatherSource, KernelDesc, View } from '../kernel.js';
import { viewsOf } from '../kernel.js';
import { overlaps, viewRegion } from './dispatchGroups.js';

/** The kernels with every foldable gather source read in place: the gather loses those sources (and goes when none is left). */
export function foldGatherIntoProducts(kernels: KernelDesc[]): KernelDesc[] {
  const gather = kernels.find((k): k is GatherKernel => k.kind === 'gather');
  if (!gather) return kernels;
  const others = kernels.filter((k) => k !== gather);
  const folded = new Map<GatherSource, View>();
  for (const source of gather.sources) {
    if (!foldable(source, others)) continue;
    const { out, dataset, scale } = source;
    folded.set(source, { buffer: dataset, offset: 0, rowStride: out.cols, rows: out.rows, cols: out.cols, gathered: { indices: gather.indices, scale } });
  }
  if (folded.size === 0) return kernels;
  const rest = gather.sources.filter((s) => !folded.has(s));
  const result: KernelDesc[] = [];
  for (const kernel of kernels) {
    if (kernel === gather) {
      if (rest.length > 0) result.push({ ...gather, sources: rest });
      continue;
    }
    const source = kernel.kind === 'matmul' ? [...folded.keys()].find((s) => sameView(kernel.a, s.out)) : undefined;
    result.push(source && kernel.kind === 'matmul' ? { ...kernel, a: folded.get(source)! } : kernel);
  }
  return result;
}

/**
 * A source folds when every kernel that reads any element of where it is gathered to is a matmul
 * reading exactly that as `a` (not a column range of a concat, not a loss head's dense target).
 */
function foldable(source: GatherSource, kernels: KernelDesc[]): boolean {
  const { out } = source;
  if (out.rowBaseFromStep) return false;
  let readers = 0;
  for (const kernel of kernels) {
    const touching = viewsOf(kernel).filter((v) => overlaps([viewRegion(v)], [viewRegion(out)]));
    if (touching.length === 0) continue;
    if (kernel.kind !== 'matmul' || touching.some((v) => v !== kernel.a) || !sameView(kernel.a, out)) return false;
    readers++;
  }
  return readers > 0;
}

function sameView(a: View, b: View): boolean {
  return (
    a.buffer === b.buffer &&
    a.offset === b.offset &&
    a.rowStride === b.rowStride &&
    a.rows === b.rows &&
    a.cols === b.cols &&
    !a.rowBaseFromStep &&
    !b.rowBaseFromStep &&
    !a.gathered &&
    !b.gathered
  );
}
