// scratch harness: raw WGSL matmul variants vs the peak kernel, Node/Dawn/SwiftShader
import { pathToFileURL } from 'node:url';
import { median, timePass } from '../timing.mjs';
const root = process.env.ROOT || new URL('../..', import.meta.url).pathname;
const t = await import(pathToFileURL(root + '/dist/weft-testing.node.js').href);
const { peakKernelWgsl } = await import(pathToFileURL(root + '/dist/weft-bench.js').href);
export const { wgsl, runtime } = t;
export const gpu = await runtime.getGpu();
export const device = gpu.device;
if (!gpu.subgroups) console.error('NO SUBGROUPS');

/**
 * weft's KernelDesc and buffer declarations for an M × N × K product out = op(A) · B over buffers 'a', 'b'
 * and 'out' (transA: A stored K × M and read transposed, as a weight gradient's Xᵀ·dY).
 */
export function matmulCase(M, N, K, transA = false) {
  const desc = {
    kind: 'matmul',
    name: 'mm',
    m: M,
    n: N,
    k: K,
    a: transA ? { buffer: 'a', offset: 0, rowStride: M, rows: K, cols: M } : { buffer: 'a', offset: 0, rowStride: K, rows: M, cols: K },
    b: { buffer: 'b', offset: 0, rowStride: N, rows: K, cols: N },
    transA,
    transB: false,
    out: { buffer: 'out', offset: 0, rowStride: N, rows: M, cols: N },
  };
  const decls = {
    a: { name: 'a', elementType: 'f32', size: M * K, role: 'arena' },
    b: { name: 'b', elementType: 'f32', size: K * N, role: 'arena' },
    out: { name: 'out', elementType: 'f32', size: M * N, role: 'arena' },
  };
  return { desc, decls };
}

/** A program running weft's generated product `kernel` over buffers A, B and C (its 'a', 'b', 'out'). */
export async function weftProgram(kernel, A, B, C, steps) {
  const sp = await runtime.StepProgram.create(
    gpu,
    [kernel],
    new Map([
      ['a', A],
      ['b', B],
      ['out', C],
    ]),
    steps,
  );
  return { encode: (pass) => sp.encode(pass, 0) };
}

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
export async function makeProgram(code, buffers, workgroups, types, constants) {
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
    compute: { module, entryPoint: 'main', ...(constants ? { constants } : {}) },
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
  const { wall, cpu } = await timePass(device, (pass) => program.encode(pass), reps);
  return process.env.WALL ? wall : cpu;
}
export { median };

export const PEAK_ITERS = Number(process.env.PEAK_ITERS || 64);
// The bench's own peak kernel (bench/gpu.ts), its iteration count a pipeline constant (makeProgram's `constants`).
export function peakCode() {
  return peakKernelWgsl(64);
}
export const PEAK_CONSTANTS = { ITERATIONS: PEAK_ITERS };
export const PEAK_FLOP = 512 * 64 * PEAK_ITERS * 8 * 4 * 2;
