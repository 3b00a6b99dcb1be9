// Each stage of the plan on its own (pure functions), the op table's consistency, and verifyGraph.
import { describe, expect, test } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import { isPlainMatmul, operandsOf, mapOperands, type IrGraph } from '../../src/ir/graph.js';
import { viewsOf, type KernelDesc, type DispatchTraits, type View } from '../../src/ir/kernel.js';
import { OPS } from '../../src/ir/ops/table.js';
import { allocateBlocks, blockLifetimes } from '../../src/ir/plan/allocation.js';
import {
  CHAIN_KERNEL_WORK,
  chainDispatches,
  chainingGroups,
  chainWork,
  codeConflict,
  groupDispatches,
  planDispatches,
} from '../../src/ir/plan/dispatchGroups.js';
import { kernelFor, selectKernels, valueViews } from '../../src/ir/plan/kernelSelection.js';
import { paramLayout, placeValues } from '../../src/ir/plan/placement.js';
import { graphProblems, verifyGraph, IrVerifyError } from '../../src/ir/verify.js';

function graphOf(b: GraphBuilder, extra: Partial<IrGraph> = {}): IrGraph {
  return {
    batchSize: b.batchSize,
    nodes: b.nodes,
    params: [],
    inputs: [{ name: 'x', cols: 4 }],
    targets: [],
    outputs: [],
    accumulators: [],
    losses: [],
    ...extra,
  };
}

describe('op table', () => {
  test('gradient operands are operands, and operand paths map consistently', () => {
    for (const [name, spec] of Object.entries(OPS)) {
      if (spec.gradient !== 'secondOrder') for (const p of spec.gradient) expect(spec.operands, name).toContain(p);
    }
    const m = {
      op: 'matmul' as const,
      a: 1,
      b: 2,
      transA: true,
      transB: false,
      epilogue: { bias: 3, gradMask: { activation: 'relu' as const, y: 4 }, accumulate: 5 },
    };
    expect(operandsOf(m)).toEqual([1, 2, 3, 4, 5]);
    expect(operandsOf(mapOperands(m, (id) => id * 10))).toEqual([10, 20, 30, 40, 50]);
    expect(m.epilogue.gradMask.y).toBe(4); // mapping copies, never mutates
    expect(operandsOf({ op: 'concat', xs: [3, 1, 2] })).toEqual([3, 1, 2]);
  });

  test('isPlainMatmul is the one test for a plain product', () => {
    const base = { op: 'matmul' as const, a: 0, b: 1, transA: false, transB: false };
    expect(isPlainMatmul(base)).toBe(true);
    expect(isPlainMatmul({ ...base, epilogue: { accumulate: 2 } })).toBe(false);
    expect(isPlainMatmul({ ...base, epilogue: { accumulate: 2 } }, { allowAccumulate: true })).toBe(true);
    expect(isPlainMatmul({ ...base, epilogue: { aOnesRow: true } }, { allowAccumulate: true })).toBe(false);
  });
});

describe('full-rank values', () => {
  test('shapes carry every dimension; matmul and concat work on the last axis; reshape is a view', () => {
    const b = new GraphBuilder(2);
    const x = b.leaf({ op: 'input', index: 0, name: 'x' }, [2, 3, 4]);
    const y = b.add({ op: 'matmul', a: x, b: b.leaf({ op: 'param', index: 0, name: 'w' }, [4, 5]), transA: false, transB: false });
    expect(b.shapeOf(y)).toEqual([2, 3, 5]);
    const other = new GraphBuilder(2);
    const u = other.leaf({ op: 'input', index: 0, name: 'u' }, [2, 3, 4]);
    expect(other.shapeOf(other.add({ op: 'concat', xs: [u, u] }))).toEqual([2, 3, 8]);
    const flat = b.add({ op: 'reshape', x, to: [2, 12] });
    expect(b.shapeOf(flat)).toEqual([2, 12]);
    expect(() => b.add({ op: 'reshape', x, to: [2, 5] })).toThrow(/cannot make \[2, 3, 4\] into \[2, 5\]/);
    const graph = graphOf(b, { outputs: [flat] });
    const placement = placeValues(graph, 'predict', []);
    // The input is stored densely, so the reshape shares its memory.
    expect(placement.homes[flat]).toMatchObject({ kind: 'fixed', buffer: 'batch', offset: placement.homes[x]!.offset, rowStride: 12 });
  });

  test('a reshape of a padded matrix is copied into a dense block', () => {
    const b = new GraphBuilder(2);
    const x = b.leaf({ op: 'input', index: 0, name: 'x' }, [2, 6]);
    const r = b.add({ op: 'reshape', x, to: [2, 2, 3] });
    const s = b.add({ op: 'scale', x: r, factor: 2 });
    const graph = graphOf(b, { outputs: [s] });
    const placement = placeValues(graph, 'evaluate', []);
    expect(placement.homes[x]).toMatchObject({ buffer: 'batch', rowStride: 8 });
    expect(placement.copies).toEqual([{ source: x, to: { kind: 'block', block: expect.any(Number), offset: 0, rowStride: 6 }, matrix: [2, 6] }]);
    expect(placement.homes[r]).toMatchObject({ kind: 'block', rowStride: 3 });
  });
});

