// fitDataset's arguments (tf.LayersModel.fitDataset's), checked before anything runs.

import { checkCallbacks, checkOptions } from './callArgs.js';
import { standardizeClassWeights, type ClassWeightArg } from './classWeights.js';
import type { Callback, CallbackHooks, Logs } from './callbacks.js';
import { Dataset } from './dataset/dataset.js';
import type { DatasetFitPlan } from './datasetTrainer.js';
import { fail } from './errors.js';

export interface FitDatasetArgs {
  epochs?: number;
  /** Batches per epoch; the dataset's iterator then runs on across epochs (as TF.js). Default: until the dataset ends. */
  batchesPerEpoch?: number;
  initialEpoch?: number;
  /** A dataset of { xs, ys } batches, or tensors [x, y]. */
  validationData?: Dataset | [unknown, unknown];
  /** Batches of a validation dataset to use (default: all). */
  validationBatches?: number;
  callbacks?: CallbackHooks | (CallbackHooks | Callback)[] | Callback;
  verbose?: 0 | 1;
  /** Per-class loss weights, as fit's (TensorFlow.js semantics): each batch's sample weights come from its targets. */
  classWeight?: ClassWeightArg;
  /** Seed of the per-step dropout seeds (weft addition). */
  seed?: number;
}

export function checkDataset(dataset: unknown, call: string): void {
  if (!(dataset instanceof Dataset))
    fail(`${call}: expected a weft.data dataset (weft.data.generator(…), weft.data.array(…).batch(n), …), got ${dataset === null ? 'null' : typeof dataset}`);
}

export function parseFitDatasetArgs(
  dataset: unknown,
  args: FitDatasetArgs,
  outputNames: string[],
  validation: (data: Dataset | [unknown, unknown], batches: number | undefined) => () => Promise<Logs>,
): { plan: DatasetFitPlan; callbacks: (CallbackHooks | Callback)[] } {
  const call = 'fitDataset';
  checkOptions(args, call);
  checkDataset(dataset, call);
  const epochs = args.epochs ?? 1;
  const initialEpoch = args.initialEpoch ?? 0;
  if (!Number.isInteger(epochs) || epochs < 0) fail(`${call}: epochs must be a non-negative integer, got ${epochs}`);
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0 || initialEpoch > epochs)
    fail(`${call}: initialEpoch must be an integer in [0, epochs], got ${initialEpoch}`);
  const perEpoch = args.batchesPerEpoch;
  if (perEpoch !== undefined && (!Number.isInteger(perEpoch) || perEpoch <= 0)) fail(`${call}: batchesPerEpoch must be a positive integer, got ${perEpoch}`);
  const v = args.validationData;
  if (v !== undefined && !(v instanceof Dataset) && !(Array.isArray(v) && v.length === 2))
    fail(`${call}: validationData must be a weft.data dataset or [x, y] tensors`);
  if (args.seed !== undefined && !Number.isFinite(args.seed)) fail(`${call}: seed must be a number, got ${args.seed}`);
  const classWeights = standardizeClassWeights(args.classWeight, outputNames, call);
  const validate = v === undefined ? null : validation(v, args.validationBatches);
  return {
    plan: {
      epochs,
      initialEpoch,
      batchesPerEpoch: perEpoch,
      verbose: args.verbose ?? 1,
      seed: args.seed,
      classWeights,
      validate: validate ? () => validate() : null,
    },
    callbacks: checkCallbacks(args.callbacks, call),
  };
}
