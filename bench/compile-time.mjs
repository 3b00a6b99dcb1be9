#!/usr/bin/env node
// What a model's first calls cost before any step runs: pipeline compilation. In one Node process on Dawn
// (SwiftShader without a GPU), the article MLP: fit over N rows at batch 32 with validation (first call,
// then again), evaluate, and predict at several row counts; for each call its wall time and the pipelines
// it created (weft.snapshotCounters). Pipelines are cached per device by WGSL text, so each line shows what
// that call added. A second build (--b DIST) repeats the same calls in its own module instance.
//   node bench/compile-time.mjs [--rows 5000] [--predict 1,37,150,7] [--b DIST]
// On SwiftShader a pipeline compiles on the CPU (LLVM): 0.1–2 s each for weft's unrolled kernels.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: o } = parseArgs({
  options: {
    rows: { type: 'string', default: '5000' },
    predict: { type: 'string', default: '1,37,150,7' },
    b: { type: 'string' },
  },
});
const rows = Number(o.rows);
const predictRows = o.predict.split(',').map(Number);

async function measure(dist, label) {
  const weft = await import(pathToFileURL(join(dist, 'weft.node.js')).href);
  await weft.getGpu();
  let seed = 7;
  const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296;
  const pixels = (n) =>
    weft.tensor(
      Float32Array.from({ length: n * 784 }, () => Math.floor(random() * 256) / 255),
      [n, 784],
    );
  const x = pixels(rows);
  const y = weft.tensor(
    Int32Array.from({ length: rows }, () => Math.floor(random() * 10)),
    [rows],
  );
  const input = weft.input({ shape: [784] });
  const h1 = weft.layers.dense({ units: 30, activation: 'relu', seed: 1 }).apply(input);
  const h2 = weft.layers.dense({ units: 30, activation: 'relu', seed: 2 }).apply(h1);
  const out = weft.layers.dense({ units: 10, activation: 'softmax', seed: 3 }).apply(h2);
  const model = weft.model({ inputs: input, outputs: out });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const lines = [];
  const time = async (what, f) => {
    const before = weft.snapshotCounters().pipelineCreations;
    const t0 = performance.now();
    await f();
    lines.push({ what, ms: performance.now() - t0, pipelines: weft.snapshotCounters().pipelineCreations - before });
  };
  const fit = () => model.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0, validationData: [x, y] });
  await time(`fit ${rows} rows + validation (first)`, fit);
  await time(`fit ${rows} rows + validation (again)`, fit);
  await time(`evaluate ${rows} rows`, async () => void (await model.evaluate(x, y)));
  for (const n of predictRows) await time(`predict ${n} rows`, async () => void (await model.predict(pixels(n)).data()));
  model.dispose();
  weft.resetGpu();
  console.log(`${label}:`);
  for (const l of lines) console.log(`  ${l.what.padEnd(40)} ${l.ms.toFixed(0).padStart(6)} ms  ${String(l.pipelines).padStart(3)} pipelines`);
  const total = lines.reduce((a, l) => ({ ms: a.ms + l.ms, pipelines: a.pipelines + l.pipelines }), { ms: 0, pipelines: 0 });
  console.log(`  ${'all calls'.padEnd(40)} ${total.ms.toFixed(0).padStart(6)} ms  ${String(total.pipelines).padStart(3)} pipelines`);
}

await measure(join(root, 'dist'), `this build (${join(root, 'dist')})`);
if (o.b) await measure(o.b, `--b ${o.b}`);
process.exit(0);
