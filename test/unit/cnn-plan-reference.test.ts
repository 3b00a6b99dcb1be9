// Convolutional models through the whole compiler without a GPU: the planned kernels (fused conv
// epilogues, ones-row bias gradients, relu masks, channel concats written in place) run on the float64
// kernel reference and must give what the unfused graph gives in the interpreter: the same loss and
// the same parameters after a few SGD steps.
import { describe, expect, test } from 'vitest';
import * as weft from '../../src/index.js';
import { lowerModel, type OutputSpec } from '../../src/api/lowerModel.js';
import { resolveLoss, resolveMetric } from '../../src/api/compileConfig.js';
import type { LayersModel } from '../../src/api/model.js';
import { compileGraph } from '../../src/ir/compile.js';
import { interpret } from '../../src/ir/interpret.js';
import { runKernelReference, type RefBuffers } from '../reference/kernelReference.js';

const LEARNING_RATE = 0.05;
const CLASSES = 4;

type Build = (x: weft.SymbolicTensor) => weft.SymbolicTensor;

const MODELS: Record<string, { image: [number, number, number]; body: Build }> = {
  'conv relu → maxPool → [conv 1×1 | identity] concat → conv valid stride 2 → flatten → dense': {
    image: [9, 7, 2],
    body: (x) => {
      const c1 = weft.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x);
      const p = weft.layers.maxPooling2d({ poolSize: 2, padding: 'same' }).apply(c1);
      const branch = weft.layers.conv2d({ filters: 2, kernelSize: 1, activation: 'tanh' }).apply(p);
      const cat = weft.layers.concatenate().apply([p, branch]);
      const c2 = weft.layers.conv2d({ filters: 4, kernelSize: [3, 2], strides: 2, activation: 'relu' }).apply(cat);
      return weft.layers.flatten().apply(c2);
    },
  },
  'conv → batchNorm → avgPool stride 1 → conv sigmoid → globalMax, globalAvg concat': {
    image: [7, 5, 1],
    body: (x) => {
      const c1 = weft.layers.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', useBias: false }).apply(x);
      const bn = weft.layers.batchNormalization().apply(c1);
      const a = weft.layers.averagePooling2d({ poolSize: [2, 3], strides: 1, padding: 'same' }).apply(bn);
      const c2 = weft.layers.conv2d({ filters: 3, kernelSize: 1, activation: 'sigmoid' }).apply(a);
      const gm = weft.layers.globalMaxPooling2d().apply(c2);
      const ga = weft.layers.globalAveragePooling2d().apply(c2);
      return weft.layers.concatenate().apply([gm, ga]);
    },
  },
};

function check(name: string, batch: number, seed: number): void {
  const { image, body } = MODELS[name]!;
  const x = weft.input({ shape: image });
  const hidden = weft.layers.dense({ units: 5, activation: 'relu' }).apply(body(x));
  const y = weft.layers.dense({ units: CLASSES, activation: 'softmax', name: `out_${seed}` }).apply(hidden);
  const model = weft.model({ inputs: x, outputs: y }) as LayersModel;
  const loss = resolveLoss('sparseCategoricalCrossentropy', `out_${seed}`);
  const outputs: OutputSpec[] = [{ name: `out_${seed}`, units: CLASSES, loss, weight: 1, metrics: [resolveMetric('accuracy', loss, CLASSES, `out_${seed}`)] }];
  let s = seed;
  const r = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
  const features = image[0] * image[1] * image[2];
  const inputs = [Float64Array.from({ length: batch * features }, () => r() * 2 - 1)];
  const targets = [Float64Array.from({ length: batch }, () => Math.floor(r() * CLASSES))];
  const forward = lowerModel({ inputs: model.inputs, outputs: model.outputs, topology: model.topology, weights: model.weights }, batch, 'train', outputs);
  const compiled = compileGraph(forward, { mode: 'train', optimizer: { kind: 'sgd' }, inputStorage: [{ elementType: 'f32', scale: 1 }] });
  const plan = compiled.plan;
  let params = model.weights.map((w) => Float64Array.from(w.values));
  const flat = new Float64Array(plan.paramCount);
  params.forEach((p, i) => flat.set(p, plan.paramOffsets[i]!));
  const buffers: RefBuffers = {
    arena: Float64Array.from({ length: plan.arenaSize }, () => 1e6 * (r() - 0.5)),
    params: flat,
    grads: new Float64Array(flat.length),
    metrics: new Float64Array(Math.max(1, plan.metricSlotCount)),
    indices: Uint32Array.from({ length: batch }, (_, i) => i),
    input0: inputs[0]!,
    labels0: Int32Array.from(targets[0]!),
  };
  for (const declared of plan.buffers)
    if (declared.role === 'arena' && !buffers[declared.name]) buffers[declared.name] = Float64Array.from({ length: declared.size }, () => 1e6 * (r() - 0.5));
  for (let step = 0; step < 3; step++) {
    const expected = interpret(compiled.unfused, { inputs, targets, params });
    buffers.metrics!.fill(0);
    for (const kernel of plan.kernels)
      runKernelReference(kernel, buffers, { rowBase: 0, t: step + 1, learningRate: LEARNING_RATE, beta1Power: 0, beta2Power: 0, seed: 0, rows: batch });
    for (const [slot, value] of expected.slots) expect(buffers.metrics![slot], `step ${step} slot ${slot}`).toBeCloseTo(value, 6);
    params = params.map((before, p) => {
      const g = compiled.unfused.paramGrads![p];
      const info = compiled.unfused.params[p]!;
      // Non-trainable state (batch-norm moving statistics) is updated by the step itself.
      const next = !info.trainable
        ? Float64Array.from(buffers.params!.subarray(plan.paramOffsets[p]!, plan.paramOffsets[p]! + before.length))
        : before.map((v, i) => v - LEARNING_RATE * (g === null || g === undefined ? 0 : expected.values[g]!.data[i]!));
      for (let i = 0; i < before.length; i++)
        expect(buffers.params![plan.paramOffsets[p]! + i], `step ${step} ${model.weights[p]!.name}[${i}]`).toBeCloseTo(next[i]!, 8);
      return next;
    });
  }
  return void compiled;
}

