// Dispatch grouping (horizontal fusion): consecutive kernels that touch disjoint memory (no kernel
// writes what another reads or writes) and whose generated code can share a module run as parts of
// one dispatch. Pure: src/wgsl generates a group's module, the runtime only consumes the groups.

import { optimizerStateArrays, readSameRows, viewsOf, type DispatchTraits, type FusedUpdate, type KernelDesc, type View } from '../kernel.js';

export type { DispatchTraits };

/** A range of elements [start, end) of one buffer. */
export interface Region {
  buffer: string;
  start: number;
  end: number;
}

const WHOLE = Number.MAX_SAFE_INTEGER;

export function viewRegion(view: View): Region {
  // Shifted by the step or by a row part's index, or rows picked by sample index: any row of the buffer.
  if (view.rowBaseFromStep || view.gathered || view.partRows !== undefined) return { buffer: view.buffer, start: 0, end: WHOLE };
  const end = view.rows > 0 && view.cols > 0 ? view.offset + (view.rows - 1) * view.rowStride + view.cols : view.offset;
  return { buffer: view.buffer, start: view.offset, end };
}

function whole(buffer: string): Region {
  return { buffer, start: 0, end: WHOLE };
}

/** What a kernel reads and what it writes, conservatively (bounding ranges). */
export function kernelAccess(kernel: KernelDesc): Access {
  switch (kernel.kind) {
    case 'gather':
      return {
        reads: [whole(kernel.indices), ...kernel.sources.map((s) => whole(s.dataset))],
        writes: kernel.sources.map((s) => viewRegion(s.out)),
      };
    case 'matmul': {
      const reads = [kernel.a, kernel.b, ...(kernel.bias ? [kernel.bias] : []), ...(kernel.gradMask ? [kernel.gradMask.y] : [])].map(viewRegion);
      if (kernel.update) {
        // The gradient is not stored: the parameters and optimizer state at its element indices are read and written.
        const updated = updateRegions(kernel.update, viewRegion(kernel.out));
        return { reads: [...reads, ...updated], writes: updated };
      }
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
      const slots = [kernel.lossSlot, ...kernel.metrics.map((m) => m.slot), ...(kernel.penalty ? [kernel.penalty.slot] : [])].map((s) => ({
        buffer: kernel.metricsBuffer,
        start: s,
        end: s + 1,
      }));
      return {
        reads: [
          viewRegion(kernel.input),
          ...(kernel.target.sparse ? [whole(kernel.target.labels), whole(kernel.target.indices)] : [viewRegion(kernel.target.view)]),
          ...(kernel.sampleWeights ? [whole(kernel.sampleWeights.weights), whole(kernel.sampleWeights.indices)] : []),
          ...(kernel.penalty ? [whole(kernel.penalty.params)] : []),
          ...slots,
        ],
        writes: [...slots, ...(kernel.gradOut ? [viewRegion(kernel.gradOut)] : []), ...(kernel.predictionOut ? [viewRegion(kernel.predictionOut)] : [])],
      };
    }
    case 'conv2d': {
      const reads = [kernel.a, kernel.b, ...(kernel.bias ? [kernel.bias] : []), ...(kernel.gradMask ? [kernel.gradMask.y] : [])].map(viewRegion);
      if (kernel.accumulate) reads.push(viewRegion(kernel.out));
      return { reads, writes: [viewRegion(kernel.out)] };
    }
    case 'pool2d': {
      const reads = [kernel.x, ...(kernel.dy ? [kernel.dy] : []), ...(kernel.gradMask ? [kernel.gradMask.y] : [])].map(viewRegion);
      if (kernel.accumulate) reads.push(viewRegion(kernel.out));
      return { reads, writes: [viewRegion(kernel.out)] };
    }
    case 'optimizer': {
      const touched = [whole(kernel.params), whole(kernel.grads), ...(kernel.state ? [whole(kernel.state)] : [])];
      return { reads: touched, writes: [whole(kernel.params), ...(kernel.state ? [whole(kernel.state)] : [])] };
    }
    default:
      return kernel satisfies never;
  }
}

