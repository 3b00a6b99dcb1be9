// Flatten and Reshape: an IR reshape, which the plan makes a view of the same memory (no kernel).

import type { ValueId } from '../../ir/graph.js';
import { fail } from '../errors.js';
import { Layer, shapeToString, type LayerArgs, type LowerContext, type Shape } from './layer.js';

/** x (of per-sample shape `from`) seen as per-sample shape `to`; nothing when they are the same. */
function lowerReshape(context: LowerContext, x: ValueId, from: Shape, to: Shape): ValueId {
  if (from.length === to.length && from.every((d, i) => i === 0 || d === to[i])) return x;
  const batch = context.builder.batchSize;
  return context.builder.add({ op: 'reshape', x, to: [batch, ...(to.slice(1) as number[])] });
}

export class Flatten extends Layer {
  constructor(args: LayerArgs = {}) {
    super('Flatten', args, { own: [] });
  }
  computeOutputShape([shape]: Shape[]): Shape {
    const features = (shape!.slice(1) as number[]).reduce((a, b) => a * b, 1);
    return [null, features];
  }
  lower(context: LowerContext, [x]: ValueId[], [shape]: Shape[]): ValueId {
    return lowerReshape(context, x!, shape!, this.computeOutputShape([shape!]));
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: this.trainable, data_format: 'channels_last' };
  }
}

export interface ReshapeArgs extends LayerArgs {
  targetShape: number[];
}

export class Reshape extends Layer {
  readonly targetShape: number[];
  constructor(args: ReshapeArgs) {
    super('Reshape', args, { own: ['targetShape'] });
    if (!args || !Array.isArray(args.targetShape) || args.targetShape.length === 0)
      fail(`reshape '${this.name}': give targetShape, the shape of one sample (without the batch dimension)`);
    if (args.targetShape.filter((d) => d === -1).length > 1 || args.targetShape.some((d) => !Number.isInteger(d) || (d <= 0 && d !== -1)))
      fail(`reshape '${this.name}': targetShape must hold positive integers and at most one -1, got [${args.targetShape.join(', ')}]`);
    this.targetShape = [...args.targetShape];
  }
  computeOutputShape([shape]: Shape[]): Shape {
    const features = (shape!.slice(1) as number[]).reduce((a, b) => a * b, 1);
    const known = this.targetShape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const resolved = this.targetShape.map((d) => (d === -1 ? features / known : d));
    if (resolved.some((d) => !Number.isInteger(d)) || resolved.reduce((a, b) => a * b, 1) !== features)
      fail(`reshape '${this.name}': cannot reshape ${shapeToString(shape!)} (${features} values per sample) to [${this.targetShape.join(', ')}]`);
    return [null, ...resolved];
  }
  lower(context: LowerContext, [x]: ValueId[], [shape]: Shape[]): ValueId {
    return lowerReshape(context, x!, shape!, this.computeOutputShape([shape!]));
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: this.trainable, target_shape: this.targetShape };
  }
}

export function flatten(args: LayerArgs = {}): Flatten {
  return new Flatten(args);
}

export function reshape(args: ReshapeArgs): Reshape {
  return new Reshape(args);
}
