// The article's four models as GraphSpecs (test/reference/randomGraphs.ts), for tests that need them
// by name: the MLP, wide & deep, wide & deep with two inputs, and the same with an auxiliary output.
import type { Activation, GraphSpec, NodeSpec, OutputSpec } from './randomGraphs.js';

const dense = (layer: string, units: number, activation: Activation, input: string): NodeSpec => ({
  kind: 'dense',
  layer,
  units,
  activation,
  inputs: [input],
  out: layer,
});
const sparseCE = (tensor: string, weight = 1): OutputSpec => ({ tensor, loss: 'sparseCategoricalCrossentropy', weight, metrics: ['accuracy'] });
const hidden = (input: string): NodeSpec[] => [dense('hidden1', 30, 'relu', input), dense('hidden2', 30, 'relu', 'hidden1')];
const twoInputs = [
  { name: 'wide_input', units: 392 },
  { name: 'deep_input', units: 392 },
];

export const ARTICLE_MODELS: Record<'mlp' | 'wide_deep' | 'wide_deep_two_inputs' | 'wide_deep_aux', GraphSpec> = {
  mlp: { inputs: [{ name: 'input', units: 784 }], nodes: [...hidden('input'), dense('output', 10, 'softmax', 'hidden2')], outputs: [sparseCE('output')] },
  wide_deep: {
    inputs: [{ name: 'input', units: 784 }],
    nodes: [
      ...hidden('input'),
      { kind: 'concatenate', layer: 'concat', inputs: ['input', 'hidden2'], out: 'concat' },
      dense('output', 10, 'softmax', 'concat'),
    ],
    outputs: [sparseCE('output')],
  },
  wide_deep_two_inputs: {
    inputs: twoInputs,
    nodes: [
      ...hidden('deep_input'),
      { kind: 'concatenate', layer: 'concat', inputs: ['wide_input', 'hidden2'], out: 'concat' },
      dense('output', 10, 'softmax', 'concat'),
    ],
    outputs: [sparseCE('output')],
  },
  wide_deep_aux: {
    inputs: twoInputs,
    nodes: [
      ...hidden('deep_input'),
      { kind: 'concatenate', layer: 'concat', inputs: ['wide_input', 'hidden2'], out: 'concat' },
      dense('main_output', 10, 'softmax', 'concat'),
      dense('aux_output', 10, 'softmax', 'hidden2'),
    ],
    outputs: [sparseCE('main_output', 0.7), sparseCE('aux_output', 0.3)],
  },
};
