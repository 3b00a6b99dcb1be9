// WebGPU-level instruments for the benchmark, library-agnostic (they see weft and TensorFlow.js alike):
// - counts of API calls (dispatches, submits, buffer maps, queue writes, bind groups, buffers), by
//   patching the WebGPU prototypes once per page;
// - capture of the dispatches of one training step (pipeline, bind groups, workgroup counts, and
//   the uniform buffers' contents at that moment) and their replay one kernel at a time, timed with
//   timestamp queries where the device has them and always with the CPU clock (submit + wait);
// - the adapter's peak arithmetic rate from a register-bound multiply-add kernel.

export interface ApiCounts {
  dispatches: number;
  submits: number;
  /** GPUBuffer.mapAsync calls: every readback to the CPU goes through one. */
  maps: number;
  writes: number;
  bindGroups: number;
  buffers: number;
  /** Compute pipelines created (sync or async). */
  pipelines: number;
  /** Wall time during which at least one pipeline creation (or shader module creation) was in flight. */
  pipelineMs: number;
}

interface BoundGroup {
  index: number;
  group: GPUBindGroup;
  offsets: number[];
}

/** One dispatch as recorded during capture, replayable while its buffers live. */
export interface CapturedDispatch {
  device: GPUDevice;
  pipeline: GPUComputePipeline;
  label: string;
  groups: BoundGroup[];
  workgroups: [number, number, number];
  /** Contents of the uniform buffers bound to it, as they were when it was recorded. */
  uniforms: { buffer: GPUBuffer; bytes: Uint8Array }[];
}

interface PassState {
  device: GPUDevice | undefined;
  pipeline: GPUComputePipeline | null;
  groups: Map<number, BoundGroup>;
}

const counts: ApiCounts = { dispatches: 0, submits: 0, maps: 0, writes: 0, bindGroups: 0, buffers: 0, pipelines: 0, pipelineMs: 0 };
let pipelinesPending = 0;
let pipelinesBusySince = 0;
function pipelineBegin(): void {
  if (pipelinesPending++ === 0) pipelinesBusySince = performance.now();
}
function pipelineEnd(): void {
  if (--pipelinesPending === 0) counts.pipelineMs += performance.now() - pipelinesBusySince;
}
let installed = false;
let capture: CapturedDispatch[] | null = null;
let deferred: GPUBuffer[] | null = null;
const encoderDevice = new WeakMap<GPUCommandEncoder, GPUDevice>();
const passState = new WeakMap<GPUComputePassEncoder, PassState>();
const groupBuffers = new WeakMap<GPUBindGroup, GPUBuffer[]>();
const uniformImage = new WeakMap<GPUBuffer, Uint8Array>();
let originalDestroy: ((this: GPUBuffer) => undefined) | null = null;

