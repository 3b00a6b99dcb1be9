// weft.exportModule (src/api/export): the exported module, loaded from a Blob URL in a page that has
// no weft (test/gpu/setup/bare.html), predicts what model.predict predicts (to float32 rounding, below) for
// the article's models, random graphs and a model with every layer weft has; its gzipped size stays
// under 12 KB; wrong inputs, wrong weights, a missing WebGPU and a lost device give clear errors.
import { gzipSync } from 'node:zlib';
import type { Page } from 'puppeteer';
import { beforeAll, describe, expect, test } from 'vitest';
import type { ExportModuleOptions } from '../../src/index.js';
import { ARTICLE_MODELS } from '../reference/articleModels.js';
import { randomGraph, type GraphSpec } from '../reference/randomGraphs.js';
import { inPage, openBarePage, openPage } from './harness.js';
import { loadOracle } from './tfjs.js';

// Both sides are float32 but need not sum in the same order: on an adapter with subgroups predict runs the
// quad kernels, whose lanes walk K in a permuted order, the module its own kernels (differences ~1e-7
// absolute seen). So: |a − b| ≤ 1e-5 · max(|b|, 0.1), i.e. 1e-5 relative, 1e-6 absolute near zero.
const TOLERANCE = 1e-5;
const SCALE_FLOOR = 0.1;
const MAX_GZIPPED = 12 * 1024;
const ROW_COUNTS = [1, 37, 150];

let weftPage: Page;
let barePage: Page;
beforeAll(async () => {
  weftPage = await openPage();
  await loadOracle(weftPage);
  barePage = await openBarePage();
});

interface Exported {
  code: string;
  weights: Uint8Array;
  /** per row count: the inputs (one array per model input) and model.predict's outputs */
  cases: { rows: number; xs: Float32Array[]; want: Float32Array[] }[];
}

const b64 = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

/** In the weft page: build (spec or the all-layers model), train a little, export, predict. */
function exportInWeft(what: { spec?: GraphSpec; allLayers?: true }, seed: number, options: ExportModuleOptions = {}): Promise<Exported> {
  return inPage(
    weftPage,
    async ([what, seed, rowCounts, options]) => {
      const weft = window.weft;
      const O = window.weftOracle;
      let model: any;
      let widths: number[];
      if (what.spec) {
        model = O.buildWeft(what.spec, seed);
        widths = what.spec.inputs.map((i: any) => i.units);
      } else {
        // every layer weft has: dense, batchNormalization, dropout, reshape, flatten, add, activation, concatenate
        const x = weft.input({ shape: [12], name: 'all_in' });
        const h = weft.layers.dense({ units: 16, activation: 'relu', name: 'all_dense', seed }).apply(x);
        const bn = weft.layers.batchNormalization({ name: 'all_bn' }).apply(h);
        const dropped = weft.layers.dropout({ rate: 0.3, name: 'all_dropout', seed }).apply(bn);
        const flat = weft.layers.flatten({ name: 'all_flatten' }).apply(weft.layers.reshape({ targetShape: [4, 4], name: 'all_reshape' }).apply(dropped));
        const side = weft.layers.dense({ units: 16, activation: 'tanh', name: 'all_side', seed: seed + 1 }).apply(x);
        const sum = weft.layers.add({ name: 'all_add' }).apply([flat, side]);
        const act = weft.layers.activation({ activation: 'sigmoid', name: 'all_act' }).apply(sum);
        const cat = weft.layers.concatenate({ name: 'all_concat' }).apply([act, x]);
        const main = weft.layers.dense({ units: 5, activation: 'softmax', name: 'all_main', seed: seed + 2 }).apply(cat);
        const aux = weft.layers.dense({ units: 3, name: 'all_aux', seed: seed + 3 }).apply(sum);
        model = weft.model({ inputs: x, outputs: [main, aux], name: 'all_layers' });
        widths = [12];
      }
      // a little training, so that the weights (and batch-norm statistics) are not the initial ones
      const train = O.random(seed);
      const rows = 48;
      const xs = widths.map((w) =>
        weft.tensor(
          Float32Array.from({ length: rows * w }, () => train() * 2 - 1),
          [rows, w],
        ),
      );
      const units = model.outputs.map((o: any) => o.shape[o.shape.length - 1]);
      const ys = units.map((u: number) =>
        weft.tensor(
          Float32Array.from({ length: rows * u }, () => train()),
          [rows, u],
        ),
      );
      model.compile({ optimizer: weft.train.adam(0.01), loss: 'meanSquaredError' });
      await model.fit(xs, ys, { epochs: 2, batchSize: 16, verbose: 0 });

      const { code, weights } = await weft.exportModule(model, options);
      const random = O.random(seed + 1000);
      const cases = [];
      for (const n of rowCounts) {
        const inputs = widths.map((w) => Float32Array.from({ length: n * w }, () => random() * 2 - 1));
        const out = await model.predict(inputs.map((x, i) => weft.tensor(x, [n, widths[i]!])));
        cases.push({ rows: n, xs: inputs, want: (Array.isArray(out) ? out : [out]).map((t: any) => t.dataSync()) });
      }
      return { code, weights: new Uint8Array(weights), cases };
    },
    [what, seed, ROW_COUNTS, options] as [typeof what, number, number[], typeof options],
  );
}

