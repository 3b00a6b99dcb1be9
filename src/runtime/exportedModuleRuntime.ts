// The runtime of an exported module, as JavaScript source text (it runs in the user's page, without
// weft). It reads the constants emitModule.ts writes before it:
//   S  shader sources;  DG / DC  dispatches for real GPUs / CPU adapters (the matmul code differs),
//      each [shader, [[binding, buffer, writable]...], usesStep, x, y, z];
//   B  buffers [elements, perRow, kind, index] (kind: 0 scratch, 1 params, 2 indices, 3 input, 4 output);
//   N  batch size;  P  parameter count;  I / O  inputs / outputs as [name, cols].
// load(): device (given, or its own), pipelines, fixed buffers, weights. predict(): rows in chunks
// that fit the device's buffer limits, each padded to whole batches; one command buffer per chunk,
// one Step record (rowBase) per batch picked by dynamic offset; outputs read back. Calls run one at a
// time. Kept short: it is most of the module's size.
export const MODULE_RUNTIME = String.raw`
const fail = (m) => { throw new Error('weft module: ' + m); };
const STORAGE = 128, COPY_DST = 8, COPY_SRC = 4, UNIFORM = 64, MAP_READ = 1, COMPUTE = 4, RECORD = 256;

export const inputs = I.map(([name, cols]) => ({ name, cols }));
export const outputs = O.map(([name, cols]) => ({ name, cols }));

export async function load(weights, options = {}) {
  if (typeof weights === 'string') {
    const r = await fetch(weights).catch((e) => fail('fetching the weights ' + weights + ' failed: ' + e.message));
    if (!r.ok) fail('fetching the weights ' + weights + ' answered ' + r.status + ' ' + r.statusText);
    weights = await r.arrayBuffer();
  }
  if (!(weights instanceof ArrayBuffer)) fail('load(weights): weights must be an ArrayBuffer or the URL of the weights file');
  if (weights.byteLength !== P * 4) fail('the weights hold ' + weights.byteLength + ' bytes but this module needs ' + P * 4 + ' (' + P + ' float32 parameters): they belong to another model');
  let device = options.device, adapter = null;
  const own = !device;
  if (own) {
    const gpu = globalThis.navigator && navigator.gpu;
    if (!gpu) fail('this browser has no WebGPU (navigator.gpu is undefined); use a browser with WebGPU enabled, or pass options.device');
    adapter = await gpu.requestAdapter();
    if (!adapter) fail('no WebGPU adapter is available (navigator.gpu.requestAdapter() returned null)');
    device = await adapter.requestDevice();
  }
  const info = (adapter && adapter.info) || device.adapterInfo || {};
  const D = /swiftshader|llvmpipe|cpu/i.test([info.vendor, info.architecture, info.description].join(' ')) ? DC : DG;
  let lost = null;
  device.lost.then((info) => { lost = info; });
  const alive = () => { if (lost) fail('the GPU device was lost (' + lost.reason + ': ' + lost.message + '); call load() again'); };
  const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  const widest = Math.max(...B.map((b) => b[1]));
  const maxRows = Math.floor(limit / (4 * widest) / N) * N;
  if (maxRows < N) fail('one batch of ' + N + ' rows needs more than this GPU\'s storage buffer limit (' + limit + ' bytes)');

  device.pushErrorScope('validation');
  const stepLayout = device.createBindGroupLayout({ entries: [{ binding: 0, visibility: COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: 32 } }] });
  const modules = []; // only the shaders this device's variant uses
  const kernels = await Promise.all(D.map(async ([s, binds, step], i) => {
    const layout = device.createBindGroupLayout({ entries: binds.map(([binding, , rw]) => ({ binding, visibility: COMPUTE, buffer: { type: rw ? 'storage' : 'read-only-storage' } })) });
    const bindGroupLayouts = step ? [layout, stepLayout] : [layout];
    const pipeline = await device.createComputePipelineAsync({ layout: device.createPipelineLayout({ bindGroupLayouts }), compute: { module: (modules[s] ??= device.createShaderModule({ code: S[s] })), entryPoint: 'main' } })
      .catch((e) => fail('kernel ' + i + ' does not compile on this device: ' + e.message));
    return { layout, pipeline };
  }));
  const make = (bytes, usage) => device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 4) * 4), usage: STORAGE | COPY_DST | usage });
  const fixed = B.map(([elements, perRow]) => (perRow ? null : make(elements * 4, 0)));
  device.queue.writeBuffer(fixed[B.findIndex((b) => b[2] === 1)], 0, weights);
  const error = await device.popErrorScope();
  if (error) fail('setting up the kernels failed: ' + error.message);
  alive();

  let rows = 0, all = fixed, groups = [], stepGroup = null, made = [], queue = Promise.resolve(), disposed = false;
  // Buffers for up to n rows (a multiple of N), with the identity row indices and one Step record per batch.
  const grow = (n) => {
    made.forEach((b) => b.destroy());
    rows = n;
    all = B.map(([, perRow, kind], i) => fixed[i] || make(n * perRow * 4, kind === 4 ? COPY_SRC : 0));
    const uniform = device.createBuffer({ size: (n / N) * RECORD, usage: UNIFORM | COPY_DST });
    made = [...all.filter((b, i) => !fixed[i]), uniform];
    device.queue.writeBuffer(all[B.findIndex((b) => b[2] === 2)], 0, Uint32Array.from({ length: n }, (_, r) => r));
    const records = new Uint32Array((n / N) * RECORD / 4);
    for (let k = 0; k < n / N; k++) records[k * RECORD / 4] = k * N;
    device.queue.writeBuffer(uniform, 0, records);
    groups = D.map(([, binds], i) => device.createBindGroup({ layout: kernels[i].layout, entries: binds.map(([binding, b]) => ({ binding, resource: { buffer: all[b] } })) }));
    stepGroup = device.createBindGroup({ layout: stepLayout, entries: [{ binding: 0, resource: { buffer: uniform, size: 32 } }] });
  };
  const slot = (kind, index) => all[B.findIndex((b) => b[2] === kind && b[3] === index)];

  async function run(xs, count) {
    if (disposed) fail('predict() after dispose()');
    alive();
    if (xs instanceof Float32Array) xs = [xs];
    if (!Array.isArray(xs) || xs.length !== I.length) fail('predict: expected ' + I.length + ' Float32Array input(s) (' + I.map((i) => i[0]).join(', ') + '), got ' + (Array.isArray(xs) ? xs.length + ' arrays' : typeof xs));
    if (!Number.isInteger(count) || count < 0) fail('predict: rows must be a whole number >= 0, got ' + count);
    xs.forEach((x, i) => {
      if (!(x instanceof Float32Array)) fail('predict: input ' + i + " ('" + I[i][0] + "') must be a Float32Array");
      if (x.length !== count * I[i][1]) fail('predict: input ' + i + " ('" + I[i][0] + "') has " + x.length + ' values; ' + count + ' rows of ' + I[i][1] + ' features need ' + count * I[i][1]);
    });
    const out = O.map(([, cols]) => new Float32Array(count * cols));
    for (let start = 0; start < count; start += maxRows) {
      const n = Math.min(maxRows, count - start);
      const padded = Math.ceil(n / N) * N;
      if (padded > rows) grow(padded);
      xs.forEach((x, i) => device.queue.writeBuffer(slot(3, i), 0, x, start * I[i][1], n * I[i][1]));
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      for (let k = 0; k < padded / N; k++)
        D.forEach(([, , step, x, y, z], i) => {
          pass.setPipeline(kernels[i].pipeline);
          pass.setBindGroup(0, groups[i]);
          if (step) pass.setBindGroup(1, stepGroup, [k * RECORD]);
          pass.dispatchWorkgroups(x, y, z);
        });
      pass.end();
      const staging = O.map(([, cols], i) => {
        const b = device.createBuffer({ size: n * cols * 4, usage: MAP_READ | COPY_DST });
        encoder.copyBufferToBuffer(slot(4, i), 0, b, 0, n * cols * 4);
        return b;
      });
      device.queue.submit([encoder.finish()]);
      try {
        await Promise.all(staging.map((b) => b.mapAsync(MAP_READ)));
      } catch (e) {
        alive();
        fail('reading the predictions failed: ' + e.message);
      }
      staging.forEach((b, i) => { out[i].set(new Float32Array(b.getMappedRange()), start * O[i][1]); b.destroy(); });
    }
    return O.length === 1 ? out[0] : out;
  }

  return {
    inputs, outputs,
    predict(xs, count) {
      const result = queue.then(() => run(xs, count));
      queue = result.catch(() => {});
      return result;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      [...fixed.filter(Boolean), ...made].forEach((b) => b.destroy());
      if (own) device.destroy();
    },
  };
}
`;