/** The parameters and state elements a fused update touches, for a gradient over `grads` (same layout as the parameters). */
function updateRegions(update: FusedUpdate, grads: Region): Region[] {
  const { start, end } = grads;
  const state = update.state;
  const arrays = state ? optimizerStateArrays(update.algorithm) : 0;
  return [
    { buffer: update.params, start, end },
    ...(update.halfCopy ? [{ buffer: update.halfCopy, start, end }] : []),
    ...Array.from({ length: arrays }, (_, s) => ({ buffer: state!, start: s * update.stateStride + start, end: s * update.stateStride + end })),
  ];
}

export function overlaps(a: Region[], b: Region[]): boolean {
  return a.some((x) => b.some((y) => x.buffer === y.buffer && x.start < y.end && y.start < x.end));
}

/**
 * Whether two views have an element in common: exactly, where both are row-major windows of one row
 * stride (a concat's column ranges share rows but no element), else by their bounding ranges. The
 * dependency test below (kernelAccess) stays on bounding ranges; gather folding (foldGather.ts) asks here.
 */
export function viewsShareElements(x: View, y: View): boolean {
  const window = (w: View): { row: number; column: number } | null =>
    w.rowBaseFromStep || w.gathered || w.rowStride <= 0 || (w.offset % w.rowStride) + w.cols > w.rowStride
      ? null
      : { row: Math.floor(w.offset / w.rowStride), column: w.offset % w.rowStride };
  const [wx, wy] = [window(x), window(y)];
  if (x.buffer !== y.buffer || !wx || !wy || x.rowStride !== y.rowStride) return overlaps([viewRegion(x)], [viewRegion(y)]);
  const cross = (s: number, n: number, t: number, m: number): boolean => s < t + m && t < s + n;
  return cross(wx.row, x.rows, wy.row, y.rows) && cross(wx.column, x.cols, wy.column, y.cols);
}

type Access = { reads: Region[]; writes: Region[] };

/** Whether one of two accesses writes what the other touches (so their kernels must run in order). */
function accessesConflict(x: Access, y: Access): boolean {
  return overlaps(x.writes, [...y.reads, ...y.writes]) || overlaps(y.writes, x.reads);
}

/** Whether two kernels may run at the same time (neither writes what the other touches). */
export function independent(a: KernelDesc, b: KernelDesc): boolean {
  return !accessesConflict(kernelAccess(a), kernelAccess(b));
}

/** Why two kernels' code cannot share a dispatch, or null when it can. */
export function codeConflict(a: DispatchTraits, b: DispatchTraits): string | null {
  if (a.workgroupSize === null || b.workgroupSize === null) return 'a kernel cannot be combined (no module pieces or 3-D workgroups)';
  if (a.workgroupSize !== b.workgroupSize) {
    // A narrower part runs in a wider workgroup with its extra invocations idle, which is only
    // valid when it has no barrier (an early return would make the barrier non-uniform).
    const narrow = a.workgroupSize < b.workgroupSize ? a : b;
    if (narrow.usesBarrier) return 'different workgroup sizes, and the narrower kernel synchronises its workgroup';
  }
  if (a.workgroups[1] !== 1 || a.workgroups[2] !== 1 || b.workgroups[1] !== 1 || b.workgroups[2] !== 1) return '2-D dispatch';
  for (const x of a.buffers)
    for (const y of b.buffers)
      if (x.name === y.name && (x.vec4 !== y.vec4 || x.ident !== y.ident || (x.vec4 && (x.readWrite || y.readWrite))))
        return `buffer "${x.name}" is declared differently`;
  return null;
}

function distinctBuffers(traits: DispatchTraits[]): number {
  return new Set(traits.flatMap((t) => t.buffers.map((b) => b.name))).size;
}

/**
 * The one place that decides which kernels share a dispatch: runs of consecutive kernels that touch
 * disjoint memory and whose code can share a module (when `traits` are given) within the device's
 * storage-buffer limit. Returns, for each dispatch in order, the indices of the kernels it runs.
 */
