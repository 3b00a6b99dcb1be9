// save/load in TensorFlow.js's layers-model format, in node: the JSON weft writes, TensorFlow.js
// (CPU backend, in node) reading it and writing models weft reads, files in a directory, and model
// files that must be rejected (unsupported classes, wrong weight bytes, prototype keys, code).
// Predictions of loaded models are compared on the GPU in test/gpu/io.test.ts.
import '@tensorflow/tfjs-backend-cpu';
import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { modelFromArtifacts } from '../../src/api/io/load.js';
import { fileSystem, loadLayersModelFromDirectory, saveModelToDirectory } from '../../src/api/io/node.js';
import { LAYER_CLASSES } from '../../src/api/io/serialize.js';
import type { IOHandler, ModelArtifacts } from '../../src/api/io/types.js';
import * as weft from '../../src/index.js';

beforeAll(async () => {
  await tfc.setBackend('cpu');
});

/** The article's multi-output model, with a shared layer applied twice and an activation layer. */
function multiOutput(prefix = '') {
  const wide = weft.input({ shape: [5], name: `${prefix}wide_input` });
  const deep = weft.input({ shape: [6], name: `${prefix}deep_input` });
  const h1 = weft.layers.dense({ units: 4, activation: 'relu', name: `${prefix}hidden1`, seed: 1 }).apply(deep);
  const shared = weft.layers.dense({ units: 4, activation: 'tanh', name: `${prefix}shared`, seed: 2 });
  const h2 = shared.apply(shared.apply(h1));
  const act = weft.layers.activation({ activation: 'sigmoid', name: `${prefix}act` }).apply(h2);
  const concat = weft.layers.concatenate({ name: `${prefix}concat` }).apply([wide, act, h1]);
  const main = weft.layers.dense({ units: 3, activation: 'softmax', name: `${prefix}main_output`, seed: 3 }).apply(concat);
  const aux = weft.layers.dense({ units: 2, activation: 'linear', useBias: false, name: `${prefix}aux_output`, seed: 4 }).apply(h2);
  return weft.model({ inputs: [wide, deep], outputs: [main, aux], name: `${prefix}multi` });
}

/** A save handler that keeps the artifacts. */
function capture(): IOHandler & { artifacts?: ModelArtifacts } {
  const h: IOHandler & { artifacts?: ModelArtifacts } = {
    async save(artifacts) {
      h.artifacts = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    },
  };
  return h;
}

async function artifactsOf(model: weft.LayersModel): Promise<ModelArtifacts> {
  const h = capture();
  await model.save(h);
  return h.artifacts!;
}

async function weightsOf(model: weft.LayersModel): Promise<number[][]> {
  return (await model.getWeights()).map((t) => Array.from(t.dataSync()));
}

function clone<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

