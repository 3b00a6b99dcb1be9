// fit's loop, beside the model (as Keras keeps its Trainer): epochs of pre-encoded steps on the
// runtime session, logs from the GPU's metric sums, callbacks at epoch boundaries, the host copy of
// the weights and the optimizer state refreshed at each epoch end — fit's safe point when training diverges or the device
// is lost.

import type { DatasetHandle, TrainStep } from '../runtime/session.js';
import type { CallbackList } from './callbackList.js';
import { History } from './callbacks.js';
import type { FitPlan } from './callArgs.js';
import type { CompiledState } from './compileArgs.js';
import type { Optimizer } from './compileConfig.js';
import { WeftError } from './errors.js';
import { logsFromSums, tfjsOnlyLogNames } from './metricLogs.js';
import { createRandom, nextSeed, shuffledIndices } from './random.js';
import type { SessionOwner } from './sessionOwner.js';

export interface FitContext {
  /** The model's stop flag (callbacks set it) and the names its logs carry. */
  model: { stopTraining: boolean; readonly metricsNames: string[] };
  owner: SessionOwner;
  state: CompiledState;
  callbacks: CallbackList;
}

export async function fitLoop(context: FitContext, plan: FitPlan): Promise<History> {
  const { model, owner, state, callbacks } = context;
  const { batchSize, epochs } = plan;
  const session = await owner.session();
  // The host copies are fit's safe point (after divergence or device loss): bring them up to date.
  await owner.syncHost();
  const rows = plan.train.rows;
  const data = await owner.dataset(session, plan.train, Math.ceil(rows / batchSize));
  // One step per batch; a dataset split over several bindings may add a ragged batch per part.
  const steps = session.stepsFor(data, batchSize);
  let validation: DatasetHandle | null = null;
  let epoch = plan.initialEpoch;
  let lastCompleted = -1;
  let lost = false;
  try {
    const v = plan.validation;
    validation = v ? await owner.dataset(session, v, Math.ceil(v.rows / batchSize)) : null;
    const history = new History();
    history.params = {
      epochs,
      initialEpoch: plan.initialEpoch,
      samples: rows,
      steps,
      batchSize,
      verbose: plan.verbose,
      doValidation: !!validation,
      metrics: model.metricsNames,
    };
    const random = createRandom(plan.seed ?? nextSeed());
    // The progress line shows Keras's names only (the logs carry TensorFlow.js's too).
    const tfjsOnly = tfjsOnlyLogNames(state.outputs);
    model.stopTraining = false;
    await callbacks.trainBegin();
    for (; epoch < epochs && !model.stopTraining; epoch++) {
      await callbacks.epochBegin(epoch);
      const order = plan.shuffle ? shuffledIndices(rows, random) : identity(rows);
      const trainSteps = stepValues(state.optimizer, session.optimizerStep, steps, random);
      const started = performance.now();
      let lastBatchDelivered = -1;
      const onProgress = callbacks.wantsBatchEnd
        ? (stepsDone: number, sums: Float32Array) => {
            lastBatchDelivered = stepsDone - 1;
            void callbacks.batchEnd(stepsDone - 1, logsFromSums(state.outputs, sums, Math.min(stepsDone * batchSize, rows)));
          }
        : undefined;
      const progressEvery = plan.progressUpdates > 0 ? Math.max(1, Math.ceil(steps / plan.progressUpdates)) : 0;
      const sums = await session.train(data, { batchSize, order, steps: trainSteps, progressEvery, ...(onProgress ? { onProgress } : {}) });
      owner.hostStale = true;
      const logs = logsFromSums(state.outputs, sums, rows);
      // One readback per epoch (through a staging buffer made once): the parameters become the
      // host copy, which is what fit falls back to when training diverges or the device is lost.
      const read = Object.values(logs).every(Number.isFinite) ? await session.readTrainingState() : null;
      const params = read?.params ?? null;
      if (!params || !params.every(Number.isFinite)) {
        // Diverged: back to the last finite weights (the host copy), with fresh optimizer state.
        owner.pushHost();
        session.resetOptimizerState();
        owner.optimizerHost = null;
        const kept = lastCompleted >= 0 ? `the weights of epoch ${lastCompleted + 1}` : 'the weights from before this fit';
        const what = params ? `the weights became non-finite (NaN or Infinity) in epoch ${epoch + 1}` : `the loss became ${logs.loss} in epoch ${epoch + 1}`;
        if (params) logs.loss = NaN;
        // The last batch's logs, as Keras delivers them: a callback (terminateOnNaN) may stop here.
        await callbacks.batchEnd(steps - 1, logs);
        if (!model.stopTraining) throw new WeftError(`fit: ${what}; training diverged (lower the learning rate, or check the data). The model keeps ${kept}.`);
        if (plan.verbose !== 0 && typeof console !== 'undefined')
          console.log(`[weft] ${what}; a callback stopped training (terminateOnNaN), the model keeps ${kept}`);
        history.record(epoch, logs);
        await callbacks.epochEnd(epoch, logs);
        break;
      }
      owner.pullHost(params);
      owner.optimizerHost = read!.optimizer;
      lastCompleted = epoch;
      // Progress readbacks come at submit boundaries only: an epoch shorter than one submit has none.
      // Its last batch is always delivered (with the epoch's logs), as TensorFlow.js's last onBatchEnd.
      if (callbacks.wantsBatchEnd && lastBatchDelivered < steps - 1) await callbacks.batchEnd(steps - 1, { ...logs });
      if (validation) {
        const valLogs = logsFromSums(state.outputs, await session.evaluate(validation, batchSize), validation.rows);
        for (const [k, value] of Object.entries(valLogs)) logs[`val_${k}`] = value;
      }
      history.record(epoch, logs);
      if (plan.verbose !== 0 && typeof console !== 'undefined') {
        const shown = Object.entries(logs).filter(([k]) => !tfjsOnly.has(k));
        console.log(
          `[weft] Epoch ${epoch + 1}/${epochs} - ${((performance.now() - started) / 1000).toFixed(1)}s - ${shown.map(([k, value]) => `${k}: ${value.toFixed(4)}`).join(' - ')}`,
        );
      }
      await callbacks.epochEnd(epoch, logs);
    }
    await callbacks.trainEnd();
    return history;
  } catch (e) {
    const loss = await session.deviceLoss(50);
    if (loss) {
      lost = true;
      const kept = lastCompleted >= 0 ? `the weights of epoch ${lastCompleted + 1}, the last completed one` : 'the weights it had before this fit';
      throw new WeftError(
        `fit: the GPU device was lost during epoch ${epoch + 1} (${loss.reason ?? 'unknown'}${loss.message ? `: ${loss.message}` : ''}); the model keeps ${kept}. Call weft.resetGpu() and fit again to continue from there.`,
        { cause: e },
      );
    }
    throw e;
  } finally {
    session.releaseDataset(data);
    if (validation) session.releaseDataset(validation);
    if (lost) owner.drop(session);
  }
}

/** One epoch's step values: the optimizer's at each step t, and a dropout seed per step. */
function stepValues(optimizer: Optimizer, stepsBefore: number, steps: number, random: () => number): TrainStep[] {
  const out: TrainStep[] = [];
  for (let s = 0; s < steps; s++) {
    const t = stepsBefore + s + 1;
    out.push({ t, ...optimizer.stepValues(t), seed: Math.floor(random() * 0xffffffff) });
  }
  return out;
}

function identity(n: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}
