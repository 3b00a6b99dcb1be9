// The arguments of fit / evaluate / predict, checked before anything reaches the GPU, and the data
// turned into the arrays a dataset upload takes.

import type { DatasetArray, InputStorage } from '../runtime/session.js';
import type { Callback, CallbackHooks } from './callbacks.js';
import { sampleWeightArrays, standardizeClassWeights, type ClassWeightArg } from './classWeights.js';
import type { CompiledState } from './compileArgs.js';
import { inputArray, normalizeTensors, sampleCount, sliceRows, targetArray } from './data.js';
import { fail } from './errors.js';
import { checkKnownOptions, type RefusedOptions } from './options.js';
import type { SymbolicTensor } from './symbolic.js';
import type { Tensor } from './tensor.js';

export interface FitArgs {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  validationData?: [unknown, unknown];
  validationSplit?: number;
  initialEpoch?: number;
  verbose?: 0 | 1;
  callbacks?: CallbackHooks | (CallbackHooks | Callback)[] | Callback;
  /**
   * Per-class loss weights (TensorFlow.js semantics): each training sample's loss and gradient are
   * multiplied by the weight of its target's class; metrics and validation stay unweighted.
   */
  classWeight?: ClassWeightArg;
  /** Seed of the shuffling (weft addition; default: random). */
  seed?: number;
  /** How many progress readbacks per epoch feed onBatchEnd (default 10). */
  progressUpdates?: number;
}

export interface EvaluateArgs {
  batchSize?: number;
  verbose?: 0 | 1;
}

/** Samples ready to upload: one array per input, then one per target. */
export interface PreparedData {
  rows: number;
  arrays: DatasetArray[];
  storage: InputStorage;
  /** The tensors the arrays came from (their GPU copies are kept until they are disposed). */
  tensors: Tensor[];
}

/** fit's arguments, checked, with defaults. */
export interface FitPlan {
  epochs: number;
  initialEpoch: number;
  batchSize: number;
  shuffle: boolean;
  verbose: 0 | 1;
  seed: number | undefined;
  progressUpdates: number;
  train: PreparedData;
  validation: PreparedData | null;
  callbacks: (CallbackHooks | Callback)[];
}

/** The model as its calls' arguments see it. */
export interface CallTarget {
  inputs: SymbolicTensor[];
  inputNames: string[];
  outputNames: string[];
}

export function parseFitArgs(model: CallTarget, state: CompiledState, x: unknown, y: unknown, args: FitArgs): FitPlan {
  const call = 'fit';
  checkOptions(args, call);
  const epochs = args.epochs ?? 1;
  const batchSize = args.batchSize ?? 32;
  const initialEpoch = args.initialEpoch ?? 0;
  checkBatchSize(batchSize, call);
  if (!Number.isInteger(epochs) || epochs < 0) fail(`fit: epochs must be a non-negative integer, got ${epochs}`);
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0) fail(`fit: initialEpoch must be a non-negative integer, got ${initialEpoch}`);
  if (epochs < initialEpoch) fail(`fit: epochs (${epochs}) is smaller than initialEpoch (${initialEpoch}); epochs is the index of the last epoch, as in Keras`);
  const classWeights = standardizeClassWeights(args.classWeight, model.outputNames, call);
  let xs = normalizeTensors(x, model.inputNames, 'inputs', call);
  let ys = normalizeTensors(y, model.outputNames, 'targets', call);
  let validation: [Tensor[], Tensor[]] | null = null;
  if (args.validationData) {
    if (!Array.isArray(args.validationData) || args.validationData.length < 2) fail('fit: validationData must be [x, y]');
    validation = [
      normalizeTensors(args.validationData[0], model.inputNames, 'inputs', 'fit (validationData)'),
      normalizeTensors(args.validationData[1], model.outputNames, 'targets', 'fit (validationData)'),
    ];
  } else if (args.validationSplit !== undefined) {
    const split = args.validationSplit;
    if (!(split > 0 && split < 1)) fail(`fit: validationSplit must be between 0 and 1, got ${split}`);
    const n = sampleCount([...xs, ...ys], [...model.inputNames, ...model.outputNames], call);
    const cut = Math.floor(n * (1 - split));
    if (cut <= 0 || cut >= n) fail(`fit: validationSplit ${split} of ${n} samples leaves no training or no validation samples`);
    validation = [xs.map((t) => sliceRows(t, cut, n)), ys.map((t) => sliceRows(t, cut, n))];
    xs = xs.map((t) => sliceRows(t, 0, cut));
    ys = ys.map((t) => sliceRows(t, 0, cut));
  }
  // Tensors sliced here for validationSplit are only views for prepareData: drop them from the
  // live-tensor count once their arrays are taken.
  const sliced = args.validationData || !validation ? [] : [...xs, ...ys, ...validation[0], ...validation[1]];
  let train: PreparedData;
  let validationPrepared: PreparedData | null;
  try {
    train = prepareData(model, state, xs, ys, call);
    train.arrays.push(...sampleWeightArrays(ys, classWeights, model.outputNames, call));
    validationPrepared = validation ? prepareData(model, state, validation[0], validation[1], 'fit (validationData)') : null;
  } finally {
    for (const t of sliced) t.dispose();
  }
  const callbacks = checkCallbacks(args.callbacks);
  if (args.seed !== undefined && !Number.isFinite(args.seed)) fail(`fit: seed must be a number, got ${args.seed}`);
  return {
    epochs,
    initialEpoch,
    batchSize,
    shuffle: args.shuffle !== false,
    verbose: args.verbose ?? 1,
    seed: args.seed,
    progressUpdates: Math.max(0, args.progressUpdates ?? 10),
    train,
    validation: validationPrepared,
    callbacks,
  };
}

