// `npm start` end to end on a quick setting, then the report it wrote, rendered in Chromium and
// saved as a screenshot (out/test/report.png: look at it), and the plots parsed by the browser.
//
// The quick run writes to out/test/ so that a full `npm start` report in out/ survives `npm test`.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Page } from 'puppeteer';
import { beforeAll, describe, expect, test } from 'vitest';
import { baseUrl, inPage, openBarePage, openPage } from './harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = join(root, 'out', 'test');
const jsonPath = join(outDir, 'results.json');
const reportPath = join(outDir, 'report.html');
const screenshotPath = join(outDir, 'report.png');

interface ResultsJson {
  models: {
    name: string;
    metricsNames: string[];
    evaluate: number[];
    history: Record<string, number[]>;
    trainSeconds: number;
    samplesPerSecond: number;
    dispatchesPerStep: number;
  }[];
  adapter: { vendor: string; architecture: string };
  options: { epochs: number; trainLimit: number; batchSize: number; optimizer: string; learningRate: number; seed: number };
  dataset: { train: number; validation: number; test: number };
}

let stdout = '';
const MODELS = ['mlp', 'wide_deep', 'multi_input', 'multi_output', 'cnn'];

describe('npm start', () => {
  beforeAll(() => {
    // dist/demo.js must match demo/app.ts (the GPU setup rebuilds only for src/ changes).
    const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}\n${build.stderr}`);
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
  });

  // The CNN's epoch on SwiftShader takes minutes when the machine is busy: hence the longer limits.
  test('--train-limit 5000 --epochs 1 --json FILE: five models trained, JSON and report written', { timeout: 900_000 }, async () => {
    const args = ['demo/run.mjs', '--train-limit', '5000', '--epochs', '1', '--out', outDir, '--json', jsonPath];
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((ok) => {
      execFile(process.execPath, args, { cwd: root, maxBuffer: 64 << 20, timeout: 840_000 }, (error, out, err) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        ok({ code, stdout: out, stderr: err });
      });
    });
    stdout = result.stdout;
    if (result.code !== 0) throw new Error(`node ${args.join(' ')} failed (${result.code}):\n${result.stdout.slice(-4000)}\n${result.stderr.slice(-4000)}`);

    // Terminal output: sizes, summaries, one finished Keras progress line per epoch (stdout is a pipe), the table.
    expect(stdout).toContain('Fashion-MNIST: 5,000 training, 5,000 validation, 10,000 test images');
    for (const name of MODELS) expect(stdout).toContain(`Model: "${name}"`);
    expect(stdout).toContain('conv1 (Conv2D)                  (None, 28, 28, 16)   160');
    expect(stdout).toMatch(/Options: 1 epochs \(cnn 1\), batch size 32/);
    expect(stdout).toContain('Layer (type)                    Output Shape         Param #     Connected to');
    const progress = stdout.split('\n').filter((l) => l.startsWith('157/157 ['));
    expect(progress).toHaveLength(5);
    for (const l of progress) expect(l).toMatch(/^157\/157 \[={30}\] - \d+s \d+m?s\/step - loss: \d\.\d{4} - .*val_loss: \d\.\d{4}/);
    expect(progress[3]).toContain('- main_output_loss: ');
    expect(progress[3]).toContain('- val_aux_output_accuracy: ');
    expect(stdout).not.toContain('\r');
    expect(stdout).toMatch(/Model +Metric +weft +Article +Train time +Samples\/s +Dispatches\/step/);
    expect(stdout).toMatch(/multi_output +loss +\d\.\d{4} +0\.4938/);

    // The JSON.
    const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as ResultsJson;
    expect(json.models.map((m) => m.name)).toEqual(MODELS);
    expect(json.options).toMatchObject({ epochs: 1, trainLimit: 5000, batchSize: 32 });
    expect(json.dataset).toEqual({ train: 5000, validation: 5000, test: 10000 });
    expect(json.adapter.vendor).toBeTruthy();
    for (const m of json.models) {
      expect(m.evaluate).toHaveLength(m.metricsNames.length);
      for (const v of m.evaluate) expect(Number.isFinite(v)).toBe(true);
      expect(m.trainSeconds).toBeGreaterThan(0);
      expect(m.samplesPerSecond).toBeGreaterThan(0);
      expect(m.dispatchesPerStep).toBeGreaterThan(0);
      for (const k of ['loss', 'val_loss']) expect(m.history[k]).toHaveLength(1);
    }
    const byName = Object.fromEntries(json.models.map((m) => [m.name, m]));
    for (const name of ['mlp', 'wide_deep', 'multi_input', 'cnn']) {
      expect(byName[name]!.metricsNames).toEqual(['loss', 'accuracy']);
      expect(byName[name]!.evaluate[1]).toBeGreaterThan(0.7);
    }
    const multi = byName.multi_output!;
    expect(multi.metricsNames).toEqual(['loss', 'main_output_loss', 'aux_output_loss', 'main_output_accuracy', 'aux_output_accuracy']);
    expect(multi.evaluate).toHaveLength(5);
    expect(multi.evaluate[3]).toBeGreaterThan(0.7); // main output
    // The auxiliary output sees only the deep half through hidden2: after one epoch on 5,000 images it is near 0.63.
    expect(multi.evaluate[4]).toBeGreaterThan(0.5);
    expect(multi.evaluate[0]).toBeCloseTo(0.7 * multi.evaluate[1]! + 0.3 * multi.evaluate[2]!, 3);

    // The report: self-contained, five diagrams, five charts, the sample grid, the table.
    const html = readFileSync(reportPath, 'utf8');
    expect(html.match(/<svg [^>]*class="weft-model-plot"/g)).toHaveLength(5);
    expect(html.match(/<svg [^>]*class="weft-history-plot"/g)).toHaveLength(5);
    expect(html.match(/<img src="data:image\/png;base64,/g)).toHaveLength(40);
    expect(html).toContain('<table class="results">');
    expect(html).not.toMatch(/<script|<link [^>]*stylesheet|src="http/);
  });

  test("each model's predict module (weft.exportModule) is in out/, sized in the JSON; mlp's predicts in a page without weft", async () => {
    const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as {
      models: { name: string; params: number; module: { bytes: number; gzippedBytes: number; weightBytes: number } }[];
    };
    for (const m of json.models) {
      const code = readFileSync(join(outDir, `${m.name}.module.js`));
      expect(code.length, m.name).toBe(m.module.bytes);
      expect(gzipSync(code).length, m.name).toBeLessThanOrEqual(12 * 1024);
      expect(m.module.gzippedBytes, m.name).toBeLessThanOrEqual(12 * 1024);
      expect(readFileSync(join(outDir, `${m.name}.weights.bin`)).length, m.name).toBe(4 * m.params);
      expect(m.module.weightBytes).toBe(4 * m.params);
    }
    expect(stdout).toMatch(/mlp\.module\.js \d+\.\d KB gzipped \(\d+\.\d KB\), mlp\.weights\.bin 96\.8 KB/);
    // The MLP's module, loaded from out/ in a page without weft, against a float64 forward pass of its weights file.
    const rows = 5;
    const pixels = Float32Array.from({ length: rows * 784 }, (_, i) => ((i * 7919) % 256) / 255);
    const page = await openBarePage();
    const got = await inPage(
      page,
      async ([x, n]) => {
        const mod = await new Function('u', 'return import(u)')('/repo/out/test/mlp.module.js'); // not import(): vitest would rewrite it
        const m = await mod.load('/repo/out/test/mlp.weights.bin');
        const out = await m.predict(Float32Array.from(x), n);
        m.dispose();
        return { hasWeft: 'weft' in window, out };
      },
      [Array.from(pixels), rows] as [number[], number],
    );
    expect(got.hasWeft).toBe(false);
    const w = new Float32Array(new Uint8Array(readFileSync(join(outDir, 'mlp.weights.bin'))).buffer);
    let at = 0;
    const take = (n: number) => w.subarray(at, (at += n));
    const layers = [
      [784, 30],
      [30, 30],
      [30, 10],
    ].map(([i, o]) => ({ i: i!, o: o!, kernel: take(i! * o!), bias: take(o!) }));
    for (let r = 0; r < rows; r++) {
      let h = Array.from(pixels.subarray(r * 784, (r + 1) * 784));
      layers.forEach((l, k) => {
        const z = Array.from({ length: l.o }, (_, j) => l.bias[j]! + h.reduce((s, v, i) => s + v * l.kernel[i * l.o + j]!, 0));
        if (k < 2) h = z.map((v) => Math.max(0, v));
        else {
          const top = Math.max(...z);
          const e = z.map((v) => Math.exp(v - top));
          const sum = e.reduce((a, b) => a + b, 0);
          h = e.map((v) => v / sum);
        }
      });
      h.forEach((p, j) => expect(Math.abs(got.out[r * 10 + j]! - p), `row ${r} class ${j}`).toBeLessThanOrEqual(1e-5));
    }
  });

  test("cnn's predict module takes each 28 × 28 × 1 image as a row of 784 values and predicts in a page without weft", async () => {
    const rows = 3;
    const pixels = Float32Array.from({ length: rows * 784 }, (_, i) => ((i * 7919) % 256) / 255);
    const page = await openBarePage();
    const got = await inPage(
      page,
      async ([x, n]) => {
        const mod = await new Function('u', 'return import(u)')('/repo/out/test/cnn.module.js');
        const m = await mod.load('/repo/out/test/cnn.weights.bin');
        const out = await m.predict(Float32Array.from(x), n);
        m.dispose();
        return { inputs: mod.inputs, out };
      },
      [Array.from(pixels), rows] as [number[], number],
    );
    expect(got.inputs).toEqual([{ name: 'image', cols: 784 }]);
    const w = new Float32Array(new Uint8Array(readFileSync(join(outDir, 'cnn.weights.bin'))).buffer);
    for (let r = 0; r < rows; r++) {
      const want = cnnForward(w, pixels.subarray(r * 784, (r + 1) * 784));
      want.forEach((p, j) => expect(Math.abs(got.out[r * 10 + j]! - p), `row ${r} class ${j}`).toBeLessThanOrEqual(1e-5));
    }
  });

  describe('the report in Chromium', () => {
    test('renders: images decoded, text inside every diagram box, nothing wider than the window; screenshot saved', async () => {
      if (!existsSync(reportPath)) throw new Error(`${reportPath} is missing: the demo run above failed`);
      const page: Page = await openPage();
      await page.setViewport({ width: 1280, height: 900 });
      await page.goto(`${baseUrl()}/repo/out/test/report.html`, { waitUntil: 'load' });
      // The emulated width can land after goto resolves (or be dropped by the navigation): set it again.
      await page.setViewport({ width: 1280, height: 900 });
      // On a busy machine the emulated width sometimes never reaches the page; the checks below are
      // relative to whatever width the page has, so wait a little for 1280 and then go on.
      await page.waitForFunction(() => window.innerWidth === 1280, { timeout: 5_000 }).catch(() => undefined);
      const facts = await page.evaluate(() => {
        const diagrams = [...document.querySelectorAll('svg.weft-model-plot')] as SVGSVGElement[];
        const overflows: string[] = [];
        for (const svg of diagrams)
          for (const g of svg.querySelectorAll('g.layer')) {
            const box = (g.querySelector('rect') as SVGRectElement).getBBox();
            for (const t of g.querySelectorAll('text')) {
              const b = (t as SVGTextElement).getBBox();
              if (b.x < box.x - 0.5 || b.x + b.width > box.x + box.width + 0.5)
                overflows.push(`${g.getAttribute('data-layer')}: '${t.textContent}' ${b.width.toFixed(1)}px`);
            }
          }
        const legendOverflows: string[] = [];
        for (const svg of document.querySelectorAll('svg.weft-history-plot')) {
          const legend = svg.querySelector('g.legend') as SVGGElement;
          const frame = (legend.querySelector('rect') as SVGRectElement).getBBox();
          for (const t of legend.querySelectorAll('text')) {
            const b = (t as SVGTextElement).getBBox();
            if (b.x + b.width > frame.x + frame.width) legendOverflows.push(t.textContent ?? '');
          }
        }
        const images = [...document.querySelectorAll('.samples img')] as HTMLImageElement[];
        return {
          diagrams: diagrams.map((s) => s.getBoundingClientRect().width),
          charts: [...document.querySelectorAll('svg.weft-history-plot')].map((s) => s.getBoundingClientRect().width),
          overflows,
          legendOverflows,
          images: images.length,
          decoded: images.filter((i) => i.complete && i.naturalWidth === 28).length,
          scrollWidth: document.documentElement.scrollWidth,
          innerWidth: window.innerWidth,
          tableRows: document.querySelectorAll('table.results tbody tr').length,
        };
      });
      expect(facts.diagrams).toHaveLength(5);
      for (const w of facts.diagrams) expect(w).toBeGreaterThan(150);
      expect(facts.charts).toHaveLength(5);
      for (const w of facts.charts) expect(w).toBeGreaterThan(300);
      expect(facts.overflows).toEqual([]);
      expect(facts.legendOverflows).toEqual([]);
      expect(facts.images).toBe(40);
      expect(facts.decoded).toBe(40);
      expect(facts.scrollWidth).toBeLessThanOrEqual(facts.innerWidth);
      expect(facts.tableRows).toBe(2 + 2 + 2 + 5 + 2);
      await page.screenshot({ path: screenshotPath, fullPage: true });
      expect(readFileSync(screenshotPath).subarray(1, 4).toString()).toBe('PNG');
      console.log(`[weft] report screenshot: ${screenshotPath}`);
    });
  });
});

test('plotModel and plotHistory output parses as SVG in the browser (DOMParser)', async () => {
  const page = await openPage();
  const errors = await inPage(
    page,
    () => {
      const weft = window.weft;
      const wide = weft.input({ shape: [392], name: 'wide_input' });
      const deep = weft.input({ shape: [392], name: 'deep_input' });
      const h1 = weft.layers.dense({ units: 30, activation: 'relu' }).apply(deep);
      const h2 = weft.layers.dense({ units: 30, activation: 'relu' }).apply(h1);
      const concat = weft.layers.concatenate().apply([wide, h2]);
      const main = weft.layers.dense({ units: 10, activation: 'softmax', name: 'main_output' }).apply(concat);
      const aux = weft.layers.dense({ units: 10, activation: 'softmax', name: 'aux_output' }).apply(h2);
      const model = weft.model({ inputs: [wide, deep], outputs: [main, aux] });
      const svgs = [
        weft.plotModel(model, { showShapes: true }),
        weft.plotModel(model, { showShapes: true, rankdir: 'LR' }),
        weft.plotModel(model, { showLayerNames: false }),
        weft.plotHistory(
          { loss: [0.9, 0.5, 0.4], accuracy: [0.7, 0.8, 0.85], val_loss: [0.7, 0.5, 0.45], val_accuracy: [0.75, 0.82, 0.84] },
          { title: 'a & b' },
        ),
      ];
      const out: string[] = [];
      for (const s of svgs) {
        const doc = new DOMParser().parseFromString(s, 'image/svg+xml');
        const err = doc.querySelector('parsererror');
        if (err) out.push(err.textContent ?? 'parse error');
        else if (doc.documentElement.namespaceURI !== 'http://www.w3.org/2000/svg') out.push(`root ${doc.documentElement.nodeName}`);
      }
      return out;
    },
    undefined,
  );
  expect(errors).toEqual([]);
});

/** The demo's CNN in float64 from its weights file (TF.js order: conv kernels [kh, kw, in, out], channels last). */
function cnnForward(w: Float32Array, image: Float32Array): number[] {
  let at = 0;
  const take = (n: number) => w.subarray(at, (at += n));
  type Map3 = { h: number; w: number; c: number; v: Float64Array };
  const conv = (x: Map3, filters: number): Map3 => {
    const kernel = take(9 * x.c * filters);
    const bias = take(filters);
    // 'same' padding: the output has the input's size, the window starts one pixel up and left (zeros outside).
    const y: Map3 = { h: x.h, w: x.w, c: filters, v: new Float64Array(x.h * x.w * filters) };
    for (let i = 0; i < y.h; i++)
      for (let j = 0; j < y.w; j++)
        for (let f = 0; f < filters; f++) {
          let z = bias[f]!;
          for (let di = 0; di < 3; di++)
            for (let dj = 0; dj < 3; dj++) {
              const [r, q] = [i + di - 1, j + dj - 1];
              if (r < 0 || q < 0 || r >= x.h || q >= x.w) continue;
              for (let c = 0; c < x.c; c++) z += x.v[(r * x.w + q) * x.c + c]! * kernel[((di * 3 + dj) * x.c + c) * filters + f]!;
            }
          y.v[(i * y.w + j) * filters + f] = Math.max(0, z);
        }
    return y;
  };
  const pool = (x: Map3): Map3 => {
    const y: Map3 = { h: Math.floor(x.h / 2), w: Math.floor(x.w / 2), c: x.c, v: new Float64Array(Math.floor(x.h / 2) * Math.floor(x.w / 2) * x.c) };
    for (let i = 0; i < y.h; i++)
      for (let j = 0; j < y.w; j++)
        for (let c = 0; c < x.c; c++)
          y.v[(i * y.w + j) * x.c + c] = Math.max(...[0, 1].flatMap((a) => [0, 1].map((b) => x.v[((2 * i + a) * x.w + 2 * j + b) * x.c + c]!)));
    return y;
  };
  const dense = (x: ArrayLike<number>, units: number): number[] => {
    const kernel = take(x.length * units);
    const bias = take(units);
    return Array.from({ length: units }, (_, u) => {
      let z = bias[u]!;
      for (let i = 0; i < x.length; i++) z += x[i]! * kernel[i * units + u]!;
      return z;
    });
  };
  const features = pool(conv(pool(conv({ h: 28, w: 28, c: 1, v: Float64Array.from(image) }, 16)), 32)).v;
  const hidden = dense(features, 128).map((v) => Math.max(0, v));
  const z = dense(hidden, 10);
  const top = Math.max(...z);
  const e = z.map((v) => Math.exp(v - top));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}
