// The optimizer's state as TensorFlow.js saves it (model.save(…, { includeOptimizer: true })):
// entries of the weights manifest in group 'optimizer', in the order TF.js's optimizer.getWeights()
// gives them — 'iter' (int32 steps taken), then one entry per state array and trainable weight,
// named `${weight}/${suffix}` (Adam: every `/m`, then every `/v`). weft keeps the same state as flat
// arrays laid out like the parameters: state array s of parameter i at s × count + i.

import type { OptimizerAlgorithm } from '../../ir/kernel.js';
import type { OptimizerState } from '../../runtime/session.js';
import { fail } from '../errors.js';
import type { WeightsManifestEntry } from './types.js';

/** A weight as the layers hold it, with its place in the flat parameter layout. */
export interface FlatWeight {
  name: string;
  shape: number[];
  trainable: boolean;
  offset: number;
}

export interface OptimizerEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  values: Float32Array | Int32Array;
}

/** TF.js's names of the state arrays, in weft's (and TF.js's getWeights) order. */
export function stateSuffixes(algorithm: OptimizerAlgorithm): string[] {
  switch (algorithm.kind) {
    case 'sgd':
      return [];
    case 'momentum':
      return ['momentum'];
    case 'adam':
      return ['m', 'v'];
    case 'rmsprop':
      return algorithm.centered ? ['rms', 'momentum', 'mg'] : ['rms', 'momentum'];
    case 'adagrad':
      return ['accumulator'];
    default:
      return algorithm satisfies never;
  }
}

/** Flat state → TF.js's optimizer weights (state of non-trainable weights is not saved, as in TF.js). */
export function optimizerEntries(algorithm: OptimizerAlgorithm, weights: FlatWeight[], paramCount: number, state: OptimizerState): OptimizerEntry[] {
  const suffixes = stateSuffixes(algorithm);
  const out: OptimizerEntry[] = [{ name: 'iter', shape: [], dtype: 'int32', values: Int32Array.of(state.step) }];
  const complete = state.arrays.length === suffixes.length * paramCount;
  suffixes.forEach((suffix, s) => {
    for (const w of weights) {
      if (!w.trainable) continue;
      const size = w.shape.reduce((a, b) => a * b, 1);
      const start = s * paramCount + w.offset;
      // Before the first step there is no state yet: zeros, as TF.js's fresh variables.
      const values = complete ? state.arrays.slice(start, start + size) : new Float32Array(size);
      out.push({ name: `${w.name}/${suffix}`, shape: [...w.shape], dtype: 'float32', values });
    }
  });
  return out;
}

/**
 * TF.js's optimizer weights → flat state. Every trainable weight's state must be there (names as
 * saved, or with an extra leading scope); state of other weights starts at `initialStateValue`.
 */
export function stateFromEntries(
  algorithm: OptimizerAlgorithm,
  initialStateValue: number,
  weights: FlatWeight[],
  paramCount: number,
  entries: OptimizerEntry[],
  what: string,
): OptimizerState {
  const byName = new Map(entries.map((e) => [e.name, e]));
  const iter = byName.get('iter') ?? entries.find((e) => e.name.endsWith('/iter'));
  const step = iter ? Number(iter.values[0] ?? 0) : 0;
  if (!Number.isInteger(step) || step < 0) fail(`${what}: the optimizer's 'iter' must be a non-negative integer, got ${step}`);
  const suffixes = stateSuffixes(algorithm);
  const arrays = new Float32Array(suffixes.length * paramCount);
  if (initialStateValue !== 0) arrays.fill(initialStateValue, 0, paramCount);
  suffixes.forEach((suffix, s) => {
    for (const w of weights) {
      if (!w.trainable) continue;
      const name = `${w.name}/${suffix}`;
      const entry = byName.get(name) ?? entries.find((e) => e.name.endsWith(`/${name}`));
      if (!entry)
        fail(
          `${what}: the file's optimizer weights have no '${name}'; they were saved by another model or optimizer (found: ${entries.map((e) => e.name).join(', ')})`,
        );
      const size = w.shape.reduce((a, b) => a * b, 1);
      if (entry.values.length !== size) fail(`${what}: optimizer weight '${name}' holds ${entry.values.length} values, but '${w.name}' has ${size}`);
      for (let i = 0; i < size; i++) {
        const v = entry.values[i]!;
        if (!Number.isFinite(v)) fail(`${what}: optimizer weight '${name}' holds ${v} at index ${i}; the saved state is not usable`);
        arrays[s * paramCount + w.offset + i] = v;
      }
    }
  });
  return { step, arrays };
}

/** Optimizer entries → manifest entries (group 'optimizer') and their bytes, little-endian. */
export function encodeOptimizerEntries(entries: OptimizerEntry[]): { specs: WeightsManifestEntry[]; data: ArrayBuffer } {
  const data = new ArrayBuffer(entries.reduce((n, e) => n + e.values.length * 4, 0));
  const view = new DataView(data);
  let offset = 0;
  for (const e of entries) {
    for (let i = 0; i < e.values.length; i++, offset += 4) {
      if (e.dtype === 'int32') view.setInt32(offset, e.values[i]!, true);
      else view.setFloat32(offset, e.values[i]!, true);
    }
  }
  return { specs: entries.map((e) => ({ name: e.name, shape: [...e.shape], dtype: e.dtype, group: 'optimizer' as const })), data };
}
