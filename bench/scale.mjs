// `node bench/scale.mjs [--quick] [--json out/scale.json]`: how weft's training cost scales, in Node
// on Dawn (dist/weft.node.js; SwiftShader without a GPU). Synthetic data; samples/s of one epoch
// of fit (after a warm-up fit on the same tensors, so uploads and pipelines are not counted), the
// planned GPU bytes of the training plan, µs per sample and the GFLOP/s it amounts to (forward +
// backward ≈ 3 × forward multiply-adds: where GFLOP/s holds steady, cost follows FLOPs). Sweeps: rows 5k → 1M, width
// 30 → 2,048, batch 32 → 4,096, depth 3 → 12 dense layers, parameters 25k → 10M, and fitDataset
// against fit on the same data.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const weft = await import(pathToFileURL(join(root, 'dist/weft.node.js')).href);
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const jsonAt = args.includes('--json') ? args[args.indexOf('--json') + 1] : null;
const gpu = await weft.getGpu();

let seed = 7;
const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296;

function data(rows, features) {
  const x = new Float32Array(rows * features);
  for (let i = 0; i < x.length; i++) x[i] = random() - 0.5;
  const y = Int32Array.from({ length: rows }, (_, r) => (x[r * features] > 0 ? 1 : 0));
  return { x: weft.tensor(x, [rows, features]), y: weft.tensor(y, [rows]) };
}

function build(features, hidden) {
  const input = weft.input({ shape: [features] });
  let t = input;
  hidden.forEach((units, i) => (t = weft.layers.dense({ units, activation: 'relu', seed: i + 1 }).apply(t)));
  const out = weft.layers.dense({ units: 10, activation: 'softmax', seed: 99 }).apply(t);
  const model = weft.model({ inputs: input, outputs: out });
  model.compile({ optimizer: weft.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

/** Multiply-adds per sample of forward + backward (≈ 3 × forward). */
function mflopPerSample(features, hidden) {
  const widths = [features, ...hidden, 10];
  let macs = 0;
  for (let i = 1; i < widths.length; i++) macs += widths[i - 1] * widths[i];
  return (2 * 3 * macs) / 1e6;
}

async function measure({ sweep, label, rows, features, hidden, batchSize, stream = false }) {
  const { x, y } = data(rows, features);
  const model = build(features, hidden);
  const explain = await model.explain(batchSize);
  let seconds;
  if (stream) {
    const xs = x.dataSync();
    const ys = y.dataSync();
    const batches = weft.data.generator(function* () {
      for (let s = 0; s < rows; s += batchSize) {
        const e = Math.min(rows, s + batchSize);
        yield { xs: weft.tensor(xs.slice(s * features, e * features), [e - s, features]), ys: weft.tensor(ys.slice(s, e), [e - s]) };
      }
    });
    await model.fitDataset(batches.take(2), { epochs: 1, verbose: 0 }); // warm-up: plans and pipelines
    const t0 = performance.now();
    await model.fitDataset(batches, { epochs: 1, verbose: 0 });
    seconds = (performance.now() - t0) / 1000;
  } else {
    // Warm-up: plans and pipelines (on one batch), and the upload (kept for the timed fit: tensors are uploaded once).
    const wx = weft.tensor(x.dataSync().slice(0, batchSize * features), [batchSize, features]);
    const wy = weft.tensor(y.dataSync().slice(0, batchSize), [batchSize]);
    await model.fit(wx, wy, { epochs: 1, batchSize, verbose: 0 });
    wx.dispose();
    wy.dispose();
    await model.evaluate(x, y, { batchSize }); // uploads x, y
    const t0 = performance.now();
    await model.fit(x, y, { epochs: 1, batchSize, verbose: 0 });
    seconds = (performance.now() - t0) / 1000;
  }
  const params = model.countParams();
  model.dispose();
  x.dispose();
  y.dispose();
  const perSample = seconds / rows;
  const mflop = mflopPerSample(features, hidden);
  const row = {
    sweep,
    label,
    rows,
    features,
    hidden: hidden.join('-'),
    batchSize,
    params,
    stream,
    samplesPerSecond: Math.round(rows / seconds),
    plannedBytes: explain.plannedBytes.train,
    usPerSample: +(perSample * 1e6).toFixed(1),
    mflopPerSample: +mflop.toFixed(3),
    gflops: +((mflop * rows) / seconds / 1e3).toFixed(2),
  };
  console.error(
    `[scale] ${sweep} ${label}: ${row.samplesPerSecond} samples/s, ${row.usPerSample} µs/sample, ${row.gflops} GFLOP/s, ${row.plannedBytes} B planned`,
  );
  return row;
}

const k = (n) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : `${n}`);
const cases = [];
// --quick fits a busy 2-core machine with SwiftShader (a few minutes); the full table wants a GPU.
const rowsSweep = quick ? [5_120, 51_200, 204_800] : [5_120, 51_200, 204_800, 1_024_000];
for (const rows of rowsSweep) cases.push({ sweep: 'rows', label: k(rows), rows, features: 32, hidden: [30, 30], batchSize: 256 });
const base = quick ? 2_048 : 16_384;
const small = quick ? 512 : 2_048;
for (const width of quick ? [30, 128, 512] : [30, 256, 1024, 2048])
  cases.push({ sweep: 'width', label: `${width}`, rows: width >= 512 ? small : base, features: 784, hidden: [width, width], batchSize: 256 });
for (const batchSize of quick ? [32, 256, 1024] : [32, 256, 1024, 4096])
  cases.push({ sweep: 'batch', label: `${batchSize}`, rows: Math.max(base, batchSize * 2), features: 784, hidden: [30, 30], batchSize });
for (const depth of [3, 6, 12])
  cases.push({ sweep: 'depth', label: `${depth} dense`, rows: base, features: 784, hidden: Array(depth - 1).fill(128), batchSize: 256 });
for (const [label, hidden] of quick
  ? [
      ['25k', [30, 30]],
      ['240k', [256, 128]],
    ]
  : [
      ['25k', [30, 30]],
      ['1M', [1024, 256]],
      ['10M', [2900, 2500]],
    ])
  cases.push({ sweep: 'params', label, rows: hidden[0] >= 1024 ? small : base, features: 784, hidden, batchSize: 256 });
for (const stream of [false, true])
  cases.push({ sweep: 'fitDataset', label: stream ? 'fitDataset' : 'fit', rows: base, features: 784, hidden: [30, 30], batchSize: 256, stream });

const results = [];
for (const c of cases) results.push(await measure(c));

const header = '| sweep | case | rows | params | batch | samples/s | µs / sample | MFLOP / sample | GFLOP/s | planned bytes |';
console.log(
  `weft scale table — ${gpu.adapterInfo.description || gpu.adapterInfo.vendor} (${gpu.cpuAdapter ? 'software adapter' : 'GPU'}), Node ${process.version}\n`,
);
console.log(header);
console.log('|---|---|---:|---:|---:|---:|---:|---:|');
for (const r of results)
  console.log(
    `| ${r.sweep} | ${r.label} | ${r.rows.toLocaleString('en')} | ${r.params.toLocaleString('en')} | ${r.batchSize} | ${r.samplesPerSecond.toLocaleString('en')} | ${r.usPerSample} | ${r.mflopPerSample} | ${r.gflops} | ${r.plannedBytes.toLocaleString('en')} |`,
  );
if (jsonAt) {
  mkdirSync(dirname(jsonAt), { recursive: true });
  writeFileSync(jsonAt, JSON.stringify({ adapter: gpu.adapterInfo, quick, results }, null, 1));
}
weft.resetGpu();
process.exit(0);
