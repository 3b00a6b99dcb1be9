// A dataset uploaded once: one GPU buffer per model input (f32, or u8 pixels), per dense target
// (f32) and per sparse target (i32 class ids). Batches are gathered on the GPU through an index list.

import { storageBindingLimit, type Gpu } from './device.js';
import { WeftError } from './errors.js';
import { createBuffer, writeBuffer } from './resources.js';

export interface DatasetArray {
  /** Buffer name the plans use: input0, target0, labels0, ... */
  name: string;
  data: Float32Array | Uint8Array | Int32Array;
  /** What it holds, for error messages ("input 'wide_input'"); default: the name. */
  description?: string;
  /**
   * Where the data comes from (a tensor and how it was packed), when it may be kept on the GPU for
   * later calls; `tag` frees it (the tensor's identity).
   */
  cache?: { key: string; tag: string };
}

/** Outputs whose samples carry loss weights: those with an array named sampleWeights<i> (fit's classWeight). */
export function weightedOutputsOf(names: readonly string[]): number[] {
  return names.flatMap((name) => {
    const match = /^sampleWeights(\d+)$/.exec(name);
    return match ? [Number(match[1])] : [];
  });
}

let nextDatasetId = 1;

export class DeviceDataset {
  readonly id = nextDatasetId++;
  readonly buffers = new Map<string, GPUBuffer>();
  private disposed = false;

  constructor(
    readonly gpu: Gpu,
    readonly rows: number,
    arrays: DatasetArray[],
  ) {
    const limit = storageBindingLimit(gpu);
    // Every array is checked before any buffer is made, so a rejected dataset leaves nothing behind.
    for (const array of arrays) {
      const bytes = array.data.byteLength;
      if (bytes > limit)
        throw new WeftError(
          `${array.description ?? `dataset array '${array.name}'`} is ${mib(bytes)} MiB (${bytes} bytes), more than this GPU's maxStorageBufferBindingSize (${mib(limit)} MiB, ${limit} bytes); pass fewer samples per call (e.g. split the data and call fit on each part) or use uint8 pixels`,
        );
    }
    try {
      for (const array of arrays) {
        const buffer = createBuffer(gpu, {
          size: array.data.byteLength,
          usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
          label: `weft dataset ${array.name}`,
        });
        this.buffers.set(array.name, buffer);
        writeBuffer(gpu, buffer, 0, array.data);
      }
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of this.buffers.values()) b.destroy();
    this.buffers.clear();
  }
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 3 : 1);
}
