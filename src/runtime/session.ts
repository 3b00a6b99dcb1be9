// The GPU side of one model, behind a narrow interface of typed arrays and opaque handles: its
// parameters and optimizer state, its compiled plans, the datasets uploaded for it, and passes over
// them (train / evaluate / predict). Nothing above the runtime touches a GPU object.

import type { PlanDescription } from '../ir/explainText.js';
import { dumpPlan, type PlanMode } from '../ir/plan.js';
import { takesPaddedBatches } from '../ir/plan/paddedBatches.js';
import { getGpu, isLost, paddedBatchesWanted, storageBindingLimit, warmUpWanted, type Gpu } from './device.js';
import { type DatasetArray, weightedOutputsOf } from './deviceDataset.js';
import { DeviceModel } from './deviceModel.js';
import { ReadbackRing, foldMetricCopies, runEpoch, type EpochPart } from './epochRunner.js';
import { WeftError } from './errors.js';
import { DatasetCache } from './datasetCache.js';
import { readBuffer } from './resources.js';
import { PlacedDataset, type ScheduledBatch } from './placedDataset.js';
import { SessionPlans, type CompiledRunner, type InputStorage, type PlanSource } from './sessionPlans.js';
import type { PlanRunner } from './planRunner.js';
import { submit } from './resources.js';
import { StreamRing, type StreamArraySpec } from './streamRing.js';
import type { StepRecord } from './stepProgram.js';

export type { DeviceFeatures, InputStorage, PlanSource } from './sessionPlans.js';
export type { DatasetArray } from './deviceDataset.js';
export type { StreamArraySpec } from './streamRing.js';

/** A streamed pass begun on a session (fitDataset's epoch, evaluateDataset). */
export interface StreamHandle {
  readonly id: number;
}

/** Batches packed one after another: each array holds sum(batchRows) samples, in the stream's spec order. */
export interface StreamChunk {
  /** Samples in each batch (a smaller batch runs the plan made for its size). */
  batchRows: readonly number[];
  arrays: readonly (Float32Array | Uint8Array | Int32Array)[];
  /** Training passes: one per batch. */
  steps?: readonly TrainStep[];
}

interface Stream {
  mode: 'train' | 'evaluate';
  ring: StreamRing;
  /** Outputs whose samples carry loss weights in this stream's batches (training only). */
  weightedOutputs: number[];
  /** The most samples a batch holds (a short one runs on this size's plan, padded, where the plan takes it). */
  batchSize: number;
  /** Plans whose metric sums this pass has cleared and adds to. */
  runners: Set<PlanRunner>;
}

/** A dataset uploaded to a session; pass it back to run passes over it, release it when done. */
export interface DatasetHandle {
  readonly id: number;
  readonly rows: number;
}

/** One training step's values, except its first sample (the session places the batches). */
export type TrainStep = Omit<StepRecord, 'rowBase' | 'rows'>;

export interface TrainPass {
  batchSize: number;
  /** The sample order of this epoch (a permutation of the dataset's rows). */
  order: Uint32Array;
  /** One per batch, in order. */
  steps: readonly TrainStep[];
  /** Ask for a progress readback about every this many steps (0: none). */
  progressEvery?: number;
  /** Metric sums so far, from asynchronous readbacks (never waited for inside the pass). */
  onProgress?: (stepsDone: number, sums: Float32Array) => void;
}

export interface PredictionSpec {
  /** Values per sample. */
  units: number;
  /** What they are, for errors ("the 70000 predictions of output 'main_output'"). */
  description: string;
}

/** The optimizer's state: steps taken (Adam's t) and its state arrays, one after another. */
export interface OptimizerState {
  step: number;
  arrays: Float32Array;
}

export interface DeviceLoss {
  reason: string;
  message: string;
}

const STEPS_PER_SUBMIT = 64;

let nextHandleId = 1;

export class ModelSession {
  private readonly plans: SessionPlans;
  private readonly datasets = new Map<number, PlacedDataset>();
  private readonly handles = new Map<PlacedDataset, DatasetHandle>();
  private readonly cache = new DatasetCache((resident) => this.freeDataset(resident));
  private readonly ring: ReadbackRing;
  private readonly streams = new Map<number, Stream>();
  private steps = 0;
  private disposed = false;

