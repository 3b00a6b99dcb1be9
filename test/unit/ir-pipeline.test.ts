import { describe, expect, test } from 'vitest';
import { input } from '../../src/api/layers/input.js';
import { dense } from '../../src/api/layers/dense.js';
import { concatenate } from '../../src/api/layers/concatenate.js';
import { buildTopology } from '../../src/api/topology.js';
import { lowerModel, type OutputSpec } from '../../src/api/lowerModel.js';
import { resolveLoss, resolveMetric } from '../../src/api/compileConfig.js';
import { compileGraph } from '../../src/ir/compile.js';
import { interpret } from '../../src/ir/interpret.js';
import type { SymbolicTensor } from '../../src/api/symbolic.js';
import { groupDispatches } from '../../src/ir/plan/dispatchGroups.js';

function modelOf(inputs: SymbolicTensor[], outputs: SymbolicTensor[]) {
  const topology = buildTopology(inputs, outputs);
  return { inputs, outputs, topology, weights: topology.layers.flatMap((l) => l.weights) };
}

function spec(name: string, units: number, weight = 1): OutputSpec {
  const loss = resolveLoss('sparseCategoricalCrossentropy', name);
  return { name, units, loss, weight, metrics: [resolveMetric('accuracy', loss, units, name)] };
}

describe('IR pipeline on the article models', () => {
  test('MLP compiles to ≤ 10 kernels and the fused graph matches the unfused one', () => {
    const x = input({ shape: [20] });
    const h1 = dense({ units: 7, activation: 'relu', seed: 1 }).apply(x);
    const h2 = dense({ units: 5, activation: 'relu', seed: 2 }).apply(h1);
    const out = dense({ units: 4, activation: 'softmax', seed: 3, name: 'out' }).apply(h2);
    const model = modelOf([x], [out]);
    const graph = lowerModel(model, 6, 'train', [spec('out', 4)]);
    const compiled = compileGraph(graph, { mode: 'train', optimizer: { kind: 'sgd' }, inputStorage: [{ elementType: 'f32', scale: 1 }] });
    expect(compiled.plan.kernels.length).toBeLessThanOrEqual(11);
    const env = {
      inputs: [Array.from({ length: 6 * 20 }, (_, i) => Math.sin(i * 1.3))],
      targets: [[0, 1, 2, 3, 1, 2]],
      params: model.weights.map((w) => Array.from(w.values, (v, i) => v + 0.01 * Math.cos(i))),
    };
    const a = interpret(compiled.unfused, env);
    const b = interpret(compiled.fused, env);
    compiled.unfused.paramGrads!.forEach((g, p) => {
      const ga = a.values[g!]!.data;
      const gb = b.values[compiled.fused.paramGrads![p]!]!.data;
      expect(gb.length).toBe(ga.length);
      for (let i = 0; i < ga.length; i++) expect(gb[i]).toBeCloseTo(ga[i]!, 12);
    });
    expect(b.slots.get(0)).toBeCloseTo(a.slots.get(0)!, 12);
    expect(b.slots.get(1)).toBe(a.slots.get(1));
    // Weight and input gradients of a layer read the same dZ and write disjoint memory: one dispatch.
    const groups = groupDispatches(compiled.plan.kernels);
    expect(groups.map((g) => g.map((i) => compiled.plan.kernels[i]!.kind).join('+'))).toEqual([
      'gather',
      'matmul',
      'matmul',
      'matmul',
      'lossHead',
      'matmul+matmul',
      'matmul+matmul',
      'matmul',
      'optimizer',
    ]);
  });

  test('wide & deep: concat costs no kernel', () => {
    const x = input({ shape: [20] });
    const h1 = dense({ units: 7, activation: 'relu', seed: 1 }).apply(x);
    const h2 = dense({ units: 5, activation: 'relu', seed: 2 }).apply(h1);
    const c = concatenate().apply([x, h2]);
    const out = dense({ units: 4, activation: 'softmax', seed: 3, name: 'out' }).apply(c);
    const model = modelOf([x], [out]);
    const graph = lowerModel(model, 6, 'train', [spec('out', 4)]);
    const compiled = compileGraph(graph, {
      mode: 'train',
      optimizer: { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
      inputStorage: [{ elementType: 'f32', scale: 1 }],
    });

    expect(compiled.plan.kernels.length).toBeLessThanOrEqual(11);
  });
});
