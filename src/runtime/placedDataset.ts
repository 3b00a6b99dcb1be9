// A dataset placed on the GPU as one resident dataset, or, when an array is larger than one storage
// binding (maxStorageBufferBindingSize), as several, each holding a run of rows under the limit.
// A pass over a split dataset takes each batch from one part: the sample order of an epoch is kept
// within each part, and the parts' batches are interleaved evenly, so every part's program runs
// with its own bindings (no kernel reads across a binding) and an epoch still sees every sample once.

import { type Gpu, storageBindingLimit } from './device.js';
import { type DatasetArray, weightedOutputsOf } from './deviceDataset.js';
import { ResidentDataset } from './residentDataset.js';
import type { InputStorage } from './sessionPlans.js';

export interface DatasetPart {
  readonly resident: ResidentDataset;
  readonly firstRow: number;
}

/** One batch of a pass: from which part, which of its batches, how many samples. */
export interface ScheduledBatch {
  part: number;
  batch: number;
  rows: number;
}

/** Rows per part are a multiple of this where the limit allows, so batch sizes that divide it leave one ragged batch per pass. */
const PART_ROW_MULTIPLE = 4096;

export class PlacedDataset {
  readonly parts: DatasetPart[] = [];
  /** Outputs whose samples carry loss weights (arrays sampleWeights0, …): training plans read them. */
  readonly weightedOutputs: number[];

  constructor(
    gpu: Gpu,
    readonly rows: number,
    arrays: DatasetArray[],
    readonly storage: InputStorage,
    maxBatches: number,
  ) {
    this.weightedOutputs = weightedOutputsOf(arrays.map((a) => a.name));
    const perPart = rowsPerPart(rows, arrays, storageBindingLimit(gpu));
    try {
      for (let first = 0; first < rows; first += perPart) {
        const count = Math.min(perPart, rows - first);
        const slice = arrays.map((a) => {
          const perRow = a.data.length / rows;
          return { ...a, data: a.data.subarray(first * perRow, (first + count) * perRow) };
        });
        const batches = Math.ceil((maxBatches * count) / rows) + 1;
        this.parts.push({ resident: new ResidentDataset(gpu, count, slice, storage, count === rows ? maxBatches : batches), firstRow: first });
      }
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /** Batches of a pass at `batchSize`, parts interleaved evenly (one part: its batches in order). */
  schedule(batchSize: number): ScheduledBatch[] {
    const all = this.parts.flatMap((p, part) => {
      const n = Math.ceil(p.resident.rows / batchSize);
      return Array.from({ length: n }, (_, batch) => ({ part, batch, rows: Math.min(batchSize, p.resident.rows - batch * batchSize), at: (batch + 0.5) / n }));
    });
    if (this.parts.length > 1) all.sort((a, b) => a.at - b.at || a.part - b.part);
    return all.map(({ part, batch, rows }) => ({ part, batch, rows }));
  }

  /** Each part's sample order (its rows in the order `order` lists them, counted from the part's first row). */
  localOrders(order: Uint32Array): Uint32Array[] {
    if (this.parts.length === 1) return [order];
    const out = this.parts.map((p) => ({ order: new Uint32Array(p.resident.rows), next: 0 }));
    const perPart = this.parts[0]!.resident.rows;
    for (const row of order) {
      const part = Math.floor(row / perPart);
      const o = out[part]!;
      o.order[o.next++] = row - part * perPart;
    }
    return out.map((o) => o.order);
  }

  get memory(): { buffers: number; bytes: number } {
    return this.parts.map((p) => p.resident.memory).reduce((a, b) => ({ buffers: a.buffers + b.buffers, bytes: a.bytes + b.bytes }), { buffers: 0, bytes: 0 });
  }

  dispose(): void {
    for (const p of this.parts) p.resident.dispose();
  }
}

/** The most rows whose every array fits one binding (all rows when they do). */
function rowsPerPart(rows: number, arrays: DatasetArray[], limit: number): number {
  const widest = Math.max(...arrays.map((a) => a.data.byteLength / rows));
  if (widest * rows <= limit) return rows;
  const fit = Math.floor(limit / widest);
  // A row wider than a binding cannot be split by rows: the part of one row is refused by DeviceDataset, naming the array.
  if (fit < 1) return 1;
  if (fit >= PART_ROW_MULTIPLE) return fit - (fit % PART_ROW_MULTIPLE);
  return fit >= 4 ? fit - (fit % 4) : fit;
}
