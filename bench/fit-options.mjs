// `node bench/fit-options.mjs [--repeats 5] [--rows 8192] [--wide]`: what fit's TensorFlow.js options cost, in
// Node on Dawn (dist/weft.node.js; SwiftShader without a GPU). The same model and data trained three
// ways — plain, with classWeight (per-sample weights gathered in the loss head), with l2 regularizers on
// every kernel (the penalty summed by the loss head's one workgroup, its gradient in the optimizer) —
// in alternating order, one epoch each after a warm-up; prints the median samples/s per variant, its
// ratio to plain, and the dispatches per training step (which must not change).
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const weft = await import(pathToFileURL(join(root, 'dist/weft.node.js')).href);
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const repeats = option('--repeats', 5);
const rows = option('--rows', 8192);
const batchSize = 32;
await weft.getGpu();

let seed = 7;
const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296;

const MODELS = {
  'article MLP 784→30→30→10': [30, 30],
  // Slow on SwiftShader (over 15 minutes on a loaded 2-core machine): opt-in.
  ...(args.includes('--wide') ? { 'wide MLP 784→256→256→10': [256, 256] } : {}),
};
const VARIANTS = ['plain', 'classWeight', 'l2 regularizers'];
const classWeight = Object.fromEntries(Array.from({ length: 10 }, (_, k) => [k, 0.5 + k / 4]));

function build(hidden, variant) {
  const input = weft.input({ shape: [784] });
  const reg = variant === 'l2 regularizers' ? { kernelRegularizer: weft.regularizers.l2({ l2: 1e-3 }) } : {};
  let t = input;
  hidden.forEach((units, i) => (t = weft.layers.dense({ units, activation: 'relu', seed: i + 1, ...reg }).apply(t)));
  const out = weft.layers.dense({ units: 10, activation: 'softmax', seed: 99, ...reg }).apply(t);
  const model = weft.model({ inputs: input, outputs: out });
  model.compile({ optimizer: weft.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

const x = weft.tensor(
  Float32Array.from({ length: rows * 784 }, () => random() - 0.5),
  [rows, 784],
);
const y = weft.tensor(
  Int32Array.from({ length: rows }, () => Math.floor(random() * 10)),
  [rows],
);
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

for (const [name, hidden] of Object.entries(MODELS)) {
  const models = Object.fromEntries(VARIANTS.map((v) => [v, build(hidden, v)]));
  const fitArgs = (v) => ({ epochs: 1, batchSize, verbose: 0, ...(v === 'classWeight' ? { classWeight } : {}) });
  const dispatches = {};
  for (const v of VARIANTS) {
    await models[v].fit(x, y, fitArgs(v)); // warm-up: plans, pipelines, uploads
    const before = weft.snapshotCounters().dispatches;
    await models[v].fit(x, y, fitArgs(v));
    dispatches[v] = (weft.snapshotCounters().dispatches - before) / Math.ceil(rows / batchSize);
  }
  const times = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  for (let r = 0; r < repeats; r++)
    for (const v of r % 2 ? [...VARIANTS].reverse() : VARIANTS) {
      const t0 = performance.now();
      await models[v].fit(x, y, fitArgs(v));
      times[v].push((performance.now() - t0) / 1000);
    }
  console.log(`\n${name}, ${rows} samples, batch ${batchSize}, ${repeats} alternating repeats (median)`);
  for (const v of VARIANTS) {
    const s = median(times[v]);
    const ratio = median(times.plain) / s;
    console.log(`  ${v.padEnd(16)} ${(rows / s).toFixed(0).padStart(8)} samples/s  ×${ratio.toFixed(3)} of plain  ${dispatches[v].toFixed(2)} dispatches/step`);
  }
  for (const m of Object.values(models)) m.dispose();
}
process.exit(0);
