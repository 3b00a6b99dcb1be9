// The optimizer fused into the weight-gradient kernels (plan/executionOrder.ts, plan/fuseOptimizerUpdates.ts):
// when it applies, what the fused plan looks like, and the plans that must keep the optimizer kernel.
// That fused plans compute the same step is checked by plan-reference (float64 reference, 100 random
// graphs), fused-vs-interpreter and the TensorFlow.js oracle (GPU).
import { describe, expect, test } from 'vitest';
import * as weft from '../../src/index.js';
import { resolveLoss } from '../../src/api/compileConfig.js';
import { lowerModel } from '../../src/api/lowerModel.js';
import type { LayersModel } from '../../src/api/model.js';
import type { SymbolicTensor } from '../../src/api/symbolic.js';
import { compileGraph } from '../../src/ir/compile.js';
import type { KernelDesc, MatmulKernel, OptimizerAlgorithm } from '../../src/ir/kernel.js';
import type { Precision } from '../../src/ir/precision.js';
import { groupDispatches } from '../../src/ir/plan/dispatchGroups.js';
import { fuseOptimizerUpdates } from '../../src/ir/plan/fuseOptimizerUpdates.js';
import { buildModel, randomGraph } from '../reference/randomGraphs.js';
import { outputSpecs } from '../reference/outputSpecs.js';

