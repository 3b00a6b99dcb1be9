// weft.sequential as tf.sequential: building with add() or { layers }, the first layer's input shape,
// names and layer lists as TensorFlow.js has them, and the Sequential layers format both ways.
import '@tensorflow/tfjs-backend-cpu';
import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, test } from 'vitest';
import type { ModelArtifacts } from '../../src/api/io/types.js';
import * as weft from '../../src/index.js';

beforeAll(async () => {
  await tfc.setBackend('cpu');
});

async function artifactsOf(model: weft.LayersModel): Promise<ModelArtifacts> {
  let artifacts: ModelArtifacts | undefined;
  await model.save({
    save: async (a: ModelArtifacts) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' as const } }),
  });
  return artifacts!;
}

describe('weft.sequential', () => {
  test('add() stacks layers from the first layer’s inputShape, as tf.sequential', () => {
    const model = weft.sequential();
    model.add(weft.layers.dense({ units: 10, activation: 'relu', inputShape: [4] }));
    model.add(weft.layers.dense({ units: 3, activation: 'softmax' }));
    expect(model.getClassName()).toBe('Sequential');
    expect(model.layers.map((l) => l.className)).toEqual(['Dense', 'Dense']);
    expect(model.inputs[0]!.shape).toEqual([null, 4]);
    expect(model.outputs[0]!.shape).toEqual([null, 3]);
    expect(model.weights.map((w) => w.shape)).toEqual([[4, 10], [10], [10, 3], [3]]);
    const lines: string[] = [];
    model.summary(undefined, undefined, (l) => lines.push(String(l)));
    expect(lines.join('\n')).toMatch(/Total params: 83/);
    expect(lines.join('\n')).not.toMatch(/InputLayer/);
  });

  test('{ layers } with inputDim or batchInputShape, and pop()', () => {
    const a = weft.sequential({ layers: [weft.layers.dense({ units: 2, inputDim: 5 })] });
    expect(a.inputs[0]!.shape).toEqual([null, 5]);
    const b = weft.sequential({ layers: [weft.layers.dense({ units: 2, batchInputShape: [null, 7] }), weft.layers.dense({ units: 1 })] });
    expect(b.outputs[0]!.shape).toEqual([null, 1]);
    b.pop();
    expect(b.layers.length).toBe(1);
    expect(b.outputs[0]!.shape).toEqual([null, 2]);
  });

  test('mistakes get WeftErrors that say what to do', () => {
    expect(() => weft.sequential().add(weft.layers.dense({ units: 2 }))).toThrow(/must get an inputShape or batchInputShape/);
    const m = weft.sequential();
    expect(() => m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' })).toThrow(/no layers yet; add one with model.add/);
    const d = weft.layers.dense({ units: 2, inputShape: [3] });
    m.add(d);
    expect(() => m.add(d)).toThrow(/already in this model/);
    expect(() => m.add({} as never)).toThrow(/expects a layer/);
  });

  test('adding after compile asks for compile again', async () => {
    const m = weft.sequential({ layers: [weft.layers.dense({ units: 2, inputShape: [3] })] });
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    m.add(weft.layers.dense({ units: 1 }));
    expect(m.metricsNames).toEqual([]);
    await expect((async () => m.evaluate(weft.zeros([2, 3]), weft.zeros([2, 1])))()).rejects.toThrow(/call model.compile/);
  });

  test('saved as TensorFlow.js’s Sequential, which TF.js loads with the same weights and predictions', async () => {
    const model = weft.sequential({
      layers: [weft.layers.dense({ units: 5, activation: 'tanh', inputShape: [3], seed: 1 }), weft.layers.dense({ units: 2, seed: 2 })],
    });
    const artifacts = await artifactsOf(model);
    expect((artifacts.modelTopology as { class_name: string }).class_name).toBe('Sequential');
    const loaded = await tfl.loadLayersModel({ load: async () => artifacts as never });
    expect(loaded.getClassName()).toBe('Sequential');
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(['Dense', 'Dense']);
    const weights = model.weights.map((w) => Array.from(w.values));
    expect(loaded.getWeights().map((t) => Array.from(t.dataSync()))).toEqual(weights);
  });

  test('a TensorFlow.js Sequential loads as a weft Sequential', async () => {
    const tfModel = tfl.sequential({
      layers: [tfl.layers.dense({ units: 4, inputShape: [6], activation: 'relu' }), tfl.layers.dense({ units: 3, activation: 'softmax' })],
    });
    let artifacts: ModelArtifacts | undefined;
    await tfModel.save({
      save: async (a) => ((artifacts = a as ModelArtifacts), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' as const } }),
    });
    const model = await weft.loadLayersModel({ load: async () => artifacts! });
    expect(model.getClassName()).toBe('Sequential');
    expect(model.layers.length).toBe(2);
    expect(model.weights.map((w) => Array.from(w.values))).toEqual(tfModel.getWeights().map((t) => Array.from(t.dataSync())));
    const again = await artifactsOf(model);
    expect((again.modelTopology as { class_name: string }).class_name).toBe('Sequential');
  });
});
