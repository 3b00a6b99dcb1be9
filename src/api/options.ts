// Options objects checked against what a call knows: an option weft does not know, or knows but
// does not support, is refused with a WeftError naming it (nothing is silently ignored).

import { fail } from './errors.js';

/** An option weft knows but refuses (unless left out or null): why, and what to do instead. */
export type RefusedOptions = Record<string, string>;

/**
 * Refuses keys of `args` outside `known` (naming the known ones), and set values of `refused`.
 * Keys whose value is undefined count as left out, as in TensorFlow.js.
 */
export function checkKnownOptions(args: object, known: readonly string[], where: string, refused: RefusedOptions = {}): void {
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined) continue;
    const why = Object.prototype.hasOwnProperty.call(refused, key) ? refused[key] : undefined;
    if (why !== undefined) {
      if (value === null) continue;
      fail(`${where}: option '${key}' is not supported: ${why}`);
    }
    if (!known.includes(key)) fail(`${where}: unknown option '${key}'; the options are ${[...known, ...Object.keys(refused)].sort().join(', ')}`);
  }
}

/** Options every layer takes (TensorFlow.js's base layer arguments, and weft's seed). */
export const LAYER_OPTIONS = ['name', 'trainable', 'seed', 'inputShape', 'batchInputShape', 'batchSize', 'dtype'] as const;

export const LAYER_REFUSED: RefusedOptions = {
  weights: 'initial weights are not taken by the constructor; call layer.setWeights(tensors) after the layer is applied',
  inputDType: 'weft layers compute in float32 only',
};

/** The base layer options, checked (dtype must be float32: weft computes in float32 only). */
export function checkLayerOptions(args: object, own: readonly string[], where: string, refused: RefusedOptions = {}): void {
  checkKnownOptions(args, [...LAYER_OPTIONS, ...own], where, { ...LAYER_REFUSED, ...refused });
  const dtype = (args as { dtype?: unknown }).dtype;
  if (dtype !== undefined && dtype !== null && dtype !== 'float32') fail(`${where}: dtype '${String(dtype)}' is not supported; weft computes in float32 only`);
}
