// evaluate's and predict's loops: the samples on the GPU (uploaded once per tensor), one pass over them in order.

import type { PredictionSpec } from '../runtime/session.js';
import type { PreparedData } from './callArgs.js';
import type { Logs } from './callbacks.js';
import type { CompiledState } from './compileArgs.js';
import { logsFromSums } from './metricLogs.js';
import type { SessionOwner } from './sessionOwner.js';

/** Keras's evaluate numbers, in `metricsNames` order. */
export async function evaluateLoop(owner: SessionOwner, state: CompiledState, data: PreparedData, batchSize: number): Promise<number[]> {
  const logs = await evaluateLogs(owner, state, data, batchSize);
  return state.metricsNames.map((n) => logs[n]!);
}

/** Loss and metrics over every sample, by name. */
export async function evaluateLogs(owner: SessionOwner, state: CompiledState, data: PreparedData, batchSize: number): Promise<Logs> {
  const session = await owner.session();
  const handle = await owner.dataset(session, data, Math.ceil(data.rows / batchSize));
  try {
    return logsFromSums(state.outputs, await session.evaluate(handle, batchSize), data.rows);
  } finally {
    session.releaseDataset(handle);
  }
}

/** Every output's predictions, `[rows, ...outputShape]` row-major, one array per output. */
export async function predictLoop(
  owner: SessionOwner,
  outputs: { name: string; shape: number[] }[],
  data: PreparedData,
  batchSize: number,
): Promise<Float32Array[]> {
  const session = await owner.session();
  const rows = data.rows;
  const handle = await owner.dataset(session, data, Math.ceil(rows / batchSize));
  try {
    const specs: PredictionSpec[] = outputs.map((o) => ({
      units: o.shape.reduce((a, b) => a * b, 1),
      description: `the ${rows} predictions of output '${o.name}'`,
    }));
    return await session.predict(handle, batchSize, specs);
  } finally {
    session.releaseDataset(handle);
  }
}
