// Gather folding (plan option `gatheredProducts`): a model input whose only readers are matmuls that
// take it as their first operand is not copied into the batch buffer; those matmuls read its rows
// from the dataset through the step's sample indices instead (View.gathered). The article MLP's step
// then runs without its gather dispatch, and its first layer's two products read the u8 pixels
// (a quarter of the bytes) where they read the f32 batch. A product over a concat that holds the
// input among other columns (wide & deep's output layer over [input, hidden]) is first split at the
// input's columns (splitAtColumns): one product reads the input, the others the rest, so the input
// folds there too. The runtime asks for it where the matmul variant can read such rows (quadTiled:
// runtime/device.ts gatheredProductsWanted).

import { sameView, type GatherKernel, type GatherSource, type KernelDesc, type MatmulKernel, type View } from '../kernel.js';
import { viewsOf } from '../kernel.js';
import { viewsShareElements } from './dispatchGroups.js';

/** The kernels with every foldable gather source read in place: the gather loses those sources (and goes when none is left). */
export function foldGatherIntoProducts(kernels: KernelDesc[]): KernelDesc[] {
  const gather = kernels.find((k): k is GatherKernel => k.kind === 'gather');
  if (!gather) return kernels;
  let split = kernels;
  const folded = new Map<GatherSource, View>();
  for (const source of gather.sources) {
    const pieces = split.flatMap((k) => splitAtColumns(k, source.out) ?? [k]);
    const candidates = pieces.filter((k) => k !== gather);
    if (!foldable(source, candidates)) continue;
    split = pieces;
    const { out, dataset, scale } = source;
    folded.set(source, { buffer: dataset, offset: 0, rowStride: out.cols, rows: out.rows, cols: out.cols, gathered: { indices: gather.indices, scale } });
  }
  if (folded.size === 0) return kernels;
  const rest = gather.sources.filter((s) => !folded.has(s));
  const result: KernelDesc[] = [];
  for (const kernel of split) {
    if (kernel === gather) {
      if (rest.length > 0) result.push({ ...gather, sources: rest });
      continue;
    }
    const source = kernel.kind === 'matmul' ? [...folded.keys()].find((s) => sameFixedView(kernel.a, s.out)) : undefined;
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
    const touching = viewsOf(kernel).filter((v) => viewsShareElements(v, out));
    if (touching.length === 0) continue;
    if (kernel.kind !== 'matmul' || touching.some((v) => v !== kernel.a) || !sameFixedView(kernel.a, out)) return false;
    readers++;
  }
  return readers > 0;
}

/** The same view of a buffer in place: not shifted by the step, not rows read by index. */
function sameFixedView(a: View, b: View): boolean {
  return sameView(a, b) && !a.rowBaseFromStep && !a.gathered;
}

/**
 * A matmul whose first operand spans `columns` (a gathered input's place in the batch buffer) and
 * further columns of the same rows, as pieces that each read one column range: the input's piece
 * first, then the rest in order. Returns null for any other kernel. A product over A's columns
 * (op(A) = A: K runs over them) becomes partial products over K, the first storing with the bias
 * and the rest adding into the output, so only an epilogue that is linear in the product splits
 * (no activation, activation gradient or fused update). A product over A's rows (op(A) = Aᵀ, a
 * weight gradient: M runs over A's columns) becomes products over row ranges of the output, the ones
 * row (aOnesRow) with the last range.
 */
export function splitAtColumns(kernel: KernelDesc, columns: View): MatmulKernel[] | null {
  if (kernel.kind !== 'matmul' || kernel.update) return null;
  const { a } = kernel;
  if (a.buffer !== columns.buffer || a.rowStride !== columns.rowStride || a.rows !== columns.rows) return null;
  if (a.gathered || a.rowBaseFromStep || columns.gathered || columns.rowBaseFromStep) return null;
  const start = columns.offset - a.offset;
  // The input's columns lie inside A's, on the same rows: a proper part of them.
  if (start < 0 || start + columns.cols > a.cols || columns.cols === a.cols || (a.offset % a.rowStride) + a.cols > a.rowStride) return null;
  const ranges: [number, number][] = [[start, columns.cols]];
  if (start > 0) ranges.push([0, start]);
  if (start + columns.cols < a.cols) ranges.push([start + columns.cols, a.cols - start - columns.cols]);
  const piece = (from: number, width: number): View => ({ ...a, offset: a.offset + from, cols: width });
  if (!kernel.transA) {
    if ((kernel.activation ?? 'linear') !== 'linear' || kernel.gradMask) return null;
    const { bias, ...rest } = kernel;
    return ranges.map(([from, width], i) => ({
      ...rest,
      name: `${kernel.name}, columns ${from}–${from + width}`,
      k: width,
      a: piece(from, width),
      b: kernel.transB
        ? { ...kernel.b, offset: kernel.b.offset + from, cols: width }
        : { ...kernel.b, offset: kernel.b.offset + from * kernel.b.rowStride, rows: width },
      ...(i === 0 && bias ? { bias } : {}),
      ...(i === 0 ? {} : { accumulate: true }),
    }));
  }
  const last = a.cols;
  const { aOnesRow, ...rest } = kernel;
  return ranges.map(([from, width]) => {
    const ones = !!aOnesRow && from + width === last;
    const m = width + (ones ? 1 : 0);
    const rows = (v: View): View => ({ ...v, offset: v.offset + from * v.rowStride, rows: m });
    return {
      ...rest,
      name: `${kernel.name}, rows ${from}–${from + m}`,
      m,
      a: piece(from, width),
      out: rows(kernel.out),
      ...(ones ? { aOnesRow: true } : {}),
      ...(kernel.gradMask ? { gradMask: { ...kernel.gradMask, y: rows(kernel.gradMask.y) } } : {}),
    };
  });
}
