// save/load against TensorFlow.js in the page: a model saved by weft (handler, downloads://, files
// served over http) loads in TensorFlow.js and predicts the same; a TensorFlow.js model loads in weft
// (handler, URL, sharded weights) and weft's predict (WebGPU) equals TensorFlow.js's (CPU) within 1e-5.
// The format itself, bad files and the node helper are tested in node: test/unit/io.test.ts.
import '@tensorflow/tfjs-backend-cpu';
import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'puppeteer';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Tensor } from '../../src/index.js';
import { inPage, openPage } from './harness.js';
import { loadOracle } from './tfjs.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FILES = join(root, 'out', 'test-io');
const FILES_URL = '/repo/out/test-io';
const TOLERANCE = 1e-5;

let page: Page;
beforeAll(async () => {
  page = await openPage();
  await loadOracle(page);
  await tfc.setBackend('cpu');
  await rm(FILES, { recursive: true, force: true });
  await mkdir(FILES, { recursive: true });
});
afterAll(async () => {
  await rm(FILES, { recursive: true, force: true });
});

test('weft → TensorFlow.js: a saved weft model (handler, downloads://, http POST) predicts the same in TensorFlow.js', async () => {
  const r = await inPage(
    page,
    async () => {
      const weft = window.weft;
      const tf = window.tf;
      const O = window.weftOracle;
      // the article's multi-output model, plus a shared layer and an activation layer
      const wide = weft.input({ shape: [20], name: 'wide_input' });
      const deep = weft.input({ shape: [24], name: 'deep_input' });
      const h1 = weft.layers.dense({ units: 30, activation: 'relu', name: 'hidden1', seed: 1 }).apply(deep);
      const shared = weft.layers.dense({ units: 30, activation: 'tanh', name: 'shared', seed: 2 });
      const h2 = shared.apply(shared.apply(h1));
      const act = weft.layers.activation({ activation: 'sigmoid', name: 'act' }).apply(h2);
      const concat = weft.layers.concatenate({ name: 'concat' }).apply([wide, act]);
      const main = weft.layers.dense({ units: 10, activation: 'softmax', name: 'main_output', seed: 3 }).apply(concat);
      const aux = weft.layers.dense({ units: 10, activation: 'softmax', name: 'aux_output', seed: 4 }).apply(h2);
      const model = weft.model({ inputs: [wide, deep], outputs: [main, aux], name: 'article_multi' });
      // train a little so the saved weights are not the initial ones
      const rows = 24;
      const random = O.random(5);
      const xa = Float32Array.from({ length: rows * 20 }, () => random());
      const xb = Float32Array.from({ length: rows * 24 }, () => random());
      const y = Int32Array.from({ length: rows }, () => Math.floor(random() * 10));
      model.compile({ optimizer: weft.train.adam(0.01), loss: 'sparseCategoricalCrossentropy', lossWeights: [0.7, 0.3], metrics: ['accuracy'] });
      await model.fit([weft.tensor(xa, [rows, 20]), weft.tensor(xb, [rows, 24])], [weft.tensor(y, [rows]), weft.tensor(y, [rows])], {
        epochs: 2,
        batchSize: 8,
        verbose: 0,
      });
      const weftOut = ((await model.predict([weft.tensor(xa, [rows, 20]), weft.tensor(xb, [rows, 24])])) as Tensor[]).map((t: any) => t.dataSync());
      const tfPredict = (m: any) => m.predict([tf.tensor2d(xa, [rows, 20]), tf.tensor2d(xb, [rows, 24])]).map((t: any) => t.dataSync());
      const names = ['main_output', 'aux_output'];

      // 1. a custom handler
      let artifacts: any;
      await model.save({ save: async (a: any) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }) });
      const fromHandler = await tf.loadLayersModel({ load: async () => artifacts });

      // 2. downloads://: catch the two anchors' clicks and read their blobs
      const clicks: { download: string; href: string }[] = [];
      const click = HTMLAnchorElement.prototype.click;
      HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
        clicks.push({ download: this.download, href: this.href });
      };
      let info: any;
      try {
        info = await model.save('downloads://my-model');
      } finally {
        HTMLAnchorElement.prototype.click = click;
      }
      const json = await (await fetch(clicks[0]!.href)).json();
      const bin = await (await fetch(clicks[1]!.href)).arrayBuffer();
      const fromDownloads = await tf.loadLayersModel(tf.io.fromMemory(json.modelTopology, json.weightsManifest[0].weights, bin));

      // 3. http(s): the POSTed form, as tf.io.http sends it
      const realFetch = window.fetch;
      let form: FormData | undefined;
      window.fetch = (async (_url: string, init: RequestInit) => ((form = init.body as FormData), new Response('ok'))) as typeof fetch;
      try {
        await model.save('https://example.invalid/upload');
      } finally {
        window.fetch = realFetch;
      }
      const postedJson = JSON.parse(await (form!.get('model.json') as Blob).text());
      const postedBin = await (form!.get('model.weights.bin') as Blob).arrayBuffer();
      const fromHttp = await tf.loadLayersModel(tf.io.fromMemory(postedJson.modelTopology, postedJson.weightsManifest[0].weights, postedBin));

      return {
        info: { weightDataBytes: info.modelArtifactsInfo.weightDataBytes, params: model.countParams() },
        clicks: clicks.map((c) => c.download),
        paths: [json.weightsManifest[0].paths, postedJson.weightsManifest[0].paths],
        tfLayers: fromHandler.layers.map((l: any) => l.name),
        weftLayers: model.layers.map((l: any) => l.name),
        handler: O.difference(names, weftOut, tfPredict(fromHandler)),
        downloads: O.difference(names, weftOut, tfPredict(fromDownloads)),
        http: O.difference(names, weftOut, tfPredict(fromHttp)),
      };
    },
    undefined,
  );
  console.log(
    `[weft] weft → TensorFlow.js predict: handler ${r.handler.maxScaled.toExponential(1)}, downloads ${r.downloads.maxScaled.toExponential(1)}, http ${r.http.maxScaled.toExponential(1)}`,
  );
  expect(r.info.weightDataBytes).toBe(4 * r.info.params);
  expect(r.clicks).toEqual(['my-model.json', 'my-model.weights.bin']);
  expect(r.paths).toEqual([['./my-model.weights.bin'], ['./model.weights.bin']]);
  expect(r.tfLayers).toEqual(r.weftLayers);
  for (const d of [r.handler, r.downloads, r.http]) expect(d.maxScaled, d.worst).toBeLessThanOrEqual(TOLERANCE);
});

