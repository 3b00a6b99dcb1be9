// Tensor text as TensorFlow.js prints it (tensor_format in tfjs-core: 7 significant decimals, columns
// padded to their widest value, at most 20 values per axis shown as 3 first … 3 last), so that a
// program's output reads the same on weft.

const FIRST_LAST = 3;
const LIMIT = 20;
const DECIMALS = 7;

type Values = ArrayLike<number>;

function valueText(v: number, dtype: string): string {
  if (dtype === 'bool') return v === 0 ? 'false' : 'true';
  return parseFloat(v.toFixed(DECIMALS)).toString();
}

function padRight(s: string, width: number | undefined): string {
  return width === undefined || s.length >= width ? s : s + ' '.repeat(width - s.length);
}

function stridesOf(shape: readonly number[]): number[] {
  const strides: number[] = [];
  for (let i = shape.length - 2, s = 1; i >= 0; i--) strides[i] = s *= shape[i + 1]!;
  return strides;
}

function widthPerColumn(values: Values, shape: readonly number[], dtype: string): (number | undefined)[] {
  if (shape.length < 2) return [];
  const cols = shape[shape.length - 1]!;
  const widths = new Array<number>(cols).fill(0);
  for (let i = 0; i < values.length; i++) widths[i % cols] = Math.max(widths[i % cols]!, valueText(values[i]!, dtype).length);
  return widths;
}

function slice(values: Values, start: number, end: number): number[] {
  return Array.from({ length: end - start }, (_, i) => values[start + i]!);
}

function lines(values: Values, shape: readonly number[], dtype: string, strides: number[], widths: (number | undefined)[], isLast: boolean): string[] {
  const size = shape[0]!;
  const rank = shape.length;
  // A scalar prints its full float32 value (TF.js does not round it).
  if (rank === 0) return [dtype === 'bool' ? valueText(values[0]!, dtype) : String(values[0])];
  const text = (v: number, column: number): string => padRight(valueText(v, dtype), widths[column]);
  if (rank === 1) {
    if (size > LIMIT) {
      const first = slice(values, 0, FIRST_LAST).map((v, i) => text(v, i));
      const last = slice(values, size - FIRST_LAST, size).map((v, i) => text(v, size - FIRST_LAST + i));
      return [`[${first.join(', ')}, ..., ${last.join(', ')}]`];
    }
    return [
      `[${slice(values, 0, size)
        .map((v, i) => text(v, i))
        .join(', ')}]`,
    ];
  }
  const inner = shape.slice(1);
  const innerStrides = strides.slice(1);
  const stride = strides[0]!;
  const out: string[] = [];
  const part = (i: number, last: boolean): void =>
    void out.push(...lines(slice(values, i * stride, (i + 1) * stride), inner, dtype, innerStrides, widths, last));
  if (size > LIMIT) {
    for (let i = 0; i < FIRST_LAST; i++) part(i, false);
    out.push('...');
    for (let i = size - FIRST_LAST; i < size; i++) part(i, i === size - 1);
  } else for (let i = 0; i < size; i++) part(i, i === size - 1);
  const sep = rank === 2 ? ',' : '';
  out[0] = `[${size > 0 ? out[0] + sep : ''}`;
  for (let i = 1; i < out.length - 1; i++) out[i] = ` ${out[i]}${sep}`;
  const blockSep = `,\n${'\n'.repeat(Math.max(0, rank - 2))}`;
  out[out.length - 1] = ` ${out[out.length - 1]}]${isLast ? '' : blockSep}`;
  return out;
}

export function formatTensor(values: Values, shape: readonly number[], dtype: string, verbose = false): string {
  const out = ['Tensor'];
  if (verbose) out.push(`  dtype: ${dtype}`, `  rank: ${shape.length}`, `  shape: [${shape.join(',')}]`, '  values:');
  const body = lines(values, shape, dtype, stridesOf(shape), widthPerColumn(values, shape, dtype), true);
  out.push(body.map((l) => `    ${l}`).join('\n'));
  return out.join('\n');
}
