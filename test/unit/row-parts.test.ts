// Row parts (plan/rowParts.ts): which dispatches split into parts that each carry their rows from the
// first products through the chain, what a part's kernels read, and the plans that stay whole. That
// row parts compute the same step is checked on the GPU (test/gpu/row-parts.test.ts: training,
// metrics and evaluation against the unsplit plan; the kernels against the float64 reference).
import { describe, expect, test } from 'vitest';
import type { SymbolicTensor } from '../../src/api/symbolic.js';
import type { ElementwiseKernel, KernelDesc, LossHeadKernel, MatmulKernel } from '../../src/ir/kernel.js';
import type { PlanMode } from '../../src/ir/plan.js';
import { planDispatches } from '../../src/ir/plan/dispatchGroups.js';
import { rowPartDispatches, sliceRows } from '../../src/ir/plan/rowParts.js';
import { dispatchTraits, generateKernel } from '../../src/wgsl/index.js';
import { articleModel, articlePlan } from './articlePlans.js';

interface Options {
  mode?: PlanMode;
  batch?: number;
  weightGradientsLast?: boolean;
}

const planOf = (inputs: SymbolicTensor[], outputs: SymbolicTensor[], { mode = 'train', batch = 32, weightGradientsLast = true }: Options = {}) =>
  articlePlan(inputs, outputs, { mode, batch, gatheredProducts: true, weightGradientsLast: mode === 'train' && weightGradientsLast });

const mlp = articleModel;

/** The plan's dispatches as the runtime plans them on a quadTiled adapter with chains, and with row parts. */
function dispatchesOf(plan: ReturnType<typeof planOf>) {
  const decls = Object.fromEntries(plan.buffers.map((b) => [b.name, b]));
  const traits = plan.kernels.map((k) => dispatchTraits(generateKernel(k, decls, { variant: 'quadTiled', quadReduction: true })));
  const dispatches = planDispatches(plan.kernels, traits, 8, true);
  return { dispatches, split: rowPartDispatches(plan.kernels, dispatches, traits, 8, plan.batchSize, plan.metricSlotCount) };
}

