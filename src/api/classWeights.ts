// fit's classWeight as TensorFlow.js reads it (training_utils.ts: standardizeClassWeights,
// standardizeWeights): one {class: weight} object per output, and each sample's weight taken from the
// class its target encodes. The loss head multiplies each row's loss and gradient by it; metrics and
// validation stay unweighted, as in TensorFlow.js.

import type { DatasetArray } from '../runtime/session.js';
import { cacheTag } from './data.js';
import { fail } from './errors.js';
import type { Tensor } from './tensor.js';

/** A class index → weight map (TensorFlow.js's ClassWeight). */
export type ClassWeight = Record<number, number>;
/** What fit takes: one map (one output), an array per output, or maps by output name. */
export type ClassWeightArg = ClassWeight | (ClassWeight | null)[] | Record<string, ClassWeight>;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** One map (or null: unweighted) per output, as TensorFlow.js's standardizeClassWeights. */
export function standardizeClassWeights(arg: unknown, outputNames: string[], call: string): (ClassWeight | null)[] {
  const n = outputNames.length;
  if (arg === undefined || arg === null || (Array.isArray(arg) && arg.length === 0)) return outputNames.map(() => null);
  let list: unknown[];
  if (n === 1) {
    if (Array.isArray(arg) && arg.length === 1) list = arg;
    else if (isObject(arg) && outputNames[0]! in arg) list = [arg[outputNames[0]!]];
    else list = [arg];
  } else if (Array.isArray(arg)) {
    if (arg.length !== n)
      fail(
        `${call}: classWeight is an array of ${arg.length} element(s), but the model has ${n} outputs (${outputNames.join(', ')}); give one {class: weight} object (or null) per output`,
      );
    list = arg;
  } else if (isObject(arg) && Object.keys(arg).length > 0 && isObject(arg[Object.keys(arg)[0]!])) {
    const unknown = Object.keys(arg).filter((k) => !outputNames.includes(k));
    // TensorFlow.js ignores keys that name no output; weft refuses them rather than drop a typo silently.
    if (unknown.length)
      fail(`${call}: classWeight names ${unknown.map((k) => `'${k}'`).join(', ')}, which is not an output; the outputs are ${outputNames.join(', ')}`);
    list = outputNames.map((name) => arg[name] ?? null);
  } else {
    fail(
      `${call}: the model has ${n} outputs, so classWeight must be an array of ${n} {class: weight} objects or an object keyed by the output names (${outputNames.join(', ')}); got ${JSON.stringify(arg)}`,
    );
  }
  return list.map((w, i) => {
    if (w === null || w === undefined) return null;
    if (!isObject(w)) fail(`${call}: classWeight for output '${outputNames[i]}' must be an object such as {0: 1, 1: 5}, got ${JSON.stringify(w)}`);
    for (const [k, v] of Object.entries(w))
      if (typeof v !== 'number' || !Number.isFinite(v))
        fail(`${call}: classWeight for output '${outputNames[i]}' gives class ${k} the weight ${JSON.stringify(v)}; weights must be finite numbers`);
    return w as ClassWeight;
  });
}

/**
 * Each sample's weight: the class of its target (class ids [n] or [n, 1]; one-hot [n, k]: the
 * argmax, first index on ties) looked up in `classWeight` (TensorFlow.js's standardizeWeights).
 */
export function sampleWeightsOf(target: Tensor, classWeight: ClassWeight, outputName: string, call: string): Float32Array {
  const shape = target.shape;
  if (!(shape.length === 1 || shape.length === 2))
    fail(`${call}: classWeight needs targets of rank 1 or 2 for output '${outputName}', got shape [${shape.join(', ')}]`);
  const n = shape[0]!;
  const cols = shape.length === 2 ? shape[1]! : 1;
  const data = target.dataSync();
  const weights = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    let cls = data[r * cols]!;
    if (cols > 1) {
      let best = 0;
      for (let j = 1; j < cols; j++) if (data[r * cols + j]! > data[r * cols + best]!) best = j;
      cls = best;
    }
    const w = (classWeight as Record<string, number | undefined>)[String(cls)];
    if (w === undefined || w === null)
      fail(
        `${call}: classWeight for output '${outputName}' must contain all classes in the training data; class ${cls} (sample ${r}) is missing from {${Object.keys(classWeight).join(', ')}}`,
      );
    weights[r] = w;
  }
  return weights;
}

/** The dataset arrays of per-sample weights, one per weighted output (read by training plans only). */
export function sampleWeightArrays(targets: Tensor[], classWeights: (ClassWeight | null)[], outputNames: string[], call: string): DatasetArray[] {
  return classWeights.flatMap((cw, i) =>
    cw
      ? [
          {
            name: `sampleWeights${i}`,
            data: sampleWeightsOf(targets[i]!, cw, outputNames[i]!, call),
            description: `${call}: the class weights of output '${outputNames[i]}'`,
            cache: { key: `${cacheTag(targets[i]!)}:classWeight${JSON.stringify(cw)}`, tag: cacheTag(targets[i]!) },
          },
        ]
      : [],
  );
}