const CONV_CLASSES = ['Conv2D', 'MaxPooling2D', 'AveragePooling2D', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D'];

describe('what weft writes', () => {
  test('TensorFlow.js layers-model JSON: layers in Keras order, inbound nodes, inputs, outputs, weight specs', async () => {
    const m = multiOutput();
    const a = await artifactsOf(m);
    expect(a.format).toBe('layers-model');
    expect(a.generatedBy).toMatch(/^weft /);
    const top = a.modelTopology as any;
    expect(top.class_name).toBe('Model');
    expect(top.backend).toBe('tensor_flow.js');
    expect(top.keras_version).toMatch(/^weft /);
    expect(top.config.name).toBe('multi');
    expect(top.config.layers.map((l: any) => l.name)).toEqual(m.layers.map((l) => l.name));
    const byName = Object.fromEntries(top.config.layers.map((l: any) => [l.name, l]));
    expect(byName.wide_input).toMatchObject({ class_name: 'InputLayer', inbound_nodes: [], config: { batch_input_shape: [null, 5], dtype: 'float32' } });
    expect(byName.hidden1).toMatchObject({
      class_name: 'Dense',
      config: { units: 4, activation: 'relu', use_bias: true },
      inbound_nodes: [[['deep_input', 0, 0, {}]]],
    });
    expect(byName.shared.inbound_nodes).toEqual([[['hidden1', 0, 0, {}]], [['shared', 0, 0, {}]]]);
    expect(byName.concat).toMatchObject({ class_name: 'Concatenate', config: { axis: -1 } });
    expect(byName.concat.inbound_nodes).toEqual([
      [
        ['wide_input', 0, 0, {}],
        ['act', 0, 0, {}],
        ['hidden1', 0, 0, {}],
      ],
    ]);
    expect(byName.act.inbound_nodes).toEqual([[['shared', 1, 0, {}]]]);
    expect(byName.aux_output.inbound_nodes).toEqual([[['shared', 1, 0, {}]]]);
    expect(top.config.input_layers).toEqual([
      ['wide_input', 0, 0],
      ['deep_input', 0, 0],
    ]);
    expect(top.config.output_layers).toEqual([
      ['main_output', 0, 0],
      ['aux_output', 0, 0],
    ]);
    expect(a.weightSpecs).toEqual(m.weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })));
    const data = a.weightData as ArrayBuffer;
    expect(data.byteLength).toBe(4 * m.countParams());
    expect(Array.from(new Float32Array(data))).toEqual((await weightsOf(m)).flat());
  });

  test('node indices count only the applications inside the model (Keras numbering)', async () => {
    const x = weft.input({ shape: [3], name: 'numbering_x' });
    const y = weft.input({ shape: [3], name: 'numbering_y' });
    const shared = weft.layers.dense({ units: 3, name: 'numbering_shared' });
    shared.apply(y); // node 0, not part of the model below
    const out = weft.layers.dense({ units: 2, name: 'numbering_out' }).apply(shared.apply(x)); // node 1
    const top = (await artifactsOf(weft.model({ inputs: x, outputs: out }))).modelTopology as any;
    const layer = (n: string) => top.config.layers.find((l: any) => l.name === n);
    expect(layer('numbering_shared').inbound_nodes).toEqual([[['numbering_x', 0, 0, {}]]]);
    expect(layer('numbering_out').inbound_nodes).toEqual([[['numbering_shared', 0, 0, {}]]]);
  });

  test('a handler without save(), or a URL weft cannot save to, is rejected', async () => {
    const m = multiOutput('reject_');
    await expect(m.save({} as IOHandler)).rejects.toThrow(/IOHandler with a save\(artifacts\) method/);
    await expect(m.save('localstorage://x')).rejects.toThrow(/there is no localStorage here/);
    await expect(m.save('nowhere')).rejects.toThrow(/names no place weft can save to/);
    await expect(m.save('downloads://x')).rejects.toThrow(/needs a browser page/);
  });
});