/** Patches the WebGPU prototypes (once per page). Cheap: one counter increment per call. */
export function installApiCounters(): void {
  if (installed || typeof GPUDevice === 'undefined') return;
  installed = true;
  const wrap = <T extends object, K extends keyof T>(proto: T, key: K, make: (original: T[K]) => T[K]): void => {
    const original = proto[key];
    if (typeof original === 'function') proto[key] = make(original);
  };
  wrap(
    GPUComputePassEncoder.prototype,
    'dispatchWorkgroups',
    (original) =>
      function (this: GPUComputePassEncoder, x: number, y?: number, z?: number) {
        counts.dispatches++;
        if (capture) record(this, [x, y ?? 1, z ?? 1]);
        return original.call(this, x, y, z);
      },
  );
  wrap(
    GPUComputePassEncoder.prototype,
    'setPipeline',
    (original) =>
      function (this: GPUComputePassEncoder, pipeline: GPUComputePipeline) {
        if (capture) stateOf(this).pipeline = pipeline;
        return original.call(this, pipeline);
      },
  );
  wrap(
    GPUComputePassEncoder.prototype,
    'setBindGroup',
    (original) =>
      function (this: GPUComputePassEncoder, index: number, group: GPUBindGroup | null, ...rest: unknown[]) {
        if (capture && group) {
          let offsets: number[] = [];
          if (rest[0] instanceof Uint32Array) {
            const data = rest[0];
            const start = (rest[1] as number | undefined) ?? 0;
            const length = (rest[2] as number | undefined) ?? data.length - start;
            offsets = Array.from(data.subarray(start, start + length));
          } else if (rest[0]) offsets = Array.from(rest[0] as Iterable<number>);
          stateOf(this).groups.set(index, { index, group, offsets });
        }
        return (original as (...a: unknown[]) => undefined).call(this, index, group, ...rest);
      } as GPUComputePassEncoder['setBindGroup'],
  );
  wrap(
    GPUCommandEncoder.prototype,
    'beginComputePass',
    (original) =>
      function (this: GPUCommandEncoder, descriptor?: GPUComputePassDescriptor) {
        const pass = original.call(this, descriptor);
        if (capture) passState.set(pass, { device: encoderDevice.get(this), pipeline: null, groups: new Map() });
        return pass;
      },
  );
  wrap(
    GPUDevice.prototype,
    'createCommandEncoder',
    (original) =>
      function (this: GPUDevice, descriptor?: GPUCommandEncoderDescriptor) {
        const encoder = original.call(this, descriptor);
        if (capture) encoderDevice.set(encoder, this);
        return encoder;
      },
  );
  wrap(
    GPUDevice.prototype,
    'createBindGroup',
    (original) =>
      function (this: GPUDevice, descriptor: GPUBindGroupDescriptor) {
        counts.bindGroups++;
        const group = original.call(this, descriptor);
        if (capture) {
          const buffers: GPUBuffer[] = [];
          for (const e of descriptor.entries) {
            const r = e.resource as { buffer?: GPUBuffer } | GPUBuffer;
            if (typeof GPUBuffer !== 'undefined' && r instanceof GPUBuffer) buffers.push(r);
            else if (r && (r as { buffer?: GPUBuffer }).buffer) buffers.push((r as { buffer: GPUBuffer }).buffer);
          }
          groupBuffers.set(group, buffers);
        }
        return group;
      },
  );
  wrap(
    GPUDevice.prototype,
    'createComputePipelineAsync',
    (original) =>
      function (this: GPUDevice, descriptor: GPUComputePipelineDescriptor) {
        counts.pipelines++;
        pipelineBegin();
        const p = original.call(this, descriptor);
        p.then(pipelineEnd, pipelineEnd);
        return p;
      },
  );
  wrap(
    GPUDevice.prototype,
    'createComputePipeline',
    (original) =>
      function (this: GPUDevice, descriptor: GPUComputePipelineDescriptor) {
        counts.pipelines++;
        pipelineBegin();
        try {
          return original.call(this, descriptor);
        } finally {
          pipelineEnd();
        }
      },
  );
  wrap(
    GPUDevice.prototype,
    'createShaderModule',
    (original) =>
      function (this: GPUDevice, descriptor: GPUShaderModuleDescriptor) {
        pipelineBegin();
        try {
          return original.call(this, descriptor);
        } finally {
          pipelineEnd();
        }
      },
  );
  wrap(
    GPUDevice.prototype,
    'createBuffer',
    (original) =>
      function (this: GPUDevice, descriptor: GPUBufferDescriptor) {
        counts.buffers++;
        return original.call(this, descriptor);
      },
  );
  wrap(
    GPUQueue.prototype,
    'submit',
    (original) =>
      function (this: GPUQueue, buffers: Iterable<GPUCommandBuffer>) {
        counts.submits++;
        return original.call(this, buffers);
      },
  );
  wrap(
    GPUQueue.prototype,
    'writeBuffer',
    (original) =>
      function (this: GPUQueue, buffer: GPUBuffer, offset: number, data: BufferSource | SharedArrayBuffer, dataOffset?: number, size?: number) {
        counts.writes++;
        if (capture && buffer.usage & GPUBufferUsage.UNIFORM) noteUniformWrite(buffer, offset, data, dataOffset, size);
        return (original as (...a: unknown[]) => undefined).call(this, buffer, offset, data, dataOffset, size);
      } as GPUQueue['writeBuffer'],
  );
  wrap(
    GPUBuffer.prototype,
    'mapAsync',
    (original) =>
      function (this: GPUBuffer, mode: number, offset?: number, size?: number) {
        counts.maps++;
        return original.call(this, mode, offset, size);
      },
  );
  originalDestroy = GPUBuffer.prototype.destroy;
  wrap(
    GPUBuffer.prototype,
    'destroy',
    (original) =>
      function (this: GPUBuffer) {
        if (deferred) {
          deferred.push(this);
          return undefined;
        }
        return original.call(this);
      },
  );
}

