// Gather folding (plan option gatheredProducts, plan/foldGather.ts): which inputs are read from the
// dataset through the sample indices, what such a plan looks like, and the plans that keep their
// gather. That folded plans compute the same step is checked by plan-reference (float64 reference,
// 100 random graphs, shuffled indices), the kernel tests (gathered u8 and f32 rows against the
// reference) and every GPU test that trains on this adapter, where the runtime turns it on.
import { describe, expect, test } from 'vitest';
import * as weft from '../../src/index.js';
import type { SymbolicTensor } from '../../src/api/symbolic.js';
import { readSameRows, type KernelDesc, type MatmulKernel, type View } from '../../src/ir/kernel.js';
import { dumpPlan, type PlanMode } from '../../src/ir/plan.js';
import { groupDispatches, planDispatches, sharingGroups } from '../../src/ir/plan/dispatchGroups.js';
import { dispatchTraits, generateKernel, generateProductsSharingA, productsSharingA } from '../../src/wgsl/index.js';
import { articleModel, articlePlan } from './articlePlans.js';

function planOf(inputs: SymbolicTensor[], outputs: SymbolicTensor[], mode: PlanMode, gatheredProducts: boolean, fuseUpdates = false, batch = 32) {
  return articlePlan(inputs, outputs, { mode, gatheredProducts, fuseUpdates, batch });
}

const mlp = articleModel;

const gatheredProducts = (kernels: KernelDesc[]): MatmulKernel[] => kernels.filter((k): k is MatmulKernel => k.kind === 'matmul' && !!k.a.gathered);

