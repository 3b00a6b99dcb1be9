// Binary cross-entropy end to end without a GPU: compile() resolves it (names, functions, metrics),
// the sigmoid output is fused into a sigmoid cross-entropy head on the logits (else the loss is
// computed from the probabilities), and the planned kernels on the float64 kernel reference equal the
// unfused interpreter — metric sums and parameters after one SGD step.
import { describe, expect, test } from 'vitest';
import * as weft from '../../src/index.js';
import { prepareData } from '../../src/api/callArgs.js';
import { resolveLoss, resolveMetric } from '../../src/api/compileConfig.js';
import { lowerModel, type OutputSpec } from '../../src/api/lowerModel.js';
import type { LayersModel } from '../../src/api/model.js';
import { compileGraph } from '../../src/ir/compile.js';
import { interpret } from '../../src/ir/interpret.js';
import { runKernelReference, type RefBuffers } from '../reference/kernelReference.js';

const LEARNING_RATE = 0.1;

let seed = 7;
const random = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296;

/** input [features] → dense relu → dense(units, activation) with binary cross-entropy. */
function binaryModel(features: number, units: number, activation: string): LayersModel {
  const x = weft.input({ shape: [features] });
  const h = weft.layers.dense({ units: 5, activation: 'relu', seed: 1 }).apply(x);
  const y = weft.layers.dense({ units, activation, seed: 2 }).apply(h);
  return weft.model({ inputs: x, outputs: y }) as LayersModel;
}

function compiled(model: LayersModel, batch: number, metrics: string[]) {
  const name = model.outputs[0]!.sourceLayer.name;
  const units = model.outputs[0]!.featureSize;
  const loss = resolveLoss('binaryCrossentropy', name);
  const outputs: OutputSpec[] = [{ name, units, loss, weight: 0.8, metrics: metrics.map((m) => resolveMetric(m, loss, units, name)) }];
  const lowerable = { inputs: model.inputs, outputs: model.outputs, topology: model.topology, weights: model.weights };
  return {
    outputs,
    graph: compileGraph(lowerModel(lowerable, batch, 'train', outputs), {
      mode: 'train',
      optimizer: { kind: 'sgd' },
      inputStorage: [{ elementType: 'f32', scale: 1 }],
    }),
  };
}

/** The planned kernels, run on the float64 reference, against the unfused graph in the interpreter. */
function checkPlanAgainstInterpreter(model: LayersModel, batch: number, metrics: string[]): string[] {
  const { outputs, graph } = compiled(model, batch, metrics);
  const features = model.inputs[0]!.featureSize;
  const units = outputs[0]!.units;
  const inputs = [Float64Array.from({ length: batch * features }, () => random() * 4 - 2)];
  const targets = [Float64Array.from({ length: batch * units }, (_, i) => (i % 3 === 0 ? 0.25 : random() < 0.5 ? 0 : 1))];
  const params = model.weights.map((w) => Float64Array.from(w.values));
  const expected = interpret(graph.unfused, { inputs, targets, params });
  const plan = graph.plan;
  const flat = new Float64Array(plan.paramCount);
  params.forEach((p, i) => flat.set(p, plan.paramOffsets[i]!));
  const buffers: RefBuffers = {
    arena: Float64Array.from({ length: plan.arenaSize }, () => 1e6 * (random() - 0.5)),
    params: flat,
    grads: new Float64Array(flat.length),
    metrics: new Float64Array(Math.max(1, plan.metricSlotCount)),
    indices: Uint32Array.from({ length: batch }, (_, i) => i),
    input0: inputs[0]!,
    target0: targets[0]!,
  };
  for (const declared of plan.buffers)
    if (declared.role === 'arena' && !buffers[declared.name])
      buffers[declared.name] = Float64Array.from({ length: declared.size }, () => 1e6 * (random() - 0.5));
  for (const kernel of plan.kernels)
    runKernelReference(kernel, buffers, { rowBase: 0, t: 1, learningRate: LEARNING_RATE, beta1Power: 0, beta2Power: 0, seed: 0, rows: batch });
  expect(expected.slots.size).toBe(1 + metrics.length);
  for (const [slot, value] of expected.slots) expect(buffers.metrics![slot], `slot ${slot}`).toBeCloseTo(value, 9);
  graph.unfused.paramGrads!.forEach((g, p) => {
    const grad = expected.values[g!]!.data;
    for (let i = 0; i < params[p]!.length; i++)
      expect(buffers.params![plan.paramOffsets[p]! + i], `${model.weights[p]!.name}[${i}]`).toBeCloseTo(params[p]![i]! - LEARNING_RATE * grad[i]!, 9);
  });
  return graph.fused.nodes.filter((n) => n.op === 'lossHead').map((n) => (n.op === 'lossHead' ? n.loss : ''));
}

