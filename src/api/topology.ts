// The model's graph of layer applications: which nodes run, in what order, and the layer order
// (Keras's: by depth from the outputs, ties in discovery order) that fixes the weight order.

import { fail } from './errors.js';
import { InputLayer } from './layers/input.js';
import type { Layer } from './layers/layer.js';
import type { LayerNode, SymbolicTensor } from './symbolic.js';

export interface Topology {
  /** Layer applications in an order where every node comes after its inputs' nodes. */
  nodes: LayerNode[];
  /** Every layer once, in Keras order. */
  layers: Layer[];
}

export function buildTopology(inputs: SymbolicTensor[], outputs: SymbolicTensor[]): Topology {
  const inputSet = new Set(inputs);
  for (const t of inputs)
    if (!(t.sourceLayer instanceof InputLayer))
      fail(`weft.model: every input must come from weft.input(); '${t.name}' is the output of layer '${t.sourceLayer.name}'`);
  const ordered: LayerNode[] = [];
  const state = new Map<LayerNode, 'visiting' | 'done'>();
  const layerIndex = new Map<Layer, number>();
  const visit = (tensor: SymbolicTensor, path: string[]): void => {
    const node = tensor.sourceLayer.nodes[tensor.nodeIndex]!;
    if (!layerIndex.has(node.layer)) layerIndex.set(node.layer, layerIndex.size);
    const s = state.get(node);
    if (s === 'done') return;
    if (s === 'visiting') fail(`weft.model: the graph has a cycle through layer '${node.layer.name}'`);
    if (node.layer instanceof InputLayer) {
      if (!inputSet.has(tensor))
        fail(
          `weft.model: output depends on input '${tensor.name}', which is not in the model's inputs (path: ${[...path, tensor.name].join(' ← ')}); add it to inputs`,
        );
    }
    state.set(node, 'visiting');
    for (const t of node.inputs) visit(t, [...path, node.layer.name]);
    state.set(node, 'done');
    ordered.push(node);
  };
  for (const o of outputs) visit(o, []);
  for (const i of inputs)
    if (!state.has(i.sourceLayer.nodes[0]!)) fail(`weft.model: input '${i.name}' is not used by any output; remove it from inputs or connect it`);

  // Depths: outputs' nodes 0; a node's inputs are at least one deeper.
  // A shared layer seen deeper before lifts its other applications to that depth (as Keras does).
  const depth = new Map<LayerNode, number>();
  const layerDepth = new Map<Layer, number>();
  for (let i = ordered.length - 1; i >= 0; i--) {
    const node = ordered[i]!;
    const d = Math.max(depth.get(node) ?? 0, layerDepth.get(node.layer) ?? 0);
    depth.set(node, d);
    layerDepth.set(node.layer, d);
    for (const t of node.inputs) {
      const inbound = t.sourceLayer.nodes[t.nodeIndex]!;
      depth.set(inbound, Math.max(depth.get(inbound) ?? 0, d + 1));
    }
  }
  const layers = [...layerDepth.keys()].sort((a, b) => layerDepth.get(b)! - layerDepth.get(a)! || layerIndex.get(a)! - layerIndex.get(b)!);
  const names = new Set<string>();
  for (const layer of layers) {
    if (names.has(layer.name)) fail(`weft.model: two layers are named '${layer.name}'; layer names must be unique within a model`);
    names.add(layer.name);
  }
  return { nodes: ordered, layers };
}
