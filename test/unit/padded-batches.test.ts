// ir/plan/paddedBatches.ts: which plans may run a short batch padded to their rows — evaluate and predict
// (rows computed on their own, loss heads masking the padding), training where every sum over samples has
// a factor the masked heads make zero on the padding — and which may not (batch statistics).
import { describe, expect, test } from 'vitest';
import * as weft from '../../src/index.js';
import type { IrGraph, IrNode } from '../../src/ir/graph.js';
import type { KernelDesc, LossHeadKernel } from '../../src/ir/kernel.js';
import { kernelsKeepRowsApart, takesPaddedBatches, trainingSumsStayLive } from '../../src/ir/plan/paddedBatches.js';
import { articleModel, articlePlan } from './articlePlans.js';

/** The article MLP with batch normalization and dropout after its first layer. */
function normalizedModel() {
  const input = weft.input({ shape: [784] });
  const h = weft.layers.dense({ units: 30, activation: 'relu' }).apply(input);
  const bn = weft.layers.batchNormalization().apply(h);
  const d = weft.layers.dropout({ rate: 0.2 }).apply(bn);
  return [input, weft.layers.dense({ units: 10, activation: 'softmax' }).apply(d)] as const;
}

/** An IR node without its id (given by its place in the list). */
type NodeSpec = IrNode extends infer N ? (N extends IrNode ? Omit<N, 'id'> : never) : never;

