// A model's persistent GPU state: the flat parameter buffer, and for training the flat gradient
// buffer (laid out like the parameters) and the optimizer's slot buffer.

import { assertAlive, type Gpu } from './device.js';
import { createBuffer, readBuffer, submit, writeBuffer } from './resources.js';

const STORAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;

export class DeviceModel {
  readonly params: GPUBuffer;
  grads: GPUBuffer | null = null;
  /** A copy of the parameters at the last good point (epoch end), kept on the GPU. */
  private backup: GPUBuffer | null = null;
  optimizerSlots: GPUBuffer | null = null;
  private slotSignature = '';
  private readonly owned: GPUBuffer[] = [];

  constructor(
    readonly gpu: Gpu,
    readonly paramCount: number,
  ) {
    this.params = this.own(createBuffer(gpu, { size: Math.max(1, paramCount) * 4, usage: STORAGE(), label: 'weft params' }));
  }

  writeParams(values: Float32Array, offset = 0): void {
    writeBuffer(this.gpu, this.params, offset * 4, values);
  }

  async readParams(): Promise<Float32Array> {
    return new Float32Array(await readBuffer(this.gpu, this.params, 0, this.paramCount * 4));
  }

  /**
   * Makes sure gradient and optimizer-slot buffers exist for `slotArrays` slot arrays; a different
   * optimizer (signature) gets fresh, re-initialised slots.
   */
  prepareTraining(slotArrays: number, initialSlotValue: number, signature: string): void {
    if (!this.grads) this.grads = this.own(createBuffer(this.gpu, { size: Math.max(1, this.paramCount) * 4, usage: STORAGE(), label: 'weft grads' }));
    if (this.slotSignature === signature) return;
    this.slotSignature = signature;
    if (this.optimizerSlots) this.optimizerSlots.destroy();
    this.optimizerSlots = null;
    if (slotArrays > 0) {
      this.optimizerSlots = this.own(createBuffer(this.gpu, { size: slotArrays * this.paramCount * 4, usage: STORAGE(), label: 'weft optimizer slots' }));
      const initial = new Float32Array(slotArrays * this.paramCount);
      // Only the first slot array starts at the initial value (adagrad's accumulator); others at 0.
      if (initialSlotValue !== 0) initial.fill(initialSlotValue, 0, this.paramCount);
      writeBuffer(this.gpu, this.optimizerSlots, 0, initial);
    }
  }

  /** Copies the parameters into the on-GPU backup (no readback, no allocation after the first). */
  backupParams(): void {
    if (!this.backup) this.backup = this.own(createBuffer(this.gpu, { size: Math.max(1, this.paramCount) * 4, usage: STORAGE(), label: 'weft params backup' }));
    this.copy(this.params, this.backup);
  }

  /** Restores the parameters from the backup; returns false when there is none. */
  restoreParams(): boolean {
    if (!this.backup) return false;
    this.copy(this.backup, this.params);
    return true;
  }

  private copy(from: GPUBuffer, to: GPUBuffer): void {
    assertAlive(this.gpu);
    const encoder = this.gpu.device.createCommandEncoder({ label: 'weft params copy' });
    encoder.copyBufferToBuffer(from, 0, to, 0, Math.max(1, this.paramCount) * 4);
    submit(this.gpu, [encoder.finish()]);
  }

  /** Forgets the optimizer state (a new compile() starts from fresh moments). */
  resetOptimizer(): void {
    this.slotSignature = '';
  }

  private own(buffer: GPUBuffer): GPUBuffer {
    this.owned.push(buffer);
    return buffer;
  }

  dispose(): void {
    for (const b of this.owned) b.destroy();
    this.owned.length = 0;
  }
}
