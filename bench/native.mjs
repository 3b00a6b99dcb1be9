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

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Runs PyTorch on the models and batch sizes weft's fit cases used, and returns the table rows
 * ({ model, batch, weft, torch, ratio }) and the raw JSON; null when PyTorch cannot be had.
 */
export function nativeComparison({ results, options, log = console.error }) {
  const fits = results.filter((r) => r.ok && r.task.kind === 'fit' && r.task.lib === 'weft');
  if (fits.length === 0) return null;
  if (!ensureTorch(log)) {
    log('bench: no PyTorch (python3-torch) here; the native column is left out');
    return null;
  }
  const models = [...new Set(fits.map((r) => r.task.model))];
  const batches = [...new Set(fits.map((r) => r.task.batch))];
  const args = [
    join(here, 'native/torch_fit.py'),
    '--samples',
    String(options.fitSamples),
    '--batches',
    batches.join(','),
    '--models',
    models.join(','),
    '--threads',
    '2',
    '--repeats',
    String(options.repeats),
  ];
  log(`bench: native PyTorch: ${PYTHON} ${args.join(' ')}`);
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) {
    log(`bench: the PyTorch run failed:\n${r.stderr}`);
    return null;
  }
  const native = JSON.parse(r.stdout.trim().split('\n').pop());
  const rows = [];
  for (const model of models)
    for (const batch of batches) {
      const weft = fits.filter((f) => f.task.model === model && f.task.batch === batch).map((f) => f.value);
      const torch = native.results.find((n) => n.model === model && n.batch === batch);
      if (weft.length && torch) rows.push({ model, batch, weft: median(weft), torch: torch.samplesPerSecond, ratio: median(weft) / torch.samplesPerSecond });
    }
  return { rows, native };
}

export function formatNative(comparison) {
  const n = (x) => Math.round(x).toLocaleString('en-US');
  const lines = [
    '',
    `fit samples/s against native PyTorch ${comparison.native.torch} (eager, CPU, ${comparison.native.threads} threads, same samples and batches, Adam 1e-3)`,
    'model         batch        weft     PyTorch   weft/PyTorch',
  ];
  for (const r of comparison.rows)
    lines.push(`${r.model.padEnd(12)} ${String(r.batch).padStart(6)} ${n(r.weft).padStart(11)} ${n(r.torch).padStart(11)} ${r.ratio.toFixed(2).padStart(14)}`);
  return lines.join('\n');
}