  private constructor(
    private readonly gpu: Gpu,
    private readonly model: DeviceModel,
    source: PlanSource,
  ) {
    this.plans = new SessionPlans(gpu, model, source);
    this.ring = new ReadbackRing(gpu, 4096, 8);
  }

  /** A session on the shared device for `paramCount` parameters, `initialParams` uploaded (the flat layout). */
  static async create(paramCount: number, initialParams: Float32Array, source: PlanSource): Promise<ModelSession> {
    const gpu = await getGpu();
    const model = new DeviceModel(gpu, paramCount);
    let session: ModelSession;
    try {
      session = new ModelSession(gpu, model, source);
    } catch (e) {
      model.dispose();
      throw e;
    }
    try {
      session.writeParams(initialParams);
    } catch (e) {
      session.dispose();
      throw e;
    }
    return session;
  }

  /** A new compile(): plans from `source`, fresh optimizer state. */
  recompiled(source: PlanSource): void {
    this.plans.replaceSource(source);
    this.steps = 0;
    this.model.resetOptimizer();
  }

  // ── parameters and optimizer state ──

  /** Writes parameters at `offset` (in parameters) of the flat layout. */
  writeParams(values: Float32Array, offset = 0): void {
    this.model.writeParams(values, offset);
  }

  /** Every parameter (one readback through a staging buffer made once). */
  readParams(): Promise<Float32Array> {
    return this.model.readParams();
  }

  /** Optimizer steps taken so far (Adam's t before the next step). */
  get optimizerStep(): number {
    return this.steps;
  }

  /** The parameters and the optimizer state, in one readback (staging buffer made once). */
  async readTrainingState(): Promise<{ params: Float32Array; optimizer: OptimizerState }> {
    const step = this.steps;
    const { params, state } = await this.model.readParamsAndState();
    return { params, optimizer: { step, arrays: state } };
  }

  async readOptimizerState(): Promise<OptimizerState> {
    const step = this.steps;
    return { step, arrays: await this.model.readOptimizerArrays() };
  }

  writeOptimizerState(state: OptimizerState): void {
    if (!Number.isInteger(state.step) || state.step < 0) throw new WeftError(`the optimizer state's step must be a non-negative integer, got ${state.step}`);
    this.model.writeOptimizerArrays(state.arrays);
    this.steps = state.step;
  }

  /** Fresh optimizer state (moments, accumulators, Adam's t), e.g. after training diverged. */
  resetOptimizerState(): void {
    this.steps = 0;
    this.model.clearOptimizerArrays();
  }

  // ── datasets ──

  /** Uploads a dataset once; passes over it take up to `maxBatches` batches. */
  uploadDataset(rows: number, arrays: DatasetArray[], storage: InputStorage, maxBatches: number): DatasetHandle {
    return this.register(new PlacedDataset(this.gpu, rows, arrays, storage, maxBatches));
  }

  /**
   * A dataset for a pass: when every array carries a cache key, the copy uploaded by an earlier call
   * (with its bind groups), else a fresh upload (split over several bindings when an array is larger
   * than one). When GPU memory runs short, the least recently used idle cached datasets are freed
   * and the upload tried again. Release it with releaseDataset.
   */
  async acquireDataset(rows: number, arrays: DatasetArray[], storage: InputStorage, maxBatches: number): Promise<DatasetHandle> {
    const key = arrays.every((a) => a.cache)
      ? `${rows}|${storage.map((s) => `${s.elementType}${s.scale}`).join(',')}|${arrays.map((a) => `${a.name}=${a.cache!.key}`).join('|')}`
      : null;
    const hit = key ? this.cache.acquire(key) : null;
    if (hit) return this.handles.get(hit.placed)!;
    for (;;) {
      this.gpu.device.pushErrorScope('out-of-memory');
      let placed: PlacedDataset | null = null;
      let failure: unknown = null;
      try {
        placed = new PlacedDataset(this.gpu, rows, arrays, storage, maxBatches);
      } catch (e) {
        failure = e;
      }
      const outOfMemory = await this.gpu.device.popErrorScope();
      if (failure) throw failure;
      if (!outOfMemory) {
        const handle = this.register(placed!);
        if (key) this.cache.add(key, placed!, [...new Set(arrays.map((a) => a.cache!.tag))]);
        return handle;
      }
      placed!.dispose();
      if (!this.cache.evictOldest())
        throw new WeftError(
          `the GPU ran out of memory uploading a dataset of ${rows} samples (${arrays.reduce((n, a) => n + a.data.byteLength, 0)} bytes): ${outOfMemory.message}; pass fewer samples per call, or dispose tensors and models no longer needed`,
        );
    }
  }

