// Helpers for the kernel GPU tests: build cases (buffers, views with offsets and wide strides,
// kernels, step records), compute the expected buffers with the float64 reference in node, run
// the generated WGSL in the page (one inPage call per batch of cases), and compare.
import type { Page } from 'puppeteer';
import type { BufferDecl, ElementType, KernelDesc, MatmulKernel, View } from '../../src/ir/kernel.js';
import type { QuadChoice } from '../../src/wgsl/index.js';
import { runKernelReference, type RefBuffers, type RefStep } from '../reference/kernelReference.js';
import { inPage } from './harness.js';
import { gpuRuntime, thisRuntimesShare } from './runtimeShare.js';

/** Initial contents: explicit values, or seeded random ones (f32: U(lo, hi) never 0; u8: bytes; ints: floor U(lo, hi)). */
export type InitSpec = number[] | { seed: number; lo?: number; hi?: number };

export interface KernelCase {
  label: string;
  decls: Record<string, BufferDecl>;
  init: Record<string, InitSpec>;
  kernels: KernelDesc[];
  /** One step record per replay of the kernel list (all in one compute pass). */
  steps: RefStep[];
  variant?: 'registerTiled' | 'workgroupTiled' | 'quadTiled';
  /** quadTiled: the block, workgroup size and sharing (default: chooseQuadBlock). */
  quad?: QuadChoice;
  /** registerTiled block size (default: the code generator's choice). */
  registerBlock?: [4 | 8, 4 | 8];
  /** Loss heads: sum in one quad with subgroupAdd (GenerateOptions.quadReduction). */
  quadReduction?: boolean;
  /** Per-item kernels' workgroup size (GenerateOptions.itemWorkgroupSize; default each kernel's own). */
  itemWorkgroupSize?: number;
  /** f32 buffers to compare (whole buffers: untouched elements must stay as they were). */
  outputs: string[];
  /** The kernels (products over one op(A)) run as the one kernel generateProductsSharingA makes (quadTiled). */
  sharedA?: boolean;
  /**
   * The kernels run as the stages of one row-parts dispatch (plan/rowParts.ts, wgsl generateRowParts):
   * `kernels` as sliceRows gives them for `count` parts (the reference runs `whole`, the kernels unsplit).
   */
  rowParts?: { count: number; whole: KernelDesc[] };
}

export const STEP0: RefStep = { rowBase: 0, t: 1, learningRate: 0.01, beta1Power: 0.9, beta2Power: 0.999, seed: 7, rows: 0 };

/**
 * Materialises an InitSpec. Self-contained (it is also sent to the page as source text), so the
 * page and node produce the same values.
 */
export function materialize(spec: number[] | { seed: number; lo?: number; hi?: number }, elementType: string, size: number): number[] {
  const out = new Array<number>(size).fill(0);
  if (Array.isArray(spec)) {
    for (let i = 0; i < Math.min(size, spec.length); i++) out[i] = spec[i]!;
    return out;
  }
  let a = spec.seed | 0;
  const rand = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const lo = spec.lo ?? -1;
  const hi = spec.hi ?? 1;
  for (let i = 0; i < size; i++) {
    const u = rand();
    if (elementType === 'f32') {
      const v = Math.fround(lo + (hi - lo) * u);
      out[i] = v === 0 ? Math.fround((lo + hi) / 2 + (hi - lo) / 4) : v;
    } else if (elementType === 'u8') {
      out[i] = Math.floor(u * 256);
    } else {
      out[i] = Math.floor(lo + (hi - lo) * u);
    }
  }
  return out;
}

function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Allocates views one after another in one buffer, with gaps and rows wider than cols. */
export class Arena {
  size = 0;
  constructor(
    readonly name: string,
    readonly elementType: ElementType = 'f32',
  ) {}

  /** A rows×cols view at an odd offset with `pad` extra elements per row; `extraRows` leaves room for rowBase shifts. */
  view(rows: number, cols: number, opts: { pad?: number; gap?: number; rowBaseFromStep?: boolean; extraRows?: number; align4?: boolean } = {}): View {
    const gap = opts.gap ?? 3;
    const pad = opts.pad ?? 2;
    const up4 = (x: number): number => (opts.align4 ? Math.ceil(x / 4) * 4 : x);
    const rowStride = up4(cols + pad);
    const offset = up4(this.size + gap);
    this.size = offset + (rows + (opts.extraRows ?? 0)) * rowStride + 5;
    return { buffer: this.name, offset, rowStride, rows, cols, ...(opts.rowBaseFromStep ? { rowBaseFromStep: true } : {}) };
  }