describe('takesPaddedBatches', () => {
  test('evaluate and predict plans of the article models and of a model with batch normalization and dropout: yes', () => {
    for (const [input, output] of [articleModel(false), articleModel(true), normalizedModel()]) {
      for (const mode of ['evaluate', 'predict'] as const) {
        for (const batch of [32, 7]) {
          const plan = articlePlan([input], [output], { mode, batch });
          expect(takesPaddedBatches(plan), `${mode} at ${batch}`).toBe(true);
          // evaluate's loss heads mask the padding
          const heads = plan.kernels.filter((k): k is LossHeadKernel => k.kind === 'lossHead');
          expect(heads.length).toBe(mode === 'evaluate' ? 1 : 0);
          for (const h of heads) expect(h.maskRows).toEqual({ batch });
        }
      }
    }
  });

  test('training plans: yes for the article models (with and without fused updates) and a CNN, no with batch statistics', () => {
    for (const wide of [false, true]) {
      const [input, output] = articleModel(wide);
      for (const fuseUpdates of [false, true]) {
        const plan = articlePlan([input], [output], { mode: 'train', batch: 32, fuseUpdates });
        expect(takesPaddedBatches(plan), `wide ${wide}, fused ${fuseUpdates}`).toBe(true);
        for (const h of plan.kernels.filter((k): k is LossHeadKernel => k.kind === 'lossHead')) expect(h.maskRows).toEqual({ batch: 32 });
      }
    }
    // A CNN: filter gradients sum x · dy over samples, dy zero on the padding.
    const image = weft.input({ shape: [8, 8, 1] });
    const conv = weft.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(image);
    const pooled = weft.layers.maxPooling2d({ poolSize: 2 }).apply(conv);
    const classes = weft.layers.dense({ units: 10, activation: 'softmax' }).apply(weft.layers.flatten().apply(pooled));
    expect(takesPaddedBatches(articlePlan([image], [classes], { mode: 'train', batch: 8 })), 'CNN').toBe(true);
    const [input, output] = normalizedModel();
    const plan = articlePlan([input], [output], { mode: 'train', batch: 32 });
    expect(trainingSumsStayLive(plan.graph), 'batch normalization sums forward values over rows').toBe(false);
    expect(takesPaddedBatches(plan)).toBe(false);
  });

  test('trainingSumsStayLive on small graphs: a sum over samples passes only with a factor zero on the padding', () => {
    const B = 8;
    const graph = (nodes: NodeSpec[]): IrGraph =>
      ({
        batchSize: B,
        nodes: nodes.map((n, id) => ({ ...n, id })),
        params: [],
        inputs: [],
        targets: [],
        outputs: [],
        accumulators: [],
        losses: [],
      }) as unknown as IrGraph;
    const leaves: NodeSpec[] = [
      { op: 'input', index: 0, name: 'x', shape: [B, 5] }, // 0: live
      { op: 'target', index: 0, sparse: false, name: 't', shape: [B, 3] }, // 1: live
      { op: 'param', index: 0, name: 'w', shape: [5, 3] }, // 2: none
      { op: 'matmul', a: 0, b: 2, transA: false, transB: false, shape: [B, 3] }, // 3: x·w, live
      {
        op: 'lossHead',
        loss: 'meanSquaredError',
        input: 3,
        target: 1,
        sparse: false,
        withGrad: true,
        gradScale: 1 / B,
        lossSlot: 0,
        metrics: [],
        shape: [B, 3],
      }, // 4: zero
    ];
    const weightGradient: NodeSpec = { op: 'matmul', a: 0, b: 4, transA: true, transB: false, shape: [5, 3] };
    expect(trainingSumsStayLive(graph([...leaves, weightGradient])), 'xᵀ·dz').toBe(true);
    expect(
      trainingSumsStayLive(graph([...leaves, { op: 'matmul', a: 0, b: 4, transA: true, transB: false, epilogue: { aOnesRow: true }, shape: [6, 3] }])),
      'xᵀ·dz with the bias row',
    ).toBe(true);
    expect(trainingSumsStayLive(graph([...leaves, { op: 'columnSum', x: 4, shape: [1, 3] }])), 'Σ dz').toBe(true);
    expect(trainingSumsStayLive(graph([...leaves, { op: 'matmul', a: 0, b: 3, transA: true, transB: false, shape: [5, 3] }])), 'xᵀ·(x·w)').toBe(false);
    expect(trainingSumsStayLive(graph([...leaves, { op: 'columnSum', x: 3, shape: [1, 3] }])), 'Σ x·w (batch statistics)').toBe(false);
    // zero stays zero through a relu gradient mask and a product with the weights; a bias makes it live again
    const back: NodeSpec[] = [
      ...leaves,
      { op: 'activationGrad', y: 3, dy: 4, activation: 'relu', shape: [B, 3] }, // 5: zero
      { op: 'matmul', a: 5, b: 2, transA: false, transB: true, shape: [B, 5] }, // 6: dz·wᵀ, zero
    ];
    expect(trainingSumsStayLive(graph([...back, { op: 'matmul', a: 0, b: 6, transA: true, transB: false, shape: [5, 5] }])), 'xᵀ·(dz·wᵀ)').toBe(true);
    expect(
      trainingSumsStayLive(graph([...back, { op: 'biasAdd', x: 6, bias: 2, shape: [B, 5] }, { op: 'columnSum', x: 7, shape: [1, 5] }])),
      'Σ (… + bias)',
    ).toBe(false);
    expect(
      trainingSumsStayLive(graph([...back, { op: 'activation', x: 6, activation: 'sigmoid', shape: [B, 5] }, { op: 'columnSum', x: 7, shape: [1, 5] }])),
      'Σ sigmoid(0)',
    ).toBe(false);
    expect(trainingSumsStayLive(graph([...back, { op: 'slice', x: 6, axis: 0, start: 0, size: 4, shape: [4, 5] }])), 'rows of a per-sample value').toBe(false);
    expect(
      trainingSumsStayLive(graph([...leaves, { op: 'metric', metric: 'meanSquaredError', pred: 3, target: 1, sparse: false, shape: [B, 1] }])),
      'an unfused metric',
    ).toBe(false);
  });

  test('a training plan whose head does not mask, or whose kernels are checked as an inference plan, refuses', () => {
    const [input, output] = articleModel(false);
    const plan = articlePlan([input], [output], { mode: 'train', batch: 32 });
    const unmasked = plan.kernels.map((k) => (k.kind === 'lossHead' ? { ...k, maskRows: undefined } : k)) as KernelDesc[];
    expect(takesPaddedBatches({ ...plan, kernels: unmasked })).toBe(false);
    expect(kernelsKeepRowsApart(plan.kernels), 'weight gradients sum over rows').toBe(false);
  });

  test('each kind of kernel that sums over rows, or a head that does not mask, makes a plan refuse padding', () => {
    const [input, output] = articleModel(false);
    const plan = articlePlan([input], [output], { mode: 'evaluate', batch: 32 });
    expect(takesPaddedBatches(plan)).toBe(true);
    const head = plan.kernels.find((k): k is LossHeadKernel => k.kind === 'lossHead')!;
    const matmul = plan.kernels.find((k) => k.kind === 'matmul')!;
    if (matmul.kind !== 'matmul') throw new Error('no matmul');
    const spoiled: [string, KernelDesc][] = [
      ['head without the mask', { ...head, maskRows: undefined } as unknown as KernelDesc],
      ['head with a gradient', { ...head, gradOut: head.input }],
      ['op(A) transposed (a weight gradient)', { ...matmul, transA: true }],
      ['a row of ones under A (a bias gradient)', { ...matmul, aOnesRow: true }],
      ['a column sum (batch statistics)', { kind: 'columnSum', name: 'sum', x: matmul.out, out: matmul.out }],
    ];
    for (const [what, kernel] of spoiled) expect(takesPaddedBatches({ ...plan, kernels: [...plan.kernels, kernel] }), what).toBe(false);
  });
});