describe('the gather folded into the products that read an input', () => {
  test("the article MLP: no gather, no batch buffer; the first layer's forward and weight gradient read u8 rows by index", () => {
    const [input, output] = mlp();
    const plan = planOf([input], [output], 'train', true);
    expect(plan.kernels.map((k) => k.kind)).not.toContain('gather');
    expect(plan.buffers.map((b) => b.name)).not.toContain('batch');
    const products = gatheredProducts(plan.kernels);
    expect(products.map((k) => [k.transA, k.m, k.n, k.k])).toEqual([
      [false, 32, 30, 784],
      [true, 785, 30, 32],
    ]);
    for (const k of products)
      expect(k.a).toEqual({ buffer: 'input0', offset: 0, rowStride: 784, rows: 32, cols: 784, gathered: { indices: 'indices', scale: 1 / 255 } });
    expect(dumpPlan(plan)).toContain('input0[0+rows by indices[step]×0.00392156862745098; 32×784/784]');
    // Without the option the same plan gathers into the batch buffer.
    const unfolded = planOf([input], [output], 'train', false);
    expect(unfolded.kernels.length).toBe(plan.kernels.length + 1);
    expect(unfolded.kernels[0]!.kind).toBe('gather');
    expect(gatheredProducts(unfolded.kernels)).toEqual([]);
  });

  test('predict and evaluate plans fold too; so do plans with the optimizer in the weight gradients', () => {
    const [input, output] = mlp();
    for (const mode of ['predict', 'evaluate'] as const) {
      const plan = planOf([input], [output], mode, true);
      expect(plan.kernels.map((k) => k.kind)).not.toContain('gather');
      expect(gatheredProducts(plan.kernels).length).toBe(1);
    }
    const fused = planOf([input], [output], 'train', true, true);
    expect(fused.kernels.map((k) => k.kind)).not.toContain('gather');
    expect(gatheredProducts(fused.kernels).filter((k) => k.update).length).toBe(1);
  });

  test("wide & deep: the output layer's products over [input, hidden] split at the input's columns, and the gather goes", () => {
    const [input, output] = mlp(true);
    const plan = planOf([input], [output], 'train', true);
    expect(plan.kernels.map((k) => k.kind)).not.toContain('gather');
    const products = plan.kernels.filter((k): k is MatmulKernel => k.kind === 'matmul');
    // Layer names count up across the file's models: the part after the layer name.
    const shape = (k: MatmulKernel) => [k.name.replace(/^dense(_\d+)? /, ''), k.transA, k.m, k.n, k.k, !!k.a.gathered, !!k.accumulate, !!k.aOnesRow, !!k.bias];
    expect(products.map(shape)).toEqual([
      ['(%7)', false, 32, 30, 784, true, false, false, true],
      ['(%8)', false, 32, 30, 30, false, false, false, true],
      // The forward product: the input's part stores with the bias, the hidden part adds into it.
      ['(%10), columns 0–784', false, 32, 10, 784, true, false, false, true],
      ['(%10), columns 784–814', false, 32, 10, 30, false, true, false, false],
      ['matmul (%17)', false, 32, 30, 10, false, false, false, false],
      ['weight gradient + bias gradient (%18)', true, 31, 30, 32, false, false, true, false],
      ['input gradient (%21)', false, 32, 30, 30, false, false, false, false],
      // The weight gradient: the input's rows, then the hidden rows with the bias gradient's ones row; it runs
      // next to the first layer's, the other gradient over the input (executionOrder.ts inputGradientsTogether).
      ['weight gradient + bias gradient (%13), rows 0–784', true, 784, 10, 32, true, false, false, false],
      ['weight gradient + bias gradient (%13), rows 784–815', true, 31, 10, 32, false, false, true, false],
      ['weight gradient + bias gradient (%22)', true, 785, 30, 32, true, false, true, false],
    ]);
    const [forwardInput, forwardHidden] = products.slice(2, 4) as MatmulKernel[];
    const [gradientInput, gradientHidden] = products.slice(7, 9) as MatmulKernel[];
    // Each part reads its rows of the output layer's kernel (814 × 10 at params 24480) and writes its rows of the gradient.
    expect([forwardInput!.b.offset, forwardInput!.b.rows, forwardHidden!.b.offset, forwardHidden!.b.rows]).toEqual([24480, 784, 24480 + 7840, 30]);
    expect(forwardHidden!.out).toEqual(forwardInput!.out);
    expect([gradientInput!.out.offset, gradientInput!.out.rows, gradientHidden!.out.offset, gradientHidden!.out.rows]).toEqual([24480, 784, 24480 + 7840, 31]);
    // The hidden part reads the concat's columns 784..814, where the hidden layer writes them.
    expect(forwardHidden!.a).toEqual(products[1]!.out);
    // Without the option nothing splits.
    const unfolded = planOf([input], [output], 'train', false);
    expect(unfolded.kernels[0]!.kind).toBe('gather');
    expect(unfolded.kernels.filter((k) => k.kind === 'matmul').length).toBe(products.length - 2);
  });

  test('a product over a concat with an activation of its own does not split: the input keeps its gather', () => {
    const input = weft.input({ shape: [20] });
    const hidden = weft.layers.dense({ units: 6, activation: 'relu' }).apply(input);
    const top = weft.layers.dense({ units: 8, activation: 'tanh' }).apply(weft.layers.concatenate().apply([hidden, input]));
    const output = weft.layers.dense({ units: 10, activation: 'softmax' }).apply(top);
    const plan = planOf([input], [output], 'train', true);
    expect(plan.kernels[0]!.kind).toBe('gather');
    expect(gatheredProducts(plan.kernels)).toEqual([]);
    expect(plan.kernels.filter((k) => k.kind === 'matmul').length).toBe(
      planOf([input], [output], 'train', false).kernels.filter((k) => k.kind === 'matmul').length,
    );
  });

  test('an input in the middle of a concat: three parts, the input first; predict plans split the forward product', () => {
    const input = weft.input({ shape: [20] });
    const a = weft.layers.dense({ units: 6, activation: 'relu' }).apply(input);
    const b = weft.layers.dense({ units: 5, activation: 'relu' }).apply(input);
    const output = weft.layers.dense({ units: 10, activation: 'softmax' }).apply(weft.layers.concatenate().apply([a, input, b]));
    for (const mode of ['train', 'predict'] as const) {
      const plan = planOf([input], [output], mode, true);
      expect(plan.kernels.map((k) => k.kind)).not.toContain('gather');
      const parts = plan.kernels.filter((k): k is MatmulKernel => k.kind === 'matmul' && / \(%\d+\), columns /.test(k.name));
      expect(parts.map((k) => [k.name.replace(/.*, /, ''), k.k, !!k.accumulate, !!k.bias])).toEqual([
        ['columns 6–26', 20, false, true],
        ['columns 0–6', 6, true, false],
        ['columns 26–31', 5, true, false],
      ]);
    }
  });

  test('an input read by anything but a product keeps its gather; another input of the same model folds', () => {
    const a = weft.input({ shape: [12] });
    const b = weft.input({ shape: [7] });
    const activated = weft.layers.activation({ activation: 'tanh' }).apply(a);
    const ha = weft.layers.dense({ units: 5 }).apply(activated);
    const hb = weft.layers.dense({ units: 5, activation: 'relu' }).apply(b);
    const output = weft.layers.dense({ units: 10, activation: 'softmax' }).apply(weft.layers.add().apply([ha, hb]));
    const plan = planOf([a, b], [output], 'train', true);
    const gather = plan.kernels.find((k) => k.kind === 'gather');
    expect(gather?.kind === 'gather' && gather.sources.map((s) => s.dataset)).toEqual(['input0']);
    expect(gatheredProducts(plan.kernels).map((k) => k.a.buffer)).toEqual(['input1', 'input1']);
  });
});