describe('plan stages', () => {
  function chain(): IrGraph {
    const b = new GraphBuilder(4);
    const x = b.leaf({ op: 'input', index: 0, name: 'x' }, [4, 4]);
    const w = b.leaf({ op: 'param', index: 0, name: 'w' }, [4, 3]);
    const h = b.add({ op: 'matmul', a: x, b: w, transA: false, transB: false });
    const r = b.add({ op: 'activation', x: h, activation: 'relu' });
    const s = b.add({ op: 'scale', x: r, factor: 2 });
    const c = b.add({ op: 'concat', xs: [x, s] });
    const o = b.add({ op: 'scale', x: c, factor: 3 });
    return graphOf(b, { params: [{ name: 'w', shape: [4, 3], trainable: true }], outputs: [o] });
  }

  test('placement: the parts of a concat are written into its columns; params stay in the flat buffer', () => {
    const graph = chain();
    const { paramOffsets, paramCount } = paramLayout(graph);
    expect(paramCount).toBe(12);
    const placement = placeValues(graph, 'evaluate', paramOffsets);
    const concat = placement.homes[5]!;
    expect(placement.homes[4]).toEqual({ ...concat, offset: concat.offset + 4 });
    expect(placement.homes[1]).toEqual({ kind: 'fixed', buffer: 'params', offset: 0, rowStride: 3 });
    // The gather writes the input straight into the concat's first columns: no copy.
    expect(placement.homes[0]).toEqual(concat);
    expect(placement.copies).toEqual([]);
  });

  test('liveness and allocation: blocks whose lifetimes do not overlap share memory', () => {
    const sizes = [16, 16, 16];
    const { offsets, arenaSize } = allocateBlocks(sizes, { start: [0, 1, 4], end: [1, 3, 5] });
    expect(offsets).toEqual([0, 16, 0]);
    expect(arenaSize).toBe(32);
    // A block freed by the previous node is not reused at once (neighbours may share a dispatch).
    expect(allocateBlocks(sizes, { start: [0, 1, 2], end: [1, 2, 3] }).offsets).toEqual([0, 16, 32]);
    const graph = chain();
    const placement = placeValues(graph, 'evaluate', [0]);
    const lifetimes = blockLifetimes(graph, placement);
    lifetimes.start.forEach((s, i) => expect(s).toBeLessThanOrEqual(lifetimes.end[i]!));
  });

  test('kernel selection: one gather, then a kernel per computing node over the placed views', () => {
    const graph = chain();
    const placement = placeValues(graph, 'evaluate', [0]);
    const { offsets } = allocateBlocks(placement.blockSizes, blockLifetimes(graph, placement));
    const kernels = selectKernels(graph, placement, valueViews(graph, placement, offsets), { mode: 'evaluate', inputStorage: [] }, 12);
    expect(kernels.map((k) => k.kind)).toEqual(['gather', 'matmul', 'elementwise', 'elementwise', 'elementwise']);
    // The matmul reads the input where the gather put it: the concat's first 4 of 7 columns.
    expect(kernels[1]).toMatchObject({ kind: 'matmul', a: { rowStride: 7, cols: 4 }, m: 4, n: 3, k: 4 });
    expect(kernelFor(graph.nodes[5]!, () => ({ buffer: 'arena', offset: 0, rowStride: 1, rows: 1, cols: 1 }), graph)).toBeUndefined();
  });

  test('dispatch groups: independent kernels share a dispatch only when their code can', () => {
    const copy = (from: number, to: number): KernelDesc => copyKernel(rowView('arena', from, 4), rowView('arena', to, 4));
    const kernels = [copy(0, 4), copy(8, 12), copy(4, 16)];
    expect(groupDispatches(kernels)).toEqual([[0, 1], [2]]);
    const traits = (size: number, barrier = false): DispatchTraits => traitsOf(size, barrier, ['arena']);
    expect(groupDispatches(kernels, [traits(64), traits(256, true), traits(64)])).toEqual([[0, 1], [2]]);
    expect(codeConflict(traits(64, true), traits(256))).toMatch(/synchronises/);
    expect(groupDispatches(kernels, [traits(64, true), traits(256), traits(64)])).toEqual([[0], [1, 2]]);
    expect(groupDispatches(kernels, [traits(64), traits(64), traits(64)], 0)).toEqual([[0], [1], [2]]);
  });

  test('chains: runs of small dispatch groups become the stages of one dispatch; big kernels and conflicts end a chain', () => {
    const v = (offset: number, cols = 4) => rowView('arena', offset, cols);
    const copy = (from: number, to: number, cols = 4): KernelDesc => copyKernel(v(from, cols), v(to, cols));
    const big = CHAIN_KERNEL_WORK + 1;
    // 0 and 1 independent (one group), then each reads the one before: 2, 3 (big), 4 and 5 (small again).
    const kernels = [copy(0, 4), copy(8, 12), copy(4, 16), copy(16, 100000, big), copy(100000, 200000), copy(200000, 200008)];
    const traits = (size: number, barrier = false): DispatchTraits => traitsOf(size, barrier, ['arena']);
    const all64 = kernels.map(() => traits(64));
    const groups = groupDispatches(kernels, all64);
    expect(groups).toEqual([[0, 1], [2], [3], [4], [5]]);
    expect(chainDispatches(kernels, groups, all64)).toEqual([[[0, 1], [2]], [[3]], [[4], [5]]]);
    expect(planDispatches(kernels, all64, 8, false)).toEqual(groups.map((g) => [g]));
    expect(planDispatches(kernels, all64, 8, true)).toEqual([[[0, 1], [2]], [[3]], [[4], [5]]]);
    // A narrower kernel that synchronises its workgroup cannot run in a wider chain: the chain ends there.
    const mixed = [traits(64), traits(64), traits(16, true), traits(64), traits(64), traits(64)];
    expect(chainDispatches(kernels, [[0, 1], [2], [3], [4], [5]], mixed)).toEqual([[[0, 1]], [[2]], [[3]], [[4], [5]]]);
    // Windows never chain; every other kind is weighed by its work.
    expect(chainWork(copy(0, 4))).toBe(4);
    expect(chainWork({ kind: 'matmul', name: 'mm', m: 32, n: 30, k: 30, a: v(0), b: v(0), transA: false, transB: false, out: v(0) })).toBe(28800);
  });

  test('chaining order: small kernels the plan interleaves with big ones are scheduled together, every dependency kept', () => {
    const copy = (from: string, to: string, cols = 4): KernelDesc => copyKernel(rowView(from, 0, cols), rowView(to, 0, cols));
    const big = CHAIN_KERNEL_WORK + 1;
    // As in wide & deep's backward pass: a chain of small kernels (a → b → c → d) with big ones that
    // read `a` (independent of the small ones and of each other) in between.
    const kernels = [copy('a', 'b'), copy('a', 'p', big), copy('b', 'c'), copy('a', 'q', big), copy('c', 'd')];
    const traits = kernels.map((k) => traitsOf(64, false, [...new Set(viewsOf(k).map((x) => x.buffer))]));
    // The plan's order: each small kernel shares a group with a big one, so nothing chains (3 dispatches).
    expect(groupDispatches(kernels, traits)).toEqual([[0, 1], [2, 3], [4]]);
    expect(chainingGroups(kernels, traits)).toEqual([[0], [2], [4], [1, 3]]);
    expect(planDispatches(kernels, traits, 8, true)).toEqual([[[0], [2], [4]], [[1, 3]]]);
    // Without chains the plan's order and groups stand.
    expect(planDispatches(kernels, traits, 8, false)).toEqual([[[0, 1]], [[2, 3]], [[4]]]);
    // A kernel that overwrites what others read stays after them, small as it is (`d → a` after the big readers of a).
    const reuse = [...kernels, copy('d', 'a')];
    const order = chainingGroups(reuse, [...traits, traits[0]!]).flat();
    expect(order).toEqual([0, 2, 4, 1, 3, 5]);
    for (const [first, then] of [
      [0, 2],
      [2, 4],
      [4, 5],
      [0, 5],
      [1, 5],
      [3, 5],
    ] as const)
      expect(order.indexOf(first), `${first} before ${then}`).toBeLessThan(order.indexOf(then));
    // A tie keeps the plan's order.
    const tie = [copy('a', 'b'), copy('b', 'c')];
    expect(planDispatches(tie, traits.slice(0, 2), 8, true)).toEqual([[[0], [1]]]);
  });
});

