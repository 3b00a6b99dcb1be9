// weft.regularizers with TensorFlow.js's names and defaults, the forms a layer's kernelRegularizer /
// biasRegularizer take, the refusals (activityRegularizer, unknown kinds), and the TensorFlow.js
// layers-format config both ways (TensorFlow.js itself reads weft's JSON back).
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import * as weft from '../../src/index.js';
import { LAYER_CLASSES, ConfigReader } from '../../src/api/io/serialize.js';
import { slotLayout } from '../../src/api/lowerModel.js';
import { logsFromSums } from '../../src/api/metricLogs.js';
import { resolveLoss } from '../../src/api/compileConfig.js';
import type { Dense } from '../../src/api/layers/dense.js';

describe('weft.regularizers', () => {
  test("TensorFlow.js's defaults", () => {
    expect(weft.regularizers.l2().getConfig()).toEqual({ l1: 0, l2: 0.01 });
    expect(weft.regularizers.l1({ l1: 0.5 }).getConfig()).toEqual({ l1: 0.5, l2: 0 });
    expect(weft.regularizers.l1l2().getConfig()).toEqual({ l1: 0.01, l2: 0.01 });
    expect(() => weft.regularizers.l2({ l2: -1 })).toThrow(/l2 must be a finite number ≥ 0/);
  });

  test('dense and conv2d take them on their weights; the identifiers and configs TensorFlow.js takes', () => {
    const x = weft.input({ shape: [3] });
    const d = weft.layers.dense({ units: 2, kernelRegularizer: weft.regularizers.l2({ l2: 0.05 }), biasRegularizer: 'l1l2' });
    d.apply(x);
    expect(d.kernel!.regularizer).toEqual({ l1: 0, l2: 0.05 });
    expect(d.bias!.regularizer).toEqual({ l1: 0.01, l2: 0.01 });
    const c = weft.layers.conv2d({ filters: 2, kernelSize: 3, kernelRegularizer: { className: 'L1L2', config: { l1: 0.2, l2: 0 } } });
    c.apply(weft.input({ shape: [5, 5, 1] }));
    expect(c.kernel!.regularizer).toEqual({ l1: 0.2, l2: 0 });
    expect(c.bias!.regularizer).toBeUndefined();
  });

  test('refused with a WeftError naming the layer and option', () => {
    expect(() => weft.layers.dense({ units: 4, activityRegularizer: weft.regularizers.l2() } as never)).toThrow(
      /dense.*'activityRegularizer' is not supported/,
    );
    expect(() => weft.layers.conv2d({ filters: 1, kernelSize: 1, activityRegularizer: 'l2' } as never)).toThrow(
      /conv2d.*'activityRegularizer' is not supported/,
    );
    expect(() => weft.layers.dense({ units: 4, name: 'd', kernelRegularizer: 'l3' as never })).toThrow(
      /dense 'd': kernelRegularizer must be a regularizer such as/,
    );
    expect(() => weft.layers.dense({ units: 4, kernelRegularizer: ((w: unknown) => w) as never })).toThrow(/custom regularizers are not supported/);
    expect(() => weft.layers.dense({ units: 4, kernelRegularizer: 'l2' })).not.toThrow();
  });

  test('layers format both ways: weft → TensorFlow.js → weft', () => {
    const d = weft.layers.dense({ units: 2, name: 'reg', kernelRegularizer: weft.regularizers.l1l2({ l1: 0.1, l2: 0.2 }) });
    const config = d.getConfig();
    expect(config['kernel_regularizer']).toEqual({ class_name: 'L1L2', config: { l1: 0.1, l2: 0.2 } });
    expect(config['bias_regularizer']).toBeNull();
    // TensorFlow.js reads the same config (camelCase, as its deserializer sees it after conversion).
    const tfLayer = tf.layers.dense({ units: 2, kernelRegularizer: tf.regularizers.l1l2({ l1: 0.1, l2: 0.2 }) });
    const tfConfig = tfLayer.getConfig()['kernelRegularizer'] as { className: string; config: { l1: number; l2: number } };
    expect({ class_name: tfConfig.className, config: tfConfig.config }).toEqual(config['kernel_regularizer']);
    const back = LAYER_CLASSES.get('Dense')!.fromConfig(new ConfigReader(config as never, "layer 'reg' (Dense)"), { name: 'reg' }) as Dense;
    expect(back.kernelRegularizer?.getConfig()).toEqual({ l1: 0.1, l2: 0.2 });
    expect(back.biasRegularizer).toBeUndefined();
    expect(() =>
      LAYER_CLASSES.get('Dense')!.fromConfig(
        new ConfigReader({ units: 2, kernel_regularizer: { class_name: 'OrthogonalRegularizer', config: {} } } as never, "layer 'x' (Dense)"),
        {},
      ),
    ).toThrow(/config.kernel_regularizer = .* is not supported by weft \(only L1L2 regularizers\)/);
  });

  test("fit's loss adds the penalty slot; evaluate's sums (no such slot) do not", () => {
    const outputs = [{ name: 'out', units: 1, loss: resolveLoss('meanSquaredError', 'out'), weight: 1, metrics: [] }];
    const layout = slotLayout(outputs);
    expect(layout.penaltySlot).toBe(layout.count);
    expect(logsFromSums(outputs, Float32Array.from([8, 4]), 4).loss).toBeCloseTo(3);
    expect(logsFromSums(outputs, Float32Array.from([8]), 4).loss).toBeCloseTo(2);
  });
});