describe('weft ↔ TensorFlow.js (node, CPU backend)', () => {
  test("TensorFlow.js loads weft's model: same layers, connections and weights", async () => {
    const m = multiOutput('to_tf_');
    const artifacts = await artifactsOf(m);
    const t = await tfl.loadLayersModel({ load: async () => artifacts } as never);
    expect(t.layers.map((l) => l.name)).toEqual(m.layers.map((l) => l.name));
    expect(t.inputNames).toEqual(m.inputNames);
    expect(t.outputNames).toEqual(m.outputNames);
    expect(t.weights.map((w) => w.originalName)).toEqual(m.weights.map((w) => w.name));
    expect(t.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(await weightsOf(m));
    expect(t.getLayer('to_tf_shared').inboundNodes.length).toBe(2);
    expect(t.outputs.map((o) => o.shape)).toEqual([
      [null, 3],
      [null, 2],
    ]);
  });

  test("weft loads TensorFlow.js's model (functional, shared layer, two outputs): same layers and weights", async () => {
    const a = tfl.input({ shape: [3], name: 'tf_a' });
    const b = tfl.input({ shape: [4], name: 'tf_b' });
    const h = tfl.layers.dense({ units: 5, activation: 'relu', name: 'tf_h' });
    const h2 = h.apply(tfl.layers.dense({ units: 5, name: 'tf_pre' }).apply(b) as never) as never;
    const hh = h.apply(h2) as never;
    const act = tfl.layers.activation({ activation: 'tanh', name: 'tf_act' }).apply(hh);
    const c = tfl.layers.concatenate({ name: 'tf_concat' }).apply([a, act] as never);
    const o1 = tfl.layers.dense({ units: 2, activation: 'softmax', name: 'tf_out', useBias: false }).apply(c);
    const o2 = tfl.layers.dense({ units: 1, activation: 'sigmoid', name: 'tf_aux' }).apply(h2);
    const t = tfl.model({ inputs: [a, b], outputs: [o1, o2] as never, name: 'from_tf' });
    let saved: ModelArtifacts | undefined;
    await t.save(
      tfc.io.withSaveHandler(async (art) => ((saved = art as ModelArtifacts), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })),
    );
    const m = modelFromArtifacts(saved!);
    expect(m.name).toBe('from_tf');
    expect(m.layers.map((l) => l.name)).toEqual(t.layers.map((l) => l.name));
    expect(m.layers.map((l) => l.className)).toEqual(t.layers.map((l) => l.getClassName()));
    expect(m.inputNames).toEqual(t.inputNames);
    expect(m.outputNames).toEqual(t.outputNames);
    expect(m.weights.map((w) => w.name)).toEqual(t.weights.map((w) => w.originalName));
    expect(await weightsOf(m)).toEqual(t.getWeights().map((w) => Array.from(w.dataSync())));
    expect(m.getLayer('tf_h').nodes.length).toBe(2);
    // and back: weft's JSON of it loads in TensorFlow.js again
    const again = await tfl.loadLayersModel({ load: async () => artifactsOf(m) } as never);
    expect(again.layers.map((l) => l.name)).toEqual(t.layers.map((l) => l.name));
  });

  test('a TensorFlow.js Sequential model loads (input from the first layer, optimizer weights skipped)', async () => {
    const s = tfl.sequential({ name: 'seq' });
    s.add(tfl.layers.dense({ units: 4, inputShape: [3], activation: 'relu', name: 'seq_d1' }));
    s.add(tfl.layers.dropout({ rate: 0.25, name: 'seq_drop' }));
    s.add(tfl.layers.dense({ units: 2, activation: 'softmax', name: 'seq_d2' }));
    s.compile({ optimizer: tfc.train.adam(), loss: 'categoricalCrossentropy' });
    await s.fit(tfc.ones([4, 3]), tfc.oneHot(tfc.tensor1d([0, 1, 0, 1], 'int32'), 2), { epochs: 1, verbose: 0 });
    let saved: ModelArtifacts | undefined;
    await s.save(
      tfc.io.withSaveHandler(async (art) => ((saved = art as ModelArtifacts), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })),
      { includeOptimizer: true },
    );
    expect(saved!.weightSpecs!.some((w) => w.group === 'optimizer')).toBe(true);
    const m = modelFromArtifacts(saved!);
    // It loads as a Sequential model, whose layers (as TF.js's) leave out the input layer made for the first one.
    expect(m.getClassName()).toBe('Sequential');
    expect(m.layers.map((l) => l.className)).toEqual(['Dense', 'Dropout', 'Dense']);
    expect(m.inputs[0]!.shape).toEqual([null, 3]);
    expect(await weightsOf(m)).toEqual(s.getWeights().map((w) => Array.from(w.dataSync())));
  });

  test('conv models (conv2d, pooling, channel concat) go to TensorFlow.js and back', async () => {
    const x = weft.input({ shape: [9, 7, 2], name: 'cnn_x' });
    const c = weft.layers.conv2d({ filters: 3, kernelSize: [3, 2], strides: 2, padding: 'same', activation: 'relu', name: 'cnn_conv' }).apply(x);
    const mp = weft.layers.maxPooling2d({ poolSize: 2, strides: 1, name: 'cnn_max' }).apply(c);
    const ap = weft.layers.averagePooling2d({ poolSize: [2, 1], padding: 'same', name: 'cnn_avg' }).apply(c);
    const cat = weft.layers.concatenate({ name: 'cnn_cat' }).apply([mp, weft.layers.conv2d({ filters: 2, kernelSize: 1, name: 'cnn_1x1' }).apply(mp)]);
    const g = weft.layers
      .concatenate({ name: 'cnn_g' })
      .apply([weft.layers.globalMaxPooling2d({ name: 'cnn_gmax' }).apply(cat), weft.layers.globalAveragePooling2d({ name: 'cnn_gavg' }).apply(ap)]);
    const m = weft.model({ inputs: x, outputs: g, name: 'cnn' });
    expect(CONV_CLASSES.every((k) => m.layers.some((l) => l.className === k))).toBe(true);
    const artifacts = await artifactsOf(m);
    const t = await tfl.loadLayersModel({ load: async () => artifacts } as never);
    expect(t.layers.map((l) => l.getClassName())).toEqual(m.layers.map((l) => l.className));
    expect(t.weights.map((w) => [w.originalName, w.shape])).toEqual(m.weights.map((w) => [w.name, w.shape]));
    const back = modelFromArtifacts(artifacts);
    expect(back.layers.map((l) => [l.className, l.getConfig()])).toEqual(m.layers.map((l) => [l.className, l.getConfig()]));
    expect(await weightsOf(back)).toEqual(await weightsOf(m));
    // And a model TensorFlow.js made and saved, read by weft.
    const tx = tfl.input({ shape: [8, 8, 1] });
    const ty = tfl.layers
      .globalAveragePooling2d({})
      .apply(
        tfl.layers
          .maxPooling2d({ poolSize: 2 })
          .apply(tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(tx) as never) as never,
      ) as never;
    let saved: any;
    await tfl.model({ inputs: tx, outputs: ty }).save({ save: async (a: unknown) => ((saved = a), { modelArtifactsInfo: {} }) } as never);
    const fromTf = modelFromArtifacts(saved);
    expect(fromTf.layers.map((l) => l.className)).toEqual(['InputLayer', 'Conv2D', 'MaxPooling2D', 'GlobalAveragePooling2D']);
    expect(fromTf.weights.map((w) => w.shape)).toEqual([[3, 3, 1, 4], [4]]);
  });

  test('every layer class weft reads is one TensorFlow.js reads back (flatten, reshape, add, dropout, batchNormalization too)', async () => {
    const x = weft.input({ shape: [2, 3], name: 'all_x' });
    const f = weft.layers.flatten({ name: 'all_flat' }).apply(x);
    const r = weft.layers.reshape({ targetShape: [6], name: 'all_reshape' }).apply(f);
    const d = weft.layers.dense({ units: 6, name: 'all_dense' }).apply(r);
    const s = weft.layers.add({ name: 'all_add' }).apply([d, r]);
    const bn = weft.layers.batchNormalization({ name: 'all_bn' }).apply(s);
    const drop = weft.layers.dropout({ rate: 0.5, seed: 3, name: 'all_drop' }).apply(bn);
    const act = weft.layers.activation({ activation: 'relu', name: 'all_act' }).apply(drop);
    const out = weft.layers.concatenate({ name: 'all_concat' }).apply([act, f]);
    const m = weft.model({ inputs: x, outputs: out, name: 'all' });
    const classes = new Set([...m.layers.map((l) => l.className), ...CONV_CLASSES]);
    expect([...LAYER_CLASSES.keys()].filter((c) => !classes.has(c))).toEqual([]);
    const artifacts = await artifactsOf(m);
    const t = await tfl.loadLayersModel({ load: async () => artifacts } as never);
    expect(t.layers.map((l) => l.getClassName())).toEqual(m.layers.map((l) => l.className));
    expect(t.weights.map((w) => w.originalName)).toEqual(m.weights.map((w) => w.name));
    const back = modelFromArtifacts(artifacts);
    expect(back.layers.map((l) => [l.className, l.getConfig()])).toEqual(m.layers.map((l) => [l.className, l.getConfig()]));
    expect(await weightsOf(back)).toEqual(await weightsOf(m));
  });
});

