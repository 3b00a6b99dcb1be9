#!/usr/bin/env node
// `npm start`: trains the article's four models and a CNN on Fashion-MNIST in headless Chromium on WebGPU
// (or, with --node, in this Node process on Dawn: the same demo/app.ts code, bundled for Node),
// prints each model's summary and Keras-style progress, then a results table, and writes
// out/report.html (self-contained), out/results.json, and each model's standalone predict module
// (weft.exportModule): out/<model>.module.js and out/<model>.weights.bin.
//
// The page is demo/index.html + dist/demo.js (demo/app.ts); it sends every event here through a
// puppeteer exposeFunction (window.weftDemoEvent). Run `node demo/run.mjs --help` for the options.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { adapterLine, DATASET_DIR, describeAdapter, launchBrowser, startServer } from '../scripts/browser.mjs';
import { formatDuration, MODEL_INFO, MODEL_KEYS, progressLine, resultTable, thousands } from './shared.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const HELP = `Usage: node demo/run.mjs [options]   (npm start -- [options])

Trains the article's four models and a CNN on Fashion-MNIST with weft on WebGPU in headless Chromium,
prints summaries, Keras-style progress and a results table, and writes a report.

  --epochs N            epochs per model (default 20)
  --cnn-epochs N        epochs of the cnn (default: --epochs, at most 2)
  --batch-size N        batch size (default 32)
  --train-limit N       train on the first N of the 55,000 training images (a quick run)
  --models LIST         comma-separated subset of ${MODEL_KEYS.join(',')} (default: all)
  --optimizer NAME      adam | sgd | momentum | rmsprop (default adam)
  --learning-rate X     default: the optimizer's Keras default (adam, rmsprop 0.001; sgd, momentum 0.01)
  --lr-decay X          epoch e trains at learning-rate × X^e (default 0.9; 1: constant)
  --seed N              weights and shuffling seed (default 42)
  --out DIR             where report.html, results.json and the predict modules go (default out)
  --json FILE           write the results JSON to FILE (default DIR/results.json)
  --browser PATH        Chromium executable (default: WEFT_BROWSER, or /usr/bin/chromium)
  --headed              show the browser window
  --node                run in Node on Dawn (the webgpu package) instead of in Chromium
  -h, --help            this text

Environment: WEFT_GPU=real uses the machine's GPU instead of SwiftShader (see README).`;

function fail(message) {
  console.error(`demo: ${message}`);
  process.exit(2);
}

