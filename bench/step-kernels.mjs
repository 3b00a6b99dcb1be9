#!/usr/bin/env node
// The article MLP's small per-step kernels alone, in Node on Dawn (dist/weft-testing.node.js;
// SwiftShader without a GPU): the optimizer over its 24,790 parameters in each layout and shape, the
// batch gather, the loss head (both reductions), and the smallest possible dispatch (what any dispatch costs). Each kernel runs many
// times in one pass; ms per run, median of rounds, kernels alternating within a round so that machine
// load hits them alike. For choosing kernel shapes by measurement; the whole step is in
// `npm run bench -- --cases profile`.
//   node bench/step-kernels.mjs [--rounds 7] [--reps 20] [--only name,name] [--dist DIR] [--baseline DIR]
// --baseline DIR: another build's dist/ (e.g. main's); its generator's gather and optimizer join the
// same rounds, run by this build's runtime.
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createFilledBuffers, median, timePass } from './timing.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: a } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    reps: { type: 'string', default: '20' },
    batch: { type: 'string', default: '32' },
    only: { type: 'string' },
    dist: { type: 'string' },
    baseline: { type: 'string' },
  },
});
const t = await import(pathToFileURL(join(a.dist ?? join(root, 'dist'), 'weft-testing.node.js')).href);
const { wgsl, runtime } = t;
const gpu = await runtime.getGpu();
const device = gpu.device;

