#!/usr/bin/env node
// Wide & deep's products over its input rows read by index, alone, in Node on Dawn (dist/weft-testing.node.js;
// SwiftShader without a GPU): the first layer (32 × 30 × 784, bias, relu) and the output layer's input part
// (32 × 10 × 784, bias) side by side as two kernels in one dispatch (generateGroup) against one kernel computing
// both (generateProductsSharingA, src/wgsl/sharedOperand.ts), and likewise their weight gradients (785 × 30 and
// 784 × 10 from K = 32). Each dispatch runs many times in one pass; ms per run, median and best of the rounds,
// the variants alternating within a round. The first layer alone shows what the second product adds.
//   node bench/shared-operand.mjs [--rounds 9] [--reps 20] [--batch 32]
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createFilledBuffers, median, timePass } from './timing.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: o } = parseArgs({
  options: { rounds: { type: 'string', default: '15' }, reps: { type: 'string', default: '20' }, batch: { type: 'string', default: '32' } },
});
const { wgsl, runtime } = await import(pathToFileURL(join(root, 'dist', 'weft-testing.node.js')).href);
const gpu = await runtime.getGpu();
const B = Number(o.batch);
const ROWS = 1024; // dataset rows the indices pick from
const f32 = (name, size, role) => ({ name, elementType: 'f32', size, role });
const decls = {
  params: f32('params', 40000, 'params'),
  grads: f32('grads', 40000, 'grads'),
  arena: f32('arena', 64 * 1024, 'arena'),
  indices: { name: 'indices', elementType: 'u32', size: ROWS, role: 'indices' },
  pixels: { name: 'pixels', elementType: 'u8', size: ROWS * 784, role: 'dataset' },
};
const view = (buffer, offset, rowStride, rows, cols) => ({ buffer, offset, rowStride, rows, cols });
const X = { ...view('pixels', 0, 784, B, 784), gathered: { indices: 'indices', scale: 1 / 255 } };
const product = (name, o) => ({ kind: 'matmul', name, a: X, transA: false, transB: false, ...o });
const first = product('first layer', {
  m: B,
  n: 30,
  k: 784,
  b: view('params', 0, 30, 784, 30),
  bias: view('params', 23520, 30, 1, 30),
  activation: 'relu',
  out: view('arena', 0, 30, B, 30),
});
const inputPart = product('output input part', {
  m: B,
  n: 10,
  k: 784,
  b: view('params', 24000, 10, 784, 10),
  bias: view('params', 32000, 10, 1, 10),
  out: view('arena', 30 * B, 10, B, 10),
});
const firstGrad = product('first layer gradient', {
  m: 785,
  n: 30,
  k: B,
  transA: true,
  aOnesRow: true,
  b: view('arena', 0, 30, B, 30),
  out: view('grads', 0, 30, 785, 30),
});
const inputPartGrad = product('input part gradient', {
  m: 784,
  n: 10,
  k: B,
  transA: true,
  b: view('arena', 30 * B, 10, B, 10),
  out: view('grads', 24000, 10, 784, 10),
});
const quad = (desc) => wgsl.generateKernel(desc, decls, { variant: 'quadTiled' });
const kernels = [
  ['forward: first layer alone', quad(first)],
  ['forward: two kernels side by side', wgsl.generateGroup([quad(first), quad(inputPart)])],
  ['forward: one kernel (shared A)', wgsl.generateProductsSharingA([first, inputPart], decls)],
  ['gradient: first layer alone', quad(firstGrad)],
  ['gradient: two kernels side by side', wgsl.generateGroup([quad(inputPartGrad), quad(firstGrad)])],
  ['gradient: one kernel (shared A)', wgsl.generateProductsSharingA([inputPartGrad, firstGrad], decls)],
];

const buffers = createFilledBuffers(runtime, gpu, decls, (_, d, words) => {
  if (d.elementType === 'u32') for (let i = 0; i < words.length; i++) words[i] = (i * 7919) % ROWS;
  else if (d.elementType === 'u8') for (let i = 0; i < words.length; i++) words[i] = Math.imul(i, 2654435761) >>> 0;
  else new Float32Array(words.buffer).forEach((_, i, v) => (v[i] = 0.25 + 0.5 * Math.abs(Math.sin(i * 12.9898))));
});
const steps = runtime.createBuffer(gpu, { size: 256, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'steps' });
runtime.writeBuffer(gpu, steps, 0, new Uint32Array(64));
const programs = [];
for (const [name, kernel] of kernels) programs.push({ name, kernel, program: await runtime.StepProgram.create(gpu, [kernel], buffers, steps) });
const reps = Number(o.reps);
const run = (program, n) => timePass(gpu.device, (pass) => program.encode(pass, 0), n);
for (const p of programs) await run(p.program, 1);
const times = new Map(programs.map((p) => [p.name, []]));
for (let r = 0; r < Number(o.rounds); r++) for (const p of programs) times.get(p.name).push((await run(p.program, reps)).wall / reps);
console.log(`ms per dispatch (wall; median and best of ${o.rounds} rounds of ${reps} runs in one pass), batch ${B}, u8 rows read by index`);
for (const p of programs) {
  const t = times.get(p.name);
  console.log(
    `${p.name.padEnd(36)} ${median(t).toFixed(3).padStart(7)}  best ${Math.min(...t)
      .toFixed(3)
      .padStart(7)}  workgroups ${p.kernel.workgroups[0]}`,
  );
}
process.exit(0);
