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
const DECL = `@group(0) @binding(0) var<storage, read_write> p: array<vec4<f32>, ${V}>;
@group(0) @binding(1) var<storage, read> g: array<vec4<f32>, ${V}>;
@group(0) @binding(2) var<storage, read_write> s: array<vec4<f32>, ${2 * V}>;
const b1 = 0.9; const b2 = 0.999; const stepSize = 0.001; const eps = 1e-7;`;
const main = (size, body) =>
  `${DECL}\n@compute @workgroup_size(${size}) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {\n${body}\n}`;
/** Eight vec4s per invocation (invocation x takes x, x + 775, …): `body` sees the vec4's index j. */
const eight = (body, before = '') =>
  main(
    64,
    `  let gidx = wid.x * 64u + lidx;\n  if (gidx >= 775u) { return; }\n${before}  for (var q = 0u; q < 8u; q = q + 1u) {\n    let j = gidx + q * 775u;\n${body}\n  }`,
  );
/** One vec4 per invocation, the invocations past `units` idle. */
const one = (size, body, units = V) => main(size, `  let j = wid.x * ${size}u + lidx;\n  if (j >= ${units}u) { return; }\n${body}`);
const load = `    let pv = p[j]; let gv = g[j]; let m0 = s[j]; let v0 = s[j + ${V}u];`;
const live = `    let e = vec4<u32>(j * 4u) + vec4<u32>(0u, 1u, 2u, 3u); let live = e < vec4<u32>(${COUNT}u);`;
const update = `    let m = b1 * m0 + (1.0 - b1) * gv;
    let v = b2 * v0 + (1.0 - b2) * gv * gv;`;
const plainStores = `    s[j] = m; s[j + ${V}u] = v; p[j] = pv - stepSize * m / (sqrt(v) + eps);`;
const selectStores = `    s[j] = select(m0, m, live); s[j + ${V}u] = select(v0, v, live);
    p[j] = select(pv, pv - stepSize * m / (sqrt(v) + eps), live);`;
// Parameters, gradients and state as mat4x4s (16 floats per access expression), two per invocation.
const MAT4_DECL = `@group(0) @binding(0) var<storage, read_write> p: array<mat4x4<f32>, ${V / 4}>;
@group(0) @binding(1) var<storage, read> g: array<mat4x4<f32>, ${V / 4}>;
@group(0) @binding(2) var<storage, read_write> s: array<mat4x4<f32>, ${V / 2}>;
const b1 = 0.9; const b2 = 0.999; const stepSize = 0.001; const eps = 1e-7;`;
const mat4 = `${MAT4_DECL}
@compute @workgroup_size(64) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let gidx = wid.x * 64u + lidx;
  if (gidx >= 775u) { return; }
  for (var q = 0u; q < 2u; q = q + 1u) {
    let j = gidx + q * 775u;
    let pm = p[j]; let gm = g[j]; let mm = s[j]; let vm = s[j + ${V / 4}u];
    var mo: mat4x4<f32>; var vo: mat4x4<f32>; var po: mat4x4<f32>;
    for (var c = 0; c < 4; c++) {
      let m = b1 * mm[c] + (1.0 - b1) * gm[c];
      let v = b2 * vm[c] + (1.0 - b2) * gm[c] * gm[c];
      mo[c] = m; vo[c] = v; po[c] = pm[c] - stepSize * m / (sqrt(v) + eps);
    }
    s[j] = mo; s[j + ${V / 4}u] = vo; p[j] = po;
  }
}`;
const KERNELS = {
  // weft's kernel until 1 Dec (fourth session): a bound check that returns, a select per store keeping the padding.
  'guard + three selects (weft before)': eight([`    if (j >= 6198u) { return; }`, live, load, update, selectStores].join('\n')),
  // weft's kernel now: the gradient zeroed past the parameters, plain stores.
  'guard + one select on g (weft now)': eight(
    [
      `    if (j >= 6198u) { return; }`,
      live,
      `    let pv = p[j]; let gv = select(vec4(0.0), g[j], live); let m0 = s[j]; let v0 = s[j + ${V}u];`,
      update,
      plainStores,
    ].join('\n'),
  ),
  // Padding that stays zero (g = m = v = 0 leaves p at 0): no guard inside the loop, no select.
  'no guard, no select': eight([load, update, plainStores].join('\n')),
  'memory only (copies, no math)': eight([load, `    s[j] = gv; s[j + ${V}u] = m0; p[j] = v0 + pv;`].join('\n')),
  'loads only (one store)': main(
    64,
    `  let gidx = wid.x * 64u + lidx;\n  if (gidx >= 775u) { return; }\n  var acc = vec4(0.0);\n  for (var q = 0u; q < 8u; q = q + 1u) {\n    let j = gidx + q * 775u;\n    acc += p[j] + g[j] + s[j] + s[j + ${V}u];\n  }\n  p[gidx] = acc;`,
  ),
  'math only (one load, one store)': main(
    64,
    `  let gidx = wid.x * 64u + lidx;\n  if (gidx >= 775u) { return; }\n  var pv = p[gidx]; let gv = g[gidx]; var m0 = s[gidx]; var v0 = s[gidx + ${V}u];\n  for (var q = 0u; q < 8u; q = q + 1u) {\n${update}\n    pv = pv - stepSize * m / (sqrt(v) + eps); m0 = m; v0 = v;\n  }\n  p[gidx] = pv;`,
  ),
  'no guard, m and v side by side': eight(
    [
      `    let pv = p[j]; let gv = g[j]; let m0 = s[2u * j]; let v0 = s[2u * j + 1u];`,
      update,
      `    s[2u * j] = m; s[2u * j + 1u] = v; p[j] = pv - stepSize * m / (sqrt(v) + eps);`,
    ].join('\n'),
  ),
  'no guard, one vec4 per invocation': one(64, [load, update, plainStores].join('\n')),
  'one vec4 per invocation, select': one(64, [live, load, update, selectStores].join('\n'), 6198),
  '8 per invocation, select, no guard': eight([live, load, update, selectStores].join('\n')),
  'one vec4 per invocation, wg 256': one(256, [load, update, plainStores].join('\n')),
  'mat4x4s, 2 per invocation': mat4,
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
