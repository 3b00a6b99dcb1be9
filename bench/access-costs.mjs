#!/usr/bin/env node
// What one memory access costs on this adapter, in Node on Dawn (SwiftShader without a GPU): raw WGSL
// kernels that each make 2^20 lane-reads of f32 (64 per invocation, 16,384 invocations) in different
// ways, timed in interleaved rounds, less an arithmetic-only kernel with the same loop. For choosing how
// weft's kernels declare and touch memory (src/wgsl/views.ts); results in bench/README.md.
//   node bench/access-costs.mjs [--rounds 9] [--reps 10] [--dist DIR]
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { median, timePass } from './timing.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: a } = parseArgs({ options: { rounds: { type: 'string', default: '9' }, reps: { type: 'string', default: '10' }, dist: { type: 'string' } } });
const { runtime } = await import(pathToFileURL(join(a.dist ?? join(root, 'dist'), 'weft-testing.node.js')).href);
const device = (await runtime.getGpu()).device;

const N = 1 << 20; // floats in the source buffer
const INVOCATIONS = 16384;
const PER_INVOCATION = 64; // f32 values read per invocation
const header = (source) => `@group(0) @binding(0) var<storage, read> a: ${source};
@group(0) @binding(1) var<storage, read_write> b: array<f32>;`;
const loop = (read, n = PER_INVOCATION, zero = '0.0') => `var s = ${zero}; for (var j = 0u; j < ${n}u; j++) { s += ${read}; }`;
// Lane i reads element i + j·16384 at step j: neighbouring lanes read neighbouring words.
const KERNELS = {
  'f32, runtime-sized array': `${header('array<f32>')}
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  ${loop('a[g.x + j * 16384u]')} b[g.x] = s; }`,
  'f32, fixed-size array': `${header(`array<f32, ${N}>`)}
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  ${loop('a[g.x + j * 16384u]')} b[g.x] = s; }`,
  'vec4, runtime-sized array': `${header('array<vec4<f32>>')}
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  ${loop('a[g.x + j * 16384u]', PER_INVOCATION / 4, 'vec4(0.0)')} b[g.x] = s.x + s.y + s.z + s.w; }`,
  'vec4, fixed-size array': `${header(`array<vec4<f32>, ${N / 4}>`)}
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  ${loop('a[g.x + j * 16384u]', PER_INVOCATION / 4, 'vec4(0.0)')} b[g.x] = s.x + s.y + s.z + s.w; }`,
  // A mat4x4 is 16 floats in one access expression (one index, one bounds clamp).
  'mat4x4, fixed-size array': `${header(`array<mat4x4<f32>, ${N / 16}>`)}
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  var s = vec4(0.0); for (var j = 0u; j < ${PER_INVOCATION / 16}u; j++) { let m = a[g.x + j * 16384u]; s += m[0] + m[1] + m[2] + m[3]; } b[g.x] = s.x + s.y + s.z + s.w; }`,
  // The same from a read_write binding (the optimizer's parameters and state are bound so).
  'vec4, fixed-size read_write': `@group(0) @binding(0) var<storage, read_write> a: array<vec4<f32>, ${N / 4}>;
@group(0) @binding(1) var<storage, read_write> b: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  ${loop('a[g.x + j * 16384u]', PER_INVOCATION / 4, 'vec4(0.0)')} b[g.x] = s.x + s.y + s.z + s.w; }`,
  'vec2, fixed-size array': `${header(`array<vec2<f32>, ${N / 2}>`)}
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  ${loop('a[g.x + j * 16384u]', PER_INVOCATION / 2, 'vec2(0.0)')} b[g.x] = s.x + s.y; }`,
  // Writes: 64 per invocation into a second buffer, same pattern (each counted as one read below).
  'f32 stores, fixed-size array': `${header(`array<f32, ${N}>`)}
@group(0) @binding(2) var<storage, read_write> c: array<f32, ${N}>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let x = a[g.x]; for (var j = 0u; j < ${PER_INVOCATION}u; j++) { c[g.x + j * 16384u] = x + f32(j); } b[g.x] = x; }`,
  'vec4 stores, fixed-size array': `${header(`array<f32, ${N}>`)}
@group(0) @binding(2) var<storage, read_write> c: array<vec4<f32>, ${N / 4}>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let x = a[g.x]; for (var j = 0u; j < ${PER_INVOCATION / 4}u; j++) { c[g.x + j * 16384u] = vec4(x + f32(j)); } b[g.x] = x; }`,
  'mat4x4 stores, fixed-size array': `${header(`array<f32, ${N}>`)}
@group(0) @binding(2) var<storage, read_write> c: array<mat4x4<f32>, ${N / 16}>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let x = a[g.x]; for (var j = 0u; j < ${PER_INVOCATION / 16}u; j++) { let v = vec4(x + f32(j)); c[g.x + j * 16384u] = mat4x4<f32>(v, v, v, v); } b[g.x] = x; }`,
  'f32 through atomicLoad': `@group(0) @binding(0) var<storage, read_write> a: array<atomic<u32>>;
@group(0) @binding(1) var<storage, read_write> b: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  ${loop('bitcast<f32>(atomicLoad(&a[g.x + j * 16384u]))')} b[g.x] = s; }`,
  'f32 from workgroup memory': `${header('array<f32>')}
var<workgroup> w: array<f32, 1024>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(local_invocation_index) l: u32) {
  w[l] = a[g.x];
  ${loop('w[(l + j * 16u) & 1023u]')} b[g.x] = s; }`,
  'arithmetic only (subtracted)': `${header('array<f32>')}
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  var s = a[g.x]; for (var j = 0u; j < ${PER_INVOCATION}u; j++) { s += f32(g.x + j * 16384u); } b[g.x] = s; }`,
  // One workgroupBarrier per workgroup against the same exchange without one (per-workgroup cost).
  'one barrier per workgroup': `${header('array<f32>')}
var<workgroup> w: array<f32, 64>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(local_invocation_index) l: u32) {
  w[l] = a[g.x]; workgroupBarrier(); b[g.x] = w[63u - l]; }`,
  'no barrier (control)': `${header('array<f32>')}
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(local_invocation_index) l: u32) {
  b[g.x] = a[g.x + 63u - 2u * l]; }`,
};

