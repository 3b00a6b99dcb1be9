// GPU metric sums → Keras logs: each output's loss and metrics averaged over the samples, and the
// total loss (Σ weight × output loss), named as Keras names them.

import type { Logs } from './callbacks.js';
import { slotLayout, type OutputSpec } from './lowerModel.js';

export function logsFromSums(outputs: OutputSpec[], sums: Float32Array, count: number): Logs {
  const slots = slotLayout(outputs);
  const multi = outputs.length > 1;
  const logs: Logs = {};
  let total = 0;
  outputs.forEach((o, i) => (total += o.weight * (sums[slots.lossSlots[i]!]! / count)));
  logs.loss = total;
  if (multi) outputs.forEach((o, i) => (logs[`${o.name}_loss`] = sums[slots.lossSlots[i]!]! / count));
  outputs.forEach((o, i) => o.metrics.forEach((m, j) => (logs[multi ? `${o.name}_${m.displayName}` : m.displayName] = sums[slots.metricSlots[i]![j]!]! / count)));
  return logs;
}
