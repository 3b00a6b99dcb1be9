// Activation layer, and the activation names shared with dense.

import type { ValueId } from '../../ir/graph.js';
import type { ActivationName } from '../../ir/kernel.js';
import { fail } from '../errors.js';
import { Layer, type LayerArgs, type LowerContext, type Shape } from './layer.js';

const ACTIVATIONS: ActivationName[] = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'];

export function resolveActivation(name: string | undefined, where: string): ActivationName {
  if (name === undefined || name === null) return 'linear';
  if (!ACTIVATIONS.includes(name as ActivationName)) fail(`${where}: unknown activation '${name}'; use one of ${ACTIVATIONS.join(', ')}`);
  return name as ActivationName;
}

export function lowerActivation(context: LowerContext, x: ValueId, activation: ActivationName, layerName: string): ValueId {
  if (activation === 'linear') return x;
  return context.builder.add({ op: 'activation', x, activation }, `${layerName} ${activation}`);
}

export interface ActivationArgs extends LayerArgs {
  activation: ActivationName | string;
}

export class Activation extends Layer {
  readonly activation: ActivationName;
  constructor(args: ActivationArgs) {
    super('Activation', args, { own: ['activation'] });
    this.activation = resolveActivation(args?.activation, `activation '${this.name}'`);
  }
  computeOutputShape([shape]: Shape[]): Shape {
    if (this.activation === 'softmax' && shape!.length !== 2) fail(`activation '${this.name}': softmax needs input [batch, features]`);
    return shape!;
  }
  lower(context: LowerContext, [x]: ValueId[]): ValueId {
    return lowerActivation(context, x!, this.activation, this.name);
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: this.trainable, activation: this.activation };
  }
}

export function activation(args: ActivationArgs): Activation {
  return new Activation(args);
}
