// fitDataset's and evaluateDataset's loops: batches pulled from a weft.data dataset, checked, packed
// into chunks and streamed to the runtime (which trains earlier chunks while the next is packed);
// metric sums read once per epoch. Bad input in the middle of an epoch (wrong shape, NaN, a throwing
// generator, a dataset that ends early) is a WeftError naming the batch; the model then keeps the
// weights and optimizer state of the last completed epoch, and the upload slots are freed.

import type { StreamHandle, TrainStep } from '../runtime/session.js';
import { type CallTarget, prepareData } from './callArgs.js';
import type { CallbackList } from './callbackList.js';
import type { ClassWeight } from './classWeights.js';
import { History, type Logs } from './callbacks.js';
import type { CompiledState } from './compileArgs.js';
import { Dataset } from './dataset/dataset.js';
import { normalizeTensors } from './data.js';
import { evaluateLogs } from './evaluator.js';
import { WeftError } from './errors.js';
import { logsFromSums } from './metricLogs.js';
import { createRandom, nextSeed } from './random.js';
import type { SessionOwner } from './sessionOwner.js';
import { BatchReader, ChunkPacker } from './streamBatches.js';

/** Batches per chunk (one command buffer, one upload slot): many steps per submit, at most this many batches ahead of the GPU. */
const CHUNK_BATCHES = 16;

export interface DatasetFitPlan {
  epochs: number;
  initialEpoch: number;
  batchesPerEpoch: number | undefined;
  verbose: 0 | 1;
  seed: number | undefined;
  /** Per output: its classWeight map, or null (unweighted). */
  classWeights: (ClassWeight | null)[];
  /** Evaluated after each epoch: a dataset, or tensors through evaluate. */
  validate: ((epoch: number) => Promise<Logs>) | null;
}

export interface DatasetFitContext {
  model: CallTarget & { stopTraining: boolean; readonly metricsNames: string[] };
  owner: SessionOwner;
  state: CompiledState;
  callbacks: CallbackList;
}

export async function fitDatasetLoop(context: DatasetFitContext, dataset: Dataset, plan: DatasetFitPlan): Promise<History> {
  const { model, owner, state, callbacks } = context;
  const session = await owner.session();
  await owner.syncHost();
  const reader = new BatchReader(model, state, 'fitDataset', true, plan.classWeights);
  const random = createRandom(plan.seed ?? nextSeed());
  const history = new History();
  history.params = {
    epochs: plan.epochs,
    initialEpoch: plan.initialEpoch,
    steps: plan.batchesPerEpoch ?? null,
    verbose: plan.verbose,
    doValidation: !!plan.validate,
    metrics: model.metricsNames,
  };
  let stream: StreamHandle | null = null;
  let lastCompleted = -1;
  // With batchesPerEpoch, one iterator runs across epochs (as TF.js); without, each epoch starts a new one.
  let iterator = plan.batchesPerEpoch !== undefined ? await dataset.iterator() : null;
  model.stopTraining = false;
  try {
    await callbacks.trainBegin();
    for (let epoch = plan.initialEpoch; epoch < plan.epochs && !model.stopTraining; epoch++) {
      await callbacks.epochBegin(epoch);
      const started = performance.now();
      const epochIterator = iterator ?? (await dataset.iterator());
      let packer: ChunkPacker | null = null;
      let batches = 0;
      let samples = 0;
      const flush = async (): Promise<void> => {
        if (!packer || packer.batches === 0) return;
        const chunk = packer.take();
        const steps = stepValues(state, session.optimizerStep, chunk.batchRows.length, random);
        await session.streamChunk(stream!, { ...chunk, steps });
      };
      try {
        for (;;) {
          if (plan.batchesPerEpoch !== undefined && batches >= plan.batchesPerEpoch) break;
          const where = `batch ${batches + 1} of epoch ${epoch + 1}`;
          const next = await pull(epochIterator, 'fitDataset', where);
          if (next.done) {
            if (plan.batchesPerEpoch !== undefined)
              throw new WeftError(
                `fitDataset: the dataset ended after ${batches} batches in epoch ${epoch + 1}, but batchesPerEpoch is ${plan.batchesPerEpoch}; use dataset.repeat() or a smaller batchesPerEpoch`,
              );
            if (batches === 0) throw new WeftError(`fitDataset: the dataset yielded no batches in epoch ${epoch + 1}`);
            break;
          }
          const batch = reader.read(next.value, where);
          if (!stream) {
            const layout = reader.layout!;
            stream = session.beginStream('train', layout.specs, layout.storage, reader.batchSize, CHUNK_BATCHES);
          }
          packer ??= new ChunkPacker(reader.layout!.specs, reader.batchSize, CHUNK_BATCHES);
          packer.add(batch);
          batches++;
          samples += batch.rows;
          if (packer.full) await flush();
        }
        await flush();
      } finally {
        if (!iterator) void epochIterator.return?.();
      }
      owner.hostStale = true;
      const logs = logsFromSums(state.outputs, await session.finishStream(stream!), samples);
      const read = Object.values(logs).every(Number.isFinite) ? await session.readTrainingState() : null;
      if (!read || !read.params.every(Number.isFinite))
        throw new WeftError(`fitDataset: the loss became ${logs.loss} in epoch ${epoch + 1}; training diverged (lower the learning rate, or check the data)`);
      owner.pullHost(read.params);
      owner.optimizerHost = read.optimizer;
      lastCompleted = epoch;
      if (plan.validate) for (const [k, v] of Object.entries(await plan.validate(epoch))) logs[`val_${k}`] = v;
      history.record(epoch, logs);
      if (plan.verbose !== 0 && typeof console !== 'undefined')
        console.log(
          `[weft] Epoch ${epoch + 1}/${plan.epochs} - ${batches} batches - ${((performance.now() - started) / 1000).toFixed(1)}s - ${Object.entries(logs)
            .map(([k, v]) => `${k}: ${v.toFixed(4)}`)
            .join(' - ')}`,
        );
      await callbacks.epochEnd(epoch, logs);
    }
    await callbacks.trainEnd();
    return history;
  } catch (e) {
    const loss = await session.deviceLoss(50);
    if (loss) {
      owner.drop(session);
      throw new WeftError(
        `fitDataset: the GPU device was lost (${loss.reason}); the model keeps ${kept(lastCompleted)}. Call weft.resetGpu() and fitDataset again to continue from there.`,
        { cause: e },
      );
    }
    // Back to the last completed epoch: its weights (the host copy) and optimizer state.
    owner.pushHost();
    if (owner.optimizerHost) session.writeOptimizerState(owner.optimizerHost);
    else session.resetOptimizerState();
    if (e instanceof WeftError) throw new WeftError(`${e.message}. The model keeps ${kept(lastCompleted)}.`, { cause: e.cause });
    throw e;
  } finally {
    if (iterator) void iterator.return?.();
    iterator = null;
    if (stream) session.endStream(stream);
  }
}

