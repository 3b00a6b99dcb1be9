// Pieces of training that need no GPU: the optimizer's per-step values and explain()'s text.
import { describe, expect, test } from 'vitest';
import { train } from '../../src/api/compileConfig.js';
import { describeFused, explainPlans, type PlanDescription } from '../../src/ir/explainText.js';
import type { KernelDesc } from '../../src/ir/kernel.js';

describe('Optimizer.stepValues', () => {
  test('Adam: the learning rate and β₁ᵗ, β₂ᵗ (bias correction)', () => {
    const adam = train.adam(0.01, 0.8, 0.9);
    expect(adam.stepValues(1)).toEqual({ learningRate: 0.01, beta1Power: 0.8, beta2Power: 0.9 });
    const v = adam.stepValues(3);
    expect(v.beta1Power).toBeCloseTo(0.512, 12);
    expect(v.beta2Power).toBeCloseTo(0.729, 12);
  });
  test('others: the learning rate (it may change between epochs) and zero powers', () => {
    const sgd = train.sgd(0.1, { momentum: 0.9 });
    expect(sgd.stepValues(7)).toEqual({ learningRate: 0.1, beta1Power: 0, beta2Power: 0 });
    sgd.learningRate = 0.05;
    expect(sgd.stepValues(8).learningRate).toBe(0.05);
    for (const o of [train.rmsprop(), train.adagrad(), train.sgd()]) expect(o.stepValues(2).beta1Power).toBe(0);
  });
});

describe('explainPlans', () => {
  const matmul = { kind: 'matmul', name: 'dense', bias: {}, activation: 'relu' } as unknown as KernelDesc;
  const columnSum = { kind: 'columnSum', name: 'sum' } as unknown as KernelDesc;
  const plan = (dispatches: PlanDescription['dispatches']): PlanDescription => ({
    stages: [{ name: 'lowered', dump: 'LOWERED' }],
    planDump: 'PLAN',
    dispatches,
    plannedBytes: 1024,
  });
  test('one entry per dispatch, groups listing their parts; text with every stage and kernel', () => {
    const r = explainPlans(
      plan([
        { name: 'k0', wgsl: 'WGSL0', workgroups: [1, 1, 1], parts: [matmul] },
        { name: 'k1', wgsl: 'WGSL1', workgroups: [2, 1, 1], parts: [matmul, columnSum] },
      ]),
      plan([{ name: 'p0', wgsl: 'P', workgroups: [1, 1, 1], parts: [matmul] }]),
    );
    expect(r.dispatchesPerTrainStep).toBe(2);
    expect(r.dispatchesPerPredictBatch).toBe(1);
    expect(r.kernels.map((k) => k.kind)).toEqual(['matmul', 'group(matmul, columnSum)']);
    expect(r.kernels[1]!.fusedOps).toBe('matmul + biasAdd + relu | columnSum');
    expect(r.stages.map((s) => s.name)).toEqual(['lowered', 'predict plan']);
    expect(r.plannedBytes).toEqual({ train: 1024, predict: 1024 });
    const text = r.toString();
    for (const part of ['LOWERED', 'PLAN', 'dispatches per training step: 2; per predict batch: 1', '// ── k1 [matmul + biasAdd + relu | columnSum] ──\nWGSL1'])
      expect(text).toContain(part);
    expect(describeFused(columnSum)).toBe('columnSum');
  });
});
