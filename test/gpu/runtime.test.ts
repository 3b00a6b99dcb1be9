// The low-level runtime in the page: device singleton and limits, counters, readback of odd
// ranges, pipeline cache, WGSL compile errors naming the kernel, device loss and resetGpu.
import type { Page } from 'puppeteer';
import { beforeAll, expect, test } from 'vitest';
import type { BufferDecl, KernelDesc } from '../../src/ir/kernel.js';
import type { GeneratedKernel } from '../../src/wgsl/index.js';
import { inPage, openPage } from './harness.js';

let page: Page;
beforeAll(async () => {
  page = await openPage();
});

test('device, counters, buffers, readback, pipeline cache, step program', async () => {
  const r = await inPage(
    page,
    async () => {
      const { runtime, wgsl } = window.weftTesting;
      const gpu = await runtime.getGpu();
      const same = (await runtime.getGpu()) === gpu;
      runtime.resetCounters();
      const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
      const buf = runtime.createBuffer(gpu, { size: 37, usage, label: 'odd' });
      const bytes = new Uint8Array(37).map((_, i) => i * 3 + 1);
      runtime.writeBuffer(gpu, buf, 0, bytes);
      const slice = new Uint8Array(await runtime.readBuffer(gpu, buf, 6, 10));
      const decls: Record<string, BufferDecl> = { x: { name: 'x', elementType: 'f32', size: 8, role: 'arena' } };
      const desc = (name: string): KernelDesc => ({
        kind: 'elementwise',
        name,
        rows: 2,
        cols: 4,
        expr: { op: 'mul', a: { op: 'read', view: { buffer: 'x', offset: 0, rowStride: 4, rows: 2, cols: 4 } }, b: { op: 'const', value: 2 } },
        out: { buffer: 'x', offset: 0, rowStride: 4, rows: 2, cols: 4 },
      });
      const x = runtime.createBuffer(gpu, { size: 32, usage });
      runtime.writeBuffer(gpu, x, 0, new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]));
      const steps = runtime.createBuffer(gpu, { size: 256, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      const kernels = [wgsl.generateKernel(desc('double'), decls), wgsl.generateKernel(desc('double again'), decls)];
      const program = await runtime.StepProgram.create(gpu, kernels, new Map([['x', x]]), steps);
      const encoder = gpu.device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      program.encode(pass, 0);
      pass.end();
      runtime.submit(gpu, [encoder.finish()]);
      const doubled = Array.from(new Float32Array(await runtime.readBuffer(gpu, x, 0, 32)));
      return {
        same,
        adapter: gpu.adapterInfo,
        cpuAdapter: gpu.cpuAdapter,
        subgroups: gpu.subgroups,
        // Node (gpu-node) runs this in the test's process, where WEFT_NO_SUBGROUPS=1 turns subgroups off.
        subgroupsRefused: !!(globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.WEFT_NO_SUBGROUPS,
        deviceSubgroups: gpu.device.features.has('subgroups'),
        variant: runtime.preferredMatmulVariant(gpu),
        limits: gpu.limits,
        slice,
        expectedSlice: bytes.slice(6, 16),
        doubled,
        counts: runtime.snapshotCounters(),
        dispatchesPerStep: program.dispatchesPerStep,
      };
    },
    null,
  );
  expect(r.same).toBe(true);
  expect(typeof r.adapter.vendor).toBe('string');
  // Headless test runs use SwiftShader unless WEFT_GPU=real.
  // SwiftShader has subgroups (4 lanes): weft enables them and picks the quad-shared matmul, or the
  // register-tiled fallback where subgroups are off (WEFT_NO_SUBGROUPS=1, honoured in Node).
  if (/swiftshader/i.test(r.adapter.architecture)) {
    expect([r.cpuAdapter, r.variant]).toEqual([true, r.subgroups ? 'quadTiled' : 'registerTiled']);
    expect(r.subgroups).toBe(!r.subgroupsRefused);
  }
  expect(r.subgroups).toBe(r.deviceSubgroups);
  for (const k of [
    'maxStorageBufferBindingSize',
    'maxBufferSize',
    'maxStorageBuffersPerShaderStage',
    'maxComputeWorkgroupStorageSize',
    'maxComputeWorkgroupsPerDimension',
  ]) {
    expect(r.limits[k], k).toBeGreaterThan(0);
  }
  expect(Array.from(r.slice)).toEqual(Array.from(r.expectedSlice));
  expect(r.doubled).toEqual([4, 8, 12, 16, 20, 24, 28, 32]);
  expect(r.dispatchesPerStep).toBe(2);
  // The two kernels differ only by name (a comment), so they share one pipeline.
  expect(r.counts).toMatchObject({ dispatches: 2, readbacks: 2, bindGroupCreations: 2, pipelineCreations: 1, writes: 2 });
  expect(r.counts.bufferCreations).toBe(5); // odd, x, steps, 2 staging
  expect(r.counts.submits).toBe(3);
});

test('the readback ring: metric sums larger than its staging buffers get a buffer of their size, progress reads skip them', async () => {
  const r = await inPage(
    page,
    async () => {
      const { runtime } = window.weftTesting;
      const gpu = await runtime.getGpu();
      const ring = new runtime.ReadbackRing(gpu, 16, 2);
      const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
      // 40 floats: more than the ring's 16-byte buffers hold (as slots × row-part copies past 1,024 floats would be in a session's 4,096-byte ring)
      const sums = runtime.createBuffer(gpu, { size: 160, usage, label: 'sums' });
      runtime.writeBuffer(
        gpu,
        sums,
        0,
        Float32Array.from({ length: 40 }, (_, i) => i + 0.5),
      );
      const skipped = ring.take(160) === null;
      const staging = ring.takeOrMake(160);
      const encoder = gpu.device.createCommandEncoder();
      encoder.copyBufferToBuffer(sums, 0, staging, 0, 160);
      runtime.submit(gpu, [encoder.finish()]);
      const back = Array.from(new Float32Array(await ring.read(staging, 160)));
      const small = ring.take(16);
      const result = { skipped, stagingSize: staging.size, back, ringKept: ring.memory.buffers, smallFits: small !== null && small.size === 16 };
      ring.dispose();
      sums.destroy();
      return result;
    },
    undefined,
  );
  expect(r.skipped).toBe(true);
  expect(r.stagingSize).toBeGreaterThanOrEqual(160);
  expect(r.back).toEqual(Array.from({ length: 40 }, (_, i) => i + 0.5));
  expect(r.ringKept, 'the larger buffer was an extra one, not kept').toBe(2);
  expect(r.smallFits).toBe(true);
});

test('a WGSL compile error names the kernel, the line:col and the offending line', async () => {
  const message = await inPage(
    page,
    async () => {
      const { runtime } = window.weftTesting;
      const gpu = await runtime.getGpu();
      const kernel: GeneratedKernel = {
        name: 'broken kernel',
        wgsl: '// weft kernel: broken kernel\n@compute @workgroup_size(1)\nfn main() {\n  let x: f32 = undefined_thing + 1.0;\n}\n',
        entryPoint: 'main',
        bindings: [],
        usesStep: false,
        workgroups: [1, 1, 1],
      };
      try {
        await runtime.getPipeline(gpu, kernel);
        return 'no error';
      } catch (e) {
        return `${(e as Error).name}: ${(e as Error).message}`;
      }
    },
    null,
  );
  expect(message).toMatch(/^WeftError: kernel "broken kernel": WGSL does not compile/);
  expect(message).toMatch(/4:\d+: error: .*undefined_thing/);
  expect(message).toContain('4 |   let x: f32 = undefined_thing + 1.0;');
});

test('device loss is remembered until resetGpu()', async () => {
  const r = await inPage(
    page,
    async () => {
      const { runtime } = window.weftTesting;
      const gpu = await runtime.getGpu();
      gpu.device.destroy();
      await gpu.device.lost;
      await new Promise((res) => setTimeout(res, 0));
      const lostMessage = await runtime.getGpu().then(
        () => 'no error',
        (e: Error) => `${e.name}: ${e.message}`,
      );
      let createMessage = 'no error';
      try {
        runtime.createBuffer(gpu, { size: 16, usage: GPUBufferUsage.STORAGE });
      } catch (e) {
        createMessage = (e as Error).message;
      }
      runtime.resetGpu();
      const fresh = await runtime.getGpu();
      const x = runtime.createBuffer(fresh, { size: 16, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
      runtime.writeBuffer(fresh, x, 0, new Uint32Array([1, 2, 3, 4]));
      const back = Array.from(new Uint32Array(await runtime.readBuffer(fresh, x, 0, 16)));
      return { lostMessage, createMessage, freshIsNew: fresh !== gpu, back };
    },
    null,
  );
  expect(r.lostMessage).toMatch(/^WeftError: GPU device was lost: destroyed/);
  expect(r.createMessage).toMatch(/GPU device was lost/);
  expect(r.freshIsNew).toBe(true);
  expect(r.back).toEqual([1, 2, 3, 4]);
});
