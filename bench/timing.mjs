// The timing loop the Node kernel benches share (matmul-variants/harness.mjs, access-costs.mjs,
// cnn-kernels.mjs, step-kernels.mjs): `reps` runs encoded in one compute pass, submitted, waited for.
// Wall ms, and CPU ms of this process (SwiftShader's threads run in it, spinning included: less
// disturbed by other jobs than wall time).

/** Encodes `encode(pass, rep)` for rep = 0 … reps − 1 in one pass, submits it and waits: { wall, cpu } in ms for all reps. */
export async function timePass(device, encode, reps) {
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  for (let rep = 0; rep < reps; rep++) encode(pass, rep);
  pass.end();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
  const c = process.cpuUsage(c0);
  return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
}

export const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

/**
 * One storage buffer per declaration (`decls`: weft BufferDecls; u8 sizes in bytes, others in 4-byte
 * elements, rounded up to whole words), its words filled by `fill(name, decl, words)` before upload.
 */
export function createFilledBuffers(runtime, gpu, decls, fill) {
  const buffers = new Map();
  for (const [name, d] of Object.entries(decls)) {
    const bytes = Math.ceil((d.elementType === 'u8' ? d.size : d.size * 4) / 4) * 4;
    const b = runtime.createBuffer(gpu, { size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, label: name });
    const words = new Uint32Array(bytes / 4);
    fill(name, d, words);
    runtime.writeBuffer(gpu, b, 0, words);
    buffers.set(name, b);
  }
  return buffers;
}