function parseOptions(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        epochs: { type: 'string' },
        'cnn-epochs': { type: 'string' },
        'batch-size': { type: 'string' },
        'train-limit': { type: 'string' },
        models: { type: 'string' },
        optimizer: { type: 'string' },
        'learning-rate': { type: 'string' },
        'lr-decay': { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        json: { type: 'string' },
        browser: { type: 'string' },
        headed: { type: 'boolean' },
        node: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    fail(`${e.message}\n\n${HELP}`);
  }
  const v = parsed.values;
  if (v.help) {
    console.log(HELP);
    process.exit(0);
  }
  const int = (name, min = 1) => {
    const raw = v[name];
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min}, got '${raw}'`);
    return n;
  };
  const page = {};
  if (v.epochs !== undefined) page.epochs = int('epochs');
  if (v['cnn-epochs'] !== undefined) page.cnnEpochs = int('cnn-epochs');
  if (v['batch-size'] !== undefined) page.batchSize = int('batch-size');
  if (v['train-limit'] !== undefined) page.trainLimit = int('train-limit');
  if (v.seed !== undefined) page.seed = int('seed', -(2 ** 31));
  if (v.models !== undefined) {
    const models = v.models
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const m of models) if (!MODEL_KEYS.includes(m)) fail(`--models: unknown model '${m}'; choose from ${MODEL_KEYS.join(', ')}`);
    if (models.length === 0) fail('--models: name at least one model');
    page.models = models;
  }
  if (v.optimizer !== undefined) {
    if (!['adam', 'sgd', 'momentum', 'rmsprop'].includes(v.optimizer)) fail(`--optimizer must be adam, sgd, momentum or rmsprop, got '${v.optimizer}'`);
    page.optimizer = v.optimizer;
  }
  if (v['learning-rate'] !== undefined) {
    const lr = Number(v['learning-rate']);
    if (!(lr > 0) || !Number.isFinite(lr)) fail(`--learning-rate must be a positive number, got '${v['learning-rate']}'`);
    page.learningRate = lr;
  }
  if (v['lr-decay'] !== undefined) {
    const d = Number(v['lr-decay']);
    if (!(d > 0 && d <= 1)) fail(`--lr-decay must be in (0, 1], got '${v['lr-decay']}'`);
    page.lrDecay = d;
  }
  const outDir = resolve(v.out ?? join(root, 'out'));
  return {
    page,
    outDir,
    jsonPath: resolve(v.json ?? join(outDir, 'results.json')),
    browser: v.browser,
    headed: Boolean(v.headed),
    node: Boolean(v.node),
  };
}

/** Terminal output: Keras-style progress, redrawn in place on a TTY, one line per epoch otherwise. */
class Console {
  constructor(stream = process.stdout) {
    this.stream = stream;
    this.tty = Boolean(stream.isTTY);
    this.open = false; // a progress line is on screen without its newline
  }
  columns() {
    return Math.max(40, this.stream.columns || 120);
  }
  line(text = '') {
    if (this.open) this.stream.write('\n'), (this.open = false);
    this.stream.write(text + '\n');
  }
  progress(text) {
    if (!this.tty) return;
    const cut = text.length >= this.columns() ? text.slice(0, this.columns() - 2) + '…' : text;
    this.stream.write(`\r${cut}\x1b[K`);
    this.open = true;
  }
  endProgress(text) {
    if (this.tty) this.stream.write(`\r${text}\x1b[K\n`);
    else this.stream.write(text + '\n');
    this.open = false;
  }
}

/** The terminal side of the demo's events (the same from the page and from Node); `done`/`error` settle. */
/** Handles the demo's events; exported modules (weft.exportModule in the page) are kept in `modules` by model key. */
function demoEventHandler(out, settle, modules) {
  const epochStart = new Map();
  return (e) => {
    switch (e.type) {
      case 'start':
        out.line(
          `Options: ${e.options.epochs} epochs${e.options.models.includes('cnn') ? ` (cnn ${e.options.cnnEpochs})` : ''}, batch size ${e.options.batchSize}, ${e.options.optimizer} (learning rate ${e.options.learningRate}${e.options.lrDecay !== 1 ? ` × ${e.options.lrDecay}^epoch` : ''}), seed ${e.options.seed}${e.options.trainLimit ? `, train limit ${thousands(e.options.trainLimit)}` : ''}`,
        );
        break;
      case 'data':
        out.line(
          `Fashion-MNIST: ${thousands(e.train)} training, ${thousands(e.validation)} validation, ${thousands(e.test)} test images, pixels scaled to [0, 1] (loaded in ${e.seconds.toFixed(1)}s)`,
        );
        break;
      case 'model':
        out.line();
        out.line(`━━ ${e.index + 1}/${e.count} ${e.title} (${e.key}): ${MODEL_INFO[e.key].description}`);
        out.line(e.summary);
        out.line(`Training on ${thousands(e.samples)} images, validating on 5,000, ${e.epochs} epoch${e.epochs === 1 ? '' : 's'} of ${e.steps} steps`);
        break;
      case 'epochBegin':
        epochStart.set(e.key, Date.now());
        out.line(`Epoch ${e.epoch + 1}/${e.epochs}`);
        out.progress(progressLine({ step: 0, steps: e.steps, elapsedMs: 0, logs: {} }));
        break;
      case 'batch':
        out.progress(progressLine({ step: e.step, steps: e.steps, elapsedMs: e.elapsedMs, logs: e.logs }));
        break;
      case 'epochEnd':
        out.endProgress(progressLine({ step: e.steps, steps: e.steps, elapsedMs: e.elapsedMs, logs: e.logs, done: true }));
        break;
      case 'modelDone': {
        const r = e.result;
        const numbers = r.metricsNames.map((n, i) => `${n} ${r.evaluate[i].toFixed(4)}`).join(', ');
        out.line(`Test (10,000 images): ${numbers}`);
        out.line(
          `Trained in ${formatDuration(r.trainSeconds)} (${thousands(r.samplesPerSecond)} samples/s, ${r.dispatchesPerStep} dispatches per training step)`,
        );
        break;
      }
      case 'module':
        modules.set(e.key, e);
        break;
      case 'done':
        settle.ok(e);
        break;
      case 'error':
        settle.bad(Object.assign(new Error(e.message), { pageStack: e.stack }));
        break;
    }
  };
}

/** The results table on the terminal, then out/report.html and the results JSON. */
async function writeOutputs({ opts, out, results, reportHtml, modules, adapterLine, isFallback, runtime, started }) {
  out.line();
  out.line(`Results on the ${thousands(results.dataset.test)} test images (✓: matches or beats the article's figure):`);
  for (const l of resultTable(results.models)) out.line(l);

  await mkdir(opts.outDir, { recursive: true });
  const reportPath = join(opts.outDir, 'report.html');
  await writeFile(reportPath, reportHtml);
  // Each model's standalone predict module and its weights (weft.exportModule): out/<key>.module.js, out/<key>.weights.bin.
  out.line();
  out.line('Predict modules (weft.exportModule; they run without weft):');
  for (const m of results.models) {
    const exported = modules.get(m.name);
    if (!exported) throw new Error(`the demo sent no exported module for ${m.name}`);
    await writeFile(join(opts.outDir, `${m.name}.module.js`), exported.code);
    await writeFile(join(opts.outDir, `${m.name}.weights.bin`), Buffer.from(exported.weightsBase64, 'base64'));
    const kb = (b) => `${(b / 1024).toFixed(1)} KB`;
    out.line(`  ${m.name}.module.js ${kb(m.module.gzippedBytes)} gzipped (${kb(m.module.bytes)}), ${m.name}.weights.bin ${kb(m.module.weightBytes)}`);
  }
  const json = {
    models: results.models.map((m) => ({
      name: m.name,
      title: m.title,
      metricsNames: m.metricsNames,
      evaluate: m.evaluate,
      article: MODEL_INFO[m.name].article,
      history: m.history,
      epochs: m.epochs,
      params: m.params,
      trainSeconds: m.trainSeconds,
      samplesPerSecond: m.samplesPerSecond,
      dispatchesPerStep: m.dispatchesPerStep,
      kernels: m.kernels,
      module: m.module,
    })),
    adapter: { ...results.adapter, line: adapterLine, isFallback },
    browser: runtime,
    options: results.options,
    dataset: results.dataset,
    date: results.date,
    pageSeconds: results.wallSeconds,
    wallSeconds: (performance.now() - started) / 1000,
  };
  await mkdir(dirname(opts.jsonPath), { recursive: true });
  await writeFile(opts.jsonPath, JSON.stringify(json, null, 1) + '\n');
  const rel = (p) => (relative(process.cwd(), p).startsWith('..') ? p : relative(process.cwd(), p) || p);
  out.line();
  out.line(`Report: ${rel(reportPath)} · results: ${rel(opts.jsonPath)} · wall time ${formatDuration(json.wallSeconds)}`);
}

/** `--node`: the same run (demo/app.ts's runDemo, bundled as dist/demo.node.js) in this process on Dawn. */
async function runInNode(opts, out, started) {
  let demo;
  try {
    demo = await import(pathToFileURL(join(root, 'dist/demo.node.js')).href);
  } catch (e) {
    throw new Error(`could not load dist/demo.node.js (run npm run build): ${e?.message ?? e}`);
  }
  const gpu = await demo.getGpu(); // prints the adapter line
  const info = gpu.adapterInfo;
  const line = [info.vendor && `vendor=${info.vendor}`, info.architecture && `architecture=${info.architecture}`, info.description && `"${info.description}"`]
    .filter(Boolean)
    .join(' ');
  const runtime = `Node ${process.version}, Dawn (webgpu package)`;
  out.line(`weft demo · WebGPU adapter: ${line}${gpu.cpuAdapter ? ' [software]' : ''} · ${runtime}`);
  let settle;
  const finished = new Promise((ok, bad) => (settle = { ok, bad }));
  const modules = new Map();
  const onEvent = demoEventHandler(out, settle, modules);
  demo
    .runDemo({ ...opts.page, dataUrl: DATASET_DIR }, onEvent, demo.nodeHost(DATASET_DIR))
    .then((results) => onEvent({ type: 'done', results, reportHtml: demo.renderReport(results) }))
    .catch((e) => onEvent({ type: 'error', message: String(e?.message ?? e), stack: String(e?.stack ?? '') }));
  const { results, reportHtml } = await finished;
  await writeOutputs({ opts, out, results, reportHtml, modules, adapterLine: line, isFallback: gpu.cpuAdapter, runtime, started });
  demo.resetGpu(); // destroys the device, so the process can exit
}

async function main() {
  const started = performance.now();
  const opts = parseOptions(process.argv.slice(2));
  if (opts.browser) process.env.WEFT_BROWSER = opts.browser;
  const out = new Console();

  if (opts.node) return runInNode(opts, out, started);
  const server = await startServer({ repoRoot: root, indexHtml: join(root, 'demo/index.html') });
  let launched = null;
  const cleanup = async () => {
    await launched?.close().catch(() => {});
    await server.close().catch(() => {});
  };
  process.once('SIGINT', () => {
    out.line('\ndemo: interrupted');
    cleanup().finally(() => process.exit(130));
  });
  try {
    launched = await launchBrowser({ headless: !opts.headed });
    const page = await launched.browser.newPage();
    let settle;
    const finished = new Promise((ok, bad) => (settle = { ok, bad }));
    page.on('pageerror', (err) => out.line(`[page error] ${err?.stack ?? err?.message ?? err}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') out.line(`[page console.error] ${msg.text()}`);
    });
    page.on('error', (err) => settle.bad(new Error(`the page crashed: ${err?.message ?? err}`)));
    page.on('close', () => settle.bad(new Error('the page was closed')));

    const modules = new Map();
    await page.exposeFunction('weftDemoEvent', demoEventHandler(out, settle, modules));
    await page.goto(`${server.baseUrl}/`, { waitUntil: 'load' });
    await page.waitForFunction(() => window.weftDemo || window.weftDemoLoadError, { timeout: 60_000 });
    const loadError = await page.evaluate(() => window.weftDemoLoadError);
    if (loadError) throw new Error(`the demo page could not load dist/demo.js (run npm run build):\n${loadError}`);
    const adapter = await describeAdapter(page);
    out.line(`weft demo · WebGPU adapter: ${adapterLine(adapter)} · ${await launched.browser.version()}`);
    await page.evaluate((o) => window.weftDemo.start(o), opts.page);
    const { results, reportHtml } = await finished;

    await writeOutputs({
      opts,
      out,
      results,
      reportHtml,
      modules,
      adapterLine: adapterLine(adapter),
      isFallback: adapter.isFallback,
      runtime: await launched.browser.version(),
      started,
    });
  } finally {
    await cleanup();
  }
}

main().catch((e) => {
  console.error(`\ndemo: ${e?.message ?? e}`);
  if (e?.pageStack) console.error(e.pageStack);
  process.exit(1);
});
