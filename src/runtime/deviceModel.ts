// A model's persistent GPU state: the flat parameter buffer, and for training the flat gradient
// buffer (laid out like the parameters) and the optimizer's state buffer. All three are padded to
// whole vec4s (paddedParamCount), zeros past the last parameter, for the optimizer's 4-wide update.

import { counters } from './counters.js';
import { assertAlive, storageBindingLimit, type Gpu } from './device.js';
import { WeftError } from './errors.js';
import { createBuffer, readBuffer, submit, writeBuffer } from './resources.js';
import { paddedParamCount } from '../ir/kernel.js';
import { HALF_WEIGHTS } from '../ir/precision.js';
import { padStateArrays, unpadStateArrays } from './paddedState.js';
import { emulateF16Storage, generateHalfWeights } from '../wgsl/index.js';

const STORAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;

export class DeviceModel {
  readonly params: GPUBuffer;
  grads: GPUBuffer | null = null;
  optimizerState: GPUBuffer | null = null;
  private stateSignature = '';
  private stateArrays = 0;
  private initialStateValue = 0;
  /** State values written before the state buffer exists (resumed training): used instead of the initial values. */
  private pendingState: Float32Array | null = null;
  /** Staging buffer for reading the parameters back (made on the first read, then reused). */
  private staging: GPUBuffer | null = null;
  /** Reads share `staging`, so they run one after another. */
  private reading: Promise<unknown> = Promise.resolve();
  private readonly owned: GPUBuffer[] = [];
  /** The f16 weight copy and the pipeline that refills it (mixed precision only). */
  private half: { buffer: GPUBuffer; pipeline: GPUComputePipeline; bindGroup: GPUBindGroup; workgroups: [number, number, number] } | null = null;

  constructor(
    readonly gpu: Gpu,
    readonly paramCount: number,
  ) {
    checkBinding(gpu, paddedParamCount(paramCount) * 4, `the model's ${paramCount} parameters (${paddedParamCount(paramCount)} in whole vec4s)`);
    this.params = this.own(createBuffer(gpu, { size: paddedParamCount(paramCount) * 4, usage: STORAGE(), label: 'weft params' }));
  }

  writeParams(values: Float32Array, offset = 0): void {
    writeBuffer(this.gpu, this.params, offset * 4, values);
    if (this.half) this.refreshHalfWeights(this.half);
  }

