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
