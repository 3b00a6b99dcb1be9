// Gather folding (plan option gatheredProducts, plan/foldGather.ts): which inputs are read from the
// dataset through the sample indices, what such a plan looks like, and the plans that keep their
// gather. That folded plans compute the same step is checked by plan-reference (float64 reference,
// 100 random graphs, shuffled indices), the kernel tests (gathered u8 and f32 rows against the
// reference) and every GPU test that trains on this adapter, where the runtime turns it on.
import { describe, expect, test } from 'vitest';
import * as weft from '../../src/index.js';
import { resolveLoss } from '../../src/api/compileConfig.js';
import { lowerModel } from '../../src/api/lowerModel.js';
import type { LayersModel } from '../../src/api/model.js';
import type { SymbolicTensor } from '../../src/api/symbolic.js';
import { compileGraph } from '../../src/ir/compile.js';
import type { KernelDesc, MatmulKernel } from '../../src/ir/kernel.js';
import { dumpPlan, type PlanMode } from '../../src/ir/plan.js';

function planOf(inputs: SymbolicTensor[], outputs: SymbolicTensor[], mode: PlanMode, gatheredProducts: boolean, fuseUpdates = false) {
  const model = weft.model({ inputs, outputs }) as LayersModel;
  const loss = resolveLoss('sparseCategoricalCrossentropy', 'o');
  const specs = mode === 'predict' ? [] : [{ name: 'o', units: 10, loss, weight: 1, metrics: [] }];
  const forward = lowerModel({ inputs: model.inputs, outputs: model.outputs, topology: model.topology, weights: model.weights }, 32, mode, specs);
  return compileGraph(forward, {
    mode,
    optimizer: { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    inputStorage: inputs.map(() => ({ elementType: 'u8', scale: 1 / 255 }) as const),
    gatheredProducts,
    fuseUpdates,
  }).plan;
}

function mlp(wide = false): [SymbolicTensor, SymbolicTensor] {
  const input = weft.input({ shape: [784] });
  const h1 = weft.layers.dense({ units: 30, activation: 'relu' }).apply(input);
  const h2 = weft.layers.dense({ units: 30, activation: 'relu' }).apply(h1);
  const top = wide ? weft.layers.concatenate().apply([input, h2]) : h2;
  return [input, weft.layers.dense({ units: 10, activation: 'softmax' }).apply(top)];
}

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

  test("wide & deep keeps its gather: the input also fills the concat's columns", () => {
    const [input, output] = mlp(true);
    const plan = planOf([input], [output], 'train', true);
    expect(plan.kernels[0]!.kind).toBe('gather');
    expect(gatheredProducts(plan.kernels)).toEqual([]);
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
