// Compute pipelines cached by WGSL text (per device), with explicit bind group layouts:
// group 0 = the kernel's storage buffers, group 1 = the Step uniform (dynamic offset) when used.
// A WGSL compile error or a pipeline error becomes a WeftError naming the kernel, with the
// compiler's line:col messages and the offending WGSL lines.
import { STEP_RECORD_BYTES } from '../ir/kernel.js';
import type { GeneratedKernel } from '../wgsl/index.js';
import { counters } from './counters.js';
import { assertAlive, type Gpu } from './device.js';
import { WeftError } from './errors.js';

/** Bytes of one Step record bound at a time (the WGSL struct is 24 bytes, padded to 32). */
export const STEP_BINDING_BYTES = 32;

export interface CompiledKernel {
  kernel: GeneratedKernel;
  pipeline: GPUComputePipeline;
  /** Layout of group 0 (storage buffers). */
  bufferLayout: GPUBindGroupLayout;
  /** Layout of group 1 (the Step uniform), when the kernel uses it (shared by every kernel). */
  stepLayout: GPUBindGroupLayout | null;
}

const caches = new WeakMap<GPUDevice, Map<string, Promise<CompiledKernel>>>();
const stepLayouts = new WeakMap<GPUDevice, GPUBindGroupLayout>();

/** The bind group layout of the Step uniform (one per device, shared by every pipeline). */
export function stepBindGroupLayout(gpu: Gpu): GPUBindGroupLayout {
  let layout = stepLayouts.get(gpu.device);
  if (!layout) {
    layout = gpu.device.createBindGroupLayout({
      label: 'weft step uniform',
      entries: [{ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: STEP_BINDING_BYTES } }],
    });
    stepLayouts.set(gpu.device, layout);
  }
  return layout;
}

/** The compiled pipeline of a generated kernel (made once per distinct WGSL text). */
export function getPipeline(gpu: Gpu, kernel: GeneratedKernel): Promise<CompiledKernel> {
  assertAlive(gpu);
  let cache = caches.get(gpu.device);
  if (!cache) caches.set(gpu.device, (cache = new Map()));
  // Keyed without comments: kernels differ there only by their names (layer names change from one
  // model to the next), so an identical model built again reuses every pipeline.
  const key = kernel.wgsl.replace(/\/\/[^\n]*/g, '').replace(/\n\s*\n/g, '\n');
  let entry = cache.get(key);
  if (!entry) {
    entry = compile(gpu, kernel);
    cache.set(key, entry);
    entry.catch(() => cache!.delete(key));
  }
  // Same WGSL under another name: share the pipeline, report this kernel.
  return entry.then((c) => (c.kernel === kernel ? c : { ...c, kernel }));
}

async function compile(gpu: Gpu, kernel: GeneratedKernel): Promise<CompiledKernel> {
  const { device } = gpu;
  if (STEP_BINDING_BYTES > STEP_RECORD_BYTES) throw new Error('step binding larger than a record');
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label: kernel.name, code: kernel.wgsl });
  const info = await module.getCompilationInfo();
  const scopeError = await device.popErrorScope();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0 || scopeError) {
    throw new WeftError(
      `kernel "${kernel.name}": WGSL does not compile:\n${formatMessages(kernel.wgsl, errors)}${scopeError && errors.length === 0 ? `\n${scopeError.message}` : ''}`,
      { kernel: kernel.name },
    );
  }
  const bufferLayout = device.createBindGroupLayout({
    label: `${kernel.name} buffers`,
    entries: kernel.bindings.map((b) => ({
      binding: b.binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: b.access === 'read_write' ? 'storage' : 'read-only-storage' },
    })),
  });
  const stepLayout = kernel.usesStep ? stepBindGroupLayout(gpu) : null;
  const layout = device.createPipelineLayout({
    label: kernel.name,
    bindGroupLayouts: stepLayout ? [bufferLayout, stepLayout] : [bufferLayout],
  });
  counters.pipelineCreations++;
  let pipeline: GPUComputePipeline;
  try {
    pipeline = await device.createComputePipelineAsync({ label: kernel.name, layout, compute: { module, entryPoint: kernel.entryPoint } });
  } catch (e) {
    const warnings = formatMessages(
      kernel.wgsl,
      info.messages.filter((m) => m.type !== 'info'),
    );
    throw new WeftError(`kernel "${kernel.name}": pipeline creation failed: ${(e as Error)?.message ?? e}${warnings ? `\n${warnings}` : ''}`, {
      kernel: kernel.name,
      cause: e,
    });
  }
  return { kernel, pipeline, bufferLayout, stepLayout };
}

/** `line:col: message` followed by the WGSL line and a caret, for each compiler message. */
export function formatMessages(wgsl: string, messages: readonly GPUCompilationMessage[]): string {
  const lines = wgsl.split('\n');
  return messages
    .map((m) => {
      const src = m.lineNum > 0 ? lines[m.lineNum - 1] : undefined;
      const where = `${m.lineNum}:${m.linePos}`;
      const text = `  ${where}: ${m.type}: ${m.message}`;
      if (src === undefined) return text;
      const gutter = `${m.lineNum} | `;
      return `${text}\n    ${gutter}${src}\n    ${' '.repeat(gutter.length + Math.max(0, m.linePos - 1))}^`;
    })
    .join('\n');
}
