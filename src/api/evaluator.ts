// evaluate's and predict's loops: upload the samples, one pass over them in order, release them.

import type { PredictionSpec } from '../runtime/session.js';
import type { PreparedData } from './callArgs.js';
import type { CompiledState } from './compileArgs.js';
import { logsFromSums } from './metricLogs.js';
import type { SessionOwner } from './sessionOwner.js';

/** Keras's evaluate numbers, in `metricsNames` order. */
export async function evaluateLoop(owner: SessionOwner, state: CompiledState, data: PreparedData, batchSize: number): Promise<number[]> {
  const session = await owner.session();
  const handle = session.uploadDataset(data.rows, data.arrays, data.storage, Math.ceil(data.rows / batchSize));
  try {
    const logs = logsFromSums(state.outputs, await session.evaluate(handle, batchSize), data.rows);
    return state.metricsNames.map((n) => logs[n]!);
  } finally {
    session.releaseDataset(handle);
  }
}

/** Every output's predictions, `[rows, ...outputShape]` row-major, one array per output. */
export async function predictLoop(owner: SessionOwner, outputs: { name: string; shape: number[] }[], data: PreparedData, batchSize: number): Promise<Float32Array[]> {
  const session = await owner.session();
  const rows = data.rows;
  const handle = session.uploadDataset(rows, data.arrays, data.storage, Math.ceil(rows / batchSize));
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