  /** The buffer's declaration; `align4` rounds its size up to a multiple of 4 elements. */
  decl(role: BufferDecl['role'] = 'arena', align4 = false): BufferDecl {
    return { name: this.name, elementType: this.elementType, size: align4 ? Math.ceil(this.size / 4) * 4 : this.size, role };
  }
}

export interface CaseResult {
  label: string;
  /** max over outputs of max|gpu − ref| / max(1, max|ref|). */
  error: number;
  worst: string;
  gpuMs: number;
}

/** Expected output buffers (float64 reference). */
export function expectedOutputs(c: KernelCase): Record<string, Float64Array> {
  const buffers: RefBuffers = {};
  for (const [name, decl] of Object.entries(c.decls)) {
    const spec = c.init[name] ?? { seed: seedOf(`${c.label}/${name}`) };
    const values = materialize(spec, decl.elementType, decl.size);
    buffers[name] = decl.elementType === 'f32' ? Float64Array.from(values) : Int32Array.from(values);
  }
  for (const step of c.steps) for (const k of c.rowParts?.whole ?? c.kernels) runKernelReference(k, buffers, step);
  const out: Record<string, Float64Array> = {};
  for (const name of c.outputs) out[name] = buffers[name] as Float64Array;
  return out;
}

interface PageCase {
  label: string;
  decls: Record<string, BufferDecl>;
  init: Record<string, InitSpec>;
  kernels: KernelDesc[];
  steps: RefStep[];
  variant: 'registerTiled' | 'workgroupTiled' | 'quadTiled';
  registerBlock: [4 | 8, 4 | 8] | null;
  quad: QuadChoice | null;
  quadReduction: boolean;
  itemWorkgroupSize: number | null;
  outputs: string[];
  sharedA: boolean;
  /** Row parts: the kernels as the stages of one dispatch of this many parts (0: none). */
  rowParts: number;
}

