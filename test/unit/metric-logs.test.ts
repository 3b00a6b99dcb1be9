// Logs from the GPU's metric sums: Keras's names (what metricsNames and evaluate use) and, beside
// them, TensorFlow.js's ('acc' for metrics: ['accuracy']), which its programs read.
import { describe, expect, test } from 'vitest';
import { resolveLoss, resolveMetric } from '../../src/api/compileConfig.js';
import type { OutputSpec } from '../../src/api/lowerModel.js';
import { logsFromSums, tfjsOnlyLogNames } from '../../src/api/metricLogs.js';
import { plotHistory } from '../../src/api/plots/plotHistory.js';

function output(name: string, metrics: string[], weight = 1): OutputSpec {
  const loss = resolveLoss('sparseCategoricalCrossentropy', name);
  return { name, units: 10, loss, weight, metrics: metrics.map((m) => resolveMetric(m, loss, 10, name)) };
}

describe('logsFromSums', () => {
  test("one output, metrics ['accuracy']: accuracy and acc", () => {
    const logs = logsFromSums([output('out', ['accuracy'])], Float32Array.from([20, 15]), 40);
    expect(logs).toEqual({ loss: 0.5, accuracy: 0.375, acc: 0.375 });
    expect([...tfjsOnlyLogNames([output('out', ['accuracy'])])]).toEqual(['acc', 'val_acc']);
  });
  test("metrics ['acc'] is already TensorFlow.js's name; ['accuracy', 'acc'] keeps both", () => {
    expect(logsFromSums([output('out', ['acc'])], Float32Array.from([20, 15]), 40)).toEqual({ loss: 0.5, acc: 0.375 });
    expect(logsFromSums([output('out', ['accuracy', 'acc'])], Float32Array.from([20, 15, 16]), 40)).toEqual({ loss: 0.5, accuracy: 0.375, acc: 0.4 });
    expect(tfjsOnlyLogNames([output('out', ['acc'])]).size).toBe(0);
  });
  test('several outputs: each output prefixed, as in both libraries', () => {
    const outputs = [output('main_output', ['accuracy'], 0.7), output('aux_output', ['accuracy', 'mse'], 0.3)];
    const logs = logsFromSums(outputs, Float32Array.from([10, 20, 4, 6, 8]), 10);
    expect(logs).toEqual({
      loss: 0.7 * 1 + 0.3 * 2,
      main_output_loss: 1,
      aux_output_loss: 2,
      main_output_accuracy: 0.4,
      aux_output_accuracy: 0.6,
      aux_output_mse: 0.8,
      main_output_acc: 0.4,
      aux_output_acc: 0.6,
    });
  });
});

test('plotHistory draws accuracy once, not again as acc', () => {
  const svg = plotHistory({ loss: [1, 0.5], accuracy: [0.5, 0.7], acc: [0.5, 0.7], val_accuracy: [0.4, 0.6], val_acc: [0.4, 0.6] });
  expect(svg).toContain('>accuracy<');
  expect(svg).not.toMatch(/>acc</);
  expect(svg).not.toMatch(/>val_acc</);
});