describe('products over the same rows read by index, one kernel per dispatch (wgsl/sharedOperand.ts)', () => {
  /** The runtime's single-stage dispatches on a quadTiled adapter with chains (src/runtime/planRunner.ts), each split by productsSharingA. */
  function sharedSets(plan: ReturnType<typeof planOf>): { names: string[]; workgroups: number }[] {
    const decls = Object.fromEntries(plan.buffers.map((b) => [b.name, b]));
    const generated = plan.kernels.map((k) => generateKernel(k, decls, { variant: 'quadTiled', quadReduction: true }));
    const sets: { names: string[]; workgroups: number }[] = [];
    for (const stages of planDispatches(plan.kernels, generated.map(dispatchTraits), 8, true)) {
      if (stages.length > 1) continue;
      const group = stages[0]!;
      for (const set of productsSharingA(group.map((i) => plan.kernels[i]!))) {
        if (set.length < 2) continue;
        const products = set.map((j) => plan.kernels[group[j]!] as MatmulKernel);
        sets.push({ names: products.map((k) => k.name), workgroups: generateProductsSharingA(products, decls).workgroups[0] });
      }
    }
    return sets;
  }

  test("wide & deep: the first layer beside the output layer's input part, and their weight gradients, each one kernel", () => {
    const [input, output] = mlp(true);
    const sets = sharedSets(planOf([input], [output], 'train', true));
    // Layer names (dense_N) count up across the file's models: D stands for any.
    expect(sets.map((s) => s.names.map((n) => n.replace(/ \(%\d+\)/, '').replace(/dense(_\d+)?/, 'D')))).toEqual([
      ['D', 'D, columns 0–784'],
      ['D weight gradient + bias gradient, rows 0–784', 'D weight gradient + bias gradient'],
    ]);
    // 32 rows × (30 + 10) columns in two quads of 16 rows; 785 rows × (10 + 30) in 25 quads of 32.
    expect(sets.map((s) => s.workgroups)).toEqual([2, 25]);
  });

  test('wide & deep at b256 (nothing chains): the weight gradients over the input run together, and the dispatch planner puts both pairs side by side', () => {
    const [input, output] = mlp(true);
    const plan = planOf([input], [output], 'train', true, false, 256);
    const sets = sharedSets(plan);
    expect(sets.map((s) => s.names.map((n) => n.replace(/ \(%\d+\)/, '').replace(/dense(_\d+)?/, 'D')))).toEqual([
      ['D', 'D, columns 0–784'],
      ['D weight gradient + bias gradient, rows 0–784', 'D weight gradient + bias gradient'],
    ]);
    expect(sets.map((s) => s.workgroups)).toEqual([16, 50]);
    // The plan's order (inputGradientsTogether put the two gradients next to each other in it) groups the
    // output layer's input part with the hidden layer and its gradient with the hidden layer's: the same
    // number of dispatches, nothing shared.
    const decls = Object.fromEntries(plan.buffers.map((b) => [b.name, b]));
    const traits = plan.kernels.map((k) => dispatchTraits(generateKernel(k, decls, { variant: 'quadTiled', quadReduction: true })));
    const inPlanOrder = groupDispatches(plan.kernels, traits, 8);
    expect(inPlanOrder.some((g) => g.some((i) => g.some((j) => i !== j && readSameRows(plan.kernels[i]!, plan.kernels[j]!))))).toBe(false);
    expect(planDispatches(plan.kernels, traits, 8, true)).toHaveLength(inPlanOrder.length);
    // Between the two: the output layer's gradient's hidden rows, the other piece of its product.
    const gradients = plan.kernels.flatMap((k, i) => (k.kind === 'matmul' && k.transA && k.a.gathered ? [i] : []));
    expect(gradients).toEqual([gradients[0], gradients[0]! + 2]);
    expect(plan.kernels[gradients[0]! + 1]!.name).toMatch(/rows 784–815$/);
  });

  test("the weight gradients over one input run together in the plan's order, only where inputs are read by index", () => {
    const [input, output] = mlp(true);
    const outputLayerGradient = (k: KernelDesc): boolean => k.kind === 'matmul' && k.transA && k.n === 10 && (k.m === 815 || k.m === 784);
    const firstLayerGradient = (k: KernelDesc): boolean => k.kind === 'matmul' && k.transA && k.m === 785;
    // Read by index: the output layer's input-part gradient runs right before the first layer's (its hidden part between).
    const read = planOf([input], [output], 'train', true).kernels;
    expect(read.findIndex(firstLayerGradient) - read.findIndex(outputLayerGradient)).toBe(2);
    // Gathered: the graph's order, the output layer's gradient (one product over the whole concat) well before.
    const gathered = planOf([input], [output], 'train', false).kernels;
    expect(gathered.findIndex(firstLayerGradient) - gathered.findIndex(outputLayerGradient)).toBeGreaterThan(2);
  });

  test('sharingGroups keeps every dependency: a product that needs the kernel between waits for it', () => {
    const rows: View = { buffer: 'ds', offset: 0, rowStride: 16, rows: 8, cols: 16, gathered: { indices: 'idx', scale: 1 } };
    const at = (buffer: string, offset: number, cols: number): View => ({ buffer, offset, rowStride: cols, rows: cols === 16 ? 16 : 8, cols });
    const product = (name: string, b: View, out: View): MatmulKernel => ({
      kind: 'matmul',
      name,
      m: 8,
      n: out.cols,
      k: 16,
      a: rows,
      b,
      transA: false,
      transB: false,
      out,
    });
    const hidden: MatmulKernel = {
      kind: 'matmul',
      name: 'hidden',
      m: 8,
      n: 4,
      k: 4,
      a: at('arena', 0, 4),
      b: at('params', 900, 4),
      transA: false,
      transB: false,
      out: at('arena', 100, 4),
    };
    const first = product('first', at('params', 0, 4), at('arena', 0, 4));
    const apart = product('apart', at('params', 200, 4), at('arena', 200, 4));
    // `reads hidden`: its B is the hidden layer's output, so it runs after it.
    const readsHidden = product('reads hidden', { ...at('arena', 100, 4), rows: 16 }, at('arena', 300, 4));
    const traits = [first, hidden, apart].map(() => ({ workgroupSize: 4, usesBarrier: false, workgroups: [1, 1, 1] as [number, number, number], buffers: [] }));
    expect(sharingGroups([first, hidden, apart], traits)).toEqual([[0, 2], [1]]);
    expect(groupDispatches([first, hidden, apart], traits)).toEqual([[0], [1, 2]]);
    expect(sharingGroups([first, hidden, readsHidden], traits)).toEqual([[0], [1], [2]]);
  });

  test('the article MLP and an unfolded plan have nothing to share', () => {
    const [input, output] = mlp();
    expect(sharedSets(planOf([input], [output], 'train', true))).toEqual([]);
    const [wideInput, wideOutput] = mlp(true);
    expect(sharedSets(planOf([wideInput], [wideOutput], 'train', false))).toEqual([]);
  });

  test('another op(A), rows not read by index, and column groups past one block stay apart', () => {
    const view = (offset: number, gathered: boolean) => ({
      buffer: 'ds',
      offset,
      rowStride: 16,
      rows: 8,
      cols: 16,
      ...(gathered ? { gathered: { indices: 'idx', scale: 1 } } : {}),
    });
    const product = (n: number, offset = 0, gathered = true): MatmulKernel => ({
      kind: 'matmul',
      name: `n${n}`,
      m: 8,
      n,
      k: 16,
      a: view(offset, gathered),
      b: { buffer: 'params', offset: 0, rowStride: n, rows: 16, cols: n },
      transA: false,
      transB: false,
      out: { buffer: 'arena', offset: 0, rowStride: n, rows: 8, cols: n },
    });
    // 30 + 30 columns fill 16 groups of 4; a third product over the same rows starts a set of its own.
    expect(productsSharingA([product(30), product(30), product(30), product(2)])).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(productsSharingA([product(30), product(10, 16), product(10, 0, false), product(3)])).toEqual([[0, 3], [1], [2]]);
  });
});