const COUNT = 784 * 30 + 30 + 30 * 30 + 30 + 30 * 10 + 10; // the article MLP's parameters
const PADDED = Math.ceil(COUNT / 4) * 4;
const batch = Number(a.batch);
const ROWS = 1024; // dataset rows the gather picks from
const f32 = (name, size, role) => ({ name, elementType: 'f32', size, role });
const decls = {
  params: f32('params', PADDED, 'params'),
  grads: f32('grads', PADDED, 'grads'),
  state: f32('state', 2 * PADDED, 'optimizerState'),
  // main's layout: gradients and state arrays exactly `COUNT` long (one parameter per load)
  gradsExact: f32('gradsExact', COUNT, 'grads'),
  stateExact: f32('stateExact', 2 * COUNT, 'optimizerState'),
  arena: f32('arena', 256 * 1024, 'arena'),
  indices: { name: 'indices', elementType: 'u32', size: ROWS, role: 'indices' },
  pixels: { name: 'pixels', elementType: 'u8', size: ROWS * 784, role: 'dataset' },
  labels: { name: 'labels', elementType: 'u8', size: ROWS, role: 'labels' },
  metrics: f32('metrics', 4, 'metrics'),
};
const adam = { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
const optimizer = (grads, state, stateStride) => ({
  kind: 'optimizer',
  name: 'adam',
  algorithm: adam,
  count: COUNT,
  params: 'params',
  grads,
  state,
  stateStride,
});

const kernels = [];
kernels.push(['adam 1 per load (main)', wgsl.generateOptimizer(optimizer('gradsExact', 'stateExact', COUNT), decls)]);
for (const workgroupSize of [64, 256])
  for (const perInvocation of [1, 2, 8])
    kernels.push([
      `adam scalar wg${workgroupSize} ×${perInvocation}`,
      wgsl.generateOptimizer(optimizer('gradsExact', 'stateExact', COUNT), decls, { workgroupSize, perInvocation }),
    ]);
for (const workgroupSize of [64, 256])
  for (const perInvocation of [1, 2, 4, 8])
    kernels.push([
      `adam vec4 wg${workgroupSize} ×${perInvocation}`,
      wgsl.generateOptimizer(optimizer('grads', 'state', PADDED), decls, { workgroupSize, perInvocation }),
    ]);
const gatherDescs = [
  {
    kind: 'gather',
    name: 'gather',
    rows: batch,
    indices: 'indices',
    sources: [{ dataset: 'pixels', elementType: 'u8', scale: 1 / 255, out: { buffer: 'arena', offset: 0, rowStride: 784, rows: batch, cols: 784 } }],
  },
];
kernels.push([`gather b${batch} u8 784`, wgsl.generateKernel(gatherDescs[0], decls)]);
// The article's loss head (softmax cross-entropy over 10 classes, its gradient, accuracy), summing
// its totals after a workgroup barrier (64 invocations) or in one quad with subgroupAdd.
const head = {
  kind: 'lossHead',
  name: 'head',
  loss: 'softmaxCrossEntropy',
  rows: batch,
  cols: 10,
  input: { buffer: 'arena', offset: 0, rowStride: 10, rows: batch, cols: 10 },
  target: { sparse: true, labels: 'labels', indices: 'indices' },
  gradOut: { buffer: 'arena', offset: batch * 10, rowStride: 10, rows: batch, cols: 10 },
  gradScale: 1 / batch,
  metricsBuffer: 'metrics',
  lossSlot: 0,
  metrics: [{ kind: 'sparseCategoricalAccuracy', slot: 1 }],
};
kernels.push([`loss head b${batch} (64, barrier)`, wgsl.generateKernel(head, decls)]);
kernels.push([`loss head b${batch} (one quad)`, wgsl.generateKernel(head, decls, { quadReduction: true })]);
// The smallest dispatch: one workgroup copying one element (what every dispatch costs at least).
kernels.push([
  'one-element copy',
  wgsl.generateKernel(
    {
      kind: 'elementwise',
      name: 'copy',
      rows: 1,
      cols: 1,
      expr: { op: 'read', view: { buffer: 'arena', offset: 0, rowStride: 1, rows: 1, cols: 1 } },
      out: { buffer: 'arena', offset: 8, rowStride: 1, rows: 1, cols: 1 },
    },
    decls,
  ),
]);
if (a.baseline) {
  const base = (await import(pathToFileURL(join(a.baseline, 'weft-testing.node.js')).href)).wgsl;
  kernels.push(['adam (baseline build)', base.generateKernel(optimizer('gradsExact', 'stateExact', undefined), decls)]);
  kernels.push([`gather b${batch} (baseline build)`, base.generateKernel(gatherDescs[0], decls)]);
}
const only = a.only ? a.only.split(',') : null;
const chosen = kernels.filter(([name]) => !only || only.some((o) => name.includes(o)));

const buffers = createFilledBuffers(runtime, gpu, decls, (name, d, words) => {
  if (d.elementType === 'u32') for (let i = 0; i < words.length; i++) words[i] = (i * 7919) % ROWS;
  else if (name === 'labels') new Uint8Array(words.buffer).forEach((_, i, bytes) => (bytes[i] = i % 10));
  else {
    const v = new Float32Array(words.buffer);
    // positive values: second moments stay valid for Adam
    for (let i = 0; i < v.length; i++) v[i] = 0.25 + 0.5 * Math.abs(Math.sin(i * 12.9898));
  }
});
const steps = runtime.createBuffer(gpu, { size: 256, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'steps' });
// Step record 0: rowBase 0, t 0 (u32 zeros), learning rate, β1ᵗ, β2ᵗ, seed 0.
runtime.writeBuffer(gpu, steps, 0, new Float32Array([0, 0, 0.001, 0.9, 0.999, 0]));
const programs = [];
for (const [name, kernel] of chosen) programs.push({ name, kernel, program: await runtime.StepProgram.create(gpu, [kernel], buffers, steps) });

const reps = Number(a.reps);
const run = (program, n) => timePass(device, (pass) => program.encode(pass, 0), n);
// CPU time of this process (SwiftShader runs in it): less sensitive to other jobs on the machine than wall time.
const times = new Map(programs.map((p) => [p.name, { wall: [], cpu: [] }]));
for (const p of programs) await run(p.program, 1);
for (let r = 0; r < Number(a.rounds); r++)
  for (const p of programs) {
    const { wall, cpu } = await run(p.program, reps);
    times.get(p.name).wall.push(wall / reps);
    times.get(p.name).cpu.push(cpu / reps);
  }
const min = (xs) => Math.min(...xs);
console.log(
  `ms per kernel run: wall time (median and best of ${a.rounds} rounds of ${reps} runs in one pass; the best is the least disturbed by other jobs) and CPU time of this process (median; SwiftShader's threads run in it, spinning included); ${COUNT} parameters, batch ${batch}`,
);
for (const p of programs) {
  const { wall, cpu } = times.get(p.name);
  console.log(
    `${p.name.padEnd(28)} wall ${median(wall).toFixed(3).padStart(7)} ms  best ${min(wall).toFixed(3).padStart(7)} ms  cpu ${median(cpu).toFixed(3).padStart(7)} ms  workgroups ${p.kernel.workgroups.join('×')}`,
  );
}
process.exit(0);
