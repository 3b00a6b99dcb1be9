// Layer order (and so getWeights/setWeights order and model.json's layer list) equals TensorFlow.js's
// (Keras's): by depth from the outputs, where a layer applied at several depths takes its greatest
// depth for all its applications (Keras's _map_graph_network), ties in discovery order.
// Checked on random functional graphs (test/reference/randomGraphs.ts) against TensorFlow.js in node.
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, test } from 'vitest';
import * as weft from '../../src/index.js';
import { buildModel, randomGraph, type GraphSpec } from '../reference/randomGraphs.js';

function orders(spec: GraphSpec) {
  const w = buildModel<weft.LayersModel>(weft, spec, 1, 'order_weft');
  const t = buildModel<tfl.LayersModel>(tfl, spec, undefined, 'order_tf');
  const result = {
    weft: { layers: w.layers.map((l) => l.name), weights: w.weights.map((x) => x.name) },
    tf: { layers: t.layers.map((l) => l.name), weights: t.weights.map((x) => x.originalName) },
  };
  t.dispose();
  return result;
}

describe('layer and weight order equal TensorFlow.js', () => {
  test('a shared layer applied at two depths (its shallower application is lifted to its deeper one)', () => {
    // outputs [f, e]: S is applied to G's output (depth 1) and to A's output (depth 2); Keras puts G
    // at depth 3 (below S at 2), so the order is x, G, A, S, D, F, E.
    const dense = (layer: string, input: string, out = layer) => ({
      kind: 'dense' as const,
      layer,
      units: 4,
      activation: 'linear' as const,
      inputs: [input] as [string],
      out,
    });
    const spec: GraphSpec = {
      inputs: [{ name: 'x', units: 4 }],
      nodes: [dense('A', 'x'), dense('G', 'x'), dense('S', 'A', 's1'), dense('S', 'G', 's2'), dense('D', 's1'), dense('E', 'D'), dense('F', 's2')],
      outputs: [
        { tensor: 'F', loss: 'meanSquaredError', weight: 1, metrics: [] },
        { tensor: 'E', loss: 'meanSquaredError', weight: 1, metrics: [] },
      ],
    };
    const o = orders(spec);
    expect(o.tf.layers).toEqual(['x', 'G', 'A', 'S', 'D', 'F', 'E']);
    expect(o.weft.layers).toEqual(o.tf.layers);
    expect(o.weft.weights).toEqual(o.tf.weights);
  });

  test('300 random graphs (shared layers, concats, several inputs and outputs)', () => {
    const differing: string[] = [];
    for (let seed = 1; seed <= 300; seed++) {
      const o = orders(randomGraph(seed));
      if (JSON.stringify(o.weft) !== JSON.stringify(o.tf)) differing.push(`seed ${seed}: weft ${o.weft.layers.join(',')} | tf ${o.tf.layers.join(',')}`);
    }
    expect(differing).toEqual([]);
  });
});