interface BareResult {
  hasWeft: boolean;
  got: Float32Array[][];
  loadMs: number;
  loadToFirstMs: number;
}

/** In the page without weft: import the module from a Blob URL, load the weights, predict each case. */
function predictInBarePage(e: Exported): Promise<BareResult> {
  const payload = { code: e.code, weights: b64(e.weights), cases: e.cases.map((c) => ({ rows: c.rows, xs: c.xs.map(b64) })) };
  return inPage(
    barePage,
    async (p) => {
      const bytes = (s: string) => Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0));
      const floats = (s: string) => new Float32Array(bytes(s).buffer);
      const url = URL.createObjectURL(new Blob([p.code], { type: 'text/javascript' }));
      const mod = await new Function('u', 'return import(u)')(url); // not import(): vitest would rewrite it
      URL.revokeObjectURL(url);
      const t0 = performance.now();
      const m = await mod.load(bytes(p.weights).buffer);
      const loadMs = performance.now() - t0;
      const got = [];
      let loadToFirstMs = 0;
      for (const c of p.cases) {
        const xs = c.xs.map(floats);
        const out = await m.predict(xs.length === 1 ? xs[0] : xs, c.rows);
        if (!loadToFirstMs) loadToFirstMs = performance.now() - t0;
        got.push(out instanceof Float32Array ? [out] : out);
      }
      m.dispose();
      return { hasWeft: 'weft' in window, got, loadMs, loadToFirstMs };
    },
    payload,
  );
}

/** max |a − b| / max(|b|, SCALE_FLOOR). */
function worstRelative(got: Float32Array[], want: Float32Array[]): { rel: number; where: string } {
  let rel = 0;
  let where = '';
  want.forEach((w, k) => {
    expect(got[k]!.length, `output ${k} length`).toBe(w.length);
    for (let i = 0; i < w.length; i++) {
      const e = Math.abs(got[k]![i]! - w[i]!) / Math.max(Math.abs(w[i]!), SCALE_FLOOR);
      if (!(e <= rel)) (rel = Number.isNaN(e) ? Infinity : e), (where = `output ${k}[${i}]: module ${got[k]![i]} vs predict ${w[i]}`);
    }
  });
  return { rel, where };
}

