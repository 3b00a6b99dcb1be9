// Horizontal fusion: consecutive kernels that touch disjoint memory (no kernel writes what another
// reads or writes) may run as parts of one dispatch. This pass only finds such runs; code generation
// decides whether the parts can share a dispatch (same workgroup size) and splits them otherwise.

import { viewsOf, type KernelDesc, type View } from './kernel.js';

/** A range of elements [start, end) of one buffer. */
export interface Region {
  buffer: string;
  start: number;
  end: number;
}

const WHOLE = Number.MAX_SAFE_INTEGER;

function viewRegion(view: View): Region {
  if (view.rowBaseFromStep) return { buffer: view.buffer, start: 0, end: WHOLE };
  const end = view.rows > 0 && view.cols > 0 ? view.offset + (view.rows - 1) * view.rowStride + view.cols : view.offset;
  return { buffer: view.buffer, start: view.offset, end };
}

function whole(buffer: string): Region {
  return { buffer, start: 0, end: WHOLE };
}

/** What a kernel reads and what it writes, conservatively (bounding ranges). */
export function kernelAccess(kernel: KernelDesc): { reads: Region[]; writes: Region[] } {
  switch (kernel.kind) {
    case 'gather':
      return {
        reads: [whole(kernel.indices), ...kernel.sources.map((s) => whole(s.dataset))],
        writes: kernel.sources.map((s) => viewRegion(s.out)),
      };
    case 'matmul': {
      const reads = [kernel.a, kernel.b, ...(kernel.bias ? [kernel.bias] : []), ...(kernel.gradMask ? [kernel.gradMask.y] : [])].map(viewRegion);
      if (kernel.accumulate) reads.push(viewRegion(kernel.out));
      return { reads, writes: [viewRegion(kernel.out)] };
    }
    case 'elementwise': {
      // viewsOf lists the output first, then every view the expression reads.
      const [, ...reads] = viewsOf(kernel).map(viewRegion);
      const out = viewRegion({ ...kernel.out, rows: kernel.rows, cols: kernel.cols });
      if (kernel.accumulate) reads.push(out);
      return { reads, writes: [out] };
    }
    case 'softmaxRows': {
      const reads = [viewRegion(kernel.x), ...(kernel.dy ? [viewRegion(kernel.dy)] : [])];
      if (kernel.accumulate) reads.push(viewRegion(kernel.out));
      return { reads, writes: [viewRegion(kernel.out)] };
    }
    case 'columnSum': {
      const reads = [viewRegion(kernel.x)];
      if (kernel.accumulate) reads.push(viewRegion(kernel.out));
      return { reads, writes: [viewRegion(kernel.out)] };
    }
    case 'lossHead': {
      const slots = [kernel.lossSlot, ...kernel.metrics.map((m) => m.slot)].map((s) => ({ buffer: kernel.metricsBuffer, start: s, end: s + 1 }));
      return {
        reads: [
          viewRegion(kernel.input),
          ...(kernel.target.sparse ? [whole(kernel.target.labels), whole(kernel.target.indices)] : [viewRegion(kernel.target.view)]),
          ...slots,
        ],
        writes: [...slots, ...(kernel.gradOut ? [viewRegion(kernel.gradOut)] : []), ...(kernel.predictionOut ? [viewRegion(kernel.predictionOut)] : [])],
      };
    }
    case 'optimizer': {
      const touched = [whole(kernel.params), whole(kernel.grads), ...(kernel.slots ? [whole(kernel.slots)] : [])];
      return { reads: touched, writes: [whole(kernel.params), ...(kernel.slots ? [whole(kernel.slots)] : [])] };
    }
    default:
      return kernel satisfies never;
  }
}

function overlaps(a: Region[], b: Region[]): boolean {
  return a.some((x) => b.some((y) => x.buffer === y.buffer && x.start < y.end && y.start < x.end));
}

/** Whether two kernels may run at the same time (neither writes what the other touches). */
export function independent(a: KernelDesc, b: KernelDesc): boolean {
  const x = kernelAccess(a);
  const y = kernelAccess(b);
  return !overlaps(x.writes, [...y.reads, ...y.writes]) && !overlaps(y.writes, x.reads);
}

/**
 * Splits the kernel list into runs of consecutive, mutually independent kernels (indices into
 * `kernels`), in order. `canJoin` lets code generation veto a pair (e.g. different workgroup sizes).
 */
export function groupIndependentKernels(kernels: KernelDesc[], canJoin: (a: KernelDesc, b: KernelDesc) => boolean = () => true): number[][] {
  const groups: number[][] = [];
  let current: number[] = [];
  for (let i = 0; i < kernels.length; i++) {
    const k = kernels[i]!;
    if (current.length > 0 && current.every((j) => independent(kernels[j]!, k) && canJoin(kernels[j]!, k))) current.push(i);
    else {
      if (current.length) groups.push(current);
      current = [i];
    }
  }
  if (current.length) groups.push(current);
  return groups;
}