describe('files in a directory (node helper)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weft-io-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('model.json + weights.bin round trip; TensorFlow.js reads the same files', async () => {
    const m = multiOutput('files_');
    await saveModelToDirectory(m, join(dir, 'm'));
    const json = JSON.parse(await readFile(join(dir, 'm', 'model.json'), 'utf8'));
    expect(json.weightsManifest).toEqual([{ paths: ['weights.bin'], weights: m.weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })) }]);
    expect((await readFile(join(dir, 'm', 'weights.bin'))).byteLength).toBe(4 * m.countParams());
    for (const path of [join(dir, 'm'), join(dir, 'm', 'model.json')]) {
      const back = await loadLayersModelFromDirectory(path);
      expect(back.layers.map((l) => l.name)).toEqual(m.layers.map((l) => l.name));
      expect(await weightsOf(back)).toEqual(await weightsOf(m));
    }
    const bytes = await readFile(join(dir, 'm', 'weights.bin'));
    const t = await tfl.loadLayersModel(
      tfc.io.fromMemory(json.modelTopology, json.weightsManifest[0].weights, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)),
    );
    expect(t.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(await weightsOf(m));
  });

  test('a weight path outside the directory is refused', async () => {
    const m = multiOutput('escape_');
    await saveModelToDirectory(m, join(dir, 'e'));
    const json = JSON.parse(await readFile(join(dir, 'e', 'model.json'), 'utf8'));
    json.weightsManifest[0].paths = ['../m/weights.bin'];
    await writeFile(join(dir, 'e', 'model.json'), JSON.stringify(json));
    await expect(loadLayersModelFromDirectory(join(dir, 'e'))).rejects.toThrow(/weight file '..\/m\/weights.bin' lies outside/);
  });

  test('model.save(fileSystem(dir)) is the same as saveModelToDirectory', async () => {
    const m = multiOutput('fs_');
    await m.save(fileSystem(join(dir, 'fs')));
    expect(await weightsOf(await loadLayersModelFromDirectory(join(dir, 'fs')))).toEqual(await weightsOf(m));
  });
});

