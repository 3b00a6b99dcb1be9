// GPU metric sums → Keras logs: each output's loss and metrics averaged over the samples, and the
// total loss (Σ weight × output loss), named as Keras names them, with TensorFlow.js's names beside.

import type { Logs } from './callbacks.js';
import { slotLayout, type OutputSpec } from './lowerModel.js';

/**
 * TensorFlow.js logs metrics: ['accuracy'] as 'acc' (tfjs-layers training.js names 'accuracy' and
 * 'acc' both 'acc'); its programs read logs.acc and history.history.val_acc.
 */
export function tfjsMetricName(displayName: string): string | undefined {
  return displayName === 'accuracy' ? 'acc' : undefined;
}

/** The log names present only for TensorFlow.js programs (with and without val_), not in metricsNames. */
export function tfjsOnlyLogNames(outputs: OutputSpec[]): Set<string> {
  const multi = outputs.length > 1;
  const names = new Set<string>();
  for (const o of outputs) {
    const keras = new Set(o.metrics.map((m) => m.displayName));
    for (const m of o.metrics) {
      const alias = tfjsMetricName(m.displayName);
      if (alias === undefined || keras.has(alias)) continue;
      const name = multi ? `${o.name}_${alias}` : alias;
      names.add(name).add(`val_${name}`);
    }
  }
  return names;
}

export function logsFromSums(outputs: OutputSpec[], sums: Float32Array, count: number): Logs {
  const slots = slotLayout(outputs);
  const multi = outputs.length > 1;
  const logs: Logs = {};
  let total = 0;
  outputs.forEach((o, i) => (total += o.weight * (sums[slots.lossSlots[i]!]! / count)));
  // Training sums of a model with regularizers carry the weight penalty past the metrics (TensorFlow.js's
  // fit reports the loss with the penalty; evaluate's sums have no such slot).
  if (sums.length > slots.penaltySlot) total += sums[slots.penaltySlot]! / count;
  logs.loss = total;
  if (multi) outputs.forEach((o, i) => (logs[`${o.name}_loss`] = sums[slots.lossSlots[i]!]! / count));
  const prefix = (o: OutputSpec, name: string): string => (multi ? `${o.name}_${name}` : name);
  outputs.forEach((o, i) => o.metrics.forEach((m, j) => (logs[prefix(o, m.displayName)] = sums[slots.metricSlots[i]![j]!]! / count)));
  // TensorFlow.js's names after Keras's (a name the user asked for by itself keeps its own value).
  outputs.forEach((o, i) =>
    o.metrics.forEach((m, j) => {
      const alias = tfjsMetricName(m.displayName);
      if (alias !== undefined) logs[prefix(o, alias)] ??= sums[slots.metricSlots[i]![j]!]! / count;
    }),
  );
  return logs;
}
