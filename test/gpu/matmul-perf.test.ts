// Matmul throughput on this adapter (SwiftShader here) for both variants: printed, not asserted
// (beyond "it ran"). Shapes: 1024³, the MLP's first layer forward at batch 32 (32×30×784) and its
// weight gradient (784×30, K = 32, transA). Set WEFT_PERF_QUICK=1 to skip the 1024³ runs,
// WEFT_PERF_FULL=1 to also compare registerTiled block sizes at 1024³.
import type { Page } from 'puppeteer';
import { beforeAll, expect, test } from 'vitest';
import type { MatmulKernel } from '../../src/ir/kernel.js';
import { inPage, openPage } from './harness.js';

let page: Page;
beforeAll(async () => {
  page = await openPage();
});

interface PerfCase {
  label: string;
  desc: MatmulKernel;
  variant: 'registerTiled' | 'workgroupTiled';
  /** registerTiled block (default: chosen by the code generator). */
  block?: [4 | 8, 4 | 8];
  /** Seconds of GPU time to aim for. */
  seconds: number;
}

/** Compact operands; `pad4` rounds row strides up to multiples of 4 (the 4-wide load path); `shared` puts a and out in one buffer. */
function matmul(m: number, n: number, k: number, transA: boolean, transB: boolean, opts: { pad4?: boolean; shared?: boolean } = {}): MatmulKernel {
  const s = (x: number): number => (opts.pad4 ? Math.ceil(x / 4) * 4 : x);
  const aRows = transA ? k : m;
  const aStride = s(transA ? m : k);
  const out = opts.shared ? { buffer: 'a', offset: aRows * aStride, rowStride: s(n), rows: m, cols: n } : { buffer: 'out', offset: 0, rowStride: s(n), rows: m, cols: n };
  return {
    kind: 'matmul',
    name: `perf ${m}x${n}x${k}`,
    m,
    n,
    k,
    transA,
    transB,
    a: transA ? { buffer: 'a', offset: 0, rowStride: aStride, rows: k, cols: m } : { buffer: 'a', offset: 0, rowStride: aStride, rows: m, cols: k },
    b: transB ? { buffer: 'b', offset: 0, rowStride: s(k), rows: n, cols: k } : { buffer: 'b', offset: 0, rowStride: s(n), rows: k, cols: n },
    out,
  };
}

test('matmul GFLOP/s, both variants', async () => {
  const quick = process.env.WEFT_PERF_QUICK === '1';
  const cases: PerfCase[] = [];
  for (const variant of ['registerTiled', 'workgroupTiled'] as const) {
    if (!quick) cases.push({ label: '1024×1024×1024', desc: matmul(1024, 1024, 1024, false, false), variant, seconds: 1 });
    cases.push({ label: '32×30×784 (MLP layer 1 forward, batch 32)', desc: matmul(32, 30, 784, false, false), variant, seconds: 0.5 });
    cases.push({ label: '784×30×32 transA (its weight gradient)', desc: matmul(784, 30, 32, true, false), variant, seconds: 0.5 });
  }
  if (!quick && process.env.WEFT_PERF_FULL === '1') {
    for (const block of [[4, 4], [8, 4], [4, 8], [8, 8]] as const) {
      cases.push({ label: `1024×1024×1024, ${block[0]}×${block[1]} blocks`, desc: matmul(1024, 1024, 1024, false, false), variant: 'registerTiled', block: [block[0], block[1]], seconds: 1 });
    }
    cases.push({ label: '256×256×256', desc: matmul(256, 256, 256, false, false), variant: 'registerTiled', seconds: 0.5 });
  }
  // Layout matters on SwiftShader: the 4-wide path needs read-only operands with rows at multiples of 4.
  cases.push({ label: '32×30×784, a and out in one buffer (scalar A)', desc: matmul(32, 30, 784, false, false, { shared: true }), variant: 'registerTiled', seconds: 0.5 });
  cases.push({ label: '32×30×784, strides padded to 4', desc: matmul(32, 30, 784, false, false, { pad4: true }), variant: 'registerTiled', seconds: 0.5 });
  cases.push({ label: '784×30×32 transA, strides padded to 4', desc: matmul(784, 30, 32, true, false, { pad4: true }), variant: 'registerTiled', seconds: 0.5 });
  const results = await inPage(
    page,
    async (cs: PerfCase[]) => {
      const { wgsl, runtime } = (window as any).weftTesting;
      const gpu = await runtime.getGpu();
      const device: GPUDevice = gpu.device;
      const out: { label: string; variant: string; ms: number; gflops: number; reps: number }[] = [];
      for (const c of cs) {
        const d = c.desc;
        const extent = (v: { offset: number; rowStride: number; rows: number }): number => Math.ceil((v.offset + v.rows * v.rowStride) / 4) * 4;
        const sizes: Record<string, number> = {};
        for (const v of [d.a, d.b, d.out]) sizes[v.buffer] = Math.max(sizes[v.buffer] ?? 0, extent(v));
        const decls: Record<string, unknown> = {};
        const buffers = new Map<string, GPUBuffer>();
        for (const [name, size] of Object.entries(sizes)) {
          decls[name] = { name, elementType: 'f32', size, role: 'arena' };
          const data = new Float32Array(size);
          for (let i = 0; i < size; i++) data[i] = Math.random() * 2 - 1;
          const buf = runtime.createBuffer(gpu, { size: size * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC, label: name });
          runtime.writeBuffer(gpu, buf, 0, data);
          buffers.set(name, buf);
        }
        const kernel = wgsl.generateKernel(d, decls, { variant: c.variant, ...(c.block ? { registerBlock: c.block } : {}) });
        const steps = runtime.createBuffer(gpu, { size: 256, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
        const program = await runtime.StepProgram.create(gpu, [kernel], buffers, steps);
        const run = async (reps: number): Promise<number> => {
          const t0 = performance.now();
          const encoder = device.createCommandEncoder();
          const pass = encoder.beginComputePass();
          for (let i = 0; i < reps; i++) program.encode(pass, 0);
          pass.end();
          runtime.submit(gpu, [encoder.finish()]);
          await device.queue.onSubmittedWorkDone();
          return performance.now() - t0;
        };
        const estimate = Math.max(0.05, await run(1)); // warm-up, and the time of one dispatch
        const reps = Math.max(1, Math.min(500, Math.round((c.seconds * 1000) / estimate)));
        const ms = (await run(reps)) / reps;
        const flops = 2 * d.m * d.n * d.k;
        out.push({ label: c.label, variant: c.variant, ms, gflops: flops / (ms * 1e6), reps });
        for (const b of buffers.values()) b.destroy();
        steps.destroy();
      }
      return { adapter: gpu.adapterInfo, results: out };
    },
    cases,
  );
  const lines = results.results.map((r) => `  ${r.variant.padEnd(15)} ${r.label.padEnd(48)} ${r.ms.toFixed(3).padStart(9)} ms  ${r.gflops.toFixed(3).padStart(7)} GFLOP/s  (${r.reps} reps)`);
  console.log(`[perf] matmul on ${results.adapter.vendor} ${results.adapter.architecture}:\n${lines.join('\n')}`);
  for (const r of results.results) expect(r.gflops).toBeGreaterThan(0);
});
