// Compares what a program printed under TensorFlow.js with what it printed under weft: the same
// number of lines, each line's text equal once its numbers are taken out, and its numbers equal
// within a tolerance (training orders float32 operations differently in the two libraries).

export interface Tolerance {
  /** Absolute slack. */
  abs: number;
  /** Relative slack, on the larger magnitude of the two numbers. */
  rel: number;
}

const NUMBER = /[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?|NaN|-?Infinity/gi;

/**
 * A line as its text (numbers replaced by #, spaces dropped: tensor.print pads columns to the widest
 * number, so a last digit more or less moves them) and its numbers.
 */
export function splitLine(line: string): { text: string; numbers: number[] } {
  const numbers = (line.match(NUMBER) ?? []).map(Number);
  return { text: line.replace(NUMBER, '#').replace(/\s+/g, ''), numbers };
}

function close(a: number, b: number, tolerance: Tolerance): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= tolerance.abs + tolerance.rel * Math.max(Math.abs(a), Math.abs(b));
}

/** Every difference between the two logs, described (empty when they agree). */
export function compareLogs(expected: string[], actual: string[], tolerance: Tolerance): string[] {
  const problems: string[] = [];
  if (expected.length !== actual.length) problems.push(`TensorFlow.js printed ${expected.length} lines, weft ${actual.length}`);
  for (let i = 0; i < Math.min(expected.length, actual.length); i++) {
    const want = splitLine(expected[i]!);
    const got = splitLine(actual[i]!);
    const where = `line ${i + 1}:\n  tf:   ${expected[i]}\n  weft: ${actual[i]}`;
    if (want.text !== got.text || want.numbers.length !== got.numbers.length) problems.push(`${where}\n  (text differs)`);
    else {
      const off = want.numbers.findIndex((v, j) => !close(v, got.numbers[j]!, tolerance));
      if (off >= 0)
        problems.push(`${where}\n  (number ${off + 1}: ${want.numbers[off]} vs ${got.numbers[off]}, beyond ${tolerance.abs} + ${tolerance.rel}·|x|)`);
    }
  }
  return problems;
}