  /** A pass is done with a dataset: freed now, or kept for later calls when it is cached. */
  releaseDataset(handle: DatasetHandle): void {
    const placed = this.datasets.get(handle.id);
    if (!placed) return;
    if (this.cache.release(placed)) return;
    this.freeDataset(placed);
  }

  /** Frees the cached datasets made from data tagged `tag` (a disposed tensor). */
  forgetCached(tag: string): void {
    this.cache.forget(tag);
  }

  /** Cached datasets kept now (tests, memory reports). */
  get cachedDatasets(): number {
    return this.cache.size;
  }

  /** Steps of a training pass over the dataset at `batchSize` (one more per extra binding it is split over, at most). */
  stepsFor(handle: DatasetHandle, batchSize: number): number {
    return this.placed(handle).schedule(batchSize).length;
  }

  /** How many bindings the dataset is split over (1 unless an array is larger than one). */
  partsOf(handle: DatasetHandle): number {
    return this.placed(handle).parts.length;
  }

  private register(placed: PlacedDataset): DatasetHandle {
    const handle = { id: nextHandleId++, rows: placed.rows };
    this.datasets.set(handle.id, placed);
    this.handles.set(placed, handle);
    return handle;
  }

  private freeDataset(placed: PlacedDataset): void {
    const handle = this.handles.get(placed);
    if (handle) this.datasets.delete(handle.id);
    this.handles.delete(placed);
    for (const p of placed.parts) this.plans.forgetDataset(p.resident.dataset);
    placed.dispose();
  }

  // ── passes ──

  /** One epoch of training steps (pass.steps: stepsFor(handle, batchSize) of them); returns the metric sums over every sample. */
  async train(handle: DatasetHandle, pass: TrainPass): Promise<Float32Array> {
    const placed = this.placed(handle);
    const { schedule, planRows } = await this.paddedSchedule('train', placed, pass.batchSize);
    if (pass.steps.length !== schedule.length)
      throw new WeftError(`internal: a training pass over this dataset takes ${schedule.length} steps, got ${pass.steps.length}`);
    this.ensureRecords(placed, pass.batchSize);
    const orders = placed.localOrders(pass.order);
    const records: StepRecord[][] = placed.parts.map(() => []);
    schedule.forEach((b, k) => (records[b.part]![b.batch] = { ...pass.steps[k]!, rowBase: b.batch * pass.batchSize, rows: b.rows }));
    placed.parts.forEach((p, i) => p.resident.write(orders[i]!, records[i]!));
    const sums = await this.run('train', placed, schedule, planRows, pass.progressEvery ?? 0, pass.onProgress);
    this.steps += pass.steps.length;
    return sums;
  }

  /** Loss and metric sums over every sample, in order. */
  async evaluate(handle: DatasetHandle, batchSize: number): Promise<Float32Array> {
    const placed = this.placed(handle);
    this.ensureRecords(placed, batchSize);
    for (const p of placed.parts) p.resident.writeInOrder(batchSize);
    const { schedule, planRows } = await this.paddedSchedule('evaluate', placed, batchSize);
    return this.run('evaluate', placed, schedule, planRows, 0);
  }

  /** Every output's predictions for every sample, row-major. */
  async predict(handle: DatasetHandle, batchSize: number, outputs: readonly PredictionSpec[]): Promise<Float32Array[]> {
    const placed = this.placed(handle);
    const limit = storageBindingLimit(this.gpu);
    const { schedule, ...padding } = await this.paddedSchedule('predict', placed, batchSize);
    let { planRows } = padding;
    // A padded last batch writes predictions for the plan's whole batch: room for them, where a binding
    // holds it (else the short batch runs the plan of its own size).
    const paddedRows = (rows: number) => (planRows ? Math.ceil(rows / planRows) * planRows : rows);
    const widest = Math.max(...outputs.map((o) => o.units));
    if (planRows && placed.parts.some((p) => paddedRows(p.resident.rows) * widest * 4 > limit)) planRows = null;
    for (const o of outputs) {
      const bytes = placed.parts[0]!.resident.rows * o.units * 4;
      if (bytes > limit)
        throw new WeftError(
          `predict: ${o.description} take ${bytes} bytes, more than this GPU's maxStorageBufferBindingSize (${limit} bytes); predict fewer samples per call`,
        );
    }
    this.ensureRecords(placed, batchSize);
    // Kept with the dataset: predicting again on it makes no buffer and no bind group.
    const buffers = placed.parts.map((p) => p.resident.predictionBuffers(outputs.map((o) => paddedRows(p.resident.rows) * o.units * 4)));
    for (const p of placed.parts) p.resident.writeInOrder(batchSize);
    await this.run('predict', placed, schedule, planRows, 0, undefined, buffers);
    const results = outputs.map((o) => new Float32Array(placed.rows * o.units));
    for (const [i, p] of placed.parts.entries())
      for (const [j, o] of outputs.entries())
        results[j]!.set(new Float32Array(await readBuffer(this.gpu, buffers[i]![j]!, 0, p.resident.rows * o.units * 4)), p.firstRow * o.units);
    return results;
  }