describe('model files weft refuses', () => {
  let good: ModelArtifacts;
  beforeAll(async () => {
    good = await artifactsOf(multiOutput('bad_'));
  });
  const topologyWith = (edit: (top: any) => void): ModelArtifacts => {
    const top = clone(good.modelTopology) as any;
    edit(top);
    return { ...good, modelTopology: top };
  };

  test('an unsupported layer class, naming the class and the layer', () => {
    const a = topologyWith((top) => {
      top.config.layers[2].class_name = 'Conv3D';
    });
    const name = (good.modelTopology as any).config.layers[2].name;
    expect(() => modelFromArtifacts(a)).toThrow(
      new RegExp(`layer '${name}' has class 'Conv3D', which weft does not support; supported layer classes are InputLayer, Dense`),
    );
  });

  test.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'Object', 'eval'])('class_name %j is just an unsupported class', (className) => {
    const a = topologyWith((top) => {
      top.config.layers[2].class_name = className;
    });
    expect(() => modelFromArtifacts(a)).toThrow(`has class '${className}', which weft does not support`);
  });

  test('weight data of the wrong byte length', () => {
    const data = good.weightData as ArrayBuffer;
    expect(() => modelFromArtifacts({ ...good, weightData: data.slice(0, data.byteLength - 4) })).toThrow(
      `the weights manifest describes ${data.byteLength} bytes (${good.weightSpecs!.length} weights) but the weight data holds ${data.byteLength - 4} bytes`,
    );
    const longer = new Uint8Array(data.byteLength + 1);
    longer.set(new Uint8Array(data));
    expect(() => modelFromArtifacts({ ...good, weightData: longer.buffer })).toThrow(/but the weight data holds/);
  });

  test('weights of the wrong shape, missing weights, unknown weights, non-finite weights, quantized weights', () => {
    const specs = clone(good.weightSpecs!);
    const kernel = specs.findIndex((s) => s.name === 'bad_hidden1/kernel');
    const swapped = specs.map((s, i) => (i === kernel ? { ...s, shape: [...s.shape].reverse() } : s));
    expect(() => modelFromArtifacts({ ...good, weightSpecs: swapped })).toThrow(
      "weight 'bad_hidden1/kernel' has shape [4, 6] in the file, but the model's 'bad_hidden1/kernel' has shape [6, 4]",
    );
    const renamed = specs.map((s, i) => (i === kernel ? { ...s, name: 'elsewhere/kernel' } : s));
    expect(() => modelFromArtifacts({ ...good, weightSpecs: renamed })).toThrow("the file has weight 'elsewhere/kernel', which no layer of the model has");
    const lastBytes = (good.weightData as ArrayBuffer).byteLength - 4 * specs[specs.length - 1]!.shape.reduce((a, b) => a * b, 1);
    const fewer = specs.slice(0, -1);
    expect(() => modelFromArtifacts({ ...good, weightSpecs: fewer, weightData: (good.weightData as ArrayBuffer).slice(0, lastBytes) })).toThrow(
      '1 of 7 weights are not in the file: bad_aux_output/kernel',
    );
    const nonStrict = modelFromArtifacts({ ...good, weightSpecs: fewer, weightData: (good.weightData as ArrayBuffer).slice(0, lastBytes) }, { strict: false });
    expect(nonStrict.weights.length).toBe(7);
    const nan = (good.weightData as ArrayBuffer).slice(0);
    new Float32Array(nan)[5] = NaN;
    expect(() => modelFromArtifacts({ ...good, weightData: nan })).toThrow(/holds NaN at index 5; weights must be finite/);
    const quantized = specs.map((s, i) => (i === 0 ? { ...s, quantization: { dtype: 'float16' as const } } : s));
    const bytes = new Uint8Array((good.weightData as ArrayBuffer).byteLength - 2 * specs[0]!.shape.reduce((a, b) => a * b, 1));
    expect(() => modelFromArtifacts({ ...good, weightSpecs: quantized, weightData: bytes.buffer })).toThrow(/is quantized; weft loads float32 weights only/);
  });

  test('unsupported config values are named (regularizers, dtype, activations)', () => {
    const dense = (top: any) => top.config.layers.find((l: any) => l.class_name === 'Dense');
    expect(() => modelFromArtifacts(topologyWith((top) => (dense(top).config.activity_regularizer = { class_name: 'L1L2', config: { l2: 0.01 } })))).toThrow(
      /layer 'bad_hidden1' \(Dense\): config.activity_regularizer = .* is not supported by weft/,
    );
    expect(() =>
      modelFromArtifacts(topologyWith((top) => (dense(top).config.kernel_regularizer = { class_name: 'OrthogonalRegularizer', config: {} }))),
    ).toThrow(/layer 'bad_hidden1' \(Dense\): config.kernel_regularizer = .* is not supported by weft \(only L1L2/);
    expect(() => modelFromArtifacts(topologyWith((top) => (dense(top).config.dtype = 'float16')))).toThrow(/config.dtype = "float16" is not supported/);
    expect(() => modelFromArtifacts(topologyWith((top) => (dense(top).config.activation = 'elu')))).toThrow(
      /layer 'bad_hidden1' \(Dense\).*unknown activation 'elu'/,
    );
    expect(() => modelFromArtifacts(topologyWith((top) => (dense(top).config.units = '4')))).toThrow(/config.units must be an integer ≥ 1, got "4"/);
  });

  test('broken topologies: cycles, unknown layers, duplicate names, other formats', () => {
    const layer = (top: any, name: string) => top.config.layers.find((l: any) => l.name === name);
    expect(() => modelFromArtifacts(topologyWith((top) => (layer(top, 'bad_act').inbound_nodes = [[['nope', 0, 0, {}]]])))).toThrow(
      /layer 'bad_act', inbound node 0: refers to layer 'nope', which is not in the model/,
    );
    expect(() => modelFromArtifacts(topologyWith((top) => (top.config.layers[3].name = top.config.layers[2].name)))).toThrow(/two layers are named/);
    expect(() =>
      modelFromArtifacts(
        topologyWith((top) => {
          const h1 = top.config.layers.find((l: any) => l.name === 'bad_hidden1');
          h1.inbound_nodes = [[['bad_shared', 1, 0, {}]]];
        }),
      ),
    ).toThrow(/cannot be applied: its input .* is never produced/);
    expect(() => modelFromArtifacts({ ...good, format: 'graph-model' })).toThrow(/weft loads 'layers-model' models/);
    expect(() => modelFromArtifacts({ ...good, modelTopology: new ArrayBuffer(8) })).toThrow(/binary GraphDef/);
    expect(() => modelFromArtifacts(topologyWith((top) => (top.class_name = 'Graph')))).toThrow(/class_name is "Graph"/);
  });

  test('prototype keys in the file never reach Object.prototype', () => {
    const text = JSON.stringify(good.modelTopology)
      .replace('"config":{', '"config":{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},')
      .replace(/^\{/, '{"__proto__":{"polluted":"yes"},"prototype":{"polluted":"yes"},');
    const hostile = JSON.parse(text);
    expect(Object.prototype.hasOwnProperty.call(hostile, '__proto__')).toBe(true); // JSON.parse makes it an own key
    const m = modelFromArtifacts({
      ...good,
      modelTopology: hostile,
      weightSpecs: JSON.parse(JSON.stringify(good.weightSpecs).replace('{"name"', '{"__proto__":{"polluted":"yes"},"name"')),
    });
    expect(m.layers.length).toBe(multiOutput('bad2_').layers.length);
    expect(({} as any).polluted).toBeUndefined();
    expect((Object.prototype as any).polluted).toBeUndefined();
    expect((Object as any).polluted).toBeUndefined();
  });

  test('layers named __proto__, constructor and hasOwnProperty are ordinary names', async () => {
    const x = weft.input({ shape: [2], name: '__proto__' });
    const h = weft.layers.dense({ units: 3, name: 'constructor' }).apply(x);
    const o = weft.layers.dense({ units: 1, name: 'hasOwnProperty' }).apply(h);
    const m = weft.model({ inputs: x, outputs: o });
    const back = modelFromArtifacts({ modelTopology: clone((await artifactsOf(m)).modelTopology!) });
    expect(back.layers.map((l) => l.name)).toEqual(['__proto__', 'constructor', 'hasOwnProperty']);
    const again = modelFromArtifacts(await artifactsOf(m));
    expect(await weightsOf(again)).toEqual(await weightsOf(m));
    expect(({} as any).units).toBeUndefined();
  });

  test('nothing in the file is code: functions, getters and class instances are refused, names are only looked up', () => {
    let called = false;
    const withGetter = clone(good.modelTopology) as any;
    Object.defineProperty(withGetter.config, 'name', {
      get() {
        called = true;
        return 'x';
      },
      enumerable: true,
    });
    expect(() => modelFromArtifacts({ ...good, modelTopology: withGetter })).toThrow(/is an accessor; only JSON data is allowed/);
    expect(called).toBe(false);
    const withFunction = clone(good.modelTopology) as any;
    withFunction.config.layers[2].config.activation = () => 'relu';
    expect(() => modelFromArtifacts({ ...good, modelTopology: withFunction })).toThrow(/is a function; only JSON data is allowed/);
    const withDate = clone(good.modelTopology) as any;
    withDate.config.layers[2].config.units = new Date();
    expect(() => modelFromArtifacts({ ...good, modelTopology: withDate })).toThrow(/is a Date; only JSON data is allowed/);
    const code = topologyWith((top) => (top.config.layers[2].config.activation = "(globalThis.pwned = 1, 'relu')"));
    expect(() => modelFromArtifacts(code)).toThrow(/unknown activation/);
    expect((globalThis as any).pwned).toBeUndefined();
  });
});

