// Browser storage (src/api/io/indexedDb.ts, localStorage.ts, modelStore.ts): indexeddb:// and
// localstorage:// round trips of the article's models and random graphs (predictions equal within
// 1e-6), TensorFlow.js ↔ weft through both stores (same weights; predictions within 1e-5, CPU vs GPU),
// TensorFlow.js's exact layout, weft.io.listModels / removeModel, and localStorage's quota.
import type { Page } from 'puppeteer';
import { beforeAll, describe, expect, test } from 'vitest';
import { ARTICLE_MODELS } from '../reference/articleModels.js';
import { randomGraph, type GraphSpec } from '../reference/randomGraphs.js';
import { inPage, openPage } from './harness.js';
import { loadOracle } from './tfjs.js';

const ROUND_TRIP_TOLERANCE = 1e-6;
const CROSS_LIBRARY_TOLERANCE = 1e-5;

let page: Page;
beforeAll(async () => {
  page = await openPage();
  await loadOracle(page);
});

interface RoundTrip {
  url: string;
  diff: { maxScaled: number; maxRel: number; worst: string };
  weightsEqual: boolean;
  layers: boolean;
}

/** Builds the spec in weft, trains it a little, saves it to each store, loads it back and compares. */
function roundTrips(spec: GraphSpec, seed: number, name: string): Promise<RoundTrip[]> {
  return inPage(
    page,
    async ([s, seed, name]) => {
      const weft = window.weft;
      const O = window.weftOracle;
      const model = O.buildWeft(s, seed);
      const data = O.makeData(s, 37, seed);
      const xs = data.xs.map((x: Float32Array, i: number) => weft.tensor(x, [data.rows, s.inputs[i]!.units]));
      const ys = data.ys.map((y: any) => weft.tensor(y.weft, y.weft instanceof Int32Array ? [data.rows] : [data.rows, y.weft.length / data.rows]));
      model.compile({ optimizer: weft.train.adam(0.01), loss: s.outputs.map((o: any) => o.loss) });
      await model.fit(xs, ys, { epochs: 1, batchSize: 8, verbose: 0 });
      const predict = async (m: any) => {
        const out = await m.predict(xs);
        return (Array.isArray(out) ? out : [out]).map((t: any) => t.dataSync());
      };
      const before = await predict(model);
      const weightsBefore = (await model.getWeights()).map((t: any) => Array.from(t.dataSync()));
      const out = [];
      for (const url of [`indexeddb://${name}`, `localstorage://${name}`]) {
        await model.save(url);
        const loaded = await weft.loadLayersModel(url);
        const weights = (await loaded.getWeights()).map((t: any) => Array.from(t.dataSync()));
        out.push({
          url,
          diff: O.difference(model.outputNames, await predict(loaded), before),
          weightsEqual: JSON.stringify(weights) === JSON.stringify(weightsBefore),
          layers: JSON.stringify(loaded.layers.map((l: any) => l.name)) === JSON.stringify(model.layers.map((l: any) => l.name)),
        });
        await weft.io.removeModel(url);
      }
      return out;
    },
    [spec, seed, name] as [GraphSpec, number, string],
  );
}

function checkRoundTrips(results: RoundTrip[], label: string): void {
  for (const r of results) {
    console.log(`[weft] storage ${label} ${r.url.split(':')[0]}: predict ${r.diff.maxScaled.toExponential(1)} (rel ${r.diff.maxRel.toExponential(1)})`);
    expect(r.weightsEqual, `${label} ${r.url}: weights`).toBe(true);
    expect(r.layers, `${label} ${r.url}: layers`).toBe(true);
    expect(r.diff.maxScaled, `${label} ${r.url}: ${r.diff.worst}`).toBeLessThanOrEqual(ROUND_TRIP_TOLERANCE);
    expect(r.diff.maxRel, `${label} ${r.url}: ${r.diff.worst}`).toBeLessThanOrEqual(ROUND_TRIP_TOLERANCE);
  }
}

describe('round trips through indexeddb:// and localstorage://', () => {
  Object.entries(ARTICLE_MODELS).forEach(([name, spec], i) => {
    test(`article model ${name}`, async () => checkRoundTrips(await roundTrips(spec, 10 + i, `article-${name}`), name));
  });
  test('random graphs', async () => {
    for (let seed = 1; seed <= 4; seed++) checkRoundTrips(await roundTrips(randomGraph(4000 + seed), seed, `random-${seed}`), `random graph ${4000 + seed}`);
  });
});

