// The path the next op takes, walked with a toy op (toyScaledIdentity: x × factor). Adding it took
// one entry in the op table (src/ir/ops/table.ts: operands, gradient operands, shape, dump text,
// placement), its VJP rule (autodiff.ts), its interpreter rule (interpret.ts) and its kernel rule
// (plan/kernelSelection.ts). Here a small model is built through it and trained: the gradient
// matches finite differences, and the planned kernels (run on the float64 kernel reference) train
// exactly as the interpreter says.
import { describe, expect, test } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import { compileGraph } from '../../src/ir/compile.js';
import { dumpGraph } from '../../src/ir/dump.js';
import type { IrGraph } from '../../src/ir/graph.js';
import { interpret } from '../../src/ir/interpret.js';
import { runKernelReference, type RefBuffers } from '../reference/kernelReference.js';

const BATCH = 4;
const FEATURES = 3;
const UNITS = 2;

/** input [4, 3] → dense (kernel, bias) → toyScaledIdentity × 0.5 → mse against a dense target. */
function toyGraph(): IrGraph {
  const b = new GraphBuilder(BATCH);
  const x = b.leaf({ op: 'input', index: 0, name: 'x' }, [BATCH, FEATURES]);
  const kernel = b.leaf({ op: 'param', index: 0, name: 'kernel' }, [FEATURES, UNITS]);
  const bias = b.leaf({ op: 'param', index: 1, name: 'bias' }, [1, UNITS]);
  const z = b.add({ op: 'biasAdd', x: b.add({ op: 'matmul', a: x, b: kernel, transA: false, transB: false }), bias: bias });
  const y = b.add({ op: 'toyScaledIdentity', x: z, factor: 0.5 }, 'toy');
  const target = b.leaf({ op: 'target', index: 0, sparse: false, name: 't' }, [BATCH, UNITS]);
  const loss = b.add({ op: 'pointwiseLoss', loss: 'meanSquaredError', pred: y, target });
  return {
    batchSize: BATCH,
    nodes: b.nodes,
    params: [
      { name: 'kernel', shape: [FEATURES, UNITS], trainable: true },
      { name: 'bias', shape: [1, UNITS], trainable: true },
    ],
    inputs: [{ name: 'x', cols: FEATURES }],
    targets: [{ name: 't', cols: UNITS, sparse: false }],
    outputs: [],
    accumulators: [{ slot: 0, name: 'loss', value: loss }],
    losses: [{ output: 0, value: loss, weight: 1 }],
  };
}

const inputs = [Array.from({ length: BATCH * FEATURES }, (_, i) => Math.sin(i + 1))];
const targets = [Array.from({ length: BATCH * UNITS }, (_, i) => Math.cos(i * 0.7))];
const initial = [Array.from({ length: FEATURES * UNITS }, (_, i) => 0.3 - 0.1 * i), [0.1, -0.2]];

describe('a toy op added through the op table', () => {
  const compiled = compileGraph(toyGraph(), { mode: 'train', optimizer: { kind: 'sgd' }, inputStorage: [{ elementType: 'f32', scale: 1 }] });

  test('it appears in the dumps, and its gradient is a toy op too', () => {
    expect(dumpGraph(compiled.unfused)).toMatch(/toyScaledIdentity %\d+ × 0.5 +\[4, 2\]/);
    expect(compiled.unfused.nodes.filter((n) => n.op === 'toyScaledIdentity')).toHaveLength(2);
  });

  test('its gradient matches finite differences', () => {
    const lossOf = (params: number[][]): number => interpret(compiled.unfused, { inputs, targets, params }).slots.get(0)! / BATCH;
    const result = interpret(compiled.unfused, { inputs, targets, params: initial });
    compiled.unfused.paramGrads!.forEach((g, p) => {
      const grad = result.values[g!]!.data;
      initial[p]!.forEach((_, i) => {
        const h = 1e-6;
        const plus = initial.map((w, q) => (q === p ? w.map((v, j) => (j === i ? v + h : v)) : w));
        const minus = initial.map((w, q) => (q === p ? w.map((v, j) => (j === i ? v - h : v)) : w));
        expect(grad[i]).toBeCloseTo((lossOf(plus) - lossOf(minus)) / (2 * h), 6);
      });
    });
  });

  test('the planned kernels train through it as the interpreter does', () => {
    const plan = compiled.plan;
    expect(plan.kernels.some((k) => k.name.startsWith('toy'))).toBe(true);
    const learningRate = 1;
    let params = initial.map((w) => Float64Array.from(w));
    const flat = new Float64Array(plan.paramCount);
    params.forEach((p, i) => flat.set(p, plan.paramOffsets[i]!));
    const buffers: RefBuffers = {
      arena: new Float64Array(plan.arenaSize),
      params: flat,
      grads: new Float64Array(plan.paramCount),
      metrics: new Float64Array(plan.metricSlotCount),
      indices: Uint32Array.from({ length: BATCH }, (_, i) => i),
      input0: Float64Array.from(inputs[0]!),
      target0: Float64Array.from(targets[0]!),
    };
    for (const declared of plan.buffers) if (declared.role === 'arena' && !buffers[declared.name]) buffers[declared.name] = new Float64Array(declared.size);
    const losses: number[] = [];
    for (let step = 0; step < 30; step++) {
      const expected = interpret(compiled.unfused, { inputs, targets, params });
      buffers.metrics!.fill(0);
      for (const kernel of plan.kernels)
        runKernelReference(kernel, buffers, { rowBase: 0, t: step + 1, learningRate, beta1Power: 0, beta2Power: 0, seed: 0, rows: BATCH });
      expect(buffers.metrics![0]).toBeCloseTo(expected.slots.get(0)!, 9);
      losses.push(expected.slots.get(0)!);
      params = params.map((p, i) => {
        const grad = expected.values[compiled.unfused.paramGrads![i]!]!.data;
        const next = p.map((v, j) => v - learningRate * grad[j]!);
        next.forEach((v, j) => expect(buffers.params![plan.paramOffsets[i]! + j]).toBeCloseTo(v, 9));
        return next;
      });
    }
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! * 0.9);
  });
});