  /**
   * The batches of a pass and the rows of the plan they all run on: the pass's largest batch. Its short
   * last batch runs on that plan too, the rows past it padding (step.rows says where they start;
   * takesPaddedBatches checks the plan keeps the padding out of every sum, and its loss heads mask it): a
   * pass compiles one plan, not two, and calls with other row counts share it. planRows is null where the
   * plan cannot take padding (each batch then runs the plan of its size: training a model with batch
   * statistics).
   */
  private async paddedSchedule(mode: PlanMode, placed: PlacedDataset, batchSize: number): Promise<{ schedule: ScheduledBatch[]; planRows: number | null }> {
    const schedule = placed.schedule(batchSize);
    if (schedule.length === 0) return { schedule, planRows: null };
    const planRows = Math.min(batchSize, Math.max(...placed.parts.map((p) => p.resident.rows)));
    if (schedule.every((b) => b.rows === planRows)) return { schedule, planRows };
    if (!paddedBatchesWanted()) return { schedule, planRows: null };
    const { runner } = await this.plans.runnerFor(mode, planRows, placed.storage, mode === 'train' ? placed.weightedOutputs : []);
    return { schedule, planRows: takesPaddedBatches(runner.plan) ? planRows : null };
  }

  /** Room for the step records of a pass at `batchSize` (a smaller batch size than before needs more). */
  private ensureRecords(placed: PlacedDataset, batchSize: number): void {
    for (const p of placed.parts) if (p.resident.ensureBatches(Math.ceil(p.resident.rows / batchSize))) this.plans.forgetDataset(p.resident.dataset);
  }

  /**
   * One pass over `placed` in the order of `schedule`, every batch on the plan of `planRows` rows (padded),
   * or, when null, a smaller batch on the plan made for its size; consecutive batches of one part and
   * plan are one run of steps. Returns the metric sums.
   */
  private async run(
    mode: PlanMode,
    placed: PlacedDataset,
    schedule: readonly ScheduledBatch[],
    planRows: number | null,
    progressEvery: number,
    onProgress?: (stepsDone: number, sums: Float32Array) => void,
    predictions?: GPUBuffer[][],
  ): Promise<Float32Array> {
    const parts: EpochPart[] = [];
    const bound = new Map<string, EpochPart>();
    const bind = async (part: number, size: number): Promise<EpochPart> => {
      const key = `${part}/${size}`;
      let template = bound.get(key);
      if (!template) {
        const { runner } = await this.plans.runnerFor(mode, size, placed.storage, mode === 'train' ? placed.weightedOutputs : []);
        const data = placed.parts[part]!.resident;
        const program = await runner.program({
          model: this.model,
          dataset: data.dataset,
          indices: data.indices,
          stepUniform: data.stepUniform,
          ...(predictions ? { outputs: predictions[part]! } : {}),
        });
        template = { program, metrics: runner.metrics, metricsCount: runner.plan.metricSlotCount, metricCopies: runner.metricCopies, firstRecord: 0, steps: 0 };
        bound.set(key, template);
      }
      return template;
    };
    const rowsOf = (b: ScheduledBatch): number => planRows ?? b.rows;
    let last: { part: number; rows: number; batch: number } | null = null;
    for (const b of schedule) {
      const current = parts[parts.length - 1];
      if (current && last && last.part === b.part && last.rows === rowsOf(b) && last.batch + 1 === b.batch) current.steps++;
      else parts.push({ ...(await bind(b.part, rowsOf(b))), firstRecord: b.batch, steps: 1 });
      last = { part: b.part, rows: rowsOf(b), batch: b.batch };
    }
    const sums = await runEpoch(this.gpu, parts, this.ring, { stepsPerSubmit: STEPS_PER_SUBMIT, progressEvery, ...(onProgress ? { onProgress } : {}) });
    const total = new Float32Array(Math.max(0, ...sums.map((s) => s.length)));
    for (const s of sums) for (let i = 0; i < s.length; i++) total[i] = total[i]! + s[i]!;
    return total;
  }