test('TensorFlow.js ↔ weft through indexeddb:// and localstorage:// (either loads what the other saved)', async () => {
  const spec = ARTICLE_MODELS.wide_deep_aux;
  const r = await inPage(
    page,
    async (s) => {
      const weft = window.weft;
      const tf = window.tf;
      const O = window.weftOracle;
      const data = O.makeData(s, 21, 3);
      const tfXs = data.xs.map((x: Float32Array, i: number) => tf.tensor2d(x, [data.rows, s.inputs[i]!.units]));
      const weftXs = data.xs.map((x: Float32Array, i: number) => weft.tensor(x, [data.rows, s.inputs[i]!.units]));
      const tfPredict = (m: any) => m.predict(tfXs).map((t: any) => t.dataSync());
      const weftPredict = async (m: any) => (await m.predict(weftXs)).map((t: any) => t.dataSync());
      const weightsOf = async (m: any) => (await m.getWeights()).map((t: any) => Array.from(t.dataSync()));
      const names = ['main_output', 'aux_output'];
      const out: Record<string, any> = {};
      for (const scheme of ['indexeddb', 'localstorage']) {
        // TensorFlow.js saves, weft loads
        const tfModel = O.buildTf(s);
        await tfModel.save(`${scheme}://from-tf`);
        const inWeft = await weft.loadLayersModel(`${scheme}://from-tf`);
        // weft saves, TensorFlow.js loads
        const weftModel = O.buildWeft(s, 5);
        await weftModel.save(`${scheme}://from-weft`);
        const inTf = await tf.loadLayersModel(`${scheme}://from-weft`);
        const tfList = await tf.io.listModels();
        const weftList = await weft.io.listModels();
        out[scheme] = {
          tfToWeft: {
            weights: JSON.stringify(await weightsOf(inWeft)) === JSON.stringify(await weightsOf(tfModel)),
            diff: O.difference(names, await weftPredict(inWeft), tfPredict(tfModel)),
          },
          weftToTf: {
            weights: JSON.stringify(await weightsOf(inTf)) === JSON.stringify(await weightsOf(weftModel)),
            diff: O.difference(names, tfPredict(inTf), await weftPredict(weftModel)),
          },
          listed: [`${scheme}://from-tf`, `${scheme}://from-weft`].map((u) => [
            u in tfList,
            u in weftList,
            weftList[u]?.weightDataBytes === tfList[u]?.weightDataBytes,
          ]),
          removed: [
            await weft.io.removeModel(`${scheme}://from-tf`).then((i: any) => i.modelTopologyType),
            (await tf.io.removeModel(`${scheme}://from-weft`)).modelTopologyType,
          ],
          listedAfter: Object.keys(await weft.io.listModels()).filter((u) => u.startsWith(`${scheme}://from-`)),
        };
      }
      return out;
    },
    spec,
  );
  for (const scheme of ['indexeddb', 'localstorage']) {
    const s = r[scheme];
    console.log(
      `[weft] ${scheme}: TensorFlow.js → weft ${s.tfToWeft.diff.maxScaled.toExponential(1)}, weft → TensorFlow.js ${s.weftToTf.diff.maxScaled.toExponential(1)}`,
    );
    expect(s.tfToWeft.weights, `${scheme}: TF.js → weft weights`).toBe(true);
    expect(s.weftToTf.weights, `${scheme}: weft → TF.js weights`).toBe(true);
    expect(s.tfToWeft.diff.maxScaled, s.tfToWeft.diff.worst).toBeLessThanOrEqual(CROSS_LIBRARY_TOLERANCE);
    expect(s.weftToTf.diff.maxScaled, s.weftToTf.diff.worst).toBeLessThanOrEqual(CROSS_LIBRARY_TOLERANCE);
    expect(s.listed, `${scheme}: both listed by both libraries with the same sizes`).toEqual([
      [true, true, true],
      [true, true, true],
    ]);
    expect(s.removed).toEqual(['JSON', 'JSON']);
    expect(s.listedAfter).toEqual([]);
  }
});

