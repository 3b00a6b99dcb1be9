// ir/plan/paddedBatches.ts: which plans may run a short batch padded to their rows (evaluate and predict:
// rows computed on their own, loss heads masking the padding) and which may not (training: gradients
// scaled for the batch, weight gradients and batch statistics summing over rows).
import { describe, expect, test } from 'vitest';
import * as weft from '../../src/index.js';
import type { KernelDesc, LossHeadKernel } from '../../src/ir/kernel.js';
import { takesPaddedBatches } from '../../src/ir/plan/paddedBatches.js';
import { articleModel, articlePlan } from './articlePlans.js';

/** The article MLP with batch normalization and dropout after its first layer. */
function normalizedModel() {
  const input = weft.input({ shape: [784] });
  const h = weft.layers.dense({ units: 30, activation: 'relu' }).apply(input);
  const bn = weft.layers.batchNormalization().apply(h);
  const d = weft.layers.dropout({ rate: 0.2 }).apply(bn);
  return [input, weft.layers.dense({ units: 10, activation: 'softmax' }).apply(d)] as const;
}

describe('takesPaddedBatches', () => {
  test('evaluate and predict plans of the article models and of a model with batch normalization and dropout: yes', () => {
    for (const [input, output] of [articleModel(false), articleModel(true), normalizedModel()]) {
      for (const mode of ['evaluate', 'predict'] as const) {
        for (const batch of [32, 7]) {
          const plan = articlePlan([input], [output], { mode, batch });
          expect(takesPaddedBatches(plan.kernels), `${mode} at ${batch}`).toBe(true);
          // evaluate's loss heads mask the padding
          const heads = plan.kernels.filter((k): k is LossHeadKernel => k.kind === 'lossHead');
          expect(heads.length).toBe(mode === 'evaluate' ? 1 : 0);
          for (const h of heads) expect(h.maskRows).toBe(true);
        }
      }
    }
  });

  test('training plans: no (with and without batch statistics, with and without fused updates)', () => {
    for (const [input, output] of [articleModel(false), normalizedModel()]) {
      for (const fuseUpdates of [false, true]) {
        const plan = articlePlan([input], [output], { mode: 'train', batch: 32, fuseUpdates });
        expect(takesPaddedBatches(plan.kernels)).toBe(false);
        for (const h of plan.kernels.filter((k): k is LossHeadKernel => k.kind === 'lossHead')) expect(h.maskRows).toBeUndefined();
      }
    }
  });

  test('each kind of kernel that sums over rows, or a head that does not mask, makes a plan refuse padding', () => {
    const [input, output] = articleModel(false);
    const plan = articlePlan([input], [output], { mode: 'evaluate', batch: 32 });
    expect(takesPaddedBatches(plan.kernels)).toBe(true);
    const head = plan.kernels.find((k): k is LossHeadKernel => k.kind === 'lossHead')!;
    const matmul = plan.kernels.find((k) => k.kind === 'matmul')!;
    if (matmul.kind !== 'matmul') throw new Error('no matmul');
    const spoiled: [string, KernelDesc][] = [
      ['head without the mask', { ...head, maskRows: false }],
      ['head with a gradient', { ...head, gradOut: head.input }],
      ['op(A) transposed (a weight gradient)', { ...matmul, transA: true }],
      ['a row of ones under A (a bias gradient)', { ...matmul, aOnesRow: true }],
      ['a column sum (batch statistics)', { kind: 'columnSum', name: 'sum', x: matmul.out, out: matmul.out }],
    ];
    for (const [what, kernel] of spoiled) expect(takesPaddedBatches([...plan.kernels, kernel]), what).toBe(false);
  });
});