  // ── streamed passes ──

  /**
   * Starts a streamed pass: a ring of `slots` upload slots, each holding `chunkBatches` batches of up
   * to `batchSize` samples. Metric sums start at zero and add up until finishStream.
   */
  beginStream(
    mode: 'train' | 'evaluate',
    specs: readonly StreamArraySpec[],
    storage: InputStorage,
    batchSize: number,
    chunkBatches: number,
    slots = 3,
  ): StreamHandle {
    const ring = new StreamRing(this.gpu, specs, storage, batchSize * chunkBatches, chunkBatches, slots);
    const handle = { id: nextHandleId++ };
    const weightedOutputs = mode === 'train' ? weightedOutputsOf(specs.map((s) => s.name)) : [];
    this.streams.set(handle.id, { mode, ring, runners: new Set(), weightedOutputs, batchSize });
    return handle;
  }

  /**
   * Writes a chunk into the next free slot and submits its steps in one command buffer; resolves once
   * they are submitted (not run), after waiting for the slot only if the GPU is still on its last chunk.
   */
  async streamChunk(handle: StreamHandle, chunk: StreamChunk): Promise<void> {
    const stream = this.stream(handle);
    const slot = await stream.ring.take();
    stream.ring.fill(slot, chunk.arrays);
    const zero = { t: 0, learningRate: 0, beta1Power: 0, beta2Power: 0, seed: 0 };
    let rowBase = 0;
    const records = chunk.batchRows.map((rows, i) => {
      const record = { ...(chunk.steps?.[i] ?? zero), rowBase, rows };
      rowBase += rows;
      return record;
    });
    slot.resident.writeRecords(records);
    const programs = [];
    const fresh: PlanRunner[] = [];
    for (const rows of chunk.batchRows) {
      const { runner } = await this.streamRunner(stream, rows);
      if (!stream.runners.has(runner)) {
        stream.runners.add(runner);
        fresh.push(runner);
      }
      programs.push(
        await runner.program({ model: this.model, dataset: slot.resident.dataset, indices: slot.resident.indices, stepUniform: slot.resident.stepUniform }),
      );
    }
    const encoder = this.gpu.device.createCommandEncoder({ label: 'weft streamed steps' });
    for (const runner of fresh) if (runner.metrics) encoder.clearBuffer(runner.metrics);
    const pass = encoder.beginComputePass({ label: 'weft streamed steps' });
    programs.forEach((program, i) => program.encode(pass, i));
    pass.end();
    submit(this.gpu, [encoder.finish()]);
    stream.ring.submitted(slot);
    if (stream.mode === 'train') this.steps += chunk.batchRows.length;
  }

  /** The metric sums of every batch streamed since beginStream (or the last finishStream), then zero again. */
  async finishStream(handle: StreamHandle): Promise<Float32Array> {
    const stream = this.stream(handle);
    const runners = [...stream.runners].filter((r) => r.metrics);
    stream.runners.clear();
    if (runners.length === 0) return new Float32Array(0);
    const encoder = this.gpu.device.createCommandEncoder({ label: 'weft streamed sums' });
    const staging = runners.map((r) => {
      const buffer = this.ring.takeOrMake(r.plan.metricSlotCount * r.metricCopies * 4);
      encoder.copyBufferToBuffer(r.metrics!, 0, buffer, 0, r.plan.metricSlotCount * r.metricCopies * 4);
      return buffer;
    });
    submit(this.gpu, [encoder.finish()]);
    const sums = await Promise.all(
      staging.map((b, i) => {
        const { plan, metricCopies } = runners[i]!;
        return this.ring.read(b, plan.metricSlotCount * metricCopies * 4).then((bytes) => foldMetricCopies(bytes, plan.metricSlotCount, metricCopies));
      }),
    );
    const total = new Float32Array(Math.max(...sums.map((s) => s.length)));
    for (const s of sums) for (let i = 0; i < s.length; i++) total[i] = total[i]! + s[i]!;
    return total;
  }

