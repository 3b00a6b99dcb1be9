// weft.sequential: a stack of single-input, single-output layers, as tf.sequential, built on the same
// functional graph (each add() applies the layer to the stack's output).

import { fail } from './errors.js';
import { InputLayer, input } from './layers/input.js';
import type { Layer } from './layers/layer.js';
import { LayersModel } from './model.js';
import type { SymbolicTensor } from './symbolic.js';

export interface SequentialArgs {
  layers?: Layer[];
  name?: string;
}

let sequentialCount = 0;

export class Sequential extends LayersModel {
  private readonly stack: Layer[] = [];

  constructor(args: SequentialArgs = {}) {
    if (!args || typeof args !== 'object') fail('weft.sequential takes { layers?, name? }');
    super(null, args.name ?? `sequential_${++sequentialCount}`);
    if (args.layers !== undefined) {
      if (!Array.isArray(args.layers)) fail('weft.sequential: layers must be an array of layers');
      for (const layer of args.layers) this.add(layer);
    }
  }

  /** A Sequential model over layers already applied one after another from `input` to `output` (loading). */
  static fromStack(layers: Layer[], input: SymbolicTensor, output: SymbolicTensor, name?: string): Sequential {
    const model = new Sequential(name === undefined ? {} : { name });
    model.stack.push(...layers);
    model.setGraph([input], [output]);
    return model;
  }

  override getClassName(): string {
    return 'Sequential';
  }

  /** The stacked layers (the input layer made for the first one is not listed, as in TensorFlow.js). */
  override get layers(): Layer[] {
    return [...this.stack];
  }

  /** Adds a layer on top of the stack; the first needs inputShape (or batchInputShape, inputDim). */
  add(layer: Layer): void {
    if (!layer || typeof layer !== 'object' || typeof (layer as Partial<Layer>).apply !== 'function')
      fail(`${this.name}.add: expects a layer such as weft.layers.dense({ units: 10 }), got ${layer === null ? 'null' : typeof layer}`);
    if (layer instanceof LayersModel) fail(`${this.name}.add: adding a model as a layer is not supported; add its layers one by one`);
    if (layer instanceof InputLayer) fail(`${this.name}.add: give the first layer an inputShape instead of adding an input layer`);
    if (this.stack.includes(layer)) fail(`${this.name}.add: layer '${layer.name}' is already in this model`);
    let x: SymbolicTensor;
    if (this.outputs.length === 0) {
      const shape = layer.batchInputShape;
      if (!shape)
        fail(
          `${this.name}.add: the first layer in a Sequential model ('${layer.name}') must get an inputShape or batchInputShape argument, e.g. weft.layers.dense({ units: 10, inputShape: [784] })`,
        );
      x = input({ batchShape: shape, name: `${layer.name}_input` });
    } else x = this.outputs[0]!;
    const y = layer.apply(x);
    this.stack.push(layer);
    this.setGraph(this.outputs.length === 0 ? [x] : this.inputs, [y]);
  }

  /** Removes the top layer, as tf.Sequential.pop. */
  pop(): void {
    const top = this.stack.pop();
    if (!top) fail(`${this.name}.pop: there are no layers in the model`);
    if (this.stack.length === 0) {
      this.setGraph([], []);
      return;
    }
    const below = this.stack[this.stack.length - 1]!;
    const output = below.nodes.find((n) => this.topology.nodes.includes(n))?.output;
    if (!output) throw new Error('internal: the layer below has no output in this model');
    this.setGraph(this.inputs, [output]);
  }
}

export function sequential(args?: SequentialArgs): Sequential {
  return new Sequential(args);
}
