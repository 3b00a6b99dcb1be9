#!/usr/bin/env node
// Where the Adam kernel's time goes on this adapter: raw WGSL variants of weft's optimizer kernel over
// the article MLP's 24,790 parameters (padded to 6,200 vec4s), each dispatched many times in one pass
// (bench/timing.mjs), in interleaved rounds. Not weft's code path: for deciding src/wgsl/optimizer.ts.
//   node bench/adam-variants.mjs [--rounds 9] [--reps 200]
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { median, timePass } from './timing.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: a } = parseArgs({ options: { rounds: { type: 'string', default: '9' }, reps: { type: 'string', default: '200' } } });
const { runtime } = await import(pathToFileURL(join(root, 'dist', 'weft-testing.node.js')).href);
const device = (await runtime.getGpu()).device;

const V = 6200; // vec4s: 775 invocations × 8
const COUNT = 24790;
const decl = (interleaved) => `@group(0) @binding(0) var<storage, read_write> p: array<vec4<f32>, ${V}>;
@group(0) @binding(1) var<storage, read> g: array<vec4<f32>, ${V}>;
@group(0) @binding(2) var<storage, read_write> s: array<vec4<f32>, ${2 * V}>;
const b1 = 0.9; const b2 = 0.999; const stepSize = 0.001; const eps = 1e-7;${interleaved ? '' : ''}`;
const update = `  let m = b1 * m0 + (1.0 - b1) * gv;
  let v = b2 * v0 + (1.0 - b2) * gv * gv;`;
