// Shapes of IR values: full rank ([batch, features], [batch, h, w, c], …). Kernels that work on
// matrices see a value as rows × cols: rows = the product of the leading dimensions, cols = the last.

export type Shape = number[];

export class IrShapeError extends Error {
  override name = 'IrShapeError';
}

export function rowsOf(shape: Shape): number {
  let rows = 1;
  for (let i = 0; i < shape.length - 1; i++) rows *= shape[i]!;
  return rows;
}

export function colsOf(shape: Shape): number {
  return shape.length ? shape[shape.length - 1]! : 1;
}

export function sizeOf(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The matrix a kernel sees: [rows, cols]. */
export function matrixOf(shape: Shape): [rows: number, cols: number] {
  return [rowsOf(shape), colsOf(shape)];
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** `shape` with its last dimension replaced. */
export function withCols(shape: Shape, cols: number): Shape {
  return [...shape.slice(0, -1), cols];
}