export function groupDispatches(kernels: KernelDesc[], traits?: DispatchTraits[], maxStorageBuffers = Infinity): number[][] {
  const codeFits = (i: number, j: number): boolean =>
    !traits || (codeConflict(traits[i]!, traits[j]!) === null && distinctBuffers([traits[i]!, traits[j]!]) <= maxStorageBuffers);
  const runs: number[][] = [];
  let current: number[] = [];
  for (let i = 0; i < kernels.length; i++) {
    if (current.length > 0 && current.every((j) => independent(kernels[j]!, kernels[i]!) && codeFits(j, i))) current.push(i);
    else {
      if (current.length) runs.push(current);
      current = [i];
    }
  }
  if (current.length) runs.push(current);
  // A run whose combined module would bind too many buffers runs as separate dispatches.
  return runs.flatMap((run) => (traits && run.length > 1 && distinctBuffers(run.map((i) => traits[i]!)) > maxStorageBuffers ? run.map((i) => [i]) : [run]));
}

/**
 * A dispatch as stages: the stages run one after another inside one workgroup, a storage barrier
 * between them; each stage is a run of independent kernels (groupDispatches' horizontal groups).
 * A dispatch of one stage is an ordinary (possibly horizontal) group over many workgroups.
 */
export type DispatchStages = number[][];

/** Multiply-adds (or elements) from which a kernel is worth its own dispatch rather than a place in a chain. */
export const CHAIN_KERNEL_WORK = 1 << 16;

/**
 * A kernel's work in multiply-adds (matmuls) or elements (the rest), for deciding whether it is small
 * enough to run in a chain's single workgroup; null for kernels that never join a chain (windows).
 */
export function chainWork(kernel: KernelDesc): number | null {
  switch (kernel.kind) {
    case 'matmul':
      return kernel.m * kernel.n * kernel.k;
    case 'elementwise':
      return kernel.rows * kernel.cols;
    case 'softmaxRows':
    case 'columnSum':
      return kernel.x.rows * kernel.x.cols;
    case 'lossHead':
      return kernel.rows * kernel.cols;
    case 'gather':
      return kernel.rows * kernel.sources.reduce((n, s) => n + s.out.cols, 0);
    case 'optimizer':
      return kernel.count;
    case 'conv2d':
    case 'pool2d':
      return null;
    default:
      return kernel satisfies never;
  }
}

/**
 * Vertical fusion for small kernels: consecutive dispatch groups whose every kernel is small
 * (chainWork ≤ CHAIN_KERNEL_WORK) run as the stages of one single-workgroup dispatch. On a GPU a
 * dispatch with its pipeline barrier costs microseconds however little it does (the article MLP's
 * b32 step on an H200: 9 dispatches in 0.19 ms, bench/REAL-GPU.md), more than such a kernel's work in
 * one workgroup. On a CPU adapter (SwiftShader) a workgroup runs on one core: with subgroups (one-quad
 * kernels, small blocks) the MLP's b32 chain measured 1.12×, without them (64-wide heads, barriers)
 * 0.78×, so chains are on there only with subgroups (runtime/device.ts chainsWanted).
 * Every kernel of a chain must be able to share a module with every other (codeConflict), and the
 * chain binds at most `maxStorageBuffers` buffers.
 */
export function chainDispatches(kernels: KernelDesc[], groups: number[][], traits: DispatchTraits[], maxStorageBuffers = Infinity): DispatchStages[] {
  const small = (i: number): boolean => chainable(kernels[i]!, traits[i]!);
  const canJoin = (group: number[]): boolean => {
    const members = chain.flat();
    return (
      group.every((i) => members.every((j) => codeConflict(traits[j]!, traits[i]!) === null)) &&
      distinctBuffers([...members, ...group].map((j) => traits[j]!)) <= maxStorageBuffers
    );
  };
  const dispatches: DispatchStages[] = [];
  let chain: DispatchStages = [];
  const close = (): void => {
    if (chain.length) dispatches.push(chain);
    chain = [];
  };
  for (const group of groups) {
    if (!group.every(small)) {
      close();
      dispatches.push([group]);
      continue;
    }
    if (chain.length && !canJoin(group)) close();
    chain.push(group);
  }
  close();
  return dispatches;
}