async function check(
  label: string,
  what: { spec?: GraphSpec; allLayers?: true },
  seed: number,
  sizeLimit?: number,
  options: ExportModuleOptions = {},
): Promise<void> {
  const exported = await exportInWeft(what, seed, options);
  const gz = gzipSync(exported.code, { level: 9 }).length;
  const result = await predictInBarePage(exported);
  expect(result.hasWeft, 'the bare page has no weft').toBe(false);
  const worst = exported.cases.map((c, i) => ({ rows: c.rows, ...worstRelative(result.got[i]!, c.want) }));
  console.log(
    `[weft] export ${label}: ${exported.code.length} B, ${gz} B gzipped, weights ${exported.weights.byteLength} B; load ${result.loadMs.toFixed(0)} ms, → first prediction ${result.loadToFirstMs.toFixed(0)} ms; ` +
      `worst relative difference ${Math.max(...worst.map((w) => w.rel)).toExponential(1)}`,
  );
  for (const w of worst) expect(w.rel, `${label}, ${w.rows} rows: ${w.where}`).toBeLessThanOrEqual(TOLERANCE);
  if (sizeLimit !== undefined) expect(gz, `${label}: gzipped module size`).toBeLessThanOrEqual(sizeLimit);
}

describe('an exported module predicts what model.predict does, in a page without weft', () => {
  Object.entries(ARTICLE_MODELS).forEach(([name, spec], i) => {
    test(`article model ${name} (≤ 12 KB gzipped)`, () => check(name, { spec }, 20 + i, MAX_GZIPPED));
  });
  test('every layer: dense, batchNormalization, dropout, reshape, flatten, add, activation, concatenate', () => check('all layers', { allLayers: true }, 7));
  test("matmul: 'workgroupTiled' only (the code real GPUs get, run here on the CPU adapter)", () =>
    check('wide_deep_aux, workgroup tiles', { spec: ARTICLE_MODELS.wide_deep_aux }, 30, MAX_GZIPPED, { matmul: 'workgroupTiled' }));
  test('random graphs', async () => {
    for (let seed = 1; seed <= 3; seed++) await check(`random graph ${5000 + seed}`, { spec: randomGraph(5000 + seed) }, seed);
  });
});

test('clear errors: wrong inputs, wrong weights, no WebGPU, a lost device, after dispose; weights from a URL; zero rows', async () => {
  const exported = await exportInWeft({ spec: ARTICLE_MODELS.wide_deep_two_inputs }, 3);
  const errors = await inPage(
    barePage,
    async (p) => {
      const bytes = Uint8Array.from(atob(p.weights), (ch) => ch.charCodeAt(0));
      const url = URL.createObjectURL(new Blob([p.code], { type: 'text/javascript' }));
      const mod = await new Function('u', 'return import(u)')(url); // not import(): vitest would rewrite it
      const message = (f: () => Promise<unknown>) =>
        f().then(
          () => 'no error',
          (e: Error) => e.message,
        );
      const weightsUrl = URL.createObjectURL(new Blob([bytes]));
      const m = await mod.load(weightsUrl); // from a URL
      const x = new Float32Array(2 * 392);
      const out: Record<string, unknown> = {
        info: [mod.inputs, mod.outputs],
        zeroRows: (await m.predict([new Float32Array(0), new Float32Array(0)], 0)).length,
        oneInput: await message(() => m.predict(x, 2)),
        wrongLength: await message(() => m.predict([x, new Float32Array(5)], 2)),
        wrongType: await message(() => m.predict([x, new Float64Array(2 * 392)], 2)),
        badRows: await message(() => m.predict([x, x], 1.5)),
        wrongWeights: await message(() => mod.load(new ArrayBuffer(12))),
        missingWeights: await message(() => mod.load(`${location.origin}/repo/no-such.weights.bin`)),
      };
      m.dispose();
      out.afterDispose = await message(() => m.predict([x, x], 2));
      // no WebGPU: navigator.gpu shadowed for this call
      Object.defineProperty(navigator, 'gpu', { value: undefined, configurable: true });
      out.noWebGpu = await message(() => mod.load(bytes.buffer));
      delete (navigator as any).gpu;
      // a lost device (the caller's own, destroyed)
      const adapter = await (navigator as any).gpu.requestAdapter();
      const device = await adapter.requestDevice();
      const onDevice = await mod.load(bytes.buffer, { device });
      out.onGivenDevice = (await onDevice.predict([x, x], 2)).length;
      device.destroy();
      await device.lost;
      out.lost = await message(() => onDevice.predict([x, x], 2));
      return out;
    },
    { code: exported.code, weights: b64(exported.weights) },
  );
  expect(errors.info).toEqual([
    [
      { name: 'wide_input', cols: 392 },
      { name: 'deep_input', cols: 392 },
    ],
    [{ name: 'output', cols: 10 }],
  ]);
  expect(errors.zeroRows).toBe(0);
  expect(errors.oneInput).toMatch(/predict: expected 2 Float32Array input\(s\) \(wide_input, deep_input\), got 1 arrays/);
  expect(errors.wrongLength).toMatch(/input 1 \('deep_input'\) has 5 values; 2 rows of 392 features need 784/);
  expect(errors.wrongType).toMatch(/input 1 \('deep_input'\) must be a Float32Array/);
  expect(errors.badRows).toMatch(/rows must be a whole number >= 0, got 1.5/);
  expect(errors.wrongWeights).toMatch(/the weights hold 12 bytes but this module needs \d+ .*another model/);
  expect(errors.missingWeights).toMatch(/fetching the weights .*no-such.weights.bin answered 404/);
  expect(errors.afterDispose).toMatch(/predict\(\) after dispose\(\)/);
  expect(errors.noWebGpu).toMatch(/this browser has no WebGPU/);
  expect(errors.onGivenDevice).toBe(20);
  expect(errors.lost).toMatch(/the GPU device was lost \(destroyed: .*\); call load\(\) again/);
});

