// Data handed to fit/evaluate/predict: normalised to one tensor per model input/output, checked
// (shapes, sample counts, NaN/Infinity, label ranges) before anything reaches the GPU, and turned
// into the arrays a DeviceDataset uploads.

import type { DatasetArray } from '../runtime/deviceDataset.js';
import { fail } from './errors.js';
import type { ResolvedLoss } from './compileConfig.js';
import type { SymbolicTensor } from './symbolic.js';
import { Tensor } from './tensor.js';

export type TensorArg = Tensor | Tensor[] | Record<string, Tensor>;

/** One tensor per named slot, from a tensor, an array in order, or an object keyed by name. */
export function normalizeTensors(arg: unknown, names: string[], what: 'inputs' | 'targets', call: string): Tensor[] {
  const plural = what === 'inputs' ? 'model inputs' : 'model outputs';
  const slot = what === 'inputs' ? 'input' : 'output';
  if (isForeignTensor(arg)) fail(`${call}: ${foreign(arg, `the ${what} argument`)}`);
  if (arg instanceof Tensor) {
    if (names.length !== 1)
      fail(
        `${call}: the model has ${names.length} ${plural} (${names.join(', ')}) but one tensor was given; pass an array of ${names.length} tensors or an object keyed by name`,
      );
    return [arg];
  }
  if (Array.isArray(arg)) {
    if (arg.length !== names.length)
      fail(
        `${call}: the model has ${names.length} ${plural} (${names.join(', ')}) but ${arg.length} ${what === 'inputs' ? 'input' : 'target'} arrays were given`,
      );
    arg.forEach((t, i) => {
      if (isForeignTensor(t)) fail(`${call}: ${foreign(t, `${what} entry ${i} (${slot} '${names[i]}')`)}`);
      if (!(t instanceof Tensor)) fail(`${call}: ${what} entry ${i} ('${names[i]}') is not a weft tensor; make one with weft.tensor(data, shape)`);
    });
    return arg as Tensor[];
  }
  if (arg && typeof arg === 'object') {
    const record = arg as Record<string, unknown>;
    for (const key of Object.keys(record))
      if (!names.includes(key)) fail(`${call}: unknown ${what === 'inputs' ? 'input' : 'output'} name '${key}'; the model's ${plural} are ${names.join(', ')}`);
    return names.map((name) => {
      const t = Object.prototype.hasOwnProperty.call(record, name) ? record[name] : undefined;
      if (isForeignTensor(t)) fail(`${call}: ${foreign(t, `the tensor for ${slot} '${name}'`)}`);
      if (!(t instanceof Tensor))
        fail(`${call}: no weft tensor given for ${slot} '${name}'${t === undefined ? '' : ` (got ${describe(t)})`}; make one with weft.tensor(data, shape)`);
      return t;
    });
  }
  return fail(
    `${call}: expected a tensor, an array of tensors or an object of tensors keyed by name for the ${plural}, got ${arg === undefined ? 'nothing' : typeof arg}`,
  );
}

/**
 * A tensor-like object that is not a weft Tensor of this copy of weft: a TensorFlow.js tensor (its
 * data may live on another device), or a tensor of another weft bundle or window.
 */
