// Add: the element-wise sum of two or more tensors of the same shape.

import type { ValueId } from '../../ir/graph.js';
import { fail } from '../errors.js';
import { Layer, shapeToString, type LayerArgs, type LowerContext, type Shape } from './layer.js';

export class Add extends Layer {
  constructor(args: LayerArgs = {}) {
    super('Add', args, { own: [] });
  }
  protected override get arity(): 'many' {
    return 'many';
  }
  computeOutputShape(shapes: Shape[]): Shape {
    const first = shapeToString(shapes[0]!);
    for (const s of shapes)
      if (shapeToString(s) !== first) fail(`add '${this.name}': all inputs must have the same shape, got ${shapes.map(shapeToString).join(' and ')}`);
    return shapes[0]!;
  }
  lower(context: LowerContext, inputs: ValueId[]): ValueId {
    let sum = inputs[0]!;
    for (let i = 1; i < inputs.length; i++) sum = context.builder.add({ op: 'add', a: sum, b: inputs[i]! }, this.name);
    return sum;
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: this.trainable };
  }
}

export function add(args: LayerArgs = {}): Add {
  return new Add(args);
}