/** Whether a kernel may be a stage of a chain (chainDispatches' test). */
function chainable(kernel: KernelDesc, traits: DispatchTraits): boolean {
  const work = chainWork(kernel);
  return work !== null && work <= CHAIN_KERNEL_WORK && traits.workgroupSize !== null;
}

/**
 * Horizontal groups for chaining, in an order of their own: the plan's order interleaves small and
 * big kernels where the graph does (wide & deep's backward pass: the output layer's weight gradient,
 * big, between the loss head and the small hidden-layer gradients), which leaves each small group
 * alone between big ones. This list schedule keeps every dependency (a kernel that is not
 * `independent` of an earlier one stays after it, which also covers arena memory reused by a later
 * value) and, where it has a choice, keeps small kernels with small ones and big with big: a ready
 * kernel joins the current group when it is independent of its members, its code can share their
 * module and it is of their size class; otherwise a new group starts, with a small kernel when the
 * current group is small (the chain goes on) and else with the earliest ready kernel, small first.
 * Wide & deep's b32 step: 9 dispatches in the plan's order, 7 in this one. Returns groups of kernel
 * indices, in the order they run.
 */
export function chainingGroups(kernels: KernelDesc[], traits: DispatchTraits[], maxStorageBuffers = Infinity): number[][] {
  const { conflict, waitingOn, successors } = dependencies(kernels);
  const small = kernels.map((k, i) => chainable(k, traits[i]!));
  const ready = new Set<number>(waitingOn.flatMap((w, i) => (w === 0 ? [i] : [])));
  const groups: number[][] = [];
  let group: number[] = [];
  const joins = (i: number): boolean =>
    small[i] === small[group[0]!] &&
    group.every((j) => !conflict(j, i) && codeConflict(traits[j]!, traits[i]!) === null) &&
    distinctBuffers([...group, i].map((j) => traits[j]!)) <= maxStorageBuffers;
  const earliest = (pick: (i: number) => boolean): number | undefined => [...ready].filter(pick).sort((a, b) => a - b)[0];
  while (ready.size > 0) {
    let next = group.length > 0 ? earliest(joins) : undefined;
    if (next === undefined) {
      if (group.length > 0) groups.push(group);
      group = [];
      next = earliest((i) => small[i]!) ?? earliest(() => true)!;
    }
    group.push(next);
    ready.delete(next);
    for (const s of successors[next]!) if (--waitingOn[s]! === 0) ready.add(s);
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/**
 * The kernels' dependencies: `conflict(i, j)` when one of the two writes what the other touches (then
 * the later in the plan's order runs after the earlier); per kernel how many earlier kernels it waits
 * on, and which later ones wait on it.
 */
function dependencies(kernels: KernelDesc[]) {
  const n = kernels.length;
  const access = kernels.map(kernelAccess);
  const conflict = (i: number, j: number): boolean => accessesConflict(access[i]!, access[j]!);
  const waitingOn = Array.from({ length: n }, () => 0);
  const successors: number[][] = Array.from({ length: n }, () => []);
  for (let j = 0; j < n; j++)
    for (let i = 0; i < j; i++)
      if (conflict(i, j)) {
        waitingOn[j]!++;
        successors[i]!.push(j);
      }
  return { conflict, waitingOn, successors };
}

/**
 * Horizontal groups in an order that puts products over the same rows read by index side by side
 * (`readSameRows`: one kernel then computes them and loads the rows once, src/wgsl/sharedOperand.ts).
 * The plan's order can keep them apart: wide & deep's first layer and its output layer's input part
 * both read the input, but the plan runs the hidden layer between them and groups the input part with
 * that; the two weight gradients over the input are further apart still (the first layer's needs the
 * hidden layers' gradients, the output layer's input part's does not). A list schedule like
 * chainingGroups, keeping every dependency: a ready product waits while a partner it could run beside
 * (neither depends on the other) is not ready yet and something else is; a ready kernel joins the
 * current group when it is independent of its members, its code can share their module and each of its
 * partners could join too (else it waits for their group), a partner of a member first; otherwise a new
 * group starts with the earliest ready kernel. Returns groups of kernel indices, in the order they run.
 */
export function sharingGroups(kernels: KernelDesc[], traits: DispatchTraits[], maxStorageBuffers = Infinity): number[][] {
  const n = kernels.length;
  const { conflict, waitingOn, successors } = dependencies(kernels);
  // after[i]: every kernel that waits on i, directly or through others.
  const after = kernels.map(() => new Set<number>());
  for (let i = n - 1; i >= 0; i--) for (const s of successors[i]!) for (const x of [s, ...after[s]!]) after[i]!.add(x);
  const partners = kernels.map((k, i) => kernels.flatMap((q, j) => (j !== i && readSameRows(k, q) && !after[i]!.has(j) && !after[j]!.has(i) ? [j] : [])));
  const ready = new Set<number>(waitingOn.flatMap((w, i) => (w === 0 ? [i] : [])));
  const scheduled = new Set<number>();
  const groups: number[][] = [];
  let group: number[] = [];
  const fits = (i: number): boolean =>
    group.every((j) => !conflict(j, i) && codeConflict(traits[j]!, traits[i]!) === null) &&
    distinctBuffers([...group, i].map((j) => traits[j]!)) <= maxStorageBuffers;
  const waits = (i: number): boolean => partners[i]!.some((p) => !scheduled.has(p) && !ready.has(p));
  const earliest = (pool: number[], pick: (i: number) => boolean): number | undefined => pool.filter(pick).sort((a, b) => a - b)[0];
  while (ready.size > 0) {
    const free = [...ready].filter((i) => !waits(i));
    const pool = free.length > 0 ? free : [...ready];
    const partnerOfMember = (i: number): boolean => group.some((j) => partners[j]!.includes(i));
    // A product whose partner cannot join this group waits for the partner's group instead.
    const joins = (i: number): boolean => fits(i) && partners[i]!.every((p) => scheduled.has(p) || fits(p));
    let next = group.length > 0 ? (earliest(pool, (i) => joins(i) && partnerOfMember(i)) ?? earliest(pool, joins)) : undefined;
    if (next === undefined) {
      if (group.length > 0) groups.push(group);
      group = [];
      next = earliest(pool, () => true)!;
    }
    group.push(next);
    ready.delete(next);
    scheduled.add(next);
    for (const s of successors[next]!) if (--waitingOn[s]! === 0) ready.add(s);
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** How many products run beside another over the same rows read by index in a dispatch of one stage (what sharingGroups is for). */
function sideBySideSharing(kernels: KernelDesc[], dispatches: DispatchStages[]): number {
  let count = 0;
  for (const stages of dispatches) {
    if (stages.length !== 1) continue;
    const group = stages[0]!;
    count += group.filter((i) => group.some((j) => j !== i && readSameRows(kernels[i]!, kernels[j]!))).length;
  }
  return count;
}

/**
 * The dispatches of a plan: horizontal groups in the plan's order (groupDispatches) or, where products
 * read the same rows by index, sharingGroups' order; with `chain` runs of small ones chained
 * (chainDispatches), also over chainingGroups' order. Of these the fewest dispatches win, then the most
 * products side by side over the same rows, then the earlier in that list (the plan's order first). The
 * runtime and the exporter both ask here.
 */
export function planDispatches(kernels: KernelDesc[], traits: DispatchTraits[], maxStorageBuffers: number, chain: boolean): DispatchStages[] {
  const orders = [groupDispatches(kernels, traits, maxStorageBuffers)];
  if (chain) orders.push(chainingGroups(kernels, traits, maxStorageBuffers));
  if (kernels.some((k, i) => kernels.some((q, j) => j > i && readSameRows(k, q)))) orders.push(sharingGroups(kernels, traits, maxStorageBuffers));
  const candidates = orders.map((groups) => (chain ? chainDispatches(kernels, groups, traits, maxStorageBuffers) : groups.map((group) => [group])));
  let best = candidates[0]!;
  for (const c of candidates.slice(1)) {
    const fewer = c.length < best.length;
    const moreSharing = c.length === best.length && sideBySideSharing(kernels, c) > sideBySideSharing(kernels, best);
    if (fewer || moreSharing) best = c;
  }
  return best;
}
