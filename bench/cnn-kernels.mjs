#!/usr/bin/env node
// The demo CNN's window kernels alone, in Node on Dawn (dist/weft-testing.node.js; SwiftShader without a
// GPU): each kernel generated from its KernelDesc at the model's sizes, run many times in one pass,
// ms per run (median of rounds; kernels alternate within a round so machine load hits them alike).
// For choosing kernel variants by measurement; the whole step is in `npm run bench -- --models cnn`.
// Each convolution also shows its multiply-add work (2·M·N·K of its implicit GEMM) as a fraction of
// the adapter's FMA peak (bench/gpu.ts measurePeak, best of runs before and after the rounds).
//   node bench/cnn-kernels.mjs [--batch 32] [--rounds 5] [--filters 16,32] [--only name,name] [--dist DIR]
//     [--variants registerTiled,quadTiled] [--quad 'R,Cl,W R,Cl,W']
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { median, timePass } from './timing.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: a } = parseArgs({
  options: {
    batch: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '5' },
    filters: { type: 'string', default: '16,32' },
    only: { type: 'string' },
    dist: { type: 'string' },
    separate: { type: 'boolean', default: false },
    'f32-arena': { type: 'boolean', default: false },
    // the conv kernels' code variants, each timed in the same rounds (quadTiled needs subgroups)
    variants: { type: 'string', default: 'registerTiled,quadTiled' },
    // quadTiled blocks 'R,Cl,W R,Cl,W' (rows, column groups, workgroup size), each timed as a variant
    quad: { type: 'string' },
  },
});
const batch = Number(a.batch);
const [f1, f2] = a.filters.split(',').map(Number);
// --dist DIR: another build's dist/ (e.g. main's) to compare with
const dist = a.dist ?? join(root, 'dist');
const t = await import(pathToFileURL(join(dist, 'weft-testing.node.js')).href);
const { measurePeak } = await import(pathToFileURL(join(dist, 'weft-bench.js')).href);
const { wgsl, runtime } = t;
const gpu = await runtime.getGpu();
const device = gpu.device;

// 'valid' windows, as the demo's layers
const geom = (batch, inH, inW, k, s) => {
  const outH = Math.floor((inH - k) / s) + 1;
  const outW = Math.floor((inW - k) / s) + 1;
  return { batch, inH, inW, outH, outW, kernelH: k, kernelW: k, strideH: s, strideW: s, padTop: 0, padLeft: 0 };
};
// As in a training plan: activations, their gradients and outputs share one arena (read-write, so
// read as f32 there), weights and weight gradients have buffers of their own.
const OFFSETS = { x: 0, dy: 1024 * 1024, out: 2 * 1024 * 1024 };
// --separate: each kernel also with every activation in a buffer of its own (read-only unless
// written), to see what reading from the written arena costs; both layouts in the same rounds.
let separate = false;
const view = (name, rows, cols) =>
  name in OFFSETS && !separate
    ? { buffer: 'arena', offset: OFFSETS[name], rowStride: cols, rows, cols }
    : { buffer: name, offset: 0, rowStride: cols, rows, cols };

// conv1: 28×28×1 → 26×26×f1; pool1 → 13×13; conv2: → 11×11×f2; pool2 → 5×5.
const g1 = geom(batch, 28, 28, 3, 1, 'valid');
const p1 = geom(batch, 26, 26, 2, 2, 'valid');
const g2 = geom(batch, 13, 13, 3, 1, 'valid');
const p2 = geom(batch, 11, 11, 2, 2, 'valid');
const px = (g) => g.batch * g.inH * g.inW;
const po = (g) => g.batch * g.outH * g.outW;
const convs = [
  ['conv1', g1, 1, f1],
  ['conv2', g2, f1, f2],
];
const kernels = [];
for (const layout of a.separate ? [false, true] : [false]) {
  separate = layout;
  const suffix = layout ? ' (separate buffers)' : '';
  for (const [name, g, cin, cout] of convs) {
    const taps = 9 * cin;
    kernels.push({
      kind: 'conv2d',
      name: `${name} forward${suffix}`,
      pass: 'forward',
      geometry: g,
      inC: cin,
      outC: cout,
      a: view('x', px(g), cin),
      b: view('w', taps, cout),
      bias: view('bias', 1, cout),
      activation: 'relu',
      out: view('out', po(g), cout),
    });
    if (name !== 'conv1')
      kernels.push({
        kind: 'conv2d',
        name: `${name} inputGrad${suffix}`,
        pass: 'inputGrad',
        geometry: g,
        inC: cin,
        outC: cout,
        a: view('dy', po(g), cout),
        b: view('w', taps, cout),
        gradMask: { activation: 'relu', y: view('x', px(g), cin) },
        out: view('out', px(g), cin),
      });
    kernels.push({
      kind: 'conv2d',
      name: `${name} filterGrad${suffix}`,
      pass: 'filterGrad',
      geometry: g,
      inC: cin,
      outC: cout,
      a: view('x', px(g), cin),
      b: view('dy', po(g), cout),
      aOnesRow: true,
      out: view('grads', taps + 1, cout),
    });
  }
  for (const [name, g, c] of [
    ['pool1', p1, f1],
    ['pool2', p2, f2],
  ]) {
    kernels.push({
      kind: 'pool2d',
      name: `${name} forward${suffix}`,
      mode: 'max',
      geometry: g,
      channels: c,
      x: view('x', px(g), c),
      out: view('out', po(g), c),
    });
    // the relu of the convolution before it folded in (fusePoolGradMask; older builds ignore gradMask)
    kernels.push({
      kind: 'pool2d',
      name: `${name} gradient${suffix}`,
      mode: 'max',
      geometry: g,
      channels: c,
      x: view('x', px(g), c),
      dy: view('dy', po(g), c),
      gradMask: { activation: 'relu', y: view('x', px(g), c) },
      out: view('out', px(g), c),
    });
  }
}
const only = a.only ? a.only.split(',') : null;
const chosen = kernels.filter((k) => !only || only.some((o) => k.name.includes(o)));

