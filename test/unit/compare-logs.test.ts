// The comparison behind tfjs-programs.test.ts: text equal once numbers are out, numbers within tolerance.
import { describe, expect, test } from 'vitest';
import { compareLogs, splitLine } from '../gpu/programs/compareLogs.js';

const tolerance = { abs: 1e-3, rel: 1e-3 };

describe('compareLogs', () => {
  test('numbers within tolerance and column padding pass', () => {
    expect(splitLine('loss 0.25 acc 1e-3')).toEqual({ text: 'loss#acc#', numbers: [0.25, 0.001] });
    expect(compareLogs(['     [0.0181733, 0.07]]'], ['     [0.018173 , 0.07]]'], tolerance)).toEqual([]);
  });
  test('other text, far numbers, missing lines and NaN are reported', () => {
    expect(compareLogs(['loss 1'], ['val_loss 1'], tolerance)).toHaveLength(1);
    expect(compareLogs(['loss 1'], ['loss 1.1'], tolerance)).toHaveLength(1);
    expect(compareLogs(['a', 'b'], ['a'], tolerance)).toHaveLength(1);
    expect(compareLogs(['loss NaN'], ['loss 1'], tolerance)).toHaveLength(1);
  });
});