describe('row parts: a chain and the products before it, split by rows', () => {
  test("the article MLP at batch 32: two parts of 16 rows from the first layer to the input gradients; the small weight gradients join the first layer's", () => {
    const [input, output] = mlp();
    const plan = planOf([input], [output]);
    const { dispatches, split } = dispatchesOf(plan);
    expect(dispatches.length).toBe(4);
    expect(split.dispatches.length).toBe(3);
    expect(split.metricCopies).toBe(2);
    const [parts, gradients, adam] = split.dispatches;
    expect(parts!.rowParts).toEqual({ count: 2, rows: 16 });
    expect(parts!.stages.map((stage) => stage.map((i) => plan.kernels[i]!.kind))).toEqual([
      ['matmul'],
      ['matmul'],
      ['matmul'],
      ['lossHead'],
      ['matmul'],
      ['matmul'],
    ]);
    const partKernels = parts!.stages.flat().map((i) => plan.kernels[i]!);
    expect(partKernels.every((k) => k.kind !== 'matmul' || !k.transA)).toBe(true);
    // The weight gradients over 32 rows: the first layer's, then the two the chain had, in one workgroup.
    expect(gradients!.rowParts).toBeUndefined();
    expect(gradients!.stages.length).toBe(1);
    expect(gradients!.stages[0]!.map((i) => (plan.kernels[i] as MatmulKernel).transA)).toEqual([true, true, true]);
    expect(gradients!.inOneWorkgroup).toEqual(gradients!.stages[0]!.slice(1));
    expect(adam!.stages.flat().map((i) => plan.kernels[i]!.kind)).toEqual(['optimizer']);
  });

  test("wide & deep at batch 32: the shared first products in each part; the output layer's hidden-part gradient moves", () => {
    const [input, output] = mlp(true);
    const plan = planOf([input], [output]);
    const { split } = dispatchesOf(plan);
    expect(split.dispatches.length).toBe(3);
    const [parts, gradients] = split.dispatches;
    expect(parts!.rowParts).toEqual({ count: 2, rows: 16 });
    // The first stage: the first layer and the output layer's input part, both over the input's rows by index.
    expect(parts!.stages[0]!.map((i) => !!(plan.kernels[i] as MatmulKernel).a.gathered)).toEqual([true, true]);
    expect(gradients!.stages[0]!.length).toBe(4);
    expect(gradients!.inOneWorkgroup!.length).toBe(2);
  });

  test("a part's kernels: batch views of the part's rows, shifted per part; rows by index shift their indices; the loss head keeps the batch's scale", () => {
    const [input, output] = mlp();
    const plan = planOf([input], [output]);
    const first = plan.kernels[0] as MatmulKernel;
    const part = sliceRows(first, 32, 16, plan.metricSlotCount) as MatmulKernel;
    expect(part.m).toBe(16);
    expect(part.a).toEqual({ ...first.a, rows: 16, partRows: 16 });
    expect(part.out).toEqual({ ...first.out, rows: 16, partRows: 16 });
    expect(part.b).toBe(first.b);
    const head = plan.kernels.find((k): k is LossHeadKernel => k.kind === 'lossHead')!;
    const partHead = sliceRows(head, 32, 16, plan.metricSlotCount) as LossHeadKernel;
    expect(partHead.rows).toBe(16);
    expect(partHead.gradScale).toBe(head.gradScale);
    expect(partHead.rowPart).toEqual({ rows: 16, slots: plan.metricSlotCount });
    expect(partHead.gradOut).toEqual({ ...head.gradOut!, rows: 16, partRows: 16 });
    // Not row-local: weight gradients (sums over rows), the optimizer, a part's kernel again.
    for (const k of plan.kernels.filter((k) => (k.kind === 'matmul' && k.transA) || k.kind === 'optimizer')) expect(sliceRows(k, 32, 16, 2)).toBeNull();
    expect(sliceRows(part, 32, 16, 2)).toBeNull();
  });

  test('gathers and elementwise kernels over the batch slice too; a broadcast row stays, dropout keeps its mask', () => {
    const batchRows = (buffer: string, offset: number, cols: number) => ({ buffer, offset, rowStride: cols, rows: 32, cols });
    const gather: KernelDesc = {
      kind: 'gather',
      name: 'gather batch',
      indices: 'indices',
      rows: 32,
      sources: [{ dataset: 'target0', elementType: 'f32', scale: 1, out: batchRows('batch', 0, 5) }],
    };
    expect(sliceRows(gather, 32, 16, 2)).toEqual({
      ...gather,
      rows: 16,
      partRows: 16,
      sources: [{ ...gather.sources[0]!, out: { ...batchRows('batch', 0, 5), rows: 16, partRows: 16 } }],
    });
    const bias = { op: 'read', view: { buffer: 'params', offset: 40, rowStride: 5, rows: 1, cols: 5 }, broadcastRows: true } as const;
    const sum: ElementwiseKernel = {
      kind: 'elementwise',
      name: 'sum',
      rows: 32,
      cols: 5,
      expr: { op: 'add', a: { op: 'read', view: batchRows('arena', 0, 5) }, b: bias },
      out: batchRows('arena', 160, 5),
    };
    const part = sliceRows(sum, 32, 8, 2) as ElementwiseKernel;
    expect(part.rows).toBe(8);
    expect(part.out).toEqual({ ...sum.out, rows: 8, partRows: 8 });
    expect(part.expr).toEqual({ op: 'add', a: { op: 'read', view: { ...batchRows('arena', 0, 5), rows: 8, partRows: 8 } }, b: bias });
    // Dropout slices too, its mask drawn by the element's place in the whole batch (partRows).
    const dropped = sliceRows({ ...sum, expr: { op: 'dropout', x: sum.expr, rate: 0.5, salt: 3 } }, 32, 8, 2) as ElementwiseKernel;
    expect(dropped.partRows).toBe(8);
    expect(dropped.expr).toEqual({ op: 'dropout', x: part.expr, rate: 0.5, salt: 3 });
    expect(part.partRows).toBeUndefined();
    // A read of more rows than the batch (not the batch's rows) keeps it whole.
    expect(sliceRows({ ...sum, expr: { op: 'read', view: { ...batchRows('arena', 0, 5), rows: 40 } } }, 32, 8, 2)).toBeNull();
  });

  test("parts run unsynchronised: a kernel reading rows another part writes (here as a product's B) keeps the dispatches whole", () => {
    // Batch 32: a product over rows read by index (2 workgroups), then a chain of two products.
    const view = (buffer: string, offset: number, rows: number, cols: number) => ({ buffer, offset, rowStride: cols, rows, cols });
    const product = (name: string, a: MatmulKernel['a'], b: MatmulKernel['b'], out: MatmulKernel['out']): MatmulKernel => ({
      kind: 'matmul',
      name,
      m: 32,
      n: out.cols,
      k: a.cols,
      a,
      b,
      transA: false,
      transB: false,
      out,
    });
    const first = product(
      'first',
      { ...view('input0', 0, 32, 16), gathered: { indices: 'indices', scale: 1 } },
      view('params', 0, 16, 8),
      view('arena', 0, 32, 8),
    );
    const second = product('second', view('arena', 0, 32, 8), view('params', 128, 8, 8), view('arena', 256, 32, 8));
    const traits = (workgroups: number, buffers: string[]) => ({
      workgroupSize: 4,
      usesBarrier: false,
      workgroups: [workgroups, 1, 1] as [number, number, number],
      buffers: buffers.map((name) => ({ name, ident: name, vec4: false, readWrite: name === 'arena' })),
    });
    const plan = (third: MatmulKernel) =>
      rowPartDispatches(
        [first, second, third],
        [[[0]], [[1], [2]]],
        [traits(2, ['input0', 'indices', 'params', 'arena']), traits(4, ['params', 'arena']), traits(4, ['params', 'arena'])],
        8,
        32,
        0,
      );
    // Weights as B: each part reads its own rows only.
    const byWeights = plan(product('third', view('arena', 256, 32, 8), view('params', 192, 8, 8), view('arena', 512, 32, 8)));
    expect(byWeights.dispatches.map((d) => d.rowParts)).toEqual([{ count: 2, rows: 16 }]);
    // B = rows 0–7 of the first product's output: part 1 would read what part 0 writes.
    const byRows = plan(product('third', view('arena', 256, 32, 8), view('arena', 0, 8, 8), view('arena', 512, 32, 8)));
    expect(byRows.dispatches.every((d) => !d.rowParts)).toBe(true);
  });

  test("stays whole: without weight gradients last (the arena reuses the small gradients' operands), at batch sizes that split into rows not a multiple of 4, and when there is no chain", () => {
    const [input, output] = mlp();
    // The plan's order: the input gradient dH1 reuses H2's arena block, which dW3 still reads.
    const inOrder = planOf([input], [output], { weightGradientsLast: false });
    expect(dispatchesOf(inOrder).split.dispatches.every((d) => !d.rowParts)).toBe(true);
    // Batch 24: two parts of 12 rows split; batch 30 (15 rows) does not.
    expect(dispatchesOf(planOf([input], [output], { batch: 24 })).split.dispatches[0]!.rowParts).toEqual({ count: 2, rows: 12 });
    expect(dispatchesOf(planOf([input], [output], { batch: 30 })).split.dispatches.every((d) => !d.rowParts)).toBe(true);
    // Batch 256: the layers are too big to chain, so nothing splits.
    const big = dispatchesOf(planOf([input], [output], { batch: 256 }));
    expect(big.split.dispatches.map((d) => d.stages)).toEqual(big.dispatches);
    expect(big.split.metricCopies).toBe(1);
  });

  test('evaluate plans split without moving anything (the loss head adds into per-part slots); predict plans stay whole (their output rows move with the step)', () => {
    const [input, output] = mlp();
    const evaluate = dispatchesOf(planOf([input], [output], { mode: 'evaluate' }));
    expect(evaluate.split.dispatches.length).toBe(1);
    expect(evaluate.split.dispatches[0]!.rowParts).toEqual({ count: 2, rows: 16 });
    expect(evaluate.split.metricCopies).toBe(2);
    const predict = dispatchesOf(planOf([input], [output], { mode: 'predict' }));
    expect(predict.split.dispatches.every((d) => !d.rowParts)).toBe(true);
  });
});