/** Keras's evaluate numbers over every batch of `dataset`, in `metricsNames` order. */
export async function evaluateDatasetLoop(owner: SessionOwner, model: CallTarget, state: CompiledState, dataset: Dataset, batches?: number): Promise<Logs> {
  const session = await owner.session();
  const reader = new BatchReader(model, state, 'evaluateDataset');
  const iterator = await dataset.iterator();
  let stream: StreamHandle | null = null;
  let packer: ChunkPacker | null = null;
  let count = 0;
  let samples = 0;
  try {
    for (;;) {
      if (batches !== undefined && count >= batches) break;
      const where = `batch ${count + 1}`;
      const next = await pull(iterator, 'evaluateDataset', where);
      if (next.done) break;
      const batch = reader.read(next.value, where);
      stream ??= session.beginStream('evaluate', reader.layout!.specs, reader.layout!.storage, reader.batchSize, CHUNK_BATCHES);
      packer ??= new ChunkPacker(reader.layout!.specs, reader.batchSize, CHUNK_BATCHES);
      packer.add(batch);
      count++;
      samples += batch.rows;
      if (packer.full) await session.streamChunk(stream, packer.take());
    }
    if (!stream || !packer) throw new WeftError('evaluateDataset: the dataset yielded no batches');
    if (packer.batches > 0) await session.streamChunk(stream, packer.take());
    return logsFromSums(state.outputs, await session.finishStream(stream), samples);
  } finally {
    void iterator.return?.();
    if (stream) session.endStream(stream);
  }
}

/** The next element; a throwing dataset becomes a WeftError naming the batch. */
async function pull(iterator: AsyncIterator<unknown>, call: string, where: string): Promise<IteratorResult<unknown>> {
  try {
    return await iterator.next();
  } catch (e) {
    if (e instanceof WeftError) throw new WeftError(`${call}: ${where}: ${e.message}`, { cause: e });
    throw new WeftError(`${call}: the dataset threw while making ${where}: ${(e as Error)?.message ?? e}`, { cause: e });
  }
}

function kept(lastCompleted: number): string {
  return lastCompleted >= 0 ? `the weights of epoch ${lastCompleted + 1}, the last completed one` : 'the weights it had before this call';
}

function stepValues(state: CompiledState, stepsBefore: number, steps: number, random: () => number): TrainStep[] {
  return Array.from({ length: steps }, (_, s) => {
    const t = stepsBefore + s + 1;
    return { t, ...state.optimizer.stepValues(t), seed: Math.floor(random() * 0xffffffff) };
  });
}

/** fitDataset's validation: a dataset (streamed) or tensors [x, y] (uploaded once). */
export function datasetValidation(
  owner: SessionOwner,
  model: CallTarget,
  state: CompiledState,
  data: Dataset | [unknown, unknown],
  batches: number | undefined,
): () => Promise<Logs> {
  if (data instanceof Dataset) return () => evaluateDatasetLoop(owner, model, state, data, batches);
  const what = 'fitDataset (validationData)';
  const prepared = prepareData(
    model,
    state,
    normalizeTensors(data[0], model.inputNames, 'inputs', what),
    normalizeTensors(data[1], model.outputNames, 'targets', what),
    what,
  );
  return () => evaluateLogs(owner, state, prepared, 32);
}