function isForeignTensor(v: unknown): v is { shape: unknown; constructor?: { name?: string } } {
  if (v instanceof Tensor || v === null || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  return Array.isArray(o.shape) && (typeof o.dataSync === 'function' || typeof o.data === 'function');
}

function foreign(v: { shape: unknown; constructor?: { name?: string } }, what: string): string {
  const kind = v.constructor?.name && v.constructor.name !== 'Object' ? `a ${v.constructor.name}` : 'a tensor';
  return `${what} is ${kind} from another library, device or copy of weft, not a weft tensor; copy it into one with weft.tensor(await t.data(), t.shape)`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return `a ${(v as object).constructor?.name ?? 'object'}`;
  return typeof v;
}

export function sampleCount(tensors: Tensor[], names: string[], call: string): number {
  let count = -1;
  tensors.forEach((t, i) => {
    if (t.isDisposed) fail(`${call}: the tensor for '${names[i]}' was disposed`);
    const n = t.shape[0] ?? 1;
    if (count < 0) count = n;
    else if (n !== count)
      fail(
        `${call}: arrays have different sample counts ('${names[0]}' has ${count}, '${names[i]}' has ${n}); every input and target needs one row per sample`,
      );
  });
  if (count === 0) fail(`${call}: there are no samples (the arrays have 0 rows)`);
  return count;
}

/** Checks an input tensor against the model input and picks its GPU storage. */
export function inputArray(
  t: Tensor,
  input: SymbolicTensor,
  index: number,
  call: string,
): { array: DatasetArray; storage: { elementType: 'f32' | 'u8'; scale: number } } {
  const expected = input.shape.slice(1) as number[];
  const got = t.shape.slice(1);
  const features = expected.reduce((a, b) => a * b, 1);
  if (t.shape.length !== input.shape.length || got.some((d, i) => d !== expected[i]))
    fail(`${call}: input '${input.name}' expects shape [n, ${expected.join(', ')}], got [${t.shape.join(', ')}]`);
  const data = t.dataSync();
  const name = `input${index}`;
  const description = `${call}: the data of input '${input.name}'`;
  if (data instanceof Uint8Array) return { array: { name, data, description, cache: cacheOf(t, 'u8') }, storage: { elementType: 'u8', scale: 1 } };
  // Checking and packing a large array costs tens of ms: done once per tensor (tensors are immutable).
  let prepared = preparedInputs.get(t);
  if (!prepared) {
    const packed = asScaledBytes(data);
    if (packed) prepared = { data: packed, storage: { elementType: 'u8', scale: 1 / 255 } };
    else {
      for (let i = 0; i < data.length; i++)
        if (!Number.isFinite(data[i]!))
          fail(
            `${call}: input '${input.name}' holds ${data[i]} at sample ${Math.floor(i / features)}, feature ${i % features}; clean the data (NaN and Infinity cannot be trained on)`,
          );
      prepared = { data: data instanceof Float32Array ? data : Float32Array.from(data), storage: { elementType: 'f32', scale: 1 } };
    }
    preparedInputs.set(t, prepared);
  }
  return {
    array: { name, data: prepared.data, description, cache: cacheOf(t, `${prepared.storage.elementType}${prepared.storage.scale}`) },
    storage: prepared.storage,
  };
}

/** The GPU copy of a tensor's data, packed as `form`, may be kept for later calls (tensors are immutable). */
function cacheOf(t: Tensor, form: string): { key: string; tag: string } {
  return { key: `t${t.id}:${form}`, tag: `t${t.id}` };
}

/** The tag that frees the GPU copies of a tensor's data. */
export function cacheTag(t: Tensor): string {
  return `t${t.id}`;
}

/** Checked (finite) and packed input data, per tensor. */
const preparedInputs = new WeakMap<Tensor, { data: Float32Array | Uint8Array; storage: { elementType: 'f32' | 'u8'; scale: number } }>();

/** The 256 float32 values k/255: pixel data scaled to [0, 1] is made of exactly these. */
const BYTE_FRACTIONS = Float32Array.from({ length: 256 }, (_, k) => k / 255);

/**
 * Pixels scaled to [0, 1] (k/255) keep a quarter of the memory as bytes, scaled back in the gather
 * kernel. Returns null unless every value is exactly such a fraction.
 */
function asScaledBytes(data: Float32Array | Int32Array): Uint8Array | null {
  if (!(data instanceof Float32Array)) return null;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    const k = Math.round(v * 255);
    // NaN and ±Infinity fail here too (the caller then names them).
    if (!(k >= 0 && k <= 255) || BYTE_FRACTIONS[k] !== v) return null;
    out[i] = k;
  }
  return out;
}

/** Checks a target tensor against its output and loss, returning the array to upload. */
export function targetArray(t: Tensor, index: number, outputName: string, units: number, loss: ResolvedLoss, call: string): DatasetArray {
  const data = t.dataSync();
  const n = t.shape[0]!;
  if (loss.sparse) {
    if (!(t.shape.length === 1 || (t.shape.length === 2 && t.shape[1] === 1)))
      fail(
        `${call}: ${loss.name} on output '${outputName}' takes class ids of shape [n] or [n, 1], got [${t.shape.join(', ')}]; for one-hot targets use categoricalCrossentropy`,
      );
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = data[i]!;
      if (!Number.isInteger(v) || v < 0 || v >= units)
        fail(
          `${call}: label ${v} at sample ${i} for output '${outputName}' is not a class id in [0, ${units}); labels must be integers below the output's ${units} units`,
        );
      labels[i] = v;
    }
    return { name: `labels${index}`, data: labels, description: `${call}: the labels of output '${outputName}'`, cache: cacheOf(t, 'labels') };
  }
  // A one-unit output takes targets [n] as [n, 1] (TensorFlow.js programs pass tf.tensor1d labels).
  const oneUnitVector = units === 1 && t.shape.length === 1;
  if (!oneUnitVector && (t.shape.length !== 2 || t.shape[1] !== units))
    fail(`${call}: targets for output '${outputName}' must have shape [n, ${units}]${units === 1 ? ' or [n]' : ''}, got [${t.shape.join(', ')}]`);
  const values = data instanceof Float32Array ? data : Float32Array.from(data);
  for (let i = 0; i < values.length; i++)
    if (!Number.isFinite(values[i]!)) fail(`${call}: targets for output '${outputName}' hold ${values[i]} at sample ${Math.floor(i / units)}; clean the data`);
  if (loss.name === 'categoricalCrossentropy')
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let j = 0; j < units; j++) s += values[r * units + j]!;
      if (Math.abs(s - 1) > 1e-3) fail(`${call}: one-hot targets for output '${outputName}' must sum to 1 per row; row ${r} sums to ${s}`);
    }
  return { name: `target${index}`, data: values, description: `${call}: the targets of output '${outputName}'`, cache: cacheOf(t, 'target') };
}

/** Rows [start, end) of a tensor (for validationSplit). */
export function sliceRows(t: Tensor, start: number, end: number): Tensor {
  const rowSize = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const data = t.dataSync().subarray(start * rowSize, end * rowSize);
  return new Tensor(data, [end - start, ...t.shape.slice(1)], t.dtype);
}