test("calls larger than the device's buffer limits run in chunks (a device that reports small limits)", async () => {
  const exported = await exportInWeft({ spec: ARTICLE_MODELS.wide_deep_aux }, 4);
  const r = await inPage(
    barePage,
    async (p) => {
      const bytes = Uint8Array.from(atob(p.weights), (ch) => ch.charCodeAt(0));
      const url = URL.createObjectURL(new Blob([p.code], { type: 'text/javascript' }));
      const mod = await new Function('u', 'return import(u)')(url); // not import(): vitest would rewrite it
      const adapter = await (navigator as any).gpu.requestAdapter();
      const device = await adapter.requestDevice();
      // The same device, reporting room for 2 batches of 64 rows of 392 floats per buffer.
      const limits = { maxStorageBufferBindingSize: 2 * 64 * 392 * 4 + 100, maxBufferSize: 2 ** 30 };
      const small = new Proxy(device, {
        get: (target, key) => (key === 'limits' ? limits : typeof target[key] === 'function' ? target[key].bind(target) : target[key]),
      });
      const rows = 300; // 3 chunks: 128 + 128 + 44
      let seed = 1;
      const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
      const xs = [Float32Array.from({ length: rows * 392 }, random), Float32Array.from({ length: rows * 392 }, random)];
      const whole = await mod.load(bytes.buffer, { device });
      const chunked = await mod.load(bytes.buffer, { device: small });
      const a = await whole.predict(xs, rows);
      const b = await chunked.predict(xs, rows);
      const tooSmall = new Proxy(device, {
        get: (target, key) =>
          key === 'limits'
            ? { maxStorageBufferBindingSize: 1000, maxBufferSize: 1000 }
            : typeof target[key] === 'function'
              ? target[key].bind(target)
              : target[key],
      });
      const refused = await mod.load(bytes.buffer, { device: tooSmall }).then(
        () => 'no error',
        (e: Error) => e.message,
      );
      whole.dispose();
      chunked.dispose();
      device.destroy();
      return {
        same: a.every((x: Float32Array, k: number) => x.length === b[k].length && x.every((v, i) => v === b[k][i])),
        lengths: a.map((x: Float32Array) => x.length),
        refused,
      };
    },
    { code: exported.code, weights: b64(exported.weights) },
  );
  expect(r.lengths).toEqual([3000, 3000]);
  expect(r.same).toBe(true);
  expect(r.refused).toMatch(/one batch of 64 rows needs more than this GPU's storage buffer limit \(1000 bytes\)/);
});
