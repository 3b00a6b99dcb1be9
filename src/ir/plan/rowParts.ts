// Row parts (issue 14): on a CPU adapter a chain (dispatchGroups.ts chainDispatches) runs its stages in
// one workgroup, so on one core, while the products in the dispatch before it ran as one workgroup per
// block of rows. The article MLP at batch 32: its first layer as two 16-row quads, then seven small
// kernels chained on one core while the other waits. Row-local kernels — each output row computed from
// the same row of the batch operands and from whole weights — can run as P parts instead, part p over
// rows [p·R, (p + 1)·R), R = batch / P, each in a workgroup of its own: the dispatch's products, then
// the chain's row-local stages, on the part's rows, with no synchronisation between parts (no part
// writes an element another part touches; checked). The chain's kernels that sum over every row (weight
// and bias gradients) leave it for the next dispatch, beside what runs there, and each part's loss head
// adds into its own copy of the metric slots, which the runtime adds up at readback. Pure: the runtime
// generates each part's kernels (sliceRows) and one module for the dispatch (wgsl/group.ts).

import { expressionUsesDropout, type ElementwiseExpr, type KernelDesc, type View } from '../kernel.js';
import { codeConflict, independent, type DispatchStages, type DispatchTraits } from './dispatchGroups.js';

/** Row parts of a dispatch: `count` parts of `rows` rows each; part p is rows [p·rows, (p + 1)·rows). */
export interface RowParts {
  count: number;
  rows: number;
}

/** A dispatch: its stages of kernel indices; with `rowParts`, every part runs them over its own rows (the kernels as sliceRows gives them). */
export interface PlannedDispatch {
  stages: DispatchStages;
  rowParts?: RowParts;
  /** Kernels of a one-stage dispatch that run in one workgroup, one after another (a chain's small kernels moved here). */
  inOneWorkgroup?: number[];
}

export interface RowPartsPlan {
  dispatches: PlannedDispatch[];
  /** Copies of the metric slots the metric buffer holds (one per part when a loss head runs in parts; else 1). */
  metricCopies: number;
}

/**
 * The dispatches with row parts where they apply: a one-stage dispatch of row-local kernels followed
 * by a chain, as many parts as the first dispatch has workgroups (its parallelism, kept through the
 * chain), each of whole multiples of 4 rows (views stay 4-aligned). The chain's kernels that are not
 * row-local join the one-stage dispatch after it, in one workgroup of their own; each must be
 * independent of the chain's row-local kernels after it and of that dispatch's kernels, and share its
 * module. `traits` are the unsplit kernels'.
 */
export function rowPartDispatches(
  kernels: readonly KernelDesc[],
  dispatches: readonly DispatchStages[],
  traits: readonly DispatchTraits[],
  maxStorageBuffers: number,
  batch: number,
  metricSlotCount: number,
): RowPartsPlan {
  const planned: PlannedDispatch[] = [];
  let metricCopies = 1;
  for (let d = 0; d < dispatches.length; d++) {
    const split = splitAt(kernels, dispatches, d, traits, maxStorageBuffers, batch, metricSlotCount);
    if (!split) {
      planned.push({ stages: dispatches[d]! });
      continue;
    }
    planned.push({ stages: split.stages, rowParts: split.rowParts });
    if (split.next) planned.push({ stages: [split.next], inOneWorkgroup: split.moved });
    if (split.stages.flat().some((i) => kernels[i]!.kind === 'lossHead')) metricCopies = Math.max(metricCopies, split.rowParts.count);
    d += split.next ? 2 : 1;
  }
  return { dispatches: planned, metricCopies };
}

