#!/usr/bin/env node
// Two builds of weft (or one build under two settings) trained side by side in one Node process on Dawn
// (SwiftShader without a GPU): the same model and synthetic data, one epoch per fit, the two fits
// alternating round after round, so machine load hits both alike; prints each side's median samples/s and
// the paired ratio B ÷ A per round. For A/B decisions that the full bench's 3 repeats cannot resolve.
//   node bench/fit-pair.mjs --a DIST_A --b DIST_B [--model mlp|dropout|batchNorm|wideDeep] [--batch 32] [--rounds 15] [--rows 8192] [--bytes]
// --bytes: pixels k/255 (as Fashion-MNIST's: weft keeps them as bytes on the device) instead of any float in [0, 1).
//   node bench/fit-pair.mjs --env WEFT_FUSED_UPDATES    (this build; side A compiles with the variable 0, B with 1)
// DIST is a build's dist/ folder (e.g. a worktree of an older commit after `node scripts/build.mjs`).
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: o } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string' },
    env: { type: 'string' },
    model: { type: 'string', default: 'mlp' },
    batch: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '15' },
    rows: { type: 'string', default: '8192' },
    bytes: { type: 'boolean', default: false },
  },
});
const batchSize = Number(o.batch);
const rows = Number(o.rows);
const load = (dist) => import(pathToFileURL(join(dist ?? join(root, 'dist'), 'weft.node.js')).href);
// Two builds are two module instances, each with its own device on the adapter; one build is loaded once.
const builds = o.env ? [await load(undefined)] : [await load(o.a), await load(o.b)];
const sides = ['A', 'B'].map((name, i) => ({ name, weft: builds[Math.min(i, builds.length - 1)] }));

let seed = 7;
const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296;
const pixels = Float32Array.from({ length: rows * 784 }, () => (o.bytes ? Math.floor(random() * 256) / 255 : random()));
const labels = Int32Array.from({ length: rows }, () => Math.floor(random() * 10));

function build(weft) {
  const input = weft.input({ shape: [784] });
  let h = weft.layers.dense({ units: 30, activation: 'relu', seed: 1 }).apply(input);
  if (o.model === 'dropout') h = weft.layers.dropout({ rate: 0.2, seed: 4 }).apply(h);
  if (o.model === 'batchNorm') h = weft.layers.batchNormalization().apply(h);
  h = weft.layers.dense({ units: 30, activation: 'relu', seed: 2 }).apply(h);
  if (o.model === 'wideDeep') h = weft.layers.concatenate().apply([input, h]);
  else if (!['mlp', 'dropout', 'batchNorm'].includes(o.model)) throw new Error(`fit-pair: --model ${o.model} is not mlp, dropout, batchNorm or wideDeep`);
  const out = weft.layers.dense({ units: 10, activation: 'softmax', seed: 3 }).apply(h);
  const model = weft.model({ inputs: input, outputs: out });
  model.compile({ optimizer: weft.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

const fitArgs = { epochs: 1, batchSize, verbose: 0 };
for (const [i, side] of sides.entries()) {
  await side.weft.getGpu();
  side.model = build(side.weft);
  side.x = side.weft.tensor(pixels, [rows, 784]);
  side.y = side.weft.tensor(labels, [rows]);
  if (o.env) process.env[o.env] = String(i); // read when the first fit compiles the plan
  await side.model.fit(side.x, side.y, fitArgs); // warm-up: plans, pipelines, uploads
  const before = side.weft.snapshotCounters().dispatches;
  await side.model.fit(side.x, side.y, fitArgs);
  side.dispatches = (side.weft.snapshotCounters().dispatches - before) / Math.ceil(rows / batchSize);
  side.sps = [];
}
const ratios = [];
for (let r = 0; r < Number(o.rounds); r++) {
  const ms = [];
  for (const i of r % 2 ? [1, 0] : [0, 1]) {
    const t0 = performance.now();
    await sides[i].model.fit(sides[i].x, sides[i].y, fitArgs);
    ms[i] = performance.now() - t0;
    sides[i].sps.push((rows / ms[i]) * 1000);
  }
  ratios.push(ms[0] / ms[1]);
}
const median = (v) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];
const label = (i) => (o.env ? `${o.env}=${i}` : i === 0 ? o.a : o.b);
for (const [i, side] of sides.entries())
  console.log(`${side.name} (${label(i)}): ${Math.round(median(side.sps))} samples/s median, ${side.dispatches} dispatches per step`);
console.log(
  `${o.model} b${batchSize}, ${o.rounds} rounds of ${rows} rows: B ÷ A speed, paired per round: median ${median(ratios).toFixed(3)} [${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}]`,
);
process.exit(0);