export function apiCounts(): ApiCounts {
  const now = pipelinesPending > 0 ? performance.now() - pipelinesBusySince : 0;
  return { ...counts, pipelineMs: counts.pipelineMs + now };
}

function stateOf(pass: GPUComputePassEncoder): PassState {
  let s = passState.get(pass);
  if (!s) passState.set(pass, (s = { device: undefined, pipeline: null, groups: new Map() }));
  return s;
}

function noteUniformWrite(buffer: GPUBuffer, offset: number, data: BufferSource | SharedArrayBuffer, dataOffset = 0, size?: number): void {
  let image = uniformImage.get(buffer);
  if (!image) uniformImage.set(buffer, (image = new Uint8Array(buffer.size)));
  let bytes: Uint8Array;
  if (ArrayBuffer.isView(data)) {
    const element = (data as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
    const all = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    bytes = all.subarray(dataOffset * element, size === undefined ? undefined : (dataOffset + size) * element);
  } else {
    const all = new Uint8Array(data as ArrayBuffer);
    bytes = all.subarray(dataOffset, size === undefined ? undefined : dataOffset + size);
  }
  if (offset + bytes.length <= image.length) image.set(bytes, offset);
}

function record(pass: GPUComputePassEncoder, workgroups: [number, number, number]): void {
  const s = passState.get(pass);
  if (!s || !s.pipeline || !s.device) return; // a pass begun before capture started
  const groups = [...s.groups.values()].map((g) => ({ ...g, offsets: [...g.offsets] }));
  const uniforms: CapturedDispatch['uniforms'] = [];
  for (const g of groups)
    for (const b of groupBuffers.get(g.group) ?? []) {
      const image = uniformImage.get(b);
      if (image && b.usage & GPUBufferUsage.UNIFORM) uniforms.push({ buffer: b, bytes: image.slice() });
    }
  capture!.push({ device: s.device, pipeline: s.pipeline, label: s.pipeline.label || 'unnamed pipeline', groups, workgroups, uniforms });
}

/**
 * Records every dispatch made while `body` runs (one training step, say). Buffers destroyed meanwhile
 * (and until `release()` is called) stay alive so the dispatches can be replayed.
 */
export async function captureDispatches(body: () => Promise<void>): Promise<{ dispatches: CapturedDispatch[]; release: () => void }> {
  if (!installed) installApiCounters();
  const dispatches: CapturedDispatch[] = [];
  capture = dispatches;
  deferred = [];
  try {
    await body();
  } finally {
    capture = null;
  }
  const held = deferred;
  return {
    dispatches,
    release: () => {
      if (deferred === held) deferred = null;
      for (const b of held) originalDestroy?.call(b);
      held.length = 0;
    },
  };
}

export interface KernelTiming {
  label: string;
  workgroups: [number, number, number];
  /** GPU time per dispatch from timestamp queries (each replay in its own pass), or null without them. */
  gpuMs: number | null;
  /** Wall time per dispatch: n copies in one pass, submitted and waited for, less an empty submit's wait. */
  wallMs: number;
  copies: number;
}

/** Records `sequence` (captured dispatches, in order) into a compute pass. */
function encodeSequence(pass: GPUComputePassEncoder, sequence: CapturedDispatch[]): void {
  for (const d of sequence) {
    pass.setPipeline(d.pipeline);
    for (const g of d.groups) pass.setBindGroup(g.index, g.group, g.offsets);
    pass.dispatchWorkgroups(...d.workgroups);
  }
}

/** Writes back the uniform contents each dispatch of `sequence` saw when it was recorded. */
function restoreUniforms(device: GPUDevice, sequence: CapturedDispatch[]): void {
  for (const d of sequence) for (const u of d.uniforms) device.queue.writeBuffer(u.buffer, 0, u.bytes as Uint8Array<ArrayBuffer>);
}

/**
 * Wall time of one replay of `sequence` (all on `device`): `copies` replays in one pass (copies chosen so
 * the pass takes about `targetMs`), submitted and waited for, less an empty submit's wait (`base`);
 * the median of `trials` such passes, after a warm-up (first use of the pipelines in this pattern). On a
 * CPU adapter other processes steal time from single trials, hence the median.
 */
async function replayWallMs(
  device: GPUDevice,
  sequence: CapturedDispatch[],
  base: number,
  options: { targetMs: number; maxCopies: number; trials: number },
): Promise<{ wallMs: number; copies: number }> {
  const wall = async (n: number): Promise<number> => {
    restoreUniforms(device, sequence);
    const encoder = device.createCommandEncoder({ label: 'bench replay' });
    const pass = encoder.beginComputePass({ label: 'bench replay' });
    for (let i = 0; i < n; i++) encodeSequence(pass, sequence);
    pass.end();
    const t0 = performance.now();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    return performance.now() - t0;
  };
  await wall(1);
  const once = Math.max(0.001, (await wall(1)) - base);
  const copies = Math.max(1, Math.min(options.maxCopies, Math.round(options.targetMs / once)));
  const trials: number[] = [];
  for (let i = 0; i < options.trials; i++) trials.push(Math.max(0, ((await wall(copies)) - base) / copies));
  return { wallMs: median(trials), copies };
}

/** Replays each captured dispatch on its own and times it. */
export async function timeDispatches(dispatches: CapturedDispatch[], options: { targetMs: number; maxCopies: number }): Promise<KernelTiming[]> {
  const out: KernelTiming[] = [];
  const baselines = new Map<GPUDevice, number>();
  for (const d of dispatches) {
    const device = d.device;
    if (!baselines.has(device)) baselines.set(device, await emptySubmitMs(device));
    const { wallMs, copies } = await replayWallMs(device, [d], baselines.get(device)!, { ...options, trials: 3 });
    let gpuMs: number | null = null;
    if (device.features.has('timestamp-query')) {
      const n = Math.max(5, Math.min(copies, 64));
      const querySet = device.createQuerySet({ type: 'timestamp', count: 2 * n });
      const resolve = device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
      const read = device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      restoreUniforms(device, [d]);
      const encoder = device.createCommandEncoder({ label: 'bench replay (timestamps)' });
      for (let i = 0; i < n; i++) {
        const pass = encoder.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
        encodeSequence(pass, [d]);
        pass.end();
      }
      encoder.resolveQuerySet(querySet, 0, 2 * n, resolve, 0);
      encoder.copyBufferToBuffer(resolve, 0, read, 0, 16 * n);
      device.queue.submit([encoder.finish()]);
      await read.mapAsync(GPUMapMode.READ);
      const ticks = new BigUint64Array(read.getMappedRange().slice(0));
      read.unmap();
      const spans: number[] = [];
      for (let i = 0; i < n; i++) if (ticks[2 * i + 1]! > ticks[2 * i]!) spans.push(Number(ticks[2 * i + 1]! - ticks[2 * i]!) / 1e6);
      gpuMs = spans.length ? median(spans) : null;
      querySet.destroy();
      originalDestroy?.call(resolve);
      originalDestroy?.call(read);
    }
    out.push({ label: d.label, workgroups: d.workgroups, gpuMs, wallMs, copies });
  }
  return out;
}

/**
 * The captured dispatches replayed in their recorded order as one step, many steps in one pass (about
 * `targetMs`), less an empty submit; median of 5 trials, ms per step (replayWallMs). What the adapter
 * takes for the step's dispatches back to back, with the switches between kernels but without fit's
 * JavaScript, submits and waits: against the sum of the kernels replayed alone it shows what running
 * them in sequence costs, against fit's measured step what the orchestration costs. Null when the
 * dispatches span devices or there are none.
 */
export async function timeStepReplay(dispatches: CapturedDispatch[], options: { targetMs: number; maxCopies: number }): Promise<number | null> {
  const device = dispatches[0]?.device;
  if (!device || dispatches.some((d) => d.device !== device)) return null;
  const base = await emptySubmitMs(device);
  return (await replayWallMs(device, dispatches, base, { ...options, trials: 5 })).wallMs;
}

async function emptySubmitMs(device: GPUDevice): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const encoder = device.createCommandEncoder();
    encoder.beginComputePass().end();
    const t0 = performance.now();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/**
 * The adapter's peak f32 rate: every invocation runs 8 independent vec4 multiply-add chains held in
 * registers (no memory traffic inside the loop). Returns GFLOP/s (2 FLOP per multiply-add lane).
 */
/**
 * The multiply-add peak kernel: 8 independent vec4 multiply-add chains per invocation, ITERATIONS
 * (an override constant) steps each, 2 · 4 · 8 · ITERATIONS FLOPs per invocation. Also timed alone in
 * Node by bench/matmul-variants/harness.mjs.
 */
export function peakKernelWgsl(workgroupSize: number): string {
  return /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> out: array<vec4<f32>>;
override ITERATIONS: u32 = 256u;
@compute @workgroup_size(${workgroupSize})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let s = f32(id.x) * 1e-9;
  var a0 = vec4<f32>(s, s + 1.0, s + 2.0, s + 3.0);
  var a1 = a0 + 0.1; var a2 = a0 + 0.2; var a3 = a0 + 0.3;
  var a4 = a0 + 0.4; var a5 = a0 + 0.5; var a6 = a0 + 0.6; var a7 = a0 + 0.7;
  let m = vec4<f32>(0.9999);
  let c = vec4<f32>(0.0001);
  for (var i = 0u; i < ITERATIONS; i++) {
    a0 = a0 * m + c; a1 = a1 * m + c; a2 = a2 * m + c; a3 = a3 * m + c;
    a4 = a4 * m + c; a5 = a5 * m + c; a6 = a6 * m + c; a7 = a7 * m + c;
  }
  out[id.x] = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
}`;
}

export async function measurePeak(device: GPUDevice, seconds: number): Promise<{ gflops: number; invocations: number; iterations: number; ms: number }> {
  const workgroupSize = 64;
  const workgroups = 512;
  const code = peakKernelWgsl(workgroupSize);
  const module = device.createShaderModule({ label: 'bench peak', code });
  const buffer = device.createBuffer({ size: workgroups * workgroupSize * 16, usage: GPUBufferUsage.STORAGE });
  const run = async (iterations: number, copies: number): Promise<number> => {
    const pipeline = await device.createComputePipelineAsync({
      label: 'bench peak',
      layout: 'auto',
      compute: { module, entryPoint: 'main', constants: { ITERATIONS: iterations } },
    });
    const group = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer } }] });
    const once = async (): Promise<number> => {
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      for (let i = 0; i < copies; i++) pass.dispatchWorkgroups(workgroups);
      pass.end();
      const t0 = performance.now();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      return performance.now() - t0;
    };
    await once();
    return once();
  };
  // (run() also compiles the pipeline for the iteration count; its first dispatch is a warm-up)
  let iterations = 64;
  let ms = await run(iterations, 1);
  const target = (seconds * 1000) / 3;
  if (ms < target) iterations = Math.max(64, Math.min(1 << 16, Math.round((iterations * target) / Math.max(ms, 0.1))));
  // a peak: the best of three runs (other processes only ever make a run slower)
  ms = Infinity;
  for (let i = 0; i < 3; i++) ms = Math.min(ms, await run(iterations, 1));
  originalDestroy ? originalDestroy.call(buffer) : buffer.destroy();
  const invocations = workgroups * workgroupSize;
  const flops = invocations * iterations * 8 * 4 * 2;
  return { gflops: flops / (ms * 1e6), invocations, iterations, ms };
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
