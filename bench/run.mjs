#!/usr/bin/env node
// Runs the benchmark page (bench/index.html + dist/weft-bench.js) in headless Chromium with WebGPU
// (scripts/browser.mjs: SwiftShader unless WEFT_GPU=real), one case per page call, and prints the
// tables; `--json FILE` writes every measurement. `npm run bench -- [options]`:
//
//   --quick          small sample counts, one repeat (a few minutes on 2 CPU cores)
//   --profile        also time each kernel of one training step (timestamp queries where the adapter
//                    has them, and always a CPU-timed replay), for weft and for TF.js WebGPU (MLP b32)
//   --json FILE      write options, environment, machine load, every result and the summary
//   --repeats N      repeats of every case (default 3, quick 1); ratios are paired within a repeat
//   --samples N      samples per timed fit call (default 8192, quick 2048)
//   --no-native      leave out the native PyTorch column (bench/native.mjs; installs python3-torch when missing)
//   --models a,b     subset of mlp, wideDeep, multiInput, multiOutput, cnn (default: all but the cnn)
//   --cases a,b      subset of compile, fit, step, predict, peak, matmul, profile
//   --libs a,b       subset of weft, tfjs-webgpu, tfjs-wasm (1 thread), tfjs-wasm-threads (one per core)
//   --batches a,b    fit batch sizes (default 32,256)
//   --matmul-shapes a,b  ids of MATMUL_SHAPES (bench/cases.ts; default all but the opt-in 4096)
//   --precision P    weft's compile precision: float32 (default) or mixed_float16 (f16 activations;
//                    needs the adapter's shader-f16, else weft trains in float32 and warns)
//   --precision-check  instead of the cases: train the MLP in float32 and in mixed_float16 from the
//                    same weights (5 epochs of 55,000 samples) and compare test accuracy (≤ 0.5
//                    points) and samples/s; needs shader-f16 (says so and exits 0 without it)
//   --emulate-f16    with --precision-check on an adapter without shader-f16: f16 storage emulated
//                    in f32 (quantizeToF16 on every store), i.e. f16's numerics without its speed
//   --node           run the cases in this Node process on Dawn (the webgpu package), not in
//                    Chromium; weft only (TF.js's WebGPU and WASM backends are the page's)
//   --serve          only serve the page and print its URL (open it in any WebGPU browser)
import { loadavg, cpus } from 'node:os';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adapterLine, describeAdapter, launchBrowser, startServer } from '../scripts/browser.mjs';
import { nodeBenchSession } from './node-session.mjs';
import { formatNative, nativeComparison, runNative } from './native.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PAGE = '/repo/bench/index.html';