const ADAM: OptimizerAlgorithm = { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

function planOf(
  inputs: SymbolicTensor[],
  outputs: SymbolicTensor[],
  units: number,
  optimizer: OptimizerAlgorithm = ADAM,
  batch = 5,
  precision: Precision = 'float32',
) {
  const model = weft.model({ inputs, outputs }) as LayersModel;
  const loss = resolveLoss('sparseCategoricalCrossentropy', 'o');
  const forward = lowerModel({ inputs: model.inputs, outputs: model.outputs, topology: model.topology, weights: model.weights }, batch, 'train', [
    { name: 'o', units, loss, weight: 1, metrics: [] },
  ]);
  return compileGraph(forward, {
    mode: 'train',
    optimizer,
    inputStorage: inputs.map(() => ({ elementType: 'f32', scale: 1 }) as const),
    precision,
    fuseUpdates: true,
  }).plan;
}

/** The plan of plan-reference.test.ts's random graph `seed`, trained with Adam. */
function randomPlan(seed: number) {
  const spec = randomGraph(seed);
  const model = buildModel<LayersModel>(weft, spec, seed, `fused_${seed}`);
  const outputs = outputSpecs(spec);
  const forward = lowerModel({ inputs: model.inputs, outputs: model.outputs, topology: model.topology, weights: model.weights }, 3, 'train', outputs);
  return compileGraph(forward, {
    mode: 'train',
    optimizer: ADAM,
    inputStorage: spec.inputs.map(() => ({ elementType: 'f32', scale: 1 }) as const),
    fuseUpdates: true,
  }).plan;
}

const updates = (kernels: KernelDesc[]): MatmulKernel[] => kernels.filter((k): k is MatmulKernel => k.kind === 'matmul' && !!k.update);

describe('optimizer updates fused into the weight gradients', () => {
  test('MLP: every weight gradient updates its parameters, after every kernel that reads them; no gradient buffer', () => {
    const x = weft.input({ shape: [11] });
    const h = weft.layers.dense({ units: 6, activation: 'relu', kernelRegularizer: weft.regularizers.l2({ l2: 0.01 }) }).apply(x);
    const y = weft.layers.dense({ units: 3, activation: 'softmax' }).apply(h);
    const plan = planOf([x], [y], 3);
    expect(plan.kernels.some((k) => k.kind === 'optimizer')).toBe(false);
    expect(plan.buffers.map((b) => b.name)).not.toContain('grads');
    const fused = updates(plan.kernels);
    expect(fused).toHaveLength(2);
    for (const k of fused) {
      expect(k.update).toMatchObject({
        algorithm: ADAM,
        params: 'params',
        state: 'optimizerState',
        stateStride: plan.buffers.find((b) => b.name === 'params')!.size,
      });
      expect(k.out.buffer).toBe('grads');
    }
    // The regularized kernel's penalty rides with the first layer's gradient, and only there.
    const first = fused.find((k) => k.out.offset === 0)!;
    expect(first.update!.penalties).toEqual([{ offset: 0, count: 66, l1: 0, l2: 0.01 }]);
    expect(fused.find((k) => k !== first)!.update!.penalties).toBeUndefined();
    const firstUpdate = plan.kernels.findIndex((k) => k.kind === 'matmul' && !!k.update);
    plan.kernels.forEach((k, i) => {
      if (k.kind === 'matmul' && !k.update && k.b.buffer === 'params') expect(i, `${k.name} reads weights before they are updated`).toBeLessThan(firstUpdate);
    });
    // One dispatch fewer than gradient kernels + optimizer: the two updates share one.
    expect(
      groupDispatches(plan.kernels)
        .at(-1)!
        .map((i) => plan.kernels[i]!.name),
    ).toEqual(fused.map((k) => k.name));
  });

  test('only when asked (the runtime asks on real GPUs): the default plan keeps the optimizer kernel in the graph order', () => {
    const x = weft.input({ shape: [6] });
    const y = weft.layers.dense({ units: 3, activation: 'softmax' }).apply(weft.layers.dense({ units: 4, activation: 'relu' }).apply(x));
    const model = weft.model({ inputs: x, outputs: y }) as LayersModel;
    const loss = resolveLoss('sparseCategoricalCrossentropy', 'o');
    const forward = lowerModel({ inputs: model.inputs, outputs: model.outputs, topology: model.topology, weights: model.weights }, 5, 'train', [
      { name: 'o', units: 3, loss, weight: 1, metrics: [] },
    ]);
    const plan = compileGraph(forward, { mode: 'train', optimizer: ADAM, inputStorage: [{ elementType: 'f32', scale: 1 }] }).plan;
    expect(updates(plan.kernels)).toHaveLength(0);
    expect(plan.kernels.at(-1)!.kind).toBe('optimizer');
    expect(plan.buffers.map((b) => b.name)).toContain('grads');
  });

  test('mixed precision: the fused updates refresh the f16 weight copy', () => {
    const x = weft.input({ shape: [9] });
    const y = weft.layers.dense({ units: 3, activation: 'softmax' }).apply(weft.layers.dense({ units: 5, activation: 'tanh' }).apply(x));
    const plan = planOf([x], [y], 3, ADAM, 5, 'mixed_float16');
    const fused = updates(plan.kernels);
    expect(fused).toHaveLength(2);
    for (const k of fused) expect(k.update!.halfCopy).toBe('paramsHalf');
    expect(plan.kernels.some((k) => k.kind === 'optimizer')).toBe(false);
  });

  test('every optimizer fuses (the update rule is shared with the optimizer kernel)', () => {
    const algorithms: OptimizerAlgorithm[] = [
      { kind: 'sgd' },
      { kind: 'momentum', momentum: 0.9, nesterov: true },
      ADAM,
      { kind: 'rmsprop', decay: 0.9, momentum: 0.1, epsilon: 1e-7, centered: true },
      { kind: 'adagrad', epsilon: 1e-7 },
    ];
    for (const algorithm of algorithms) {
      const x = weft.input({ shape: [4] });
      const y = weft.layers.dense({ units: 3, activation: 'softmax' }).apply(x);
      const plan = planOf([x], [y], 3, algorithm);
      expect(updates(plan.kernels).map((k) => k.update!.algorithm)).toEqual([algorithm]);
    }
  });

  test('a convolution keeps the optimizer kernel (its filter gradient is not a matmul), in the graph order', () => {
    const x = weft.input({ shape: [6, 5, 1] });
    const c = weft.layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu' }).apply(x);
    const y = weft.layers.dense({ units: 3, activation: 'softmax' }).apply(weft.layers.flatten().apply(c));
    const plan = planOf([x], [y], 3);
    expect(updates(plan.kernels)).toHaveLength(0);
    expect(plan.kernels.at(-1)!.kind).toBe('optimizer');
    expect(plan.buffers.map((b) => b.name)).toContain('grads');
  });

  test('a layer used twice accumulates its gradient: the optimizer kernel stays', () => {
    const x = weft.input({ shape: [4] });
    const shared = weft.layers.dense({ units: 4, activation: 'tanh' });
    const y = weft.layers.dense({ units: 3, activation: 'softmax' }).apply(shared.apply(shared.apply(x) as SymbolicTensor));
    const plan = planOf([x], [y], 3);
    expect(updates(plan.kernels)).toHaveLength(0);
    expect(plan.kernels.at(-1)!.kind).toBe('optimizer');
  });

  test('the kernel pass refuses gradients read by another kernel, written twice, or a penalty with no gradient', () => {
    const grads = (offset: number, rows: number) => ({ buffer: 'grads', offset, rowStride: 2, rows, cols: 2 });
    const arena = (offset: number) => ({ buffer: 'arena', offset, rowStride: 2, rows: 2, cols: 2 });
    const dW = (name: string, offset: number): KernelDesc => ({
      kind: 'matmul',
      name,
      m: 2,
      n: 2,
      k: 2,
      a: arena(0),
      b: arena(4),
      transA: true,
      transB: false,
      out: grads(offset, 2),
    });
    const optimizer: KernelDesc = { kind: 'optimizer', name: 'adam', algorithm: ADAM, count: 8, params: 'params', grads: 'grads', state: 's', stateStride: 8 };
    const fusedNames = (kernels: KernelDesc[]) => updates(fuseOptimizerUpdates(kernels)).map((k) => k.name);
    expect(fusedNames([dW('a', 0), dW('b', 4), optimizer])).toEqual(['a', 'b']);
    // Overlapping gradients (two contributions to one parameter).
    expect(fusedNames([dW('a', 0), dW('b', 2), optimizer])).toEqual([]);
    // A kernel that reads the gradient buffer.
    const reader: KernelDesc = { kind: 'columnSum', name: 'reads grads', x: grads(0, 2), out: arena(8) };
    expect(fusedNames([dW('a', 0), dW('b', 4), reader, optimizer])).toEqual([]);
    // A penalty over parameters no kernel writes a gradient for.
    expect(fusedNames([dW('a', 0), { ...optimizer, penalties: [{ offset: 4, count: 4, l1: 0, l2: 0.1 }] }])).toEqual([]);
    // A weight gradient with a reader of its weights after it (not put last by executionOrder) stays unfused.
    const readsParams: KernelDesc = {
      kind: 'matmul',
      name: 'dX',
      m: 2,
      n: 2,
      k: 2,
      a: arena(4),
      b: { ...grads(0, 2), buffer: 'params' },
      transA: false,
      transB: true,
      out: arena(0),
    };
    expect(fusedNames([dW('a', 0), readsParams, optimizer])).toEqual([]);
  });

  test('most random graphs of the plan-reference test fuse their update (so that test checks fused plans)', () => {
    let fused = 0;
    for (let seed = 1; seed <= 60; seed++) if (updates(randomPlan(seed).kernels).length > 0) fused++;
    expect(fused).toBeGreaterThan(30);
  });
});
