// Dropout: during training each element is zeroed with probability `rate` and the rest scaled by
// 1/(1 − rate); at inference it is the identity. The mask is drawn on the GPU from the step's seed
// and this layer's salt, so the gradient reuses it without storing it.

import type { ValueId } from '../../ir/graph.js';
import { fail } from '../errors.js';
import { nextSeed } from '../random.js';
import { Layer, type LayerArgs, type LowerContext, type Shape } from './layer.js';

export interface DropoutArgs extends LayerArgs {
  rate: number;
}

export class Dropout extends Layer {
  readonly rate: number;
  readonly salt: number;
  constructor(args: DropoutArgs) {
    super('Dropout', args, { own: ['rate'], refused: { noiseShape: 'a dropout mask shared across axes is not supported yet; leave it out' } });
    if (!args || typeof args.rate !== 'number' || !(args.rate >= 0 && args.rate < 1))
      fail(`dropout '${this.name}': rate must be a number in [0, 1), got ${args?.rate}`);
    this.rate = args.rate;
    this.salt = (this.seed ?? nextSeed()) >>> 0;
  }
  computeOutputShape([shape]: Shape[]): Shape {
    return shape!;
  }
  lower(context: LowerContext, [x]: ValueId[]): ValueId {
    if (!context.training || this.rate === 0) return x!;
    return context.builder.add({ op: 'dropout', x: x!, rate: this.rate, salt: this.salt }, this.name);
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: this.trainable, rate: this.rate, noise_shape: null, seed: this.seed ?? null };
  }
}

export function dropout(args: DropoutArgs): Dropout {
  return new Dropout(args);
}