const SIZE = 4 * 1024 * 1024; // elements per buffer: enough for every view at batch ≤ 256
const bufferNames = ['arena', 'w', 'bias', 'grads', 'x', 'dy', 'out'];
const decls = {};
const buffers = new Map();
for (const name of bufferNames) {
  decls[name] = { name, elementType: 'f32', size: SIZE, role: 'arena' };
  const b = runtime.createBuffer(gpu, { size: SIZE * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, label: name });
  const v = new Float32Array(SIZE);
  for (let i = 0; i < SIZE; i++) v[i] = Math.sin(i * 12.9898) * 0.5;
  runtime.writeBuffer(gpu, b, 0, v);
  buffers.set(name, b);
}
const steps = runtime.createBuffer(gpu, { size: 256, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'steps' });
// --f32-arena: each kernel also generated over an arena declared one element longer (not a multiple
// of 4), which keeps it array<f32>: four-wide arena loads against one-at-a-time, in the same rounds.
const programs = [];
// --quad 'R,Cl,W R,Cl,W': quadTiled with these blocks and workgroup sizes, each a variant of its own
const quadChoices = a.quad ? a.quad.split(' ').map((q) => q.split(',').map(Number)) : [];
const variants = [
  ...a.variants.split(',').filter((v) => v !== 'quadTiled' || gpu.subgroups),
  ...(gpu.subgroups ? quadChoices.map(([r, cl, w]) => `quadTiled(${r}x${cl}/${w})`) : []),
];
const options = (variant) => {
  const m = variant.match(/^quadTiled\((\d+)x(\d+)\/(\d+)\)$/);
  return m ? { variant: 'quadTiled', quad: { block: [Number(m[1]), Number(m[2])], workgroupSize: Number(m[3]) } } : { variant };
};
// The implicit GEMM's multiply-adds (pooling: none counted).
const flopsOf = (desc) => {
  if (desc.kind !== 'conv2d') return 0;
  const g = desc.geometry;
  const taps = g.kernelH * g.kernelW;
  const outPx = g.batch * g.outH * g.outW;
  return 2 * outPx * taps * desc.inC * desc.outC;
};
for (const desc of chosen) {
  // pooling kernels have one code variant
  for (const variant of desc.kind === 'conv2d' ? variants : [variants[0]]) {
    const kernel = wgsl.generateKernel(desc, decls, options(variant));
    const name = desc.kind === 'conv2d' && variants.length > 1 ? `${desc.name} [${variant}]` : desc.name;
    programs.push({ desc: { ...desc, name }, kernel, program: await runtime.StepProgram.create(gpu, [kernel], buffers, steps) });
  }
  if (a['f32-arena']) {
    const odd = { ...decls, arena: { ...decls.arena, size: SIZE - 3 } };
    const k32 = wgsl.generateKernel(desc, odd, { variant: 'registerTiled' });
    programs.push({ desc: { ...desc, name: `${desc.name} (f32 arena)` }, kernel: k32, program: await runtime.StepProgram.create(gpu, [k32], buffers, steps) });
  }
}
const run = async (program, reps) => (await timePass(device, (pass) => program.encode(pass, 0), reps)).wall;
const peaks = [(await measurePeak(device, 1)).gflops];
const times = new Map(programs.map((p) => [p.desc.name, []]));
for (const p of programs) await run(p.program, 1);
for (let r = 0; r < Number(a.rounds); r++)
  for (const p of programs) {
    const reps = 3;
    times.get(p.desc.name).push((await run(p.program, reps)) / reps);
  }
peaks.push((await measurePeak(device, 1)).gflops);
const peak = Math.max(...peaks);
const totals = new Map();
console.log(
  `batch ${batch}, filters ${f1},${f2}; ms per kernel run (median of ${a.rounds} rounds); FMA peak ${peak.toFixed(2)} GFLOP/s (${peaks.map((p) => p.toFixed(2)).join(', ')})`,
);
for (const p of programs) {
  const ms = median(times.get(p.desc.name));
  const variant = p.desc.name.match(/\[([^\]]+)\]$/)?.[1] ?? 'all';
  totals.set(variant, (totals.get(variant) ?? 0) + ms);
  const flops = flopsOf(p.desc);
  const ofPeak = flops ? `${((100 * flops) / (ms * 1e6) / peak).toFixed(1).padStart(5)}% of peak` : '';
  console.log(
    `${p.desc.name.padEnd(48)} ${ms.toFixed(2).padStart(8)} ms  ${(flops / 1e6).toFixed(1).padStart(6)} MFLOP ${ofPeak.padStart(15)}  workgroups ${p.kernel.workgroups.join('×')}`,
  );
}
for (const [variant, total] of totals) console.log(`${`sum ${variant}`.padEnd(48)} ${total.toFixed(2).padStart(8)} ms`);
process.exit(0);
