// A fixed list of kernels with their pipelines and bind groups made once; `encode` records one
// step's dispatches into a compute pass, the Step record picked by dynamic offset.
import { STEP_RECORD_BYTES, STEP_UNIFORM_FIELDS } from '../ir/kernel.js';
import type { GeneratedKernel } from '../wgsl/index.js';
import { STEP_FIELD_TYPES } from '../wgsl/views.js';
import { counters } from './counters.js';
import { assertAlive, type Gpu } from './device.js';
import { WeftError } from './errors.js';
import { STEP_BINDING_BYTES, getPipeline, stepBindGroupLayout } from './pipelineCache.js';

/** One step's values in the Step uniform (field types: STEP_FIELD_TYPES, where the WGSL struct is made). */
export type StepRecord = Record<(typeof STEP_UNIFORM_FIELDS)[number], number>;

/** Packs Step records, one per STEP_RECORD_BYTES (256), fields in STEP_UNIFORM_FIELDS order. */
export function encodeStepRecords(records: readonly StepRecord[]): ArrayBuffer {
  const out = new ArrayBuffer(Math.max(1, records.length) * STEP_RECORD_BYTES);
  const view = new DataView(out);
  records.forEach((r, i) => {
    STEP_UNIFORM_FIELDS.forEach((field, j) => {
      const at = i * STEP_RECORD_BYTES + j * 4;
      if (STEP_FIELD_TYPES[field] === 'u32') view.setUint32(at, r[field] >>> 0, true);
      else view.setFloat32(at, r[field], true);
    });
  });
  return out;
}

interface Entry {
  kernel: GeneratedKernel;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  usesStep: boolean;
}

export class StepProgram {
  private constructor(
    private readonly gpu: Gpu,
    private readonly entries: Entry[],
    private readonly stepBindGroup: GPUBindGroup | null,
    private readonly stepRecords: number,
  ) {}

  /** Dispatches one `encode` records. */
  get dispatchesPerStep(): number {
    return this.entries.length;
  }

  get kernels(): GeneratedKernel[] {
    return this.entries.map((e) => e.kernel);
  }

  /**
   * Compiles (or reuses) every kernel's pipeline and makes its bind groups. `buffers` maps buffer
   * names to GPU buffers (STORAGE usage); `stepUniform` (UNIFORM usage) holds Step records of
   * STEP_RECORD_BYTES each.
   */
  static async create(gpu: Gpu, kernels: GeneratedKernel[], buffers: Map<string, GPUBuffer>, stepUniform: GPUBuffer): Promise<StepProgram> {
    assertAlive(gpu);
    const compiled = await Promise.all(kernels.map((k) => getPipeline(gpu, k)));
    const { device } = gpu;
    device.pushErrorScope('validation');
    const entries = compiled.map((c) => {
      const entries: GPUBindGroupEntry[] = c.kernel.bindings.map((b) => {
        const buffer = buffers.get(b.buffer);
        if (!buffer) throw new WeftError(`kernel "${c.kernel.name}": no GPU buffer for "${b.buffer}"`, { kernel: c.kernel.name });
        return { binding: b.binding, resource: { buffer } };
      });
      counters.bindGroupCreations++;
      const bindGroup = device.createBindGroup({ label: c.kernel.name, layout: c.bufferLayout, entries });
      return { kernel: c.kernel, pipeline: c.pipeline, bindGroup, usesStep: c.kernel.usesStep };
    });
    let stepBindGroup: GPUBindGroup | null = null;
    if (entries.some((e) => e.usesStep)) {
      counters.bindGroupCreations++;
      stepBindGroup = device.createBindGroup({
        label: 'weft step uniform',
        layout: stepBindGroupLayout(gpu),
        entries: [{ binding: 0, resource: { buffer: stepUniform, offset: 0, size: STEP_BINDING_BYTES } }],
      });
    }
    const error = await device.popErrorScope();
    if (error) throw new WeftError(`making bind groups failed: ${error.message}`);
    return new StepProgram(gpu, entries, stepBindGroup, Math.floor(stepUniform.size / STEP_RECORD_BYTES));
  }

  /** Records every kernel's dispatch into `pass`, reading Step record `stepRecord`. */
  encode(pass: GPUComputePassEncoder, stepRecord: number): void {
    if (this.stepBindGroup && (stepRecord < 0 || stepRecord >= this.stepRecords || !Number.isInteger(stepRecord))) {
      throw new WeftError(`step record ${stepRecord} is outside the step uniform (${this.stepRecords} records)`);
    }
    const dynamicOffsets = [stepRecord * STEP_RECORD_BYTES];
    for (const e of this.entries) {
      pass.setPipeline(e.pipeline);
      pass.setBindGroup(0, e.bindGroup);
      if (e.usesStep) pass.setBindGroup(1, this.stepBindGroup, dynamicOffsets);
      const [x, y, z] = e.kernel.workgroups;
      pass.dispatchWorkgroups(x, y, z);
      counters.dispatches++;
    }
    void this.gpu;
  }
}
