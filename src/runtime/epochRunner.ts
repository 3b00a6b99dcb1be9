// Runs a pass over a dataset: many pre-encoded steps per command buffer, metric sums accumulating on
// the GPU, a few asynchronous progress readbacks (never waited for inside the pass), and one
// readback of the sums at the end.

import { STEP_RECORD_BYTES } from '../ir/kernel.js';
import { counters } from './counters.js';
import { assertAlive, type Gpu } from './device.js';
import { WeftError } from './errors.js';
import { createBuffer, submit } from './resources.js';
import type { StepProgram } from './stepProgram.js';

export interface EpochPart {
  program: StepProgram;
  /** Metric sums buffer of this part's plan (cleared at the start), or null. */
  metrics: GPUBuffer | null;
  metricsCount: number;
  /** Copies of the slots the metric buffer holds (row parts, PlanRunner.metricCopies), added up at readback. */
  metricCopies: number;
  /** Index of this part's first step record in the step uniform. */
  firstRecord: number;
  steps: number;
}

export interface EpochOptions {
  stepsPerSubmit?: number;
  /** Ask for a progress readback about every this many steps (0: none). */
  progressEvery?: number;
  onProgress?: (stepsDone: number, sums: Float32Array) => void;
  /** Called after each submit: lets the caller copy things (e.g. predictions) — unused for now. */
}

/** Staging buffers for readbacks, made once and reused. */
export class ReadbackRing {
  private readonly free: GPUBuffer[] = [];
  private readonly all: GPUBuffer[] = [];
  constructor(
    private readonly gpu: Gpu,
    readonly bytes: number,
    count: number,
  ) {
    for (let i = 0; i < count; i++) {
      const b = createBuffer(gpu, { size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'weft readback ring' });
      this.free.push(b);
      this.all.push(b);
    }
  }
  get available(): number {
    return this.free.length;
  }
  /** A free staging buffer for `bytes`, or null when all are being mapped or it would not fit one (the caller skips that readback). */
  take(bytes: number): GPUBuffer | null {
    if (bytes > this.bytes) return null;
    return this.free.pop() ?? null;
  }
  /** A free staging buffer for `bytes`, or an extra one (destroyed after its read) when all are in use or it is larger than theirs. */
  takeOrMake(bytes: number): GPUBuffer {
    return (
      this.take(bytes) ??
      createBuffer(this.gpu, { size: Math.max(this.bytes, bytes), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'weft readback (extra)' })
    );
  }
  /** Maps a staging buffer filled by a submitted copy; the buffer returns to the ring after. */
  async read(buffer: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    counters.readbacks++;
    try {
      await buffer.mapAsync(GPUMapMode.READ, 0, bytes);
      const out = buffer.getMappedRange(0, bytes).slice(0);
      buffer.unmap();
      // Extra staging buffers (made when the ring was empty) are not kept.
      if (this.all.includes(buffer)) this.free.push(buffer);
      else buffer.destroy();
      return out;
    } catch (e) {
      assertAlive(this.gpu);
      throw new WeftError(`reading back training metrics failed: ${(e as Error)?.message ?? e}`, { cause: e });
    }
  }
  get memory(): { buffers: number; bytes: number } {
    return { buffers: this.all.length, bytes: this.all.reduce((n, b) => n + b.size, 0) };
  }
  dispose(): void {
    for (const b of this.all) b.destroy();
  }
}

/**
 * Encodes every part's steps in order, then reads back the metric sums. Returns the sums per
 * metric buffer (parts running the same plan share one).
 */
export async function runEpoch(gpu: Gpu, parts: EpochPart[], ring: ReadbackRing, options: EpochOptions = {}): Promise<Float32Array[]> {
  assertAlive(gpu);
  const stepsPerSubmit = options.stepsPerSubmit ?? 64;
  const progressEvery = options.progressEvery ?? 0;
  const device = gpu.device;
  const pending: Promise<void>[] = [];
  let stepsDone = 0;
  let nextProgress = progressEvery > 0 ? progressEvery : Infinity;
  const first = parts.find((p) => p.metrics);
  // Parts may share a plan (a dataset split over several bindings): each metric buffer is cleared and read once.
  const metricBuffers = new Map<GPUBuffer, { count: number; copies: number }>();
  for (const part of parts) if (part.metrics) metricBuffers.set(part.metrics, { count: part.metricsCount, copies: part.metricCopies });

  let encoder = device.createCommandEncoder({ label: 'weft steps' });
  for (const metrics of metricBuffers.keys()) encoder.clearBuffer(metrics);
  let pass = encoder.beginComputePass({ label: 'weft steps' });
  let inThisSubmit = 0;
  const flush = (final: boolean): GPUBuffer | null => {
    pass.end();
    let staging: GPUBuffer | null = null;
    if (!final && first?.metrics && options.onProgress && stepsDone >= nextProgress && ring.available > parts.length) {
      const bytes = first.metricsCount * first.metricCopies * 4;
      staging = ring.take(bytes);
      if (staging) encoder.copyBufferToBuffer(first.metrics, 0, staging, 0, bytes);
      nextProgress = stepsDone + progressEvery;
    }
    submit(gpu, [encoder.finish()]);
    return staging;
  };
  for (const part of parts) {
    for (let s = 0; s < part.steps; s++) {
      part.program.encode(pass, part.firstRecord + s);
      stepsDone++;
      inThisSubmit++;
      if (inThisSubmit >= stepsPerSubmit) {
        const staging = flush(false);
        if (staging && first) {
          const at = stepsDone;
          const { metricsCount, metricCopies } = first;
          pending.push(
            ring.read(staging, metricsCount * metricCopies * 4).then((bytes) => options.onProgress?.(at, foldMetricCopies(bytes, metricsCount, metricCopies))),
          );
        }
        encoder = device.createCommandEncoder({ label: 'weft steps' });
        pass = encoder.beginComputePass({ label: 'weft steps' });
        inThisSubmit = 0;
      }
    }
  }
  pass.end();
  // A failed progress readback (device lost) is reported by the final await below, not as unhandled.
  for (const p of pending) p.catch(() => {});
  // Final sums: one staging buffer per metric buffer.
  const finals = [...metricBuffers].map(([metrics, { count, copies }]) => {
    const staging = ring.takeOrMake(count * copies * 4);
    encoder.copyBufferToBuffer(metrics, 0, staging, 0, count * copies * 4);
    return { staging, count, copies };
  });
  submit(gpu, [encoder.finish()]);
  const sums = await Promise.all(
    finals.map(({ staging, count, copies }) => ring.read(staging, count * copies * 4).then((b) => foldMetricCopies(b, count, copies))),
  );
  await Promise.all(pending);
  return sums;
}

/** Metric sums read back as `copies` copies of `count` slots (row parts' own slots), added up slot by slot. */
export function foldMetricCopies(bytes: ArrayBuffer, count: number, copies: number): Float32Array {
  const raw = new Float32Array(bytes, 0, count * copies);
  if (copies === 1) return raw;
  const sums = new Float32Array(count);
  for (let c = 0; c < copies; c++) for (let i = 0; i < count; i++) sums[i] = sums[i]! + raw[c * count + i]!;
  return sums;
}

export { STEP_RECORD_BYTES };