describe('Keras formats', () => {
  test('Keras 3 functional JSON (Functional, batch_shape, DTypePolicy, inbound nodes with keras_history)', () => {
    const tensor = (layer: string, node = 0) => ({
      class_name: '__keras_tensor__',
      config: { shape: [null, 4], dtype: 'float32', keras_history: [layer, node, 0] },
    });
    const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
    const topology = {
      model_config: {
        class_name: 'Functional',
        config: {
          name: 'k3',
          layers: [
            { class_name: 'InputLayer', name: 'k3_in', config: { batch_shape: [null, 4], dtype: 'float32', sparse: false, name: 'k3_in' }, inbound_nodes: [] },
            {
              class_name: 'Dense',
              name: 'k3_dense',
              config: {
                name: 'k3_dense',
                trainable: true,
                dtype: policy,
                units: 4,
                activation: 'relu',
                use_bias: true,
                kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
                bias_initializer: { class_name: 'Zeros', config: {} },
                kernel_regularizer: null,
              },
              inbound_nodes: [{ args: [tensor('k3_in')], kwargs: {} }],
            },
            {
              class_name: 'Concatenate',
              name: 'k3_cat',
              config: { name: 'k3_cat', axis: -1, dtype: policy },
              inbound_nodes: [{ args: [[tensor('k3_in'), tensor('k3_dense')]], kwargs: {} }],
            },
          ],
          input_layers: [['k3_in', 0, 0]],
          output_layers: [['k3_cat', 0, 0]],
        },
      },
    };
    const m = modelFromArtifacts({ modelTopology: topology });
    expect(m.name).toBe('k3');
    expect(m.layers.map((l) => l.name)).toEqual(['k3_in', 'k3_dense', 'k3_cat']);
    expect(m.outputs[0]!.shape).toEqual([null, 8]);
  });
});