  /**
   * The plan a streamed batch of `rows` runs: a short batch runs on the full batch's plan where it takes
   * padding (the slot holds a full batch's rows past any batch's start; step.rows masks them).
   */
  private async streamRunner(stream: Stream, rows: number): Promise<CompiledRunner> {
    const { mode, ring, weightedOutputs, batchSize } = stream;
    if (rows < batchSize && paddedBatchesWanted()) {
      const full = await this.plans.runnerFor(mode, batchSize, ring.storage, weightedOutputs);
      if (takesPaddedBatches(full.runner.plan)) return full;
    }
    return this.plans.runnerFor(mode, rows, ring.storage, weightedOutputs);
  }

  /** Frees a stream's upload slots (after the GPU is done with them). */
  endStream(handle: StreamHandle): void {
    const stream = this.streams.get(handle.id);
    if (!stream) return;
    this.streams.delete(handle.id);
    for (const slot of stream.ring.slots) this.plans.forgetDataset(slot.resident.dataset);
    stream.ring.dispose();
  }

  private stream(handle: StreamHandle): Stream {
    const stream = this.streams.get(handle.id);
    if (!stream) throw new WeftError('internal: this stream has ended, or belongs to another model session');
    return stream;
  }

  private placed(handle: DatasetHandle): PlacedDataset {
    const data = this.datasets.get(handle.id);
    if (!data) throw new WeftError('internal: this dataset was released, or belongs to another model session');
    return data;
  }

  // ── plans ──

  /**
   * Compiles the plan for this mode, batch size and input storage, and its pipelines, if not done
   * yet and if this device wants such guesses (warmUpWanted): compile() calls it ahead of fit.
   */
  async warmUp(mode: PlanMode, batchSize: number, storage: InputStorage): Promise<void> {
    if (!warmUpWanted(this.gpu)) return;
    await this.plans.runnerFor(mode, batchSize, storage);
  }

  /**
   * The plan for this mode, batch size and input storage as this device would run it, with its
   * modules' WGSL, for explain(): nothing is compiled into pipelines or made on the GPU for it.
   */
  async describe(mode: PlanMode, batchSize: number, storage: InputStorage): Promise<PlanDescription> {
    const { compiled, kernels } = this.plans.describe(mode, batchSize, storage);
    // The one place that reads the plan's kernel list for others (explain).
    return {
      stages: compiled.stages,
      planDump: dumpPlan(compiled.plan),
      dispatches: kernels.kernels.map((k, i) => ({
        name: k.name,
        wgsl: k.wgsl,
        workgroups: k.workgroups,
        parts: kernels.groups[i]!.map((j) => compiled.plan.kernels[j]!),
      })),
      plannedBytes: compiled.plan.plannedBytes,
    };
  }

  // ── lifetime ──

  /** The device loss this session is under, waiting up to `waitMs` for a loss to be reported. */
  async deviceLoss(waitMs = 50): Promise<DeviceLoss | null> {
    if (!this.gpu.lost && waitMs > 0) await isLost(this.gpu, waitMs);
    return this.gpu.lost;
  }

  /** Whether the device was lost (the session's buffers and plans are gone). */
  get lost(): boolean {
    return this.gpu.lost !== null;
  }

  /** GPU buffers this session holds now, and their bytes. */
  memory(): { buffers: number; bytes: number } {
    if (this.disposed) return { buffers: 0, bytes: 0 };
    const parts = [
      this.plans.memory,
      this.ring.memory,
      { buffers: this.model.bufferCount, bytes: this.model.bytes },
      ...[...this.datasets.values()].map((d) => d.memory),
      ...[...this.streams.values()].map((s) => s.ring.memory),
    ];
    return parts.reduce((a, b) => ({ buffers: a.buffers + b.buffers, bytes: a.bytes + b.bytes }), { buffers: 0, bytes: 0 });
  }

  /** Frees every GPU buffer the session made (plans, datasets, parameters); safe to call twice. */
  dispose(): void {
    this.disposed = true;
    this.plans.dispose();
    for (const data of this.datasets.values()) data.dispose();
    this.datasets.clear();
    this.handles.clear();
    this.cache.clear();
    for (const stream of this.streams.values()) stream.ring.dispose();
    this.streams.clear();
    this.ring.dispose();
    this.model.dispose();
  }
}