  /**
   * The f16 copy of the parameters that mixed-precision plans read their weights from (made on first
   * use and filled from the parameters; the optimizer keeps it in step, writeParams refreshes it).
   * `emulated`: the device lacks 'shader-f16' (testing): an f32 buffer of f16-rounded values.
   */
  halfWeights(emulated: boolean): GPUBuffer {
    if (!this.half) {
      const bytes = Math.max(1, this.paramCount) * (emulated ? 4 : 2);
      const buffer = this.own(createBuffer(this.gpu, { size: bytes, usage: STORAGE(), label: 'weft f16 weights' }));
      const kernel = generateHalfWeights(this.paramCount, 'params', HALF_WEIGHTS);
      const code = emulated ? emulateF16Storage(kernel) : kernel;
      counters.pipelineCreations++;
      const pipeline = this.gpu.device.createComputePipeline({
        layout: 'auto',
        compute: { module: this.gpu.device.createShaderModule({ code: code.wgsl, label: 'weft f16 weights' }), entryPoint: 'main' },
        label: 'weft f16 weights',
      });
      counters.bindGroupCreations++;
      const bindGroup = this.gpu.device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: code.bindings.map((b) => ({ binding: b.binding, resource: { buffer: b.buffer === 'params' ? this.params : buffer } })),
      });
      this.half = { buffer, pipeline, bindGroup, workgroups: code.workgroups };
      this.refreshHalfWeights(this.half);
    }
    return this.half.buffer;
  }

  private refreshHalfWeights(half: NonNullable<DeviceModel['half']>): void {
    const encoder = this.gpu.device.createCommandEncoder({ label: 'weft f16 weights' });
    const pass = encoder.beginComputePass({ label: 'weft f16 weights' });
    pass.setPipeline(half.pipeline);
    pass.setBindGroup(0, half.bindGroup);
    pass.dispatchWorkgroups(...half.workgroups);
    pass.end();
    counters.dispatches++;
    submit(this.gpu, [encoder.finish()]);
  }

  /**
   * The parameters, read back through one staging buffer made on the first call and reused: one
   * copy and one map per call, no buffer creation after the first (fit calls this at each epoch end).
   */
  async readParams(): Promise<Float32Array> {
    return (await this.readState(false)).params;
  }

  /**
   * The parameters and the optimizer's state arrays in one copy and one map (fit keeps both at each
   * epoch end, so that training resumes exactly after the device is lost).
   */
  readParamsAndState(): Promise<{ params: Float32Array; state: Float32Array }> {
    return this.readState(true);
  }

  private readState(withState: boolean): Promise<{ params: Float32Array; state: Float32Array }> {
    const read = this.reading.then(
      () => this.readOnce(withState),
      () => this.readOnce(withState),
    );
    this.reading = read.catch(() => {});
    return read;
  }

  private async readOnce(withState: boolean): Promise<{ params: Float32Array; state: Float32Array }> {
    assertAlive(this.gpu);
    const paramBytes = Math.max(1, this.paramCount) * 4;
    const state = withState ? this.optimizerState : null;
    const stateBytes = state ? this.stateArrays * paddedParamCount(this.paramCount) * 4 : 0;
    const bytes = paramBytes + stateBytes;
    // One staging buffer, grown (once) when the optimizer state joins the parameters.
    if (this.staging && this.staging.size < bytes) {
      this.staging.destroy();
      this.owned.splice(this.owned.indexOf(this.staging), 1);
      this.staging = null;
    }
    if (!this.staging)
      this.staging = this.own(createBuffer(this.gpu, { size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'weft params readback' }));
    const staging = this.staging;
    const encoder = this.gpu.device.createCommandEncoder({ label: 'weft params readback' });
    encoder.copyBufferToBuffer(this.params, 0, staging, 0, paramBytes);
    if (state && stateBytes > 0) encoder.copyBufferToBuffer(state, 0, staging, paramBytes, stateBytes);
    submit(this.gpu, [encoder.finish()]);
    counters.readbacks++;
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, bytes);
    } catch (e) {
      assertAlive(this.gpu);
      throw new WeftError(`reading back the parameters failed: ${(e as Error)?.message ?? e}`, { cause: e });
    }
    const mapped = staging.getMappedRange(0, bytes);
    const params = new Float32Array(mapped.slice(0, this.paramCount * 4));
    const stateValues = unpadStateArrays(new Float32Array(mapped.slice(paramBytes, paramBytes + stateBytes)), state ? this.stateArrays : 0, this.paramCount);
    staging.unmap();
    return { params, state: withState && !state ? (this.pendingState?.slice() ?? stateValues) : stateValues };
  }

  /**
   * Makes sure the optimizer-state buffer exists for `stateArrays` state arrays, and the gradient
   * buffer when the plan stores gradients (`needsGrads`; plans that apply the update in the
   * weight-gradient kernels do not); a different optimizer (signature) gets fresh, re-initialised state.
   */
  prepareTraining(stateArrays: number, initialStateValue: number, signature: string, needsGrads: boolean): void {
    const padded = paddedParamCount(this.paramCount);
    if (needsGrads && !this.grads) this.grads = this.own(createBuffer(this.gpu, { size: padded * 4, usage: STORAGE(), label: 'weft grads' }));
    if (this.stateSignature === signature) return;
    if (stateArrays > 0) checkBinding(this.gpu, stateArrays * padded * 4, `the optimizer's state (${stateArrays} values per parameter)`);
    this.stateSignature = signature;
    if (this.optimizerState) {
      this.optimizerState.destroy();
      this.owned.splice(this.owned.indexOf(this.optimizerState), 1);
    }
    this.optimizerState = null;
    this.stateArrays = stateArrays;
    this.initialStateValue = initialStateValue;
    if (stateArrays > 0) {
      this.optimizerState = this.own(createBuffer(this.gpu, { size: stateArrays * padded * 4, usage: STORAGE(), label: 'weft optimizer state' }));
      const pending = this.pendingState;
      this.pendingState = null;
      if (pending && pending.length === stateArrays * this.paramCount)
        writeBuffer(this.gpu, this.optimizerState, 0, padStateArrays(pending, stateArrays, this.paramCount));
      else this.clearOptimizerArrays();
    }
  }

  /** The optimizer's state arrays, one after another (empty before training made them). */
  async readOptimizerArrays(): Promise<Float32Array> {
    if (!this.optimizerState) return this.pendingState?.slice() ?? new Float32Array(0);
    const padded = new Float32Array(await readBuffer(this.gpu, this.optimizerState, 0, this.stateArrays * paddedParamCount(this.paramCount) * 4));
    return unpadStateArrays(padded, this.stateArrays, this.paramCount);
  }

  /**
   * Replaces the optimizer's state arrays (as readOptimizerArrays gives them). Before training has made
   * the state buffer, the values wait for it.
   */
  writeOptimizerArrays(values: Float32Array): void {
    if (!this.optimizerState) {
      this.pendingState = values.slice();
      return;
    }
    const expected = this.stateArrays * this.paramCount;
    if (values.length !== expected)
      throw new WeftError(
        `the optimizer state has ${expected} values (${this.stateArrays} per parameter × ${this.paramCount} parameters), got ${values.length}; it must come from the same model and optimizer`,
      );
    writeBuffer(this.gpu, this.optimizerState, 0, padStateArrays(values, this.stateArrays, this.paramCount));
  }

  /** Bytes of the GPU buffers this model state holds now. */
  get bytes(): number {
    return this.owned.reduce((n, b) => n + b.size, 0);
  }

  get bufferCount(): number {
    return this.owned.length;
  }

  /** Puts the optimizer state back to their initial values, in place (bind groups stay valid). */
  clearOptimizerArrays(): void {
    if (!this.optimizerState) return;
    const initial = new Float32Array(this.stateArrays * this.paramCount);
    // Only the first state array starts at the initial value (adagrad's accumulator); others at 0.
    if (this.initialStateValue !== 0) initial.fill(this.initialStateValue, 0, this.paramCount);
    writeBuffer(this.gpu, this.optimizerState, 0, padStateArrays(initial, this.stateArrays, this.paramCount));
  }

  /** Forgets the optimizer state (a new compile() starts from fresh moments). */
  resetOptimizer(): void {
    this.stateSignature = '';
    this.pendingState = null;
  }

  private own(buffer: GPUBuffer): GPUBuffer {
    this.owned.push(buffer);
    return buffer;
  }

  dispose(): void {
    for (const b of this.owned) b.destroy();
    this.owned.length = 0;
    this.grads = this.optimizerState = this.staging = null;
  }
}

/** Buffers bound whole to a kernel must fit maxStorageBufferBindingSize. */
function checkBinding(gpu: Gpu, bytes: number, what: string): void {
  const limit = storageBindingLimit(gpu);
  if (bytes > limit)
    throw new WeftError(`${what} take ${bytes} bytes, more than this GPU's maxStorageBufferBindingSize (${limit} bytes); make the model smaller`);
}
