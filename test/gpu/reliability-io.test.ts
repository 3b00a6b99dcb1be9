// Hostile model files through weft.loadLayersModel in the page (an IOHandler serving edited
// artifacts of a saved weft model): each is refused with a WeftError naming what is wrong, nothing
// from the file runs as code, and prototypes stay clean. A model too large for the device is
// refused at its first use with an error naming the limit. (node-side cases: test/unit/io.test.ts)
import type { Page } from 'puppeteer';
import { beforeAll, expect, test } from 'vitest';
import { inPage, openPage } from './harness.js';

let page: Page;
beforeAll(async () => {
  page = await openPage();
  await inPage(
    page,
    async () => {
      const weft = window.weft;
      const x = weft.input({ shape: [3], name: 'x' });
      const h = weft.layers.dense({ units: 4, activation: 'relu', name: 'h', seed: 1 }).apply(x);
      const o = weft.layers.dense({ units: 2, activation: 'softmax', name: 'o', seed: 2 }).apply(h);
      const model = weft.model({ inputs: x, outputs: o, name: 'small' });
      let saved: any;
      await model.save({
        async save(artifacts: any) {
          saved = artifacts;
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        },
      });
      window.hostile = {
        topology: JSON.stringify(saved.modelTopology),
        specs: JSON.stringify(saved.weightSpecs),
        data: saved.weightData as ArrayBuffer,
        /** loadLayersModel on artifacts whose topology/specs/data `edit` changes; the outcome as text. */
        async load(edit: (a: { topology: any; specs: any; data: ArrayBuffer }) => void | { topology: any; specs: any; data: ArrayBuffer }) {
          const a = { topology: JSON.parse(this.topology), specs: JSON.parse(this.specs), data: this.data.slice(0) };
          const edited = edit(a) ?? a;
          try {
            const m = await weft.loadLayersModel({
              load: async () => ({ modelTopology: edited.topology, weightSpecs: edited.specs, weightData: edited.data, format: 'layers-model' }),
            });
            return { ok: true, model: m, text: 'loaded' };
          } catch (e: any) {
            return { ok: false, weft: e instanceof weft.WeftError, text: `${e?.name}: ${e?.message}` };
          }
        },
      };
    },
    undefined,
  );
});