function parseArgs(argv) {
  const o = {
    quick: false,
    profile: false,
    json: null,
    serve: false,
    node: false,
    native: true,
    precision: 'float32',
    precisionCheck: false,
    emulateF16: false,
    overrides: {},
  };
  const list = (v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const int = (name, v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} takes a positive integer, got ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--quick':
        o.quick = true;
        break;
      case '--no-native':
        o.native = false;
        break;
      case '--profile':
        o.profile = true;
        break;
      case '--serve':
        o.serve = true;
        break;
      case '--node':
        o.node = true;
        break;
      case '--precision': {
        const p = value();
        if (p !== 'float32' && p !== 'mixed_float16') throw new Error(`--precision takes float32 or mixed_float16, got ${p}`);
        o.precision = p;
        break;
      }
      case '--precision-check':
        o.precisionCheck = true;
        break;
      case '--emulate-f16':
        o.emulateF16 = true;
        break;
      case '--batches':
        o.overrides.batches = list(value()).map((b) => int(a, b));
        break;
      case '--matmul-shapes':
        o.overrides.matmulShapes = list(value());
        break;
      case '--json':
        o.json = resolve(value());
        break;
      case '--repeats':
        o.overrides.repeats = int(a, value());
        break;
      case '--samples':
        o.overrides.fitSamples = int(a, value());
        break;
      case '--fit-calls':
        o.overrides.fitCalls = int(a, value());
        break;
      case '--models':
        o.overrides.models = list(value());
        break;
      case '--cases':
        o.overrides.kinds = list(value());
        break;
      case '--libs':
        o.overrides.libs = list(value());
        break;
      case '-h':
      case '--help':
        console.log(readUsage());
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${a} (see --help)`);
    }
  }
  return o;
}

function formatPrecisionCheck(check, adapter, runtime) {
  const head = `precision check (MLP, Fashion-MNIST) | ${adapter} | ${runtime}${check.emulated ? ' | f16 storage EMULATED in f32 (numerics only; speeds are not f16 speeds)' : ''}`;
  if (!check.ran) return `${head}\nnot run: ${check.reason}`;
  const o = check.options;
  const rows = check.runs.map(
    (r) =>
      `  ${r.precision.padEnd(14)} test accuracy ${(100 * r.testAccuracy).toFixed(2)}%  loss ${r.testLoss.toFixed(4)}  ${Math.round(r.samplesPerSecond).toLocaleString('en-US')} samples/s  planned ${r.plannedBytes ?? '?'} bytes`,
  );
  return [
    head,
    `${o.epochs} epochs × ${o.trainSamples.toLocaleString('en-US')} samples, batch ${o.batchSize}, same initial weights and shuffle seed; test on ${o.testSamples.toLocaleString('en-US')}`,
    ...rows,
    `mixed − float32: ${check.differencePoints >= 0 ? '+' : ''}${check.differencePoints.toFixed(2)} points (tolerance ±${o.tolerancePoints}): ${check.withinTolerance ? 'within' : 'OUTSIDE'}; speed mixed / float32 ${check.speedup.toFixed(2)}×`,
  ].join('\n');
}

function readUsage() {
  return 'usage: npm run bench -- [--quick] [--profile] [--json FILE] [--repeats N] [--samples N] [--fit-calls N] [--models a,b] [--cases a,b] [--libs a,b] [--batches a,b] [--matmul-shapes a,b] [--precision float32|mixed_float16] [--precision-check [--emulate-f16]] [--node] [--no-native] [--serve]';
}

let args;
try {
  args = parseArgs(process.argv.slice(2));
} catch (e) {
  console.error(`bench: ${e.message}\n${readUsage()}`);
  process.exit(2);
}

if (args.node && args.serve) {
  console.error('bench: --serve serves the page for a browser; it does not go with --node');
  process.exit(2);
}
if (args.node) {
  if (args.overrides.libs && args.overrides.libs.some((l) => l !== 'weft')) {
    console.error("bench: --node runs weft only (TF.js's WebGPU and WASM backends run in the page)");
    process.exit(2);
  }
  args.overrides.libs = ['weft'];
}

/** Chromium with the bench page: { page, adapter, runtime, close }. */
async function browserSession() {
  const server = await startServer({ repoRoot: root, indexHtml: join(root, 'bench/index.html') });
  if (args.serve) {
    console.log(`bench: open ${server.baseUrl}${PAGE} in a WebGPU browser (add ?quick=1, &profile=1, &auto=1); Ctrl-C stops the server`);
    process.on('SIGINT', () => server.close().then(() => process.exit(0)));
    await new Promise(() => {});
  }
  if (args.profile) {
    // Chromium quantises timestamp queries to 100 µs unless WebGPU developer features are on.
    process.env.WEFT_CHROMIUM_FLAGS = `${process.env.WEFT_CHROMIUM_FLAGS ?? ''} --enable-webgpu-developer-features`.trim();
  }
  let launched;
  try {
    launched = await launchBrowser();
  } catch (e) {
    await server.close();
    throw e;
  }
  const close = async () => {
    await launched.close();
    await server.close();
  };
  try {
    const page = await launched.browser.newPage();
    page.on('pageerror', (err) => process.stderr.write(`[page error] ${err.stack ?? err.message ?? err}\n`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') process.stderr.write(`[chromium console.${msg.type()}] ${msg.text()}\n`);
    });
    await page.goto(`${server.baseUrl}${PAGE}`, { waitUntil: 'load' });
    await page.waitForFunction(() => window.weftBenchReady || window.weftBenchError, { timeout: 120_000 });
    const loadError = await page.evaluate(() => window.weftBenchError);
    if (loadError) throw new Error(`the bench page could not load its bundles:\n${loadError}`);
    return { page, adapter: await describeAdapter(page), runtime: await launched.browser.version(), close };
  } catch (e) {
    await close();
    throw e;
  }
}

const load = { start: loadavg(), samples: [], end: null, cpus: cpus().length };
const started = Date.now();
let session;
try {
  session = args.node ? await nodeBenchSession(root) : await browserSession();
} catch (e) {
  console.error(`bench: ${e.message}`);
  process.exit(1);
}
const stop = async (code) => {
  await session.close();
  process.exit(code);
};
process.on('SIGINT', () => void stop(130));

try {
  const { page, adapter, runtime } = session;
  await page.evaluate((precision) => {
    window.weftBench.env.precision = precision;
  }, args.precision);
  if (args.precisionCheck) {
    const check = await page.evaluate((emulate) => window.weftBench.bench.precisionCheck(window.weftBench.env, {}, emulate), args.emulateF16);
    console.log(formatPrecisionCheck(check, adapterLine(adapter), runtime));
    if (args.json)
      writeFileSync(args.json, JSON.stringify({ generatedAt: new Date().toISOString(), adapter, runtime, load: loadavg(), check }, null, 1) + '\n');
    await stop(check.ran && !check.withinTolerance ? 1 : 0);
  }
  const overrides = { quick: args.quick, profile: args.profile, ...args.overrides };
  const { options, tasks, env } = await page.evaluate(async (ov) => {
    const { bench, env } = window.weftBench;
    const options = bench.defaultOptions(ov);
    const info = await bench.environment(env);
    await bench.benchData(env);
    return { options, tasks: bench.planTasks(options), env: info };
  }, overrides);
  console.error(
    `bench: ${adapterLine(adapter)} | ${runtime} | ${tasks.length} cases, ${options.quick ? 'quick' : 'full'} mode, ${options.repeats} repeat(s), load ${load.start.map((x) => x.toFixed(2)).join(' ')}`,
  );

  const results = [];
  // PyTorch runs the same case right after each weft fit case (before TF.js's), so each weft / PyTorch ratio
  // compares runs seconds apart: the machine's load moves both alike.
  const nativeRuns = [];
  for (let i = 0; i < tasks.length; i++) {
    const r = await page.evaluate((task) => window.weftBench.bench.runTask(window.weftBench.env, task), tasks[i]);
    results.push(r);
    if (args.native && r.ok && tasks[i].kind === 'fit' && tasks[i].lib === 'weft') {
      const run = runNative({ fits: [r], options });
      if (run) nativeRuns.push({ ...run, rep: tasks[i].rep });
    }
    load.samples.push(loadavg()[0]);
    const what = await page.evaluate((task) => window.weftBench.bench.describeTask(task), tasks[i]);
    const value = r.ok
      ? `${r.value >= 100 ? Math.round(r.value).toLocaleString('en-US') : r.value.toPrecision(3)} ${r.unit}`
      : `FAILED: ${String(r.error).split('\n')[0]}`;
    console.error(`[${String(i + 1).padStart(String(tasks.length).length)}/${tasks.length}] ${what}: ${value} (${(r.wallMs / 1000).toFixed(1)} s)`);
  }
  load.end = loadavg();
  const minutes = (Date.now() - started) / 60000;
  const maxLoad = Math.max(...load.samples, load.start[0], load.end[0]);
  const extra = [
    `machine load (1-min average): ${load.start[0].toFixed(2)} at start, ${load.end[0].toFixed(2)} at end, ${maxLoad.toFixed(2)} at most, on ${load.cpus} CPUs; run took ${minutes.toFixed(1)} min`,
    ...(args.precision === 'float32' ? [] : [`weft compiled with precision '${args.precision}' (f16 activations where the adapter has shader-f16)`]),
  ];
  const { summary, text } = await page.evaluate(
    (res, opts, info, ex) => {
      const { bench } = window.weftBench;
      const summary = bench.summarize(res, opts, info, ex);
      return { summary, text: bench.formatText(summary) };
    },
    results,
    options,
    env,
    extra,
  );
  console.log(text);
  const native = args.native ? nativeComparison({ results, runs: nativeRuns }) : null;
  if (native) console.log(formatNative(native));
  if (args.json) {
    const report = {
      generatedAt: new Date().toISOString(),
      argv: process.argv.slice(2),
      options,
      env,
      browser: runtime,
      adapter,
      load,
      summary,
      results,
      native,
    };
    writeFileSync(args.json, JSON.stringify(report, null, 1) + '\n');
    console.error(`bench: wrote ${args.json}`);
  }
  await stop(results.some((r) => !r.ok) ? 1 : 0);
} catch (e) {
  console.error(`bench: ${e.stack ?? e.message ?? e}`);
  await stop(1);
}