/** Inputs and targets checked against the model and its losses. */
export function prepareData(model: CallTarget, state: CompiledState, xs: Tensor[], ys: Tensor[], call: string): PreparedData {
  const rows = sampleCount([...xs, ...ys], [...model.inputNames, ...model.outputNames], call);
  const inputs = xs.map((t, i) => inputArray(t, model.inputs[i]!, i, call));
  const targets = ys.map((t, i) => targetArray(t, i, state.outputs[i]!.name, state.outputs[i]!.units, state.outputs[i]!.loss, call));
  return { rows, arrays: [...inputs.map((i) => i.array), ...targets], storage: inputs.map((i) => i.storage), tensors: [...xs, ...ys] };
}

/** predict's inputs checked against the model. */
export function prepareInputs(model: CallTarget, xs: Tensor[]): PreparedData {
  const rows = sampleCount(xs, model.inputNames, 'predict');
  const inputs = xs.map((t, i) => inputArray(t, model.inputs[i]!, i, 'predict'));
  return { rows, arrays: inputs.map((i) => i.array), storage: inputs.map((i) => i.storage), tensors: xs };
}

/** The options argument of fit/evaluate/predict must be an object (or left out) of options the call knows. */
export function checkOptions(args: unknown, call: string): void {
  if (args === null || typeof args !== 'object' || Array.isArray(args))
    fail(
      `${call}: options must be an object such as { batchSize: 32${call === 'fit' ? ', epochs: 10' : ''} }, got ${args === null ? 'null' : Array.isArray(args) ? 'an array' : typeof args}`,
    );
  const options = CALL_OPTIONS[call];
  if (options) checkKnownOptions(args, options.known, call, options.refused);
}

const SAMPLE_WEIGHT = "per-sample weights are not supported (TensorFlow.js's fit refuses them too: 'sample weight is not supported yet')";

/** What fit/evaluate/predict take: TensorFlow.js's options (and weft's own), and those refused. */
const CALL_OPTIONS: Record<string, { known: readonly string[]; refused: RefusedOptions }> = {
  fit: {
    // yieldEvery and validationBatchSize only change when TensorFlow.js yields and how it batches
    // validation; weft's fit never blocks the page and its validation numbers are sample means.
    known: [
      'epochs',
      'batchSize',
      'shuffle',
      'validationData',
      'validationSplit',
      'initialEpoch',
      'verbose',
      'callbacks',
      'seed',
      'progressUpdates',
      'classWeight',
      'yieldEvery',
      'validationBatchSize',
    ],
    refused: {
      sampleWeight: SAMPLE_WEIGHT,
      stepsPerEpoch: 'fit on tensors runs whole epochs; leave it out',
      validationSteps: 'validation runs over the whole validationData; leave it out',
    },
  },
  fitDataset: {
    // validationBatchSize only changes how tensor validation data is batched (weft reports sample means).
    known: [
      'epochs',
      'batchesPerEpoch',
      'initialEpoch',
      'validationData',
      'validationBatches',
      'validationBatchSize',
      'callbacks',
      'verbose',
      'seed',
      'classWeight',
      'yieldEvery',
    ],
    refused: {},
  },
  evaluate: { known: ['batchSize', 'verbose'], refused: { sampleWeight: SAMPLE_WEIGHT, steps: 'evaluate on tensors covers every sample; leave it out' } },
  predict: { known: ['batchSize', 'verbose'], refused: {} },
};

/** A value as JSON for a message; objects that JSON cannot write (cycles, bigints) by their type. */
function asJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return typeof value;
  }
}

/** `objectHint`: said after the message when an object was given (a call that takes the number itself). */
export function checkBatchSize(batchSize: number, call: string, objectHint?: string): void {
  if (Number.isInteger(batchSize) && batchSize > 0) return;
  const isObject = typeof batchSize === 'object' && batchSize !== null;
  const given = typeof batchSize === 'string' || isObject ? asJson(batchSize) : String(batchSize);
  fail(`${call}: batchSize must be a positive integer, got ${given}${isObject && objectHint ? `; ${objectHint}` : ''}`);
}

const HOOKS = ['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchEnd', 'onYield'] as const;
/** Hooks weft cannot deliver, and why: refused rather than never called. */
const UNDELIVERABLE: Record<string, string> = {
  onBatchBegin:
    "weft records an epoch's batches on the GPU ahead of time and does not return to JavaScript before each one; use onEpochBegin, or onBatchEnd (delivered a few times per epoch and after the last batch)",
};

/** fit's callbacks: one object or an array of them, each hook a function. */
export function checkCallbacks(spec: unknown, call = 'fit'): (CallbackHooks | Callback)[] {
  const list = spec === undefined || spec === null ? [] : Array.isArray(spec) ? spec : [spec];
  list.forEach((c, i) => {
    const where = Array.isArray(spec) ? `callbacks[${i}]` : 'callbacks';
    if (c === null || typeof c !== 'object')
      fail(
        `${call}: ${where} must be an object of hooks such as { onEpochEnd: (epoch, logs) => {} } or a weft.callbacks.* callback, got ${c === null ? 'null' : typeof c}`,
      );
    for (const [hook, why] of Object.entries(UNDELIVERABLE))
      if ((c as Record<string, unknown>)[hook] !== undefined) fail(`${call}: ${where}.${hook} is not supported: ${why}`);
    for (const hook of HOOKS) {
      const f = (c as Record<string, unknown>)[hook];
      if (f !== undefined && typeof f !== 'function') fail(`${call}: ${where}.${hook} must be a function, got ${typeof f}`);
    }
  });
  return list as (CallbackHooks | Callback)[];
}