test('unknown classes, cycles, wrong byte lengths, prototype keys and code: refused or inert', async () => {
  const r = await inPage(
    page,
    async () => {
      const { hostile } = window as any;
      const layer = (a: any, name: string) => a.topology.config.layers.find((l: any) => l.name === name);
      const out: Record<string, { weft?: boolean; text: string }> = {};
      const run = async (name: string, edit: (a: any) => any) => {
        const r = await hostile.load(edit);
        out[name] = { weft: r.weft, text: r.text };
        return r;
      };
      await run('unknown layer class', (a) => void (layer(a, 'h').class_name = 'Lambda'));
      await run("class_name 'Function'", (a) => void (layer(a, 'h').class_name = 'Function'));
      await run('a cycle', (a) => {
        layer(a, 'h').inbound_nodes = [[['o', 0, 0, {}]]];
      });
      await run('a layer feeding itself', (a) => {
        layer(a, 'h').inbound_nodes = [[['h', 0, 0, {}]]];
      });
      await run('weights 4 bytes short', (a) => ({ ...a, data: a.data.slice(0, a.data.byteLength - 4) }));
      await run('weights 3 bytes too long', (a) => {
        const longer = new Uint8Array(a.data.byteLength + 3);
        longer.set(new Uint8Array(a.data));
        return { ...a, data: longer.buffer };
      });
      await run('a weight spec with a shape the layer does not have', (a) => {
        a.specs[0].shape = [4, 3];
      });
      await run('code as an activation name', (a) => void (layer(a, 'h').config.activation = "(globalThis.pwned = 1, 'relu')"));
      const polluted = await run('__proto__ and constructor keys', (a) => {
        const text = JSON.stringify(a.topology)
          .replace('"config":{', '"config":{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},')
          .replace(/^\{/, '{"__proto__":{"polluted":"yes"},');
        return { ...a, topology: JSON.parse(text), specs: JSON.parse(JSON.stringify(a.specs).replace('{"name"', '{"__proto__":{"polluted":"yes"},"name"')) };
      });
      const clean = ({} as any).polluted === undefined && (Object.prototype as any).polluted === undefined && (globalThis as any).pwned === undefined;
      // The model with prototype keys in its file loads as the plain model and predicts like it.
      const plain = await hostile.load(() => undefined);
      const xs = window.weft.tensor(new Float32Array([0.1, -0.2, 0.3, 1, 2, 3]), [2, 3]);
      const a = Array.from((await plain.model.predict(xs)).dataSync());
      const b = polluted.ok ? Array.from((await polluted.model.predict(xs)).dataSync()) : [];
      return { out, clean, samePredictions: a.length > 0 && a.every((v, i) => v === b[i]) };
    },
    undefined,
  );
  for (const [name, o] of Object.entries(r.out)) console.log(`${name}\n    → ${o.text}`);
  const refused: Record<string, RegExp> = {
    'unknown layer class': /layer 'h' has class 'Lambda', which weft does not support/,
    "class_name 'Function'": /layer 'h' has class 'Function', which weft does not support/,
    'a cycle': /layer '(h|o)' cannot be applied: its input .* is never produced \(a cycle, or a missing node\)/,
    'a layer feeding itself': /layer 'h' cannot be applied: its input .* is never produced \(a cycle, or a missing node\)/,
    'weights 4 bytes short': /the weights manifest describes 104 bytes \(4 weights\) but the weight data holds 100 bytes/,
    'weights 3 bytes too long': /the weights manifest describes 104 bytes \(4 weights\) but the weight data holds 107 bytes/,
    'a weight spec with a shape the layer does not have': /weight 'h\/kernel' has shape \[4, 3\] in the file, but the model's 'h\/kernel' has shape \[3, 4\]/,
    'code as an activation name': /layer 'h' \(Dense\).*unknown activation '\(globalThis\.pwned = 1, 'relu'\)'/,
  };
  for (const [name, pattern] of Object.entries(refused)) {
    expect(r.out[name]!.weft, `${name}: ${r.out[name]!.text}`).toBe(true);
    expect(r.out[name]!.text, name).toMatch(pattern);
  }
  expect(r.out['__proto__ and constructor keys']!.text).toBe('loaded');
  expect(r.clean).toBe(true);
  expect(r.samePredictions).toBe(true);
});

test('a loaded model too large for the device is refused at its first use, naming the limit', async () => {
  const r = await inPage(
    page,
    async () => {
      const { weft, hostile } = window as any;
      // 3 × 3000 + 3000 + 3000 × 2 + 2 = 18002 parameters (18004 in whole vec4s): 72016 bytes, over a (fake) 64 KiB limit.
      const loaded = await hostile.load((a: any) => {
        a.topology.config.layers.find((l: any) => l.name === 'h').config.units = 3000;
        return { ...a, specs: null, data: new ArrayBuffer(0) };
      });
      const gpu = await weft.getGpu();
      const saved = gpu.limits.maxStorageBufferBindingSize;
      const live = weft.memory();
      gpu.limits.maxStorageBufferBindingSize = 65536;
      let error = 'no error';
      try {
        await loaded.model.predict(weft.tensor(new Float32Array(6), [2, 3]));
      } catch (e: any) {
        error = `${e?.name}: ${e?.message}`;
      } finally {
        gpu.limits.maxStorageBufferBindingSize = saved;
      }
      return { loaded: loaded.text, error, leaked: weft.memory().numBuffers - live.numBuffers };
    },
    undefined,
  );
  console.log(r.error);
  expect(r.loaded).toBe('loaded');
  expect(r.error).toBe(
    "WeftError: the model's 18002 parameters (18004 in whole vec4s) take 72016 bytes, more than this GPU's maxStorageBufferBindingSize (65536 bytes); make the model smaller",
  );
  expect(r.leaked).toBe(0);
});

// KNOWN GAP in src/api/io (and Dense): absurd shapes are not checked when a file is loaded. Units of
// 2^31 or an input of 1e300 features fail with a RangeError from `new Float32Array` instead of a
// WeftError naming the layer; units of 1e9 (4 GB per weight) are even built on the host, for
// minutes. `fails` keeps the suite green while this is so; when the loader checks shapes (against
// getGpu() limits, or a fixed cap) this fails: make it a plain `test`.
test('absurd shapes in a model file are refused with a WeftError naming the layer', async () => {
  const r = await inPage(
    page,
    async () => {
      const { hostile } = window as any;
      const layer = (a: any, name: string) => a.topology.config.layers.find((l: any) => l.name === name);
      const units = await hostile.load((a: any) => ({ ...((layer(a, 'h').config.units = 2 ** 31), a), specs: null, data: new ArrayBuffer(0) }));
      const features = await hostile.load((a: any) => ({
        ...((layer(a, 'x').config.batch_input_shape = [null, 1e300]), a),
        specs: null,
        data: new ArrayBuffer(0),
      }));
      return [units, features].map((o: any) => ({ weft: o.weft, text: o.text }));
    },
    undefined,
  );
  for (const o of r) console.log(o.text);
  for (const o of r) {
    expect(o.weft, o.text).toBe(true);
    expect(o.text).toMatch(/layer '(h|x)'/);
  }
});