describe('binary cross-entropy', () => {
  test('its names and functions resolve to it; accuracy is binary accuracy', () => {
    for (const spec of ['binaryCrossentropy', 'binary_crossentropy', weft.losses.logLoss, weft.metrics.binaryCrossentropy])
      expect(resolveLoss(spec, 'out')).toEqual({ name: 'binaryCrossentropy', sparse: false, kind: 'binaryCrossEntropy' });
    const loss = resolveLoss('binaryCrossentropy', 'out');
    expect(resolveMetric('accuracy', loss, 1, 'out').kind).toBe('binaryAccuracy');
    // Several sigmoid units (multi-label): binary accuracy too, as TensorFlow.js.
    expect(resolveMetric('acc', loss, 4, 'out').kind).toBe('binaryAccuracy');
  });

  test('a sigmoid output fuses into a sigmoid cross-entropy head on the logits', () => {
    const { graph } = compiled(binaryModel(4, 1, 'sigmoid'), 6, ['accuracy']);
    expect(graph.unfused.nodes.some((n) => n.op === 'sigmoidCrossEntropy')).toBe(true);
    expect(graph.unfused.nodes.some((n) => n.op === 'pointwiseLoss')).toBe(false);
    const heads = graph.fused.nodes.filter((n) => n.op === 'lossHead');
    expect(heads.map((h) => h.op === 'lossHead' && h.loss)).toEqual(['sigmoidCrossEntropy']);
    // The metric is absorbed by the head; no sigmoid kernel is left in the training step.
    expect(graph.fused.nodes.some((n) => n.op === 'activation')).toBe(false);
  });

  test.each([
    ['one sigmoid unit', 1, 'sigmoid', ['accuracy', 'mse']],
    ['three sigmoid units (multi-label)', 3, 'sigmoid', ['binaryAccuracy']],
    ['probabilities from a softmax (unfused)', 3, 'softmax', ['accuracy']],
  ] as const)('%s: planned kernels on the reference equal the interpreter', (_, units, activation, metrics) => {
    const heads = checkPlanAgainstInterpreter(binaryModel(5, units, activation), 7, [...metrics]);
    expect(heads).toEqual([activation === 'sigmoid' ? 'sigmoidCrossEntropy' : 'binaryCrossEntropy']);
  });

  test('targets of shape [n] are taken as [n, 1] for a one-unit output; other shapes are refused', () => {
    const model = binaryModel(3, 1, 'sigmoid');
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const x = weft.tensor(new Float32Array(12), [4, 3]);
    const state = (model as unknown as { compiledState: Parameters<typeof prepareData>[1] }).compiledState;
    const target = { inputs: model.inputs, inputNames: model.inputNames, outputNames: model.outputNames };
    const prepared = prepareData(target, state, [x], [weft.tensor([0, 1, 1, 0], [4])], 'fit');
    expect(Array.from(prepared.arrays[1]!.data)).toEqual([0, 1, 1, 0]);
    expect(() => prepareData(target, state, [x], [weft.tensor([0, 1, 1, 0, 1, 0, 0, 1], [4, 2])], 'fit')).toThrow(
      /must have shape \[n, 1\] or \[n\], got \[4, 2\]/,
    );
  });
});
