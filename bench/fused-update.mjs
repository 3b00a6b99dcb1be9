// The article MLP's first-layer weight gradient (785 × 30 from K = batch, bias row included) with the
// optimizer fused into its epilogue (MatmulKernel.update) against the plain gradient kernel and the
// separate four-wide optimizer kernel, alone in Node on Dawn (same SwiftShader as Chromium). This is
// the measurement behind fusedUpdatesWanted (src/runtime/device.ts): fused updates stay off on CPU
// adapters. From the repository root after a build:
//   node bench/fused-update.mjs [--batch 32] [--rounds 9] [--reps 20]
import { device, gpu, median, makeBuf, run, runtime, wgsl } from './matmul-variants/harness.mjs';

const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const batch = arg('batch', 32);
const rounds = arg('rounds', 9);
const reps = arg('reps', 20);
process.env.WALL = '1'; // wall clock per dispatch (harness.run)

const [M, N, K] = [784, 30, batch];
const P = (M + 1) * N + 2; // whole vec4s for the optimizer kernel
const buffers = new Map([
  ['x', makeBuf(K * M)],
  ['dz', makeBuf(K * N)],
  ['grads', makeBuf(P, false)],
  ['params', makeBuf(P)],
  ['state', makeBuf(2 * P)],
]);
const f32 = (name, size, role) => ({ name, elementType: 'f32', size, role });
const decls = {
  x: f32('x', K * M, 'arena'),
  dz: f32('dz', K * N, 'arena'),
  grads: f32('grads', P, 'grads'),
  params: f32('params', P, 'params'),
  state: f32('state', 2 * P, 'optimizerState'),
};
const gradient = {
  kind: 'matmul',
  name: 'first-layer weight gradient',
  m: M + 1,
  n: N,
  k: K,
  a: { buffer: 'x', offset: 0, rowStride: M, rows: K, cols: M },
  b: { buffer: 'dz', offset: 0, rowStride: N, rows: K, cols: N },
  transA: true,
  transB: false,
  aOnesRow: true,
  out: { buffer: 'grads', offset: 0, rowStride: N, rows: M + 1, cols: N },
};
const adam = { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
const kernels = {
  'gradient (stored)': gradient,
  'gradient + Adam fused': { ...gradient, update: { algorithm: adam, params: 'params', state: 'state', stateStride: P } },
  'gradient + SGD fused': { ...gradient, update: { algorithm: { kind: 'sgd' }, params: 'params', stateStride: P } },
  'Adam kernel (4-wide)': {
    kind: 'optimizer',
    name: 'adam',
    algorithm: adam,
    count: (M + 1) * N,
    params: 'params',
    grads: 'grads',
    state: 'state',
    stateStride: P,
  },
};
const steps = device.createBuffer({ size: 256, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
device.queue.writeBuffer(steps, 0, new Float32Array([0, 1, 0.001, 0.9, 0.999, 0]));
const variant = gpu.subgroups ? 'quadTiled' : 'registerTiled';
const programs = [];
for (const [name, desc] of Object.entries(kernels)) {
  const kernel = wgsl.generateKernel(desc, decls, desc.kind === 'matmul' ? { variant } : {});
  const t0 = performance.now();
  const program = await runtime.StepProgram.create(gpu, [kernel], buffers, steps);
  programs.push({ name, compileMs: performance.now() - t0, program: { encode: (pass) => program.encode(pass, 0) }, ms: [] });
}
for (let r = 0; r < rounds; r++) for (const p of programs) p.ms.push((await run(p.program, reps)) / reps);
console.log(`batch ${batch}, ${variant}, ${rounds} interleaved rounds of ${reps} dispatches; ms per dispatch`);
for (const p of programs)
  console.log(`${p.name.padEnd(24)} median ${median(p.ms).toFixed(3)}  best ${Math.min(...p.ms).toFixed(3)}  (pipeline ${p.compileMs.toFixed(0)} ms)`);
process.exit(0);
