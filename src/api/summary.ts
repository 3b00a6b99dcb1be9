// model.summary(): Keras's table of a functional model (layers, output shapes, parameter counts and
// connections), as tf.keras 2.x prints it:
//
//   Model: "model"
//   ____________________________________________________________________________________
//   Layer (type)                   Output Shape         Param #     Connected to
//   ====================================================================================
//   input_layer (InputLayer)       [(None, 784)]        0
//   ____________________________________________________________________________________
//   dense (Dense)                  (None, 30)           23550       input_layer[0][0]
//   ...
//   ====================================================================================
//   Total params: 24,860
//   Trainable params: 24,860
//   Non-trainable params: 0
//   ____________________________________________________________________________________
//
// Pure string work on the symbolic graph: no GPU, works before compile.

import type { Layer, Shape } from './layers/layer.js';
import type { LayerNode } from './symbolic.js';

/** What summarize() needs of a model (a LayersModel has all of it). */
export interface SummarizableModel {
  readonly name: string;
  readonly layers: readonly Layer[];
  /** The model's own layer applications; connections of other models that share a layer are left out. */
  readonly topology?: { readonly nodes: readonly LayerNode[] };
}

/** Keras's defaults for a functional model. */
export const SUMMARY_LINE_LENGTH = 98;
export const SUMMARY_POSITIONS: readonly number[] = [0.33, 0.55, 0.67, 1];

/** `(None, 30)`: a shape as Python prints the tuple (a 1-tuple keeps its comma). */
export function formatShape(shape: Shape): string {
  const dims = shape.map((d) => (d === null ? 'None' : String(d)));
  return dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
}

/** The "Output Shape" cell: `[(None, 784)]` for an input layer (Keras prints its list), `(None, 30)` otherwise. */
export function layerOutputShape(layer: Layer): string {
  if (layer.nodes.length === 0) return '?';
  const shapes = [...new Set(layer.nodes.map((n) => formatShape(n.output.shape)))];
  if (shapes.length > 1) return 'multiple';
  return layer.className === 'InputLayer' ? `[${shapes[0]}]` : shapes[0]!;
}

/** The "Connected to" entries of a layer: `dense[0][0]` per inbound tensor of each of its nodes in the model. */
export function layerConnections(layer: Layer, modelNodes?: ReadonlySet<LayerNode>): string[] {
  const out: string[] = [];
  for (const node of layer.nodes) {
    if (modelNodes && !modelNodes.has(node)) continue;
    for (const t of node.inputs) out.push(`${t.sourceLayer.name}[${t.nodeIndex}][0]`);
  }
  return out;
}

/** Groups digits as Python's '{:,}'. */
function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * The summary table as one string (lines joined with '\n', no trailing newline).
 * `lineLength` (default 98) is the table width; `positions` the right edges of the four columns,
 * as fractions of lineLength (all ≤ 1) or as absolute columns, as in Keras.
 */
export function summarize(model: SummarizableModel, lineLength?: number, positions?: readonly number[]): string {
  const width = lineLength ?? SUMMARY_LINE_LENGTH;
  if (!Number.isInteger(width) || width <= 0) throw new Error(`summary: lineLength must be a positive integer, got ${lineLength}`);
  let edges = [...(positions ?? SUMMARY_POSITIONS)];
  if (edges.length !== 4) throw new Error(`summary: positions must have 4 entries (one per column), got ${edges.length}`);
  if (edges[edges.length - 1]! <= 1) edges = edges.map((p) => Math.floor(width * p));
  for (let i = 1; i < edges.length; i++)
    if (!(edges[i]! > edges[i - 1]!)) throw new Error(`summary: positions must increase, got [${(positions ?? []).join(', ')}]`);

  const lines: string[] = [];
  // Keras's print_row: each field is cut at its column's right edge and padded to it; the last
  // character before a field becomes a space so neighbouring fields never touch.
  const row = (fields: string[]): void => {
    let line = '';
    fields.forEach((field, i) => {
      if (i > 0) line = line.slice(0, -1) + ' ';
      line += field;
      line = line.slice(0, edges[i]);
      line += ' '.repeat(Math.max(0, edges[i]! - line.length));
    });
    lines.push(line.trimEnd());
  };

  const modelNodes = model.topology ? new Set(model.topology.nodes) : undefined;
  lines.push(`Model: "${model.name}"`);
  lines.push('_'.repeat(width));
  row(['Layer (type)', 'Output Shape', 'Param #', 'Connected to']);
  lines.push('='.repeat(width));
  const layers = model.layers;
  layers.forEach((layer, i) => {
    const connections = layerConnections(layer, modelNodes);
    row([`${layer.name} (${layer.className})`, layerOutputShape(layer), String(layer.countParams()), connections[0] ?? '']);
    for (const c of connections.slice(1)) row(['', '', '', c]);
    lines.push((i === layers.length - 1 ? '=' : '_').repeat(width));
  });
  if (layers.length === 0) lines.push('='.repeat(width));

  let trainable = 0;
  let total = 0;
  const seen = new Set<unknown>();
  for (const layer of layers)
    for (const w of layer.weights) {
      if (seen.has(w)) continue;
      seen.add(w);
      total += w.values.length;
      if (layer.trainable && w.trainable) trainable += w.values.length;
    }
  lines.push(`Total params: ${thousands(total)}`);
  lines.push(`Trainable params: ${thousands(trainable)}`);
  lines.push(`Non-trainable params: ${thousands(total - trainable)}`);
  lines.push('_'.repeat(width));
  return lines.join('\n');
}