function splitAt(
  kernels: readonly KernelDesc[],
  dispatches: readonly DispatchStages[],
  d: number,
  traits: readonly DispatchTraits[],
  maxStorageBuffers: number,
  batch: number,
  metricSlotCount: number,
): { stages: DispatchStages; rowParts: RowParts; next?: number[]; moved: number[] } | null {
  const [first, chain, after] = [dispatches[d], dispatches[d + 1], dispatches[d + 2]];
  if (!first || !chain || first.length !== 1 || chain.length < 2) return null;
  // As many parts as the first dispatch's products have workgroups (a gather beside them follows their rows).
  const products = first[0]!.filter((i) => kernels[i]!.kind === 'matmul');
  const count = products.length > 0 ? traits[products[0]!]!.workgroups[0] : 0;
  if (count < 2 || products.some((i) => traits[i]!.workgroups[0] !== count)) return null;
  const rows = batch / count;
  if (!Number.isInteger(rows) || rows % 4 !== 0) return null;
  const local = (i: number): boolean => sliceRows(kernels[i]!, batch, rows, metricSlotCount) !== null;
  if (!first[0]!.every(local)) return null;
  // The chain's kernels that sum over rows move to the next dispatch, where they share one workgroup
  // (generateGroup's oneWorkgroup): the chain's row-local kernels after them must not touch what they do.
  const stages = [first[0]!, ...chain];
  const moved = chain.flat().filter((i) => !local(i));
  const stageOf = (i: number): number => stages.findIndex((stage) => stage.includes(i));
  const laterLocal = (i: number): number[] => stages.slice(stageOf(i) + 1).flatMap((stage) => stage.filter(local));
  if (!moved.every((i) => !traits[i]!.usesBarrier && laterLocal(i).every((j) => independent(kernels[i]!, kernels[j]!)))) return null;
  if (moved.length > 0 && after?.length !== 1) return null;
  const next = moved.length > 0 ? [...after![0]!, ...moved] : [];
  const allIndependent = (xs: readonly number[]): boolean => xs.every((i, a) => xs.slice(a + 1).every((j) => independent(kernels[i]!, kernels[j]!)));
  const shareModule = (xs: readonly number[]): boolean =>
    xs.every((i, a) => xs.slice(a + 1).every((j) => codeConflict(traits[i]!, traits[j]!) === null)) &&
    new Set(xs.flatMap((i) => traits[i]!.buffers.map((b) => b.name))).size <= maxStorageBuffers;
  if (!allIndependent(next) || !shareModule(next)) return null;
  const partStages = stages.map((stage) => stage.filter(local)).filter((stage) => stage.length > 0);
  if (!shareModule(partStages.flat())) return null;
  // No part may write an element another part touches: they run at the same time, unsynchronised.
  const sliced = partStages.flat().map((i) => sliceRows(kernels[i]!, batch, rows, metricSlotCount)!);
  const atPart = Array.from({ length: count }, (_, p) => sliced.map((k) => kernelAtPart(k, p)));
  for (let p = 0; p < count; p++) for (let q = p + 1; q < count; q++) if (!atPart[p]!.every((x) => atPart[q]!.every((y) => independent(x, y)))) return null;
  return { stages: partStages, rowParts: { count, rows }, ...(moved.length > 0 ? { next } : {}), moved };
}

/**
 * A row-local kernel as it runs in a row part of `rows` rows: its batch views have `rows` rows and
 * start `partRows` rows further on per part (View.partRows; rows read by index as many indices
 * further), its loss head's sums go to its part's copy of the metric slots; null for a kernel that is
 * not row-local. Row-local: matmuls op(A) · op(B) with A the batch rows (not transposed, no row of
 * ones, no fused update), loss heads, row softmaxes, gathers of the batch and elementwise kernels over
 * it (rows broadcast to every row stay; dropout draws by the element's place in the whole batch).
 */
export function sliceRows(kernel: KernelDesc, batch: number, rows: number, metricSlotCount: number): KernelDesc | null {
  if (kernel.kind === 'matmul' && (kernel.transA || kernel.aOnesRow || kernel.update || kernel.m !== batch)) return null;
  if (kernel.kind === 'lossHead' && (kernel.rows !== batch || kernel.rowPart)) return null;
  if ((kernel.kind === 'gather' || kernel.kind === 'elementwise') && kernel.rows !== batch) return null;
  const views: View[] = [];
  const local = withRowViews(kernel, (v) => {
    views.push(v);
    return v;
  });
  if (!local || !views.every((v) => v.rows === batch && (v.rowsPerSample ?? 1) === 1 && v.partRows === undefined)) return null;
  const sliced = withRowViews(kernel, (v) => ({ ...v, rows, partRows: rows }))!;
  switch (sliced.kind) {
    case 'matmul':
      return { ...sliced, m: rows };
    case 'lossHead':
      // The weight penalty's term is rows × the weights' penalty: each part adds its rows' share.
      return { ...sliced, rows, rowPart: { rows, slots: metricSlotCount } };
    case 'gather':
      return { ...sliced, rows, partRows: rows };
    case 'elementwise':
      // Dropout draws by element index: a part's kernel adds its rows' place in the batch (partRows).
      return { ...sliced, rows, ...(expressionUsesDropout(sliced.expr) ? { partRows: rows } : {}) };
    default:
      return sliced;
  }
}