/** One row of `cols` elements of `buffer` from `offset`. */
function rowView(buffer: string, offset: number, cols: number): View {
  return { buffer, offset, rowStride: cols, rows: 1, cols };
}

/** A kernel that copies one row view into another (the dispatch grouping and chaining tests' kernels). */
function copyKernel(from: View, to: View): KernelDesc {
  return {
    kind: 'elementwise',
    name: `${from.buffer}[${from.offset}]→${to.buffer}[${to.offset}]`,
    rows: 1,
    cols: from.cols,
    expr: { op: 'read', view: from },
    out: to,
  };
}

/** Dispatch traits of a 1-workgroup kernel binding `buffers` read-write, as scalars. */
function traitsOf(workgroupSize: number, usesBarrier: boolean, buffers: string[]): DispatchTraits {
  return { workgroupSize, usesBarrier, workgroups: [1, 1, 1], buffers: buffers.map((name) => ({ name, ident: `buf_${name}`, vec4: false, readWrite: true })) };
}

describe('verifyGraph', () => {
  test('names the stage, every problem, and prints the dump', () => {
    const b = new GraphBuilder(2);
    const x = b.leaf({ op: 'input', index: 0, name: 'x' }, [2, 3]);
    const y = b.add({ op: 'scale', x, factor: 2 });
    const graph = graphOf(b, { outputs: [y] });
    expect(graphProblems(graph)).toEqual([]);
    const broken: IrGraph = { ...graph, nodes: graph.nodes.map((n) => (n.id === y ? { ...n, shape: [2, 4] } : n)), outputs: [7] };
    expect(() => verifyGraph(broken, 'somePass')).toThrow(IrVerifyError);
    const message = (() => {
      try {
        verifyGraph(broken, 'somePass');
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(message).toMatch(/after somePass/);
    expect(message).toMatch(/%1 \(scale\): shape \[2, 4\], but its operands give \[2, 3\]/);
    expect(message).toMatch(/output 0 refers to %7/);
    expect(message).toMatch(/%1 = scale %0 × 2/);
  });

  test('a gradient op on a path to a trainable weight is reported, not silently cut', () => {
    const b = new GraphBuilder(2);
    const w = b.leaf({ op: 'param', index: 0, name: 'w' }, [2, 3]);
    const g = b.add({ op: 'activationGrad', y: w, dy: w, activation: 'relu' });
    const t = b.leaf({ op: 'target', index: 0, sparse: false, name: 't' }, [2, 3]);
    const loss = b.add({ op: 'pointwiseLoss', loss: 'meanSquaredError', pred: g, target: t });
    const graph = graphOf(b, {
      params: [{ name: 'w', shape: [2, 3], trainable: true }],
      targets: [{ name: 't', cols: 3, sparse: false }],
      losses: [{ output: 0, value: loss, weight: 1 }],
    });
    expect(graphProblems(graph)).toEqual([`%1 (activationGrad) depends on a trainable weight but has no gradient rule`]);
  });
});