test('TensorFlow.js → weft: a TensorFlow.js model (handler, and model.json + sharded weights over http) predicts the same in weft', async () => {
  // A TensorFlow.js model saved in node as the converter lays it out: two weight shards.
  const a = tfl.input({ shape: [12], name: 'tf_wide' });
  const b = tfl.input({ shape: [16], name: 'tf_deep' });
  const h1 = tfl.layers.dense({ units: 30, activation: 'relu', name: 'tf_hidden1' }).apply(b);
  const h2 = tfl.layers.dense({ units: 30, activation: 'relu', name: 'tf_hidden2' }).apply(h1);
  const c = tfl.layers.concatenate({ name: 'tf_concat' }).apply([a, h2 as never]);
  const o1 = tfl.layers.dense({ units: 10, activation: 'softmax', name: 'tf_main' }).apply(c);
  const o2 = tfl.layers.dense({ units: 3, activation: 'tanh', name: 'tf_aux' }).apply(h2);
  const t = tfl.model({ inputs: [a, b], outputs: [o1, o2] as never, name: 'tf_saved' });
  let saved: tfc.io.ModelArtifacts | undefined;
  await t.save(tfc.io.withSaveHandler(async (art) => ((saved = art), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
  const data = new Uint8Array(saved!.weightData as ArrayBuffer);
  const half = Math.floor(data.byteLength / 2);
  const dir = join(FILES, 'tf-sharded');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'group1-shard1of2.bin'), data.subarray(0, half));
  await writeFile(join(dir, 'group1-shard2of2.bin'), data.subarray(half));
  const modelJson = {
    modelTopology: saved!.modelTopology,
    format: saved!.format,
    generatedBy: saved!.generatedBy,
    convertedBy: null,
    weightsManifest: [{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: saved!.weightSpecs }],
  };
  await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
  await writeFile(
    join(dir, 'bad-length.json'),
    JSON.stringify({ ...modelJson, weightsManifest: [{ ...modelJson.weightsManifest[0], paths: ['group1-shard1of2.bin'] }] }),
  );
  await writeFile(join(dir, 'missing.json'), JSON.stringify({ ...modelJson, weightsManifest: [{ ...modelJson.weightsManifest[0], paths: ['nope.bin'] }] }));
  await writeFile(
    join(dir, 'elsewhere.json'),
    JSON.stringify({ ...modelJson, weightsManifest: [{ ...modelJson.weightsManifest[0], paths: ['https://example.invalid/w.bin'] }] }),
  );
  await writeFile(
    join(dir, 'conv.json'),
    JSON.stringify({
      ...modelJson,
      modelTopology: JSON.parse(JSON.stringify(modelJson.modelTopology).replace('"class_name":"Dense"', '"class_name":"Conv3D"')),
    }),
  );

  const r = await inPage(
    page,
    async (url: string) => {
      const weft = window.weft;
      const tf = window.tf;
      const O = window.weftOracle;
      const rows = 37;
      const random = O.random(9);
      const xa = Float32Array.from({ length: rows * 12 }, () => random() * 2 - 1);
      const xb = Float32Array.from({ length: rows * 16 }, () => random() * 2 - 1);
      const tfPredict = (m: any) => m.predict([tf.tensor2d(xa, [rows, 12]), tf.tensor2d(xb, [rows, 16])]).map((t: any) => t.dataSync());
      const weftPredict = async (m: any) => (await m.predict([weft.tensor(xa, [rows, 12]), weft.tensor(xb, [rows, 16])])).map((t: any) => t.dataSync());
      const names = ['tf_main', 'tf_aux'];
      const errorOf = async (p: Promise<unknown>) =>
        p.then(
          () => 'no error',
          (e: Error) => e.message,
        );

      // over http: both libraries read the same files
      const tfModel = await tf.loadLayersModel(`${url}/model.json`);
      const fromUrl = await weft.loadLayersModel(`${url}/model.json`);
      const urlDiff = O.difference(names, await weftPredict(fromUrl), tfPredict(tfModel));
      // through a handler: a TensorFlow.js model made in the page, saved with tf.io.withSaveHandler
      const i = tf.input({ shape: [6], name: 'p_in' });
      const d = tf.layers.dense({ units: 8, activation: 'sigmoid', name: 'p_dense' });
      const o = tf.layers
        .dense({ units: 4, activation: 'softmax', name: 'p_out' })
        .apply(tf.layers.concatenate({ name: 'p_cat' }).apply([i, d.apply(i) as tfl.SymbolicTensor])) as tfl.SymbolicTensor;
      const pageModel = tf.model({ inputs: i, outputs: o });
      let artifacts: any;
      await pageModel.save(
        tf.io.withSaveHandler(async (a: any) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })),
      );
      const fromHandler = await weft.loadLayersModel({ load: async () => artifacts });
      const px = Float32Array.from({ length: 5 * 6 }, () => random());
      const pTf = (pageModel.predict(tf.tensor2d(px, [5, 6])) as tfc.Tensor).dataSync();
      const pWeft = ((await fromHandler.predict(weft.tensor(px, [5, 6]))) as Tensor).dataSync();
      // a loaded model trains (compile + one epoch) and saves again
      fromUrl.compile({ optimizer: 'sgd', loss: ['sparseCategoricalCrossentropy', 'mse'] });
      const history = await fromUrl.fit(
        [weft.tensor(xa, [rows, 12]), weft.tensor(xb, [rows, 16])],
        [
          weft.tensor(
            Int32Array.from({ length: rows }, (_, k) => k % 10),
            [rows],
          ),
          weft.tensor(new Float32Array(rows * 3), [rows, 3]),
        ],
        { epochs: 1, batchSize: 16, verbose: 0 },
      );
      return {
        url: urlDiff,
        handler: O.difference(['p_out'], [pWeft], [pTf]),
        layers: [fromUrl.layers.map((l: any) => l.name), tfModel.layers.map((l: any) => l.name)],
        trained: Number.isFinite(history.history.loss![0]),
        errors: {
          badLength: await errorOf(weft.loadLayersModel(`${url}/bad-length.json`)),
          missing: await errorOf(weft.loadLayersModel(`${url}/missing.json`)),
          elsewhere: await errorOf(weft.loadLayersModel(`${url}/elsewhere.json`)),
          conv: await errorOf(weft.loadLayersModel(`${url}/conv.json`)),
          noModel: await errorOf(weft.loadLayersModel(`${url}/none.json`)),
          scheme: await errorOf(weft.loadLayersModel('indexeddb://x')),
        },
      };
    },
    `${FILES_URL}/tf-sharded`,
  );
  console.log(`[weft] TensorFlow.js → weft predict: url ${r.url.maxScaled.toExponential(1)}, handler ${r.handler.maxScaled.toExponential(1)}`);
  expect(r.layers[0]).toEqual(r.layers[1]);
  expect(r.url.maxScaled, r.url.worst).toBeLessThanOrEqual(TOLERANCE);
  expect(r.handler.maxScaled, r.handler.worst).toBeLessThanOrEqual(TOLERANCE);
  expect(r.trained).toBe(true);
  expect(r.errors.badLength).toMatch(/the weights manifest describes \d+ bytes \(\d+ weights\) but the weight data holds \d+ bytes/);
  expect(r.errors.missing).toMatch(/fetching weight file .*\/nope.bin answered 404/);
  expect(r.errors.elsewhere).toMatch(/weight file 'https:\/\/example.invalid\/w.bin' must be a path relative to model.json/);
  expect(r.errors.conv).toMatch(/layer 'tf_hidden1' has class 'Conv3D', which weft does not support/);
  expect(r.errors.noModel).toMatch(/fetching model.json .*none.json answered 404/);
  expect(r.errors.scheme).toMatch(/there is no model 'x' in IndexedDB/);
});
