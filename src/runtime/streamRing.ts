// Streamed passes (fitDataset, evaluateDataset): batches arrive from JavaScript while earlier ones
// run. They are packed into chunks of up to `chunkBatches` batches; each chunk is written into the
// next slot of a ring of upload buffers (each slot a small resident dataset with its own index list,
// step records and bind groups) and its steps encoded into one command buffer. The caller waits only
// when it would overwrite a slot whose chunk the GPU has not finished, so JavaScript runs at most
// `slots` chunks ahead and the GPU waits on JavaScript for at most the chunk being packed.

import type { Gpu } from './device.js';
import type { DatasetArray } from './deviceDataset.js';
import { ResidentDataset } from './residentDataset.js';
import { writeBuffer } from './resources.js';
import type { InputStorage } from './sessionPlans.js';

/** One array of a streamed dataset: its plan buffer name and how many values one sample holds. */
export interface StreamArraySpec {
  name: string;
  valuesPerRow: number;
  kind: 'f32' | 'u8' | 'i32';
}

export interface StreamSlot {
  readonly resident: ResidentDataset;
  /** Settles when the GPU has finished the last chunk written into this slot. */
  idle: Promise<unknown>;
}

export class StreamRing {
  readonly slots: StreamSlot[] = [];
  private next = 0;

  constructor(
    private readonly gpu: Gpu,
    readonly specs: readonly StreamArraySpec[],
    readonly storage: InputStorage,
    /** Rows one slot holds (chunkBatches × the largest batch). */
    readonly chunkRows: number,
    readonly chunkBatches: number,
    slotCount: number,
  ) {
    try {
      for (let i = 0; i < slotCount; i++) {
        const arrays: DatasetArray[] = specs.map((s) => ({ name: s.name, data: emptyArray(s.kind, chunkRows * s.valuesPerRow) }));
        const resident = new ResidentDataset(gpu, chunkRows, arrays, storage, chunkBatches);
        this.slots.push({ resident, idle: Promise.resolve() });
        // The sample order inside a slot is fixed: batches are laid out one after another.
        writeBuffer(
          gpu,
          resident.indices,
          0,
          Uint32Array.from({ length: chunkRows }, (_, r) => r),
        );
      }
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /** The next slot, once the GPU is done with its previous chunk. */
  async take(): Promise<StreamSlot> {
    const slot = this.slots[this.next]!;
    this.next = (this.next + 1) % this.slots.length;
    await slot.idle;
    return slot;
  }

  /** Writes a chunk's arrays (rows × valuesPerRow values each, in spec order) into a slot. */
  fill(slot: StreamSlot, arrays: readonly (Float32Array | Uint8Array | Int32Array)[]): void {
    arrays.forEach((data, i) => {
      const buffer = slot.resident.dataset.buffers.get(this.specs[i]!.name)!;
      writeBuffer(this.gpu, buffer, 0, data);
    });
  }

  /** Marks a slot busy until the work submitted so far is done. */
  submitted(slot: StreamSlot): void {
    slot.idle = this.gpu.device.queue.onSubmittedWorkDone().catch(() => {});
  }

  get memory(): { buffers: number; bytes: number } {
    return this.slots.map((s) => s.resident.memory).reduce((a, b) => ({ buffers: a.buffers + b.buffers, bytes: a.bytes + b.bytes }), { buffers: 0, bytes: 0 });
  }

  dispose(): void {
    for (const s of this.slots) s.resident.dispose();
    this.slots.length = 0;
  }
}

function emptyArray(kind: StreamArraySpec['kind'], length: number): Float32Array | Uint8Array | Int32Array {
  switch (kind) {
    case 'f32':
      return new Float32Array(length);
    case 'u8':
      return new Uint8Array(length);
    case 'i32':
      return new Int32Array(length);
    default:
      return kind satisfies never;
  }
}
