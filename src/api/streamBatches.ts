// Batches streamed from a weft.data dataset: each { xs, ys } checked against the model (shapes, NaN,
// labels) with errors naming the batch, and packed one after another into chunks for the runtime's
// ring of upload slots. The first batch fixes the layout: the batch size, and each input's storage.

import type { InputStorage, StreamArraySpec, StreamChunk } from '../runtime/session.js';
import type { CallTarget } from './callArgs.js';
import type { CompiledState } from './compileArgs.js';
import { sampleWeightsOf, type ClassWeight } from './classWeights.js';
import { normalizeTensors, sampleCount, targetArray } from './data.js';
import { fail } from './errors.js';
import type { Tensor, TensorData } from './tensor.js';

/** One checked batch: its samples and one array per input, then per target. */
export interface CheckedBatch {
  rows: number;
  arrays: (Float32Array | Uint8Array | Int32Array)[];
}

export class BatchReader {
  private specs: StreamArraySpec[] | null = null;
  private storage: InputStorage | null = null;
  /** Samples in the first batch: the most any later batch may hold. */
  batchSize = 0;

  constructor(
    private readonly model: CallTarget,
    private readonly state: CompiledState,
    /** 'fitDataset' or 'evaluateDataset'. */
    private readonly call: string,
    /** Whether batches carry targets (ys). */
    private readonly withTargets = true,
    /** fitDataset's classWeight per output: weighted outputs get a sampleWeights<i> array per batch. */
    private readonly classWeights: (ClassWeight | null)[] = [],
  ) {}

  get layout(): { specs: StreamArraySpec[]; storage: InputStorage } | null {
    return this.specs && this.storage ? { specs: this.specs, storage: this.storage } : null;
  }

  /** Checks one element of the dataset; `where` names it ("batch 3 of epoch 2"). Disposes its tensors. */
  read(element: unknown, where: string): CheckedBatch {
    const call = `${this.call}: ${where}`;
    if (element === null || typeof element !== 'object' || !('xs' in element) || (this.withTargets && !('ys' in element)))
      fail(
        `${call} is ${element === null ? 'null' : Array.isArray(element) ? 'an array' : typeof element}; a dataset for ${this.call} yields { xs, ys } (inputs and targets), e.g. weft.data.array(items).batch(32)`,
      );
    const { xs: xArg, ys: yArg } = element as { xs: unknown; ys?: unknown };
    const xs = normalizeTensors(xArg, this.model.inputNames, 'inputs', call);
    const ys = this.withTargets ? normalizeTensors(yArg, this.model.outputNames, 'targets', call) : [];
    try {
      const rows = sampleCount([...xs, ...ys], [...this.model.inputNames, ...this.model.outputNames], call);
      if (this.batchSize > 0 && rows > this.batchSize)
        fail(`${call} holds ${rows} samples, more than the first batch's ${this.batchSize}; batches may shrink (a last, ragged batch) but not grow`);
      const inputs = xs.map((t, i) => this.input(t, i, call));
      const targets = ys.map((t, i) => targetArray(t, i, this.state.outputs[i]!.name, this.state.outputs[i]!.units, this.state.outputs[i]!.loss, call).data);
      const weighted = this.classWeights.flatMap((cw, i) => (cw ? [i] : []));
      const weights = weighted.map((i) => sampleWeightsOf(ys[i]!, this.classWeights[i]!, this.model.outputNames[i]!, call));
      const arrays = [...inputs, ...targets, ...weights];
      if (!this.specs) {
        this.batchSize = rows;
        this.storage = inputs.map((a) => (a instanceof Uint8Array ? { elementType: 'u8', scale: 1 } : { elementType: 'f32', scale: 1 }));
        const names = [...inputs.map((_, i) => `input${i}`), ...targets.map((_, i) => targetName(this.state, i)), ...weighted.map((i) => `sampleWeights${i}`)];
        this.specs = arrays.map((a, i) => ({
          name: names[i]!,
          valuesPerRow: a.length / rows,
          kind: a instanceof Uint8Array ? 'u8' : a instanceof Int32Array ? 'i32' : 'f32',
        }));
      }
      return { rows, arrays };
    } finally {
      // As TF.js's fitDataset: a batch's tensors are disposed once used (their data is on its way to the GPU).
      for (const t of new Set([...xs, ...ys])) t.dispose();
    }
  }

  /** An input's values in the stream's storage (fixed by the first batch), checked finite. */
  private input(t: Tensor, index: number, call: string): Float32Array | Uint8Array {
    const input = this.model.inputs[index]!;
    const expected = input.shape.slice(1) as number[];
    if (t.shape.length !== input.shape.length || t.shape.slice(1).some((d, i) => d !== expected[i]))
      fail(`${call}: input '${input.name}' expects shape [n, ${expected.join(', ')}], got [${t.shape.join(', ')}]`);
    const data: TensorData = t.dataSync();
    const storage = this.storage?.[index];
    if (data instanceof Uint8Array && (!storage || storage.elementType === 'u8')) return data;
    if (storage?.elementType === 'u8') fail(`${call}: input '${input.name}' came as uint8 in the first batch but as ${t.dtype} here; keep one dtype per input`);
    const features = expected.reduce((a, b) => a * b, 1);
    for (let i = 0; i < data.length; i++)
      if (!Number.isFinite(data[i]!))
        fail(
          `${call}: input '${input.name}' holds ${data[i]} at sample ${Math.floor(i / features)}, feature ${i % features}; clean the data (NaN and Infinity cannot be trained on)`,
        );
    return data instanceof Float32Array ? data : Float32Array.from(data);
  }
}

function targetName(state: CompiledState, index: number): string {
  return state.outputs[index]!.loss.sparse ? `labels${index}` : `target${index}`;
}

/** Batches packed into one chunk's arrays, up to `chunkBatches` batches of up to `batchSize` samples. */
export class ChunkPacker {
  private readonly arrays: (Float32Array | Uint8Array | Int32Array)[];
  private batchRows: number[] = [];
  private rows = 0;

  constructor(
    private readonly specs: readonly StreamArraySpec[],
    batchSize: number,
    readonly chunkBatches: number,
  ) {
    const capacity = batchSize * chunkBatches;
    this.arrays = specs.map((s) => {
      const length = capacity * s.valuesPerRow;
      return s.kind === 'u8' ? new Uint8Array(length) : s.kind === 'i32' ? new Int32Array(length) : new Float32Array(length);
    });
  }

  add(batch: CheckedBatch): void {
    batch.arrays.forEach((a, i) => this.arrays[i]!.set(a, this.rows * this.specs[i]!.valuesPerRow));
    this.batchRows.push(batch.rows);
    this.rows += batch.rows;
  }

  get batches(): number {
    return this.batchRows.length;
  }

  get full(): boolean {
    return this.batchRows.length >= this.chunkBatches;
  }

  /** The packed batches (views of the packer's arrays: hand them over before adding more). */
  take(): Omit<StreamChunk, 'steps'> {
    const chunk = { batchRows: this.batchRows, arrays: this.arrays.map((a, i) => a.subarray(0, this.rows * this.specs[i]!.valuesPerRow)) };
    this.batchRows = [];
    this.rows = 0;
    return chunk;
  }
}