const KERNELS = {
  // weft's kernel today: 8 per invocation, a bound check that returns, a select keeping the padding.
  'weft today (guard + select)': `${decl()}
@compute @workgroup_size(64) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let gidx = wid.x * 64u + lidx;
  if (gidx >= 775u) { return; }
  for (var q = 0u; q < 8u; q = q + 1u) {
    let j = gidx + q * 775u;
    if (j >= 6198u) { return; }
    let e = vec4<u32>(j * 4u) + vec4<u32>(0u, 1u, 2u, 3u);
    let pv = p[j]; let gv = g[j]; let live = e < vec4<u32>(${COUNT}u);
    let m0 = s[j]; let v0 = s[j + ${V}u];
${update}
    s[j] = select(m0, m, live); s[j + ${V}u] = select(v0, v, live);
    p[j] = select(pv, pv - stepSize * m / (sqrt(v) + eps), live);
  }
}`,
  // Padding that stays zero (g = m = v = 0 leaves p at 0): no guard inside the loop, no select.
  'no guard, no select': `${decl()}
@compute @workgroup_size(64) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let gidx = wid.x * 64u + lidx;
  if (gidx >= 775u) { return; }
  for (var q = 0u; q < 8u; q = q + 1u) {
    let j = gidx + q * 775u;
    let pv = p[j]; let gv = g[j]; let m0 = s[j]; let v0 = s[j + ${V}u];
${update}
    s[j] = m; s[j + ${V}u] = v; p[j] = pv - stepSize * m / (sqrt(v) + eps);
  }
}`,
  'memory only (copies, no math)': `${decl()}
@compute @workgroup_size(64) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let gidx = wid.x * 64u + lidx;
  if (gidx >= 775u) { return; }
  for (var q = 0u; q < 8u; q = q + 1u) {
    let j = gidx + q * 775u;
    let pv = p[j]; let gv = g[j]; let m0 = s[j]; let v0 = s[j + ${V}u];
    s[j] = gv; s[j + ${V}u] = m0; p[j] = v0 + pv;
  }
}`,
  'loads only (one store)': `${decl()}
@compute @workgroup_size(64) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let gidx = wid.x * 64u + lidx;
  if (gidx >= 775u) { return; }
  var acc = vec4(0.0);
  for (var q = 0u; q < 8u; q = q + 1u) {
    let j = gidx + q * 775u;
    acc += p[j] + g[j] + s[j] + s[j + ${V}u];
  }
  p[gidx] = acc;
}`,
  'math only (one load, one store)': `${decl()}
@compute @workgroup_size(64) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let gidx = wid.x * 64u + lidx;
  if (gidx >= 775u) { return; }
  var pv = p[gidx]; let gv = g[gidx]; var m0 = s[gidx]; var v0 = s[gidx + ${V}u];
  for (var q = 0u; q < 8u; q = q + 1u) {
${update}
    pv = pv - stepSize * m / (sqrt(v) + eps); m0 = m; v0 = v;
  }
  p[gidx] = pv;
}`,
  'no guard, m and v side by side': `${decl()}
@compute @workgroup_size(64) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let gidx = wid.x * 64u + lidx;
  if (gidx >= 775u) { return; }
  for (var q = 0u; q < 8u; q = q + 1u) {
    let j = gidx + q * 775u;
    let pv = p[j]; let gv = g[j]; let m0 = s[2u * j]; let v0 = s[2u * j + 1u];
${update}
    s[2u * j] = m; s[2u * j + 1u] = v; p[j] = pv - stepSize * m / (sqrt(v) + eps);
  }
}`,
  'no guard, one vec4 per invocation': `${decl()}
@compute @workgroup_size(64) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let j = wid.x * 64u + lidx;
  if (j >= ${V}u) { return; }
  let pv = p[j]; let gv = g[j]; let m0 = s[j]; let v0 = s[j + ${V}u];
${update}
  s[j] = m; s[j + ${V}u] = v; p[j] = pv - stepSize * m / (sqrt(v) + eps);
}`,
  'one vec4 per invocation, select': `${decl()}
@compute @workgroup_size(64) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let j = wid.x * 64u + lidx;
  if (j >= 6198u) { return; }
  let e = vec4<u32>(j * 4u) + vec4<u32>(0u, 1u, 2u, 3u);
  let live = e < vec4<u32>(${COUNT}u);
  let pv = p[j]; let gv = g[j]; let m0 = s[j]; let v0 = s[j + ${V}u];
${update}
  s[j] = select(m0, m, live); s[j + ${V}u] = select(v0, v, live);
  p[j] = select(pv, pv - stepSize * m / (sqrt(v) + eps), live);
}`,
  '8 per invocation, select, no guard': `${decl()}
@compute @workgroup_size(64) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let gidx = wid.x * 64u + lidx;
  if (gidx >= 775u) { return; }
  for (var q = 0u; q < 8u; q = q + 1u) {
    let j = gidx + q * 775u;
    let e = vec4<u32>(j * 4u) + vec4<u32>(0u, 1u, 2u, 3u);
    let pv = p[j]; let gv = g[j]; let live = e < vec4<u32>(${COUNT}u);
    let m0 = s[j]; let v0 = s[j + ${V}u];
${update}
    s[j] = select(m0, m, live); s[j + ${V}u] = select(v0, v, live);
    p[j] = select(pv, pv - stepSize * m / (sqrt(v) + eps), live);
  }
}`,
  'one vec4 per invocation, wg 256': `${decl()}
@compute @workgroup_size(256) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let j = wid.x * 256u + lidx;
  if (j >= ${V}u) { return; }
  let pv = p[j]; let gv = g[j]; let m0 = s[j]; let v0 = s[j + ${V}u];
${update}
  s[j] = m; s[j + ${V}u] = v; p[j] = pv - stepSize * m / (sqrt(v) + eps);
}`,
};
const buffer = (vec4s) => device.createBuffer({ size: vec4s * 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
const [pb, gb, sb] = [buffer(V), buffer(V), buffer(2 * V)];
device.queue.writeBuffer(
  gb,
  0,
  Float32Array.from({ length: V * 4 }, (_, i) => (i < COUNT ? Math.sin(i) * 0.01 : 0)),
);
const programs = [];
device.pushErrorScope('validation');
for (const [name, code] of Object.entries(KERNELS)) {
  const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } });
  const group = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [pb, gb, sb].map((b, binding) => ({ binding, resource: { buffer: b } })),
  });
  const workgroups = name.includes('wg 256') ? Math.ceil(V / 256) : name.includes('one vec4') ? Math.ceil(V / 64) : Math.ceil(775 / 64);
  programs.push({ name, pipeline, group, workgroups, ms: [] });
}
const error = await device.popErrorScope();
if (error) throw new Error(`adam-variants: ${error.message}`);
const reps = Number(a.reps);
const run = (prog, n) =>
  timePass(
    device,
    (pass, rep) => {
      if (rep === 0) {
        pass.setPipeline(prog.pipeline);
        pass.setBindGroup(0, prog.group);
      }
      pass.dispatchWorkgroups(prog.workgroups);
    },
    n,
  );
for (const prog of programs) await run(prog, 1);
for (let r = 0; r < Number(a.rounds); r++) for (const prog of programs) prog.ms.push((await run(prog, reps)).wall / reps);
console.log(`${a.rounds} rounds of ${reps} dispatches in one pass; ms per dispatch, median (best)`);
for (const prog of programs)
  console.log(`${prog.name.padEnd(36)} ${median(prog.ms).toFixed(3)}  (${Math.min(...prog.ms).toFixed(3)})  workgroups ${prog.workgroups}`);
process.exit(0);