const source = device.createBuffer({ size: N * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
const out = device.createBuffer({ size: INVOCATIONS * 4, usage: GPUBufferUsage.STORAGE });
const sink = device.createBuffer({ size: N * 4, usage: GPUBufferUsage.STORAGE });
device.queue.writeBuffer(
  source,
  0,
  Float32Array.from({ length: N }, (_, i) => i % 97),
);
const pipelines = [];
device.pushErrorScope('validation');
for (const [name, code] of Object.entries(KERNELS)) {
  const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } });
  const used = code.includes('binding(2)') ? [source, out, sink] : [source, out];
  const entries = used.map((buffer, binding) => ({ binding, resource: { buffer } }));
  pipelines.push({ name, pipeline, group: device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }) });
}
const error = await device.popErrorScope();
if (error) throw new Error(`access-costs: ${error.message}`);

const run = async ({ pipeline, group }, reps) => {
  const encode = (pass, rep) => {
    if (rep === 0) {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
    }
    pass.dispatchWorkgroups(INVOCATIONS / 64);
  };
  return (await timePass(device, encode, reps)).wall / reps;
};
const times = new Map(pipelines.map((p) => [p.name, []]));
for (const p of pipelines) await run(p, 1);
for (let r = 0; r < Number(a.rounds); r++) for (const p of pipelines) times.get(p.name).push(await run(p, Number(a.reps)));
const ms = Object.fromEntries([...times].map(([name, t]) => [name, median(t)]));
const arithmetic = ms['arithmetic only (subtracted)'];
const reads = INVOCATIONS * PER_INVOCATION;
console.log(`median of ${a.rounds} rounds, ${a.reps} dispatches each; ns per f32 read per lane = (kernel − arithmetic only) ÷ 2^20, wall clock over all cores`);
for (const [name, t] of Object.entries(ms)) {
  const perRead = name.includes('barrier') || name.startsWith('arithmetic') ? '' : `${(((t - arithmetic) * 1e6) / reads).toFixed(2).padStart(6)} ns per read`;
  console.log(`${name.padEnd(30)} ${t.toFixed(3).padStart(8)} ms  ${perRead}`);
}
const barrier = ms['one barrier per workgroup'] - ms['no barrier (control)'];
console.log(`a workgroupBarrier (with its workgroup-memory exchange): ${((barrier * 1e3) / (INVOCATIONS / 64)).toFixed(1)} µs per workgroup`);
process.exit(0);
