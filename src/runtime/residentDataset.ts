// A dataset resident on the GPU with what passes over it need: the uploaded arrays, an index list
// (the sample order) and a step uniform with one Step record per batch.

import { STEP_RECORD_BYTES } from '../ir/kernel.js';
import { DeviceDataset, type DatasetArray } from './deviceDataset.js';
import type { Gpu } from './device.js';
import { createBuffer, writeBuffer } from './resources.js';
import type { InputStorage } from './sessionPlans.js';
import { encodeStepRecords, type StepRecord } from './stepProgram.js';

export class ResidentDataset {
  readonly dataset: DeviceDataset;
  readonly indices: GPUBuffer;
  stepUniform: GPUBuffer;
  /** predict's output buffers (one per model output), made on the first predict over this dataset. */
  private predictions: GPUBuffer[] = [];
  /** For evaluate/predict: the batch size whose records (identity order) are written, else -1. */
  private inOrderFor = -1;

  constructor(
    private readonly gpu: Gpu,
    rows: number,
    arrays: DatasetArray[],
    readonly storage: InputStorage,
    /** Most batches a pass over it will take (the step uniform's capacity in records). */
    maxBatches: number,
  ) {
    this.dataset = new DeviceDataset(gpu, rows, arrays);
    const made: GPUBuffer[] = [];
    try {
      made.push(createBuffer(gpu, { size: rows * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, label: 'weft indices' }));
      made.push(
        createBuffer(gpu, {
          size: Math.max(1, maxBatches) * STEP_RECORD_BYTES,
          usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
          label: 'weft step records',
        }),
      );
    } catch (e) {
      this.dataset.dispose();
      for (const b of made) b.destroy();
      throw e;
    }
    [this.indices, this.stepUniform] = made as [GPUBuffer, GPUBuffer];
  }

  get rows(): number {
    return this.dataset.rows;
  }

  /** Step records the step uniform holds. */
  get batchCapacity(): number {
    return Math.floor(this.stepUniform.size / STEP_RECORD_BYTES);
  }

  /**
   * Makes room for `maxBatches` step records (a reused dataset, now with a smaller batch size).
   * Returns true when the step uniform was replaced: step programs bound to the old one are stale.
   */
  ensureBatches(maxBatches: number): boolean {
    if (maxBatches <= this.batchCapacity) return false;
    const grown = createBuffer(this.gpu, {
      size: maxBatches * STEP_RECORD_BYTES,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      label: 'weft step records',
    });
    this.stepUniform.destroy();
    this.stepUniform = grown;
    this.inOrderFor = -1;
    return true;
  }

  /** Sets the sample order and the step records of the next pass. */
  write(order: Uint32Array, records: readonly StepRecord[]): void {
    writeBuffer(this.gpu, this.indices, 0, order);
    writeBuffer(this.gpu, this.stepUniform, 0, encodeStepRecords(records));
    this.inOrderFor = -1;
  }

  /** Sets only the step records (the sample order stays: streamed chunks). */
  writeRecords(records: readonly StepRecord[]): void {
    writeBuffer(this.gpu, this.stepUniform, 0, encodeStepRecords(records));
    this.inOrderFor = -1;
  }

  /** Every sample once, in order, in batches of `batchSize` (written once per batch size). */
  writeInOrder(batchSize: number): void {
    if (this.inOrderFor === batchSize) return;
    const rows = this.rows;
    const order = new Uint32Array(rows);
    for (let i = 0; i < rows; i++) order[i] = i;
    const records = Array.from({ length: Math.ceil(rows / batchSize) }, (_, s) => ({
      rowBase: s * batchSize,
      rows: Math.min(batchSize, rows - s * batchSize),
      t: 0,
      learningRate: 0,
      beta1Power: 0,
      beta2Power: 0,
      seed: 0,
    }));
    this.write(order, records);
    this.inOrderFor = batchSize;
  }

  /** Buffers for predictions of `bytes[i]` bytes per output: the ones made before when the sizes match. */
  predictionBuffers(bytes: number[]): GPUBuffer[] {
    const same = this.predictions.length === bytes.length && this.predictions.every((b, i) => b.size === Math.max(16, Math.ceil(bytes[i]! / 16) * 16));
    if (same) return this.predictions;
    for (const b of this.predictions) b.destroy();
    this.predictions = [];
    for (const size of bytes)
      this.predictions.push(createBuffer(this.gpu, { size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, label: 'weft predictions' }));
    return this.predictions;
  }

  get memory(): { buffers: number; bytes: number } {
    const buffers = [...this.dataset.buffers.values(), this.indices, this.stepUniform, ...this.predictions];
    return { buffers: buffers.length, bytes: buffers.reduce((n, b) => n + b.size, 0) };
  }

  dispose(): void {
    this.dataset.dispose();
    this.indices.destroy();
    this.stepUniform.destroy();
    for (const b of this.predictions) b.destroy();
    this.predictions = [];
  }
}
