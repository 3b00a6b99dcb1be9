// Symbolic tensors: what layers are called on while a model is being described.

import type { Layer } from './layers/layer.js';

let nextTensorId = 0;

export class SymbolicTensor {
  readonly id = nextTensorId++;
  constructor(
    /** Shape with the batch dimension first, as null: [null, 784]. */
    readonly shape: (number | null)[],
    /** The layer that produces it. */
    readonly sourceLayer: Layer,
    /** Which application of that layer (a layer may be applied several times). */
    readonly nodeIndex: number,
    readonly name: string,
  ) {}
  get rank(): number {
    return this.shape.length;
  }
  /** Features per sample (the product of the non-batch dims). */
  get featureSize(): number {
    return (this.shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
  }
  toString(): string {
    return `SymbolicTensor ${this.name} [${this.shape.map((d) => (d === null ? 'null' : d)).join(', ')}]`;
  }
}

/** One application of a layer: the tensors it was called on and the tensor it made. */
export interface LayerNode {
  layer: Layer;
  inputs: SymbolicTensor[];
  output: SymbolicTensor;
}
