// The native column: the same fit cases in PyTorch on this CPU (bench/native/torch_fit.py, Debian's
// python3-torch, installed here when missing), run in the same `npm run bench` invocation so the ratio
// weft / PyTorch comes from one run on one machine.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';

function hasTorch() {
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

/** Installs python3-torch through apt-get (as root, or with sudo) when it is missing. */
function ensureTorch(log) {
  if (hasTorch()) return true;
  log('bench: python3-torch missing, installing it for the native column (apt-get install python3-torch)');
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const prefix = root ? [] : ['sudo'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['apt-get', 'update'],
    ['apt-get', 'install', '-y', 'python3-torch'],
  ]) {
    const r = spawnSync(prefix[0] ?? args[0], [...prefix.slice(1), ...(prefix.length ? args : args.slice(1))], { stdio: 'inherit', env });
    if (r.status !== 0) return false;
  }
  return hasTorch();
}

/** Set once PyTorch could not be had, so later repeats do not try apt-get again. */
let torchMissing = false;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Runs PyTorch once (options.fitCalls timed epochs per model and batch) on the models and batch sizes of
 * weft's fit cases in `fits`; returns its JSON, or null when PyTorch cannot be had or failed. run.mjs calls
 * it right after each weft fit case, for that case, so the two are measured seconds apart.
 */
export function runNative({ fits, options, log = console.error }) {
  const weftFits = fits.filter((r) => r.ok && r.task.kind === 'fit' && r.task.lib === 'weft');
  if (weftFits.length === 0) return null;
  if (torchMissing || !ensureTorch(log)) {
    if (!torchMissing) log('bench: no PyTorch (python3-torch) here; the native column is left out');
    torchMissing = true;
    return null;
  }
  const args = [
    join(here, 'native/torch_fit.py'),
    '--samples',
    String(options.fitSamples),
    '--batches',
    [...new Set(weftFits.map((r) => r.task.batch))].join(','),
    '--models',
    [...new Set(weftFits.map((r) => r.task.model))].join(','),
    '--threads',
    '2',
    '--repeats',
    String(options.fitCalls),
  ];
  log(`bench: native PyTorch: ${PYTHON} ${args.join(' ')}`);
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) {
    log(`bench: the PyTorch run failed:\n${r.stderr}`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

/**
 * The table rows ({ model, batch, weft, torch, ratio, ratios }) from weft's fit results and the PyTorch
 * runs made beside them (each tagged with its repeat's 0-based `rep`): weft and PyTorch as medians over
 * repeats, the ratio as the median of each repeat's weft ÷ that repeat's PyTorch (paired, like the TF.js ratios).
 */
export function nativeComparison({ results, runs }) {
  const fits = results.filter((r) => r.ok && r.task.kind === 'fit' && r.task.lib === 'weft');
  const done = runs.filter(Boolean);
  if (fits.length === 0 || done.length === 0) return null;
  const rows = [];
  const models = [...new Set(fits.map((r) => r.task.model))];
  const batches = [...new Set(fits.map((r) => r.task.batch))];
  for (const model of models)
    for (const batch of batches) {
      const pairs = [];
      for (const f of fits.filter((f) => f.task.model === model && f.task.batch === batch)) {
        const sameCase = (n) => n.model === model && n.batch === batch;
        const torch = done.find((run) => run.rep === f.task.rep && run.results.some(sameCase))?.results.find(sameCase);
        if (torch) pairs.push({ weft: f.value, torch: torch.samplesPerSecond });
      }
      if (!pairs.length) continue;
      const ratios = pairs.map((p) => p.weft / p.torch);
      rows.push({
        model,
        batch,
        weft: median(pairs.map((p) => p.weft)),
        torch: median(pairs.map((p) => p.torch)),
        ratio: median(ratios),
        ratios,
      });
    }
  return { rows, native: done[0], runs };
}

export function formatNative(comparison) {
  const n = (x) => Math.round(x).toLocaleString('en-US');
  const repeats = new Set(comparison.runs.filter(Boolean).map((run) => run.rep)).size;
  const lines = [
    '',
    `fit samples/s against native PyTorch ${comparison.native.torch} (eager, CPU, ${comparison.native.threads} threads, same samples and batches, Adam 1e-3)`,
    `PyTorch ran each case right after weft's, in each of the ${repeats} repeat(s), as the median of ${comparison.native.results[0]?.all?.length ?? 1} timed epoch(s) (weft: of as many fit calls); weft and PyTorch are medians over repeats, weft/PyTorch the median [min–max] of the repeats' paired ratios`,
    'model         batch        weft     PyTorch   weft/PyTorch',
  ];
  for (const r of comparison.rows) {
    const spread = r.ratios.length > 1 ? ` [${Math.min(...r.ratios).toFixed(2)}–${Math.max(...r.ratios).toFixed(2)}]` : '';
    lines.push(
      `${r.model.padEnd(12)} ${String(r.batch).padStart(6)} ${n(r.weft).padStart(11)} ${n(r.torch).padStart(11)} ${r.ratio.toFixed(2).padStart(14)}${spread}`,
    );
  }
  return lines.join('\n');
}
