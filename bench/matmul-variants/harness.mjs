// scratch harness: raw WGSL matmul variants vs the peak kernel, Node/Dawn/SwiftShader
import { pathToFileURL } from 'node:url';
const root = process.env.ROOT || new URL('../..', import.meta.url).pathname;
const t = await import(pathToFileURL(root + '/dist/weft-testing.node.js').href);
export const { wgsl, runtime } = t;
export const gpu = await runtime.getGpu();
export const device = gpu.device;
if (!gpu.subgroups) console.error('NO SUBGROUPS');

export function makeBuf(n, fill = true) {
  const b = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
  if (fill) {
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = Math.sin(i * 12.9898) * 0.5;
    device.queue.writeBuffer(b, 0, v);
  }
  return b;
}
export async function readBuf(b, n) {
  const r = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const e = device.createCommandEncoder();
  e.copyBufferToBuffer(b, 0, r, 0, n * 4);
  device.queue.submit([e.finish()]);
  await r.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(r.getMappedRange().slice(0));
  r.unmap();
  r.destroy();
  return out;
}
export async function makeProgram(code, buffers, workgroups, types) {
  const module = device.createShaderModule({ code });
  const info = await module.getCompilationInfo();
  for (const m of info.messages)
    if (m.type === 'error')
      throw new Error(
        m.message +
          '\n' +
          code
            .split('\n')
            .slice(Math.max(0, m.lineNum - 3), m.lineNum + 2)
            .join('\n'),
      );
  const bgl = types
    ? device.createBindGroupLayout({ entries: types.map((type, i) => ({ binding: i, visibility: GPUShaderStage.COMPUTE, buffer: { type } })) })
    : null;
  const pipeline = await device.createComputePipelineAsync({
    layout: bgl ? device.createPipelineLayout({ bindGroupLayouts: [bgl] }) : 'auto',
    compute: { module, entryPoint: 'main' },
  });
  const group = device.createBindGroup({
    layout: bgl ?? pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, i) => ({ binding: i, resource: { buffer } })),
  });
  return {
    encode(pass) {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(...workgroups);
    },
  };
}
export async function run(program, reps) {
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  for (let i = 0; i < reps; i++) program.encode(pass);
  pass.end();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
  const c = process.cpuUsage(c0);
  return process.env.WALL ? performance.now() - t0 : (c.user + c.system) / 1000;
}
export const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

export const PEAK_ITERS = Number(process.env.PEAK_ITERS || 64);
export function peakCode(iters = PEAK_ITERS) {
  return `
@group(0) @binding(0) var<storage, read_write> out: array<vec4<f32>>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let s = f32(id.x) * 1e-9;
  var a0 = vec4<f32>(s, s + 1.0, s + 2.0, s + 3.0);
  var a1 = a0 + 0.1; var a2 = a0 + 0.2; var a3 = a0 + 0.3;
  var a4 = a0 + 0.4; var a5 = a0 + 0.5; var a6 = a0 + 0.6; var a7 = a0 + 0.7;
  let m = vec4<f32>(0.9999);
  let c = vec4<f32>(0.0001);
  for (var i = 0u; i < ${iters}u; i++) {
    a0 = a0 * m + c; a1 = a1 * m + c; a2 = a2 * m + c; a3 = a3 * m + c;
    a4 = a4 * m + c; a5 = a5 * m + c; a6 = a6 * m + c; a7 = a7 * m + c;
  }
  out[id.x] = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
}`;
}
export const PEAK_FLOP = 512 * 64 * PEAK_ITERS * 8 * 4 * 2;
