// Smoke test of the benchmark (bench/), so that its code cannot rot silently: the bench page loads
// its bundles (weft, weft-testing, weft-bench and TensorFlow.js from node_modules), and one weft case
// runs end to end with a handful of steps and is formatted into the table. Not a performance test:
// `npm run bench` measures.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'puppeteer';
import { beforeAll, expect, test } from 'vitest';
import { baseUrl, inPage, openPage } from './harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// The GPU setup rebuilds dist/ when src/ changed; do the same for bench/ (dist/weft-bench.js).
function ensureBenchBuilt(): void {
  let built = 0;
  try {
    built = statSync(join(root, 'dist/weft-bench.js')).mtimeMs;
  } catch {
    built = 0;
  }
  const newest = Math.max(
    ...readdirSync(join(root, 'bench'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => statSync(join(root, 'bench', f)).mtimeMs),
  );
  if (built >= newest) return;
  const r = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('build failed; the bench smoke test needs dist/weft-bench.js');
}

let page: Page;
beforeAll(async () => {
  ensureBenchBuilt();
  page = await openPage();
  await page.goto(`${baseUrl()}/repo/bench/index.html`, { waitUntil: 'load' });
  await page.waitForFunction(() => (window as any).weftBenchReady || window.weftBenchError, { timeout: 120_000 });
});

test('the bench page loads weft, its bench module and TensorFlow.js', async () => {
  const state = await inPage(
    page,
    () => {
      const w = window as any;
      return {
        error: w.weftBenchError ?? null,
        tf: !!w.weftBench?.env.tf,
        tfVersion: w.tf?.version?.tfjs ?? null,
        backends: w.tf ? Object.keys(w.tf.engine().registryFactory) : [],
      };
    },
    undefined,
  );
  expect(state.error).toBeNull();
  expect(state.tf).toBe(true);
  expect(state.tfVersion).toBe('4.22.0');
  expect(state.backends).toEqual(expect.arrayContaining(['webgpu', 'wasm']));
});

/** The bench's weft cases of one kind for the MLP at batch 32 over 128 samples, run in the bench page, and the report's text (records checked field by field by the callers). */
async function runWeftCases(kind: 'fit' | 'profile'): Promise<{ tasks: unknown[]; results: any[]; text: string }> {
  return inPage(
    page,
    async (k: string) => {
      const { bench, env } = window.weftBench;
      const options = bench.defaultOptions({ quick: true, repeats: 1, fitSamples: 128, models: ['mlp'], batches: [32], kinds: [k], libs: ['weft'] });
      const tasks = bench.planTasks(options);
      const results = [];
      for (const t of tasks) results.push(await bench.runTask(env, t));
      const summary = bench.summarize(results, options, await bench.environment(env));
      return { tasks, results, text: bench.formatText(summary) as string };
    },
    kind,
  );
}

test('one weft fit case (MLP, batch 32, 4 steps) runs end to end and lands in the table', async () => {
  const out = await runWeftCases('fit');
  expect(out.tasks).toEqual([{ kind: 'fit', lib: 'weft', model: 'mlp', batch: 32, samples: 128, rep: 0, calls: 1 }]);
  const [r] = out.results;
  expect(r.error ?? null).toBeNull();
  expect(r.ok).toBe(true);
  expect(r.unit).toBe('samples/s');
  expect(r.value).toBeGreaterThan(0);
  expect(r.details.steps).toBe(4);
  expect(r.details.perStep.dispatches).toBe(r.details.dispatchesPerTrainStep);
  expect(r.details.plannedBytes.train).toBeGreaterThan(0);
  expect(Number.isFinite(r.details.loss)).toBe(true);
  expect(out.text).toContain('== fit: samples/s ==');
  expect(out.text).toMatch(/MLP 784→30→30→10 b32 +[\d,]+/);
});

test('one weft profile case (MLP, batch 32) replays its step kernel by kernel and whole, and lands in the tables', async () => {
  const out = await runWeftCases('profile');
  // 128 samples are 4 steps at batch 32: the measured fit still runs 32.
  expect(out.tasks).toEqual([{ kind: 'profile', lib: 'weft', model: 'mlp', batch: 32, targetMs: 8, steps: 32 }]);
  const [r] = out.results;
  expect(r.error ?? null).toBeNull();
  // One timed kernel per captured dispatch (9 on SwiftShader; fewer where chains join the small kernels).
  expect(r.details.dispatches).toBeGreaterThan(0);
  expect(r.details.kernels).toHaveLength(r.details.dispatches);
  for (const k of r.details.kernels) expect(k.wallMs).toBeGreaterThan(0);
  expect(r.details.replayStepMs).toBeGreaterThan(0);
  expect(r.details.stepMs).toBeGreaterThan(0);
  expect(r.details.stepHow).toBe('model.fit over 32 steps, per step');
  expect(out.text).toContain('replayed step ms');
  expect(out.text).toMatch(new RegExp(`the step replayed \\(its dispatches in order, many steps in one pass\\) +${r.details.dispatches} +— +[\\d.]+`));
});

test('TF.js WASM runs as two columns: one thread, and every core (the page is cross-origin isolated)', async () => {
  const out = await inPage(
    page,
    async () => {
      const { bench, env } = window.weftBench;
      const cores = navigator.hardwareConcurrency;
      const options = bench.defaultOptions({
        quick: true,
        repeats: 1,
        fitSamples: 64,
        models: ['mlp'],
        batches: [32],
        kinds: ['fit'],
        libs: ['tfjs-wasm', 'tfjs-wasm-threads'],
      });
      const tasks = bench.planTasks(options);
      const results = [];
      for (const t of tasks) results.push(await bench.runTask(env, t));
      const summary = bench.summarize(results, options, await bench.environment(env));
      return { cores, coresAfter: navigator.hardwareConcurrency, isolated: crossOriginIsolated, tasks, results, text: bench.formatText(summary) as string };
    },
    undefined,
  );
  expect(out.isolated).toBe(true);
  expect(out.tasks.map((t: { lib: string }) => t.lib)).toEqual(['tfjs-wasm', 'tfjs-wasm-threads']);
  for (const r of out.results) expect(r.error ?? null).toBeNull();
  expect(out.results.map((r: { details: { wasmThreads: number } }) => r.details.wasmThreads)).toEqual([1, out.cores]);
  expect(out.coresAfter).toBe(out.cores); // the page sees its real core count again after the threaded backend started
  const threads = out.cores === 1 ? '1 thread' : `${out.cores} threads`;
  expect(out.text).toContain('TF.js WASM (1 thread)');
  expect(out.text).toContain(`TF.js WASM (${threads})`);
});