/** A part kernel (sliceRows) with part `p`'s rows and metric slots fixed: what it touches there, for the independence check. */
function kernelAtPart(kernel: KernelDesc, p: number): KernelDesc {
  const fixed = withRowViews(kernel, (v) => {
    if (v.partRows === undefined) return v;
    const { partRows, ...view } = v;
    // Rows read by index are read anywhere in their buffer (viewRegion): only fixed views move.
    return view.gathered ? view : { ...view, offset: v.offset + p * partRows * v.rowStride };
  });
  if (!fixed || fixed.kind !== 'lossHead' || !fixed.rowPart) return fixed ?? kernel;
  const copy = p * fixed.rowPart.slots;
  return {
    ...fixed,
    lossSlot: fixed.lossSlot + copy,
    metrics: fixed.metrics.map((m) => ({ ...m, slot: m.slot + copy })),
    ...(fixed.penalty ? { penalty: { ...fixed.penalty, slot: fixed.penalty.slot + copy } } : {}),
  };
}

/**
 * The kernel with `f` applied to each view over the batch rows of a kind that can be row-local
 * (matmul: op(A), the output, the activation-gradient mask; loss head: input, dense target, gradient,
 * predictions; row softmax: all; gather: its outputs; elementwise: the output and every read but those
 * of one row broadcast to all), or null for the other kinds.
 */
function withRowViews<K extends KernelDesc>(kernel: K, f: (v: View) => View): K | null;
function withRowViews(kernel: KernelDesc, f: (v: View) => View): KernelDesc | null {
  switch (kernel.kind) {
    case 'matmul':
      return { ...kernel, a: f(kernel.a), out: f(kernel.out), ...(kernel.gradMask ? { gradMask: { ...kernel.gradMask, y: f(kernel.gradMask.y) } } : {}) };
    case 'lossHead': {
      const { target, gradOut, predictionOut } = kernel;
      return {
        ...kernel,
        input: f(kernel.input),
        target: target.sparse ? target : { sparse: false, view: f(target.view) },
        ...(gradOut ? { gradOut: f(gradOut) } : {}),
        ...(predictionOut ? { predictionOut: f(predictionOut) } : {}),
      };
    }
    case 'softmaxRows':
      return { ...kernel, x: f(kernel.x), out: f(kernel.out), ...(kernel.dy ? { dy: f(kernel.dy) } : {}) };
    case 'gather':
      return { ...kernel, sources: kernel.sources.map((source) => ({ ...source, out: f(source.out) })) };
    case 'elementwise':
      return { ...kernel, out: f(kernel.out), expr: mapReads(kernel.expr, (e) => (e.broadcastRows ? e : { ...e, view: f(e.view) })) };
    case 'columnSum':
    case 'conv2d':
    case 'pool2d':
    case 'optimizer':
      return null;
    default:
      return kernel satisfies never;
  }
}

type Read = Extract<ElementwiseExpr, { op: 'read' }>;

/** The expression with every read replaced by `f`'s. */
function mapReads(e: ElementwiseExpr, f: (read: Read) => Read): ElementwiseExpr {
  switch (e.op) {
    case 'read':
      return f(e);
    case 'const':
      return e;
    case 'add':
    case 'sub':
    case 'mul':
      return { ...e, a: mapReads(e.a, f), b: mapReads(e.b, f) };
    case 'activation':
    case 'dropout':
    case 'rsqrt':
      return { ...e, x: mapReads(e.x, f) };
    case 'activationGrad':
      return { ...e, y: mapReads(e.y, f), dy: mapReads(e.dy, f) };
    default:
      return e satisfies never;
  }
}