/** Runs the cases in the page and compares each with the reference; returns one result per case. */
export async function runCases(page: Page, cases: KernelCase[]): Promise<CaseResult[]> {
  const pageCases: PageCase[] = cases.map((c) => {
    const init: Record<string, InitSpec> = {};
    for (const name of Object.keys(c.decls)) init[name] = c.init[name] ?? { seed: seedOf(`${c.label}/${name}`) };
    return {
      label: c.label,
      decls: c.decls,
      init,
      kernels: c.kernels,
      steps: c.steps,
      variant: c.variant ?? 'registerTiled',
      registerBlock: c.registerBlock ?? null,
      quad: c.quad ?? null,
      quadReduction: c.quadReduction ?? false,
      itemWorkgroupSize: c.itemWorkgroupSize ?? null,
      outputs: c.outputs,
      sharedA: c.sharedA ?? false,
      rowParts: c.rowParts?.count ?? 0,
    };
  });
  const got = await inPage(
    page,
    async (arg: { cases: PageCase[]; materializeSource: string }) => {
      const T = window.weftTesting;
      const { wgsl, runtime } = T;
      const materialize = (0, eval)(`(${arg.materializeSource})`) as (s: unknown, t: string, n: number) => number[];
      const gpu = await runtime.getGpu();
      const device: GPUDevice = gpu.device;
      const results: { outputs: Record<string, Float32Array>; gpuMs: number }[] = [];
      const generate = (c: PageCase) => {
        if (c.sharedA) return [wgsl.generateProductsSharingA(c.kernels as MatmulKernel[], c.decls)];
        const kernels = c.kernels.map((k) =>
          wgsl.generateKernel(k, c.decls, {
            variant: c.variant,
            ...(c.registerBlock ? { registerBlock: c.registerBlock } : {}),
            ...(c.quad ? { quad: c.quad } : {}),
            quadReduction: c.quadReduction,
            ...(c.itemWorkgroupSize ? { itemWorkgroupSize: c.itemWorkgroupSize } : {}),
          }),
        );
        return c.rowParts > 0
          ? [
              wgsl.generateRowParts(
                kernels.map((k) => [k]),
                c.rowParts,
              ),
            ]
          : kernels;
      };
      // Compile every pipeline up front, concurrently (the cache hands them to StepProgram.create).
      await Promise.all(
        arg.cases.flatMap((c) =>
          generate(c).map((kernel) =>
            runtime.getPipeline(gpu, kernel).catch((e: Error) => {
              throw new Error(`case "${c.label}": ${e.message}`);
            }),
          ),
        ),
      );
      for (const c of arg.cases) {
        const buffers = new Map<string, GPUBuffer>();
        try {
          for (const [name, decl] of Object.entries(c.decls)) {
            const values = materialize(c.init[name], decl.elementType, decl.size);
            let bytes: ArrayBufferView;
            if (decl.elementType === 'f32') bytes = new Float32Array(values);
            else if (decl.elementType === 'i32') bytes = new Int32Array(values);
            else if (decl.elementType === 'u32') bytes = new Uint32Array(values);
            else bytes = new Uint8Array(values);
            const b = runtime.createBuffer(gpu, {
              size: bytes.byteLength,
              usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
              label: name,
            });
            runtime.writeBuffer(gpu, b, 0, bytes);
            buffers.set(name, b);
          }
          const kernels = generate(c);
          const stepBuffer = runtime.createBuffer(gpu, {
            size: c.steps.length * 256,
            usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
            label: 'steps',
          });
          runtime.writeBuffer(gpu, stepBuffer, 0, runtime.encodeStepRecords(c.steps));
          const program = await runtime.StepProgram.create(gpu, kernels, buffers, stepBuffer);
          await device.queue.onSubmittedWorkDone();
          device.pushErrorScope('validation');
          const t0 = performance.now();
          const encoder = device.createCommandEncoder();
          const pass = encoder.beginComputePass();
          for (let s = 0; s < c.steps.length; s++) program.encode(pass, s);
          pass.end();
          runtime.submit(gpu, [encoder.finish()]);
          const err = await device.popErrorScope();
          if (err) throw new Error(`validation: ${err.message}`);
          await device.queue.onSubmittedWorkDone();
          const gpuMs = performance.now() - t0;
          const outputs: Record<string, Float32Array> = {};
          for (const name of c.outputs) {
            const decl = c.decls[name]!;
            outputs[name] = new Float32Array(await runtime.readBuffer(gpu, buffers.get(name)!, 0, decl.size * 4));
          }
          stepBuffer.destroy();
          results.push({ outputs, gpuMs });
        } catch (e) {
          throw new Error(`case "${c.label}": ${(e as Error).message ?? e}`);
        } finally {
          for (const b of buffers.values()) b.destroy();
        }
      }
      if (gpu.uncapturedErrors.length) throw new Error(`uncaptured WebGPU errors: ${gpu.uncapturedErrors.join('; ')}`);
      return results;
    },
    { cases: pageCases, materializeSource: materialize.toString() },
  );
  return cases.map((c, i) => {
    const expected = expectedOutputs(c);
    let error = 0;
    let worst = '';
    for (const name of c.outputs) {
      const ref = expected[name]!;
      const gpu = got[i]!.outputs[name]!;
      let maxRef = 0;
      for (const v of ref) maxRef = Math.max(maxRef, Math.abs(v));
      let maxDiff = 0;
      let at = -1;
      for (let j = 0; j < ref.length; j++) {
        const d = Math.abs(gpu[j]! - ref[j]!);
        if (!(d <= maxDiff)) {
          maxDiff = d;
          at = j;
          if (Number.isNaN(d)) break;
        }
      }
      const e = Number.isNaN(maxDiff) ? Infinity : maxDiff / Math.max(1, maxRef);
      if (e > error || (e === error && worst === '')) {
        error = e;
        worst = at >= 0 ? `${name}[${at}]: gpu ${gpu[at]} ref ${ref[at]}` : name;
      }
    }
    return { label: c.label, error, worst, gpuMs: got[i]!.gpuMs };
  });
}

/** Formats failures (error ≥ tol) for an assertion message. */
/**
 * Runs this runtime's share of the cases (runtimeShare.ts: the other GPU project runs the rest) and logs
 * how many ran and how long they took, tagged with the test file's name.
 */
export async function runShareOfCases(page: Page, cases: KernelCase[], tag: string): Promise<CaseResult[]> {
  const share = thisRuntimesShare(cases, (c) => c.label);
  const t0 = performance.now();
  const results = await runCases(page, share);
  console.log(`[${tag}] ${gpuRuntime()} ran ${share.length} of ${cases.length} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return results;
}

export function failures(results: CaseResult[], tol = 1e-4): string[] {
  return results.filter((r) => !(r.error < tol)).map((r) => `${r.label}: rel error ${r.error.toExponential(2)} at ${r.worst}`);
}
