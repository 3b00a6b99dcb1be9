// Runtime pieces that need no GPU: Step record packing, counters, the no-WebGPU error.
import { describe, expect, test } from 'vitest';
import { STEP_RECORD_BYTES } from '../../src/ir/kernel.js';
import { NO_WEBGPU_MESSAGE, WeftError, counters, encodeStepRecords, getGpu, resetCounters, snapshotCounters } from '../../src/runtime/index.js';

describe('runtime basics', () => {
  test('encodeStepRecords packs 256-byte records in STEP_UNIFORM_FIELDS order', () => {
    const buf = encodeStepRecords([
      { rowBase: 32, t: 1, learningRate: 0.001, beta1Power: 0.9, beta2Power: 0.999, seed: 0xdeadbeef, rows: 32 },
      { rowBase: 64, t: 2, learningRate: 0.5, beta1Power: 0.81, beta2Power: 0.998001, seed: 7, rows: 17 },
    ]);
    expect(buf.byteLength).toBe(2 * STEP_RECORD_BYTES);
    const dv = new DataView(buf);
    expect(dv.getUint32(0, true)).toBe(32);
    expect(dv.getUint32(4, true)).toBe(1);
    expect(dv.getFloat32(8, true)).toBeCloseTo(0.001, 9);
    expect(dv.getFloat32(12, true)).toBeCloseTo(0.9, 7);
    expect(dv.getFloat32(16, true)).toBeCloseTo(0.999, 7);
    expect(dv.getUint32(20, true)).toBe(0xdeadbeef);
    expect(dv.getUint32(256, true)).toBe(64);
    expect(dv.getFloat32(256 + 8, true)).toBe(0.5);
    expect(dv.getUint32(256 + 20, true)).toBe(7);
    expect(dv.getUint32(24, true)).toBe(32);
    expect(dv.getUint32(256 + 24, true)).toBe(17);
  });

  test('counters reset and snapshot', () => {
    counters.dispatches += 3;
    const snap = snapshotCounters();
    expect(snap.dispatches).toBeGreaterThanOrEqual(3);
    resetCounters();
    expect(snapshotCounters()).toEqual({ dispatches: 0, submits: 0, bufferCreations: 0, bindGroupCreations: 0, pipelineCreations: 0, writes: 0, readbacks: 0 });
    expect(snap.dispatches).toBeGreaterThanOrEqual(3); // a snapshot is a copy
  });

  test('getGpu without navigator.gpu throws a WeftError saying what to do', async () => {
    if ((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu) return; // not the case in node
    const err = await getGpu().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeftError);
    expect((err as Error).message).toBe(NO_WEBGPU_MESSAGE);
  });
});
