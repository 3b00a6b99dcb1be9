// Concatenate along the last axis, at any rank ≥ 2 ([batch, features], [batch, t, features], images):
// in the compiled step it costs no kernel: producers write straight into column ranges of one buffer
// (a value of any rank is the matrix [batch·…, last axis]).

import type { ValueId } from '../../ir/graph.js';
import { fail } from '../errors.js';
import { Layer, shapeToString, type LayerArgs, type LowerContext, type Shape } from './layer.js';

export interface ConcatenateArgs extends LayerArgs {
  axis?: number;
}

export class Concatenate extends Layer {
  readonly axis: number;
  constructor(args: ConcatenateArgs = {}) {
    super('Concatenate', args, { own: ['axis'] });
    this.axis = args.axis ?? -1;
  }
  protected override get arity(): 'many' {
    return 'many';
  }
  computeOutputShape(shapes: Shape[]): Shape {
    const rank = shapes[0]!.length;
    const axis = this.axis < 0 ? rank + this.axis : this.axis;
    if (rank < 2 || axis !== rank - 1)
      fail(
        `concatenate '${this.name}': only inputs joined along the last axis are supported (got axis ${this.axis} for ${shapes.map(shapeToString).join(' and ')}); use axis -1, or reshape the inputs first`,
      );
    let total = 0;
    for (const s of shapes) {
      if (s.length !== rank) fail(`concatenate '${this.name}': inputs have different ranks: ${shapes.map(shapeToString).join(' and ')}`);
      for (let d = 1; d < rank - 1; d++)
        if (s[d] !== shapes[0]![d])
          fail(`concatenate '${this.name}': inputs must match in every dimension but the last: ${shapes.map(shapeToString).join(' and ')}`);
      total += s[rank - 1] as number;
    }
    return [...shapes[0]!.slice(0, rank - 1), total];
  }
  lower(context: LowerContext, inputs: ValueId[]): ValueId {
    return context.builder.add({ op: 'concat', xs: inputs }, this.name);
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: this.trainable, axis: this.axis };
  }
}

export function concatenate(args: ConcatenateArgs = {}): Concatenate {
  return new Concatenate(args);
}
