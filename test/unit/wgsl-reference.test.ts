// Sanity of the float64 KernelDesc reference (the oracle of the GPU kernel tests) on hand-computed cases.
import { describe, expect, test } from 'vitest';
import type { KernelDesc, View } from '../../src/ir/kernel.js';
import { ZERO_STEP, runKernelReference, type RefBuffers } from '../reference/kernelReference.js';

const v = (buffer: string, offset: number, rows: number, cols: number, rowStride = cols, rowBaseFromStep = false): View => ({
  buffer,
  offset,
  rows,
  cols,
  rowStride,
  ...(rowBaseFromStep ? { rowBaseFromStep } : {}),
});

describe('reference', () => {
  test('matmul with transposes, ones row, bias, activation, mask, accumulate, strided views', () => {
    // A = [[1, 2], [3, 4]] stored transposed (transA) with stride 3; B = [[5, 6], [7, 8]] stored as Bᵀ (transB).
    const b: RefBuffers = {
      a: Float64Array.from([1, 3, 0, 2, 4, 0]),
      b: Float64Array.from([5, 7, 6, 8]),
      o: new Float64Array(9).fill(100),
    };
    runKernelReference(
      { kind: 'matmul', name: 'm', m: 2, n: 2, k: 2, a: v('a', 0, 2, 2, 3), b: v('b', 0, 2, 2), transA: true, transB: true, out: v('o', 1, 2, 2, 3) },
      b,
    );
    expect(Array.from(b.o!)).toEqual([100, 19, 22, 100, 43, 50, 100, 100, 100]);
    // aOnesRow: the last row is the column sum of B; bias and relu; accumulate.
    const c: RefBuffers = {
      a: Float64Array.from([1, 2]),
      b: Float64Array.from([1, -2, 3, -4]),
      bias: Float64Array.from([0.5, 0.5]),
      o: Float64Array.from([1, 1, 1, 1]),
    };
    runKernelReference(
      {
        kind: 'matmul',
        name: 'm',
        m: 2,
        n: 2,
        k: 2,
        a: v('a', 0, 1, 2),
        b: v('b', 0, 2, 2),
        transA: false,
        transB: false,
        aOnesRow: true,
        bias: v('bias', 0, 1, 2),
        activation: 'relu',
        accumulate: true,
        out: v('o', 0, 2, 2),
      },
      c,
    );
    // row 0: [1·1 + 2·3, 1·−2 + 2·−4] + 0.5 = [7.5, −9.5] → relu [7.5, 0]; ones row: [4, −6] + 0.5 → [4.5, 0]
    expect(Array.from(c.o!)).toEqual([8.5, 1, 5.5, 1]);
    // gradMask: dy × (1 − y²) for tanh
    const d: RefBuffers = { a: Float64Array.from([2]), b: Float64Array.from([3]), y: Float64Array.from([0.5]), o: new Float64Array(1) };
    runKernelReference(
      {
        kind: 'matmul',
        name: 'm',
        m: 1,
        n: 1,
        k: 1,
        a: v('a', 0, 1, 1),
        b: v('b', 0, 1, 1),
        transA: false,
        transB: false,
        gradMask: { activation: 'tanh', y: v('y', 0, 1, 1) },
        out: v('o', 0, 1, 1),
      },
      d,
    );
    expect(d.o![0]).toBeCloseTo(6 * 0.75, 12);
  });

  test('lossHead: log-sum-exp loss, gradient, metrics; stable at ±1e4', () => {
    const b: RefBuffers = {
      z: Float64Array.from([0, 0, 1e4, -1e4]),
      idx: Int32Array.from([1, 0]),
      labels: Int32Array.from([0, 1]),
      g: new Float64Array(4),
      metrics: new Float64Array(3),
    };
    const desc: KernelDesc = {
      kind: 'lossHead',
      name: 'head',
      loss: 'softmaxCrossEntropy',
      rows: 2,
      cols: 2,
      input: v('z', 0, 2, 2),
      target: { sparse: true, labels: 'labels', indices: 'idx' },
      gradOut: v('g', 0, 2, 2),
      gradScale: 0.5,
      metricsBuffer: 'metrics',
      lossSlot: 0,
      metrics: [{ kind: 'sparseCategoricalAccuracy', slot: 1 }],
    };
    runKernelReference(desc, b);
    // row 0: label = labels[idx[0]] = labels[1] = 1, logits equal: loss ln 2, argmax 0 (first on ties) ≠ 1.
    // row 1: label = labels[0] = 0, logits (1e4, −1e4): loss ≈ 0, accurate.
    expect(b.metrics![0]).toBeCloseTo(Math.LN2, 12);
    expect(b.metrics![1]).toBe(1);
    expect(Array.from(b.g!)).toEqual([0.25, -0.25, 0, 0]);
    expect(Array.from(b.metrics!).every(Number.isFinite)).toBe(true);
  });

  test('gather with rowBase, elementwise broadcast, columnSum, softmax gradient', () => {
    const b: RefBuffers = {
      ds: Uint8Array.from([10, 20, 30, 40, 50, 60]),
      idx: Int32Array.from([2, 0, 1]),
      out: new Float64Array(4),
    };
    runKernelReference(
      { kind: 'gather', name: 'g', indices: 'idx', rows: 2, sources: [{ dataset: 'ds', elementType: 'u8', scale: 0.5, out: v('out', 0, 2, 2) }] },
      b,
      { ...ZERO_STEP, rowBase: 1 },
    );
    expect(Array.from(b.out!)).toEqual([5, 10, 15, 20]);
    const e: RefBuffers = { x: Float64Array.from([1, 2, 3, 4]), bias: Float64Array.from([10, 20]), o: new Float64Array(4) };
    runKernelReference(
      {
        kind: 'elementwise',
        name: 'e',
        rows: 2,
        cols: 2,
        expr: { op: 'add', a: { op: 'read', view: v('x', 0, 2, 2) }, b: { op: 'read', view: v('bias', 0, 1, 2), broadcastRows: true } },
        out: v('o', 0, 2, 2),
      },
      e,
    );
    expect(Array.from(e.o!)).toEqual([11, 22, 13, 24]);
    runKernelReference({ kind: 'columnSum', name: 'c', x: v('o', 0, 2, 2), out: v('bias', 0, 1, 2), accumulate: true }, e);
    expect(Array.from(e.bias!)).toEqual([34, 66]);
    const s: RefBuffers = { y: Float64Array.from([0.25, 0.75]), dy: Float64Array.from([1, 3]), o: new Float64Array(2) };
    runKernelReference({ kind: 'softmaxRows', name: 's', x: v('y', 0, 1, 2), dy: v('dy', 0, 1, 2), out: v('o', 0, 1, 2) }, s);
    // Σ dy·y = 2.5 → [0.25·(1 − 2.5), 0.75·(3 − 2.5)]
    expect(Array.from(s.o!)).toEqual([-0.375, 0.375]);
  });

  test('optimizer: adam first step moves by ≈ lr·sign(g)', () => {
    const b: RefBuffers = { p: Float64Array.from([1, 1]), g: Float64Array.from([0.3, -2]), s: new Float64Array(4) };
    runKernelReference(
      { kind: 'optimizer', name: 'o', algorithm: { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }, count: 2, params: 'p', grads: 'g', state: 's' },
      b,
      { ...ZERO_STEP, t: 1, learningRate: 0.01, beta1Power: 0.9, beta2Power: 0.999 },
    );
    expect(b.p![0]).toBeCloseTo(0.99, 6);
    expect(b.p![1]).toBeCloseTo(1.01, 6);
  });
});
