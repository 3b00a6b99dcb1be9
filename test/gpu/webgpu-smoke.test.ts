// The browser really runs WebGPU compute: y[i] = 2 * x[i] + 1 on 1000 random floats, read back.
import type { Page } from 'puppeteer';
import { beforeAll, expect, test } from 'vitest';
import { inPage, openPage } from './harness.js';

let page: Page;
beforeAll(async () => {
  page = await openPage();
});

test('a WGSL compute shader runs and reads back', async () => {
  const x = Array.from({ length: 1000 }, () => Math.random() * 200 - 100);
  const y = await inPage(
    page,
    async (input: number[]) => {
      const adapter = await navigator.gpu.requestAdapter();
      if (!adapter) throw new Error('no WebGPU adapter');
      const device = await adapter.requestDevice();
      const module = device.createShaderModule({
        code: /* wgsl */ `
        @group(0) @binding(0) var<storage, read> x: array<f32>;
        @group(0) @binding(1) var<storage, read_write> y: array<f32>;
        @compute @workgroup_size(64)
        fn main(@builtin(global_invocation_id) id: vec3<u32>) {
          if (id.x < arrayLength(&x)) { y[id.x] = 2.0 * x[id.x] + 1.0; }
        }`,
      });
      const info = await module.getCompilationInfo();
      const errors = info.messages.filter((m) => m.type === 'error');
      if (errors.length) throw new Error(errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('\n'));
      const data = new Float32Array(input);
      const usage = GPUBufferUsage;
      const xBuf = device.createBuffer({ size: data.byteLength, usage: usage.STORAGE | usage.COPY_DST });
      const yBuf = device.createBuffer({ size: data.byteLength, usage: usage.STORAGE | usage.COPY_SRC });
      const readBuf = device.createBuffer({ size: data.byteLength, usage: usage.MAP_READ | usage.COPY_DST });
      device.queue.writeBuffer(xBuf, 0, data);
      const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
      const bindGroup = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: xBuf } },
          { binding: 1, resource: { buffer: yBuf } },
        ],
      });
      device.pushErrorScope('validation');
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(Math.ceil(data.length / 64));
      pass.end();
      encoder.copyBufferToBuffer(yBuf, 0, readBuf, 0, data.byteLength);
      device.queue.submit([encoder.finish()]);
      const validation = await device.popErrorScope();
      if (validation) throw new Error(`WebGPU validation error: ${validation.message}`);
      await readBuf.mapAsync(GPUMapMode.READ);
      const out = new Float32Array(readBuf.getMappedRange().slice(0));
      readBuf.unmap();
      device.destroy();
      return out;
    },
    x,
  );

  expect(y).toBeInstanceOf(Float32Array);
  expect(y.length).toBe(1000);
  const x32 = new Float32Array(x);
  for (let i = 0; i < x.length; i++) expect(y[i]).toBeCloseTo(2 * x32[i]! + 1, 4);
});

test('page errors come back with their message', async () => {
  await expect(
    inPage(
      page,
      (n: number) => {
        if (n > 0) throw new RangeError(`boom ${n}`);
        return n;
      },
      7,
    ),
  ).rejects.toThrow(/in page: boom 7/);
});