describe('CNN plans on the float64 reference equal the unfused interpreter', () => {
  for (const name of Object.keys(MODELS)) for (const batch of [1, 3]) test(`${name}, batch ${batch}`, () => check(name, batch, 11 + batch));
  test('the conv epilogues are fused: no separate bias, activation or relu-gradient kernels', () => {
    const x = weft.input({ shape: [9, 7, 1] });
    const c = weft.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }).apply(x);
    const c2 = weft.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }).apply(c);
    const y = weft.layers.dense({ units: 3, activation: 'softmax' }).apply(weft.layers.flatten().apply(c2));
    const model = weft.model({ inputs: x, outputs: y }) as LayersModel;
    const loss = resolveLoss('sparseCategoricalCrossentropy', 'o');
    const forward = lowerModel({ inputs: model.inputs, outputs: model.outputs, topology: model.topology, weights: model.weights }, 4, 'train', [
      { name: 'o', units: 3, loss, weight: 1, metrics: [] },
    ]);
    const plan = compileGraph(forward, { mode: 'train', optimizer: { kind: 'sgd' }, inputStorage: [{ elementType: 'f32', scale: 1 }] }).plan;
    expect(plan.kernels.map((k) => k.kind)).toEqual([
      'gather',
      'conv2d',
      'conv2d',
      'matmul',
      'lossHead',
      'matmul',
      'matmul',
      'elementwise',
      'conv2d',
      'conv2d',
      'conv2d',
      'optimizer',
    ]);
  });
  test("conv relu → max-pool: the pool gradient carries the relu's mask (no separate relu-gradient kernel)", () => {
    const x = weft.input({ shape: [9, 7, 1] });
    const c = weft.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }).apply(x);
    const p = weft.layers.maxPooling2d({ poolSize: 2 }).apply(c);
    const y = weft.layers.dense({ units: 3, activation: 'softmax' }).apply(weft.layers.flatten().apply(p));
    const model = weft.model({ inputs: x, outputs: y }) as LayersModel;
    const loss = resolveLoss('sparseCategoricalCrossentropy', 'o');
    const forward = lowerModel({ inputs: model.inputs, outputs: model.outputs, topology: model.topology, weights: model.weights }, 4, 'train', [
      { name: 'o', units: 3, loss, weight: 1, metrics: [] },
    ]);
    const plan = compileGraph(forward, { mode: 'train', optimizer: { kind: 'sgd' }, inputStorage: [{ elementType: 'f32', scale: 1 }] }).plan;
    expect(plan.kernels.map((k) => k.kind)).toEqual(['gather', 'conv2d', 'pool2d', 'matmul', 'lossHead', 'matmul', 'matmul', 'pool2d', 'conv2d', 'optimizer']);
    const poolGrad = plan.kernels.filter((k) => k.kind === 'pool2d' && k.dy);
    expect(poolGrad.map((k) => k.kind === 'pool2d' && k.gradMask?.activation)).toEqual(['relu']);
  });
});