test("weft's records are TensorFlow.js's layout: database, stores, keys, record fields", async () => {
  const r = await inPage(
    page,
    async () => {
      const weft = window.weft;
      const input = weft.input({ shape: [3], name: 'layout_in' });
      const model = weft.model({ inputs: input, outputs: weft.layers.dense({ units: 2, name: 'layout_dense' }).apply(input) });
      await model.save('indexeddb://layout/check');
      await model.save('localstorage://layout/check');
      const db: IDBDatabase = await new Promise((ok, bad) => {
        const q = indexedDB.open('tensorflowjs');
        q.onsuccess = () => ok(q.result);
        q.onerror = () => bad(q.error);
      });
      const get = (store: string) =>
        new Promise<any>((ok, bad) => {
          const q = db.transaction(store, 'readonly').objectStore(store).get('layout/check');
          q.onsuccess = () => ok(q.result);
          q.onerror = () => bad(q.error);
        });
      const modelRecord = await get('models_store');
      const infoRecord = await get('model_info_store');
      const stores = [...db.objectStoreNames];
      const keyPaths = stores.map((s) => db.transaction(s, 'readonly').objectStore(s).keyPath);
      db.close();
      const lsKeys = Object.keys(localStorage)
        .filter((k) => k.startsWith('tensorflowjs_models/layout/check/'))
        .sort();
      const weightData = localStorage.getItem('tensorflowjs_models/layout/check/weight_data')!;
      const errors = {
        missing: await weft.loadLayersModel('indexeddb://no/such/model').then(
          () => 'no error',
          (e: Error) => e.message,
        ),
        missingLs: await weft.loadLayersModel('localstorage://no/such/model').then(
          () => 'no error',
          (e: Error) => e.message,
        ),
        remove: await weft.io.removeModel('indexeddb://no/such/model').then(
          () => 'no error',
          (e: Error) => e.message,
        ),
        badUrl: await weft.io.removeModel('https://example.invalid/m').then(
          () => 'no error',
          (e: Error) => e.message,
        ),
      };
      await weft.io.removeModel('indexeddb://layout/check');
      await weft.io.removeModel('localstorage://layout/check');
      return {
        stores,
        keyPaths,
        modelRecord: {
          keys: Object.keys(modelRecord).sort(),
          path: modelRecord.modelPath,
          weightBytes: modelRecord.modelArtifacts.weightData.byteLength,
          topology: modelRecord.modelArtifacts.modelTopology.class_name,
          format: modelRecord.modelArtifacts.format,
        },
        infoRecord: {
          keys: Object.keys(infoRecord).sort(),
          type: infoRecord.modelArtifactsInfo.modelTopologyType,
          date: infoRecord.modelArtifactsInfo.dateSaved instanceof Date,
        },
        lsKeys,
        weightDataBytes: atob(weightData).length,
        errors,
        leftAfterRemove: Object.keys(localStorage).filter((k) => k.startsWith('tensorflowjs_models/layout/')).length,
      };
    },
    undefined,
  );
  expect(r.stores.sort()).toEqual(['model_info_store', 'models_store']);
  expect(r.keyPaths).toEqual(['modelPath', 'modelPath']);
  expect(r.modelRecord).toEqual({
    keys: ['modelArtifacts', 'modelArtifactsInfo', 'modelPath'],
    path: 'layout/check',
    weightBytes: 8 * 4,
    topology: 'Model',
    format: 'layers-model',
  });
  expect(r.infoRecord).toEqual({ keys: ['modelArtifactsInfo', 'modelPath'], type: 'JSON', date: true });
  expect(r.lsKeys).toEqual(['info', 'model_metadata', 'model_topology', 'weight_data', 'weight_specs'].map((k) => `tensorflowjs_models/layout/check/${k}`));
  expect(r.weightDataBytes).toBe(8 * 4);
  expect(r.errors.missing).toMatch(/there is no model 'no\/such\/model' in IndexedDB/);
  expect(r.errors.missingLs).toMatch(/there is no model 'no\/such\/model' in localStorage/);
  expect(r.errors.remove).toMatch(/there is no model 'no\/such\/model' in IndexedDB/);
  expect(r.errors.badUrl).toMatch(/expected a URL such as 'indexeddb:\/\/name'/);
  expect(r.leftAfterRemove).toBe(0);
});

test('a model too large for localStorage is refused with a clear message and leaves nothing behind; indexeddb:// takes it', async () => {
  const r = await inPage(
    page,
    async () => {
      const weft = window.weft;
      const input = weft.input({ shape: [784], name: 'big_in' });
      const model = weft.model({ inputs: input, outputs: weft.layers.dense({ units: 4000, name: 'big_dense' }).apply(input) }); // 3.1 M weights, 12.6 MB
      const message = await model.save('localstorage://too-big').then(
        () => 'no error',
        (e: Error) => `${e.name}: ${e.message}`,
      );
      const left = Object.keys(localStorage).filter((k) => k.startsWith('tensorflowjs_models/too-big/'));
      const saved = await model.save('indexeddb://too-big');
      const loaded = await weft.loadLayersModel('indexeddb://too-big');
      await weft.io.removeModel('indexeddb://too-big');
      return { message, left, bytes: saved.modelArtifactsInfo.weightDataBytes, params: loaded.countParams() };
    },
    undefined,
  );
  expect(r.message).toMatch(
    /^WeftError: save\('localstorage:\/\/too-big'\): the model \(12\.6 MB of weights, 16\.7 MB as base64 text\) exceeds localStorage's quota.*save it to 'indexeddb:\/\/too-big' instead/,
  );
  expect(r.left).toEqual([]);
  expect(r.bytes).toBe(784 * 4000 * 4 + 4000 * 4);
  expect(r.params).toBe(784 * 4000 + 4000);
});
