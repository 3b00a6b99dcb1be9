// The op table: everything about an op that is not a rule of its own. Adding an op means one entry
// here (operands, gradient operands, shape, dump text, placement), plus its VJP rule (autodiff.ts),
// its interpreter rule (interpret.ts) and its kernel rule (plan/kernelSelection.ts); the compiler
// checks each of those switches for exhaustiveness.

import type { IrOp, OpName, OpOf, ValueId } from '../graph.js';
import { IrShapeError, colsOf, formatShape, rowsOf, sameShape, sizeOf, withCols, type Shape } from '../shape.js';
import { idsAt, mapIdsAt, type OperandPath } from './operandPaths.js';
import { WINDOW_OPS } from './windowOps.js';

export type ShapeOf = (id: ValueId) => Shape;

export interface OpSpec<K extends OpName> {
  /** Where the op keeps its operands, in a fixed order (optional ones may be absent). */
  operands: readonly OperandPath[];
  /**
   * The operands a gradient flows into (a subset of `operands`); 'secondOrder' for gradient ops,
   * which autodiff does not differentiate again (it refuses rather than dropping the gradient).
   */
  gradient: readonly OperandPath[] | 'secondOrder';
  /** Output shape from the operands' shapes (throws IrShapeError); 'leaf' when the node carries its own. */
  shape: 'leaf' | ((op: OpOf<K>, shapeOf: ShapeOf, batchSize: number) => Shape);
  /** One line of the IR dump (operands printed with `v`). */
  describe(op: OpOf<K>, v: (id: ValueId) => string): string;
  /**
   * Whether the value can be written wherever a consumer asks (a concat's columns, the gradient
   * buffer): false for values whose storage is fixed (params, sparse targets) or that are views.
   */
  writesWhereAsked(op: OpOf<K>): boolean;
}

function fail(message: string): never {
  throw new IrShapeError(message);
}

const same =
  (...paths: OperandPath[]) =>
  (op: IrOp, shapeOf: ShapeOf): Shape => {
    const shapes = paths.flatMap((p) => idsAt(op, p)).map(shapeOf);
    for (const s of shapes.slice(1)) if (!sameShape(s, shapes[0]!)) fail(`${op.op}: shapes differ (${formatShape(shapes[0]!)} vs ${formatShape(s)})`);
    return shapes[0]!;
  };

/** A [1, n] row (a bias, a per-column statistic) that goes with a value of n columns. */
function checkRow(op: string, what: string, row: Shape, n: number): void {
  if (rowsOf(row) !== 1 || colsOf(row) !== n) fail(`${op}: ${what} must be [1, ${n}], got ${formatShape(row)}`);
}

const perRow = (_op: IrOp, _shapeOf: ShapeOf, batchSize: number): Shape => [batchSize, 1];
const always = (): boolean => true;
const never = (): boolean => false;

export const OPS: { [K in OpName]: OpSpec<K> } = {
  input: {
    operands: [],
    gradient: [],
    shape: 'leaf',
    describe: (op) => `input[${op.index}] "${op.name}"`,
    writesWhereAsked: always,
  },
  target: {
    operands: [],
    gradient: [],
    shape: 'leaf',
    describe: (op) => `target[${op.index}] "${op.name}"${op.sparse ? ' sparse' : ''}`,
    // Sparse class ids are read from the labels buffer through the indices, never copied.
    writesWhereAsked: (op) => !op.sparse,
  },
  sampleWeight: {
    operands: [],
    gradient: [],
    shape: 'leaf',
    describe: (op) => `sampleWeight[${op.index}] "${op.name}"`,
    // Read from its dataset buffer through the indices, never copied.
    writesWhereAsked: never,
  },
  param: {
    operands: [],
    gradient: [],
    shape: 'leaf',
    describe: (op) => `param[${op.index}] "${op.name}"`,
    writesWhereAsked: never,
  },
  constant: {
    operands: [],
    gradient: [],
    shape: 'leaf',
    describe: (op) => `constant ${op.value}`,
    writesWhereAsked: always,
  },
  matmul: {
    operands: ['a', 'b', 'epilogue.bias', 'epilogue.gradMask.y', 'epilogue.accumulate'],
    gradient: ['a', 'b'],
    shape: (op, shapeOf) => {
      const a = shapeOf(op.a);
      const b = shapeOf(op.b);
      const k = op.transA ? rowsOf(a) : colsOf(a);
      const kb = op.transB ? colsOf(b) : rowsOf(b);
      const n = op.transB ? rowsOf(b) : colsOf(b);
      if (k !== kb) fail(`matmul: inner sizes differ (${k} vs ${kb})`);
      const e = op.epilogue ?? {};
      if (e.bias !== undefined) checkRow('matmul', 'bias', shapeOf(e.bias), n);
      // op(a) keeps a's leading dimensions (a dense layer on the last axis); a transposed a is a matrix.
      const shape: Shape = op.transA ? [colsOf(a) + (e.aOnesRow ? 1 : 0), n] : withCols(a, n);
      if (e.aOnesRow && !op.transA) fail('matmul: a row of ones is only appended to a transposed a');
      if (e.gradMask && !sameShape(shapeOf(e.gradMask.y), shape))
        fail(`matmul: mask ${formatShape(shapeOf(e.gradMask.y))} does not match the product ${formatShape(shape)}`);
      if (e.accumulate !== undefined && !sameShape(shapeOf(e.accumulate), shape))
        fail(`matmul: accumulated value ${formatShape(shapeOf(e.accumulate))} does not match the product ${formatShape(shape)}`);
      return shape;
    },
    describe: (op, v) => {
      const e = op.epilogue ?? {};
      const parts = [`matmul ${v(op.a)}${op.transA ? 'ᵀ' : ''}${e.aOnesRow ? '+1row' : ''}, ${v(op.b)}${op.transB ? 'ᵀ' : ''}`];
      if (e.bias !== undefined) parts.push(`+ bias ${v(e.bias)}`);
      if (e.activation) parts.push(`→ ${e.activation}`);
      if (e.gradMask) parts.push(`× ${e.gradMask.activation}'(${v(e.gradMask.y)})`);
      if (e.accumulate !== undefined) parts.push(`+= into ${v(e.accumulate)}`);
      return parts.join(' ');
    },
    writesWhereAsked: always,
  },
  biasAdd: {
    operands: ['x', 'bias'],
    gradient: ['x', 'bias'],
    shape: (op, shapeOf) => {
      const x = shapeOf(op.x);
      checkRow('biasAdd', 'bias', shapeOf(op.bias), colsOf(x));
      return x;
    },
    describe: (op, v) => `biasAdd ${v(op.x)}, ${v(op.bias)}`,
    writesWhereAsked: always,
  },
  activation: {
    operands: ['x'],
    gradient: ['x'],
    shape: same('x'),
    describe: (op, v) => `${op.activation} ${v(op.x)}`,
    writesWhereAsked: always,
  },
  activationGrad: {
    operands: ['y', 'dy'],
    gradient: 'secondOrder',
    shape: same('y', 'dy'),
    describe: (op, v) => `${op.activation}Grad y=${v(op.y)}, dy=${v(op.dy)}`,
    writesWhereAsked: always,
  },
  concat: {
    operands: ['xs'],
    gradient: ['xs'],
    shape: (op, shapeOf) => {
      if (op.xs.length === 0) fail('concat of nothing');
      const first = shapeOf(op.xs[0]!);
      let cols = 0;
      for (const x of op.xs) {
        const s = shapeOf(x);
        if (!sameShape(s.slice(0, -1), first.slice(0, -1))) fail(`concat: leading dimensions differ (${formatShape(first)} vs ${formatShape(s)})`);
        cols += colsOf(s);
      }
      return withCols(first, cols);
    },
    describe: (op, v) => `concat ${op.xs.map(v).join(', ')}`,
    writesWhereAsked: always,
  },
  slice: {
    operands: ['x'],
    gradient: ['x'],
    shape: (op, shapeOf) => {
      const x = shapeOf(op.x);
      if (op.axis === 0 && x.length !== 2) fail(`slice: row slices are of matrices, got ${formatShape(x)}`);
      const extent = op.axis === 0 ? rowsOf(x) : colsOf(x);
      if (op.start < 0 || op.size <= 0 || op.start + op.size > extent)
        fail(`slice [${op.start}, ${op.start + op.size}) outside axis ${op.axis} of size ${extent}`);
      return op.axis === 0 ? [op.size, colsOf(x)] : withCols(x, op.size);
    },
    describe: (op, v) => `slice ${v(op.x)} axis ${op.axis} [${op.start}, ${op.start + op.size})`,
    writesWhereAsked: never,
  },
  reshape: {
    operands: ['x'],
    gradient: ['x'],
    shape: (op, shapeOf) => {
      const x = shapeOf(op.x);
      if (sizeOf(x) !== sizeOf(op.to) || x[0] !== op.to[0]) fail(`reshape: cannot make ${formatShape(x)} into ${formatShape(op.to)}`);
      return [...op.to];
    },
    describe: (op, v) => `reshape ${v(op.x)} to ${formatShape(op.to)}`,
    writesWhereAsked: never,
  },
  add: {
    operands: ['a', 'b'],
    gradient: ['a', 'b'],
    shape: same('a', 'b'),
    describe: (op, v) => `add ${v(op.a)}, ${v(op.b)}`,
    writesWhereAsked: always,
  },
  mul: {
    operands: ['a', 'b'],
    gradient: ['a', 'b'],
    shape: same('a', 'b'),
    describe: (op, v) => `mul ${v(op.a)}, ${v(op.b)}`,
    writesWhereAsked: always,
  },
  scale: {
    operands: ['x'],
    gradient: ['x'],
    shape: same('x'),
    describe: (op, v) => `scale ${v(op.x)} × ${op.factor}`,
    writesWhereAsked: always,
  },
  toyScaledIdentity: {
    operands: ['x'],
    gradient: ['x'],
    shape: same('x'),
    describe: (op, v) => `toyScaledIdentity ${v(op.x)} × ${op.factor}`,
    writesWhereAsked: always,
  },
  ...WINDOW_OPS,
  dropout: {
    operands: ['x'],
    gradient: ['x'],
    shape: same('x'),
    describe: (op, v) => `dropout ${v(op.x)} rate ${op.rate} salt ${op.salt}`,
    writesWhereAsked: always,
  },
  columnSum: {
    operands: ['x'],
    gradient: ['x'],
    shape: (op, shapeOf) => [1, colsOf(shapeOf(op.x))],
    describe: (op, v) => `columnSum ${v(op.x)}`,
    writesWhereAsked: always,
  },
  broadcastRows: {
    operands: ['x'],
    gradient: ['x'],
    shape: (op, shapeOf) => {
      const x = shapeOf(op.x);
      if (rowsOf(x) !== 1) fail(`broadcastRows needs a single row, got ${formatShape(x)}`);
      return [op.rows, colsOf(x)];
    },
    describe: (op, v) => `broadcastRows ${v(op.x)} × ${op.rows}`,
    writesWhereAsked: always,
  },
  mulRow: {
    operands: ['x', 'row'],
    gradient: ['x', 'row'],
    shape: (op, shapeOf) => {
      const x = shapeOf(op.x);
      checkRow('mulRow', 'row', shapeOf(op.row), colsOf(x));
      return x;
    },
    describe: (op, v) => `mulRow ${v(op.x)}, ${v(op.row)}`,
    writesWhereAsked: always,
  },
  rsqrt: {
    operands: ['x'],
    gradient: ['x'],
    shape: same('x'),
    describe: (op, v) => `rsqrt ${v(op.x)} + ${op.epsilon}`,
    writesWhereAsked: always,
  },
  assignParam: {
    operands: ['param', 'value'],
    // A state update, not part of the loss: no gradient flows through it.
    gradient: [],
    shape: same('param', 'value'),
    describe: (op, v) => `assign ${v(op.param)} ← ${op.momentum} × itself + ${1 - op.momentum} × ${v(op.value)}`,
    writesWhereAsked: always,
  },
  crossEntropy: {
    operands: ['probs', 'target'],
    gradient: ['probs'],
    shape: perRow,
    describe: (op, v) => `crossEntropy probs=${v(op.probs)}, target=${v(op.target)}${op.sparse ? ' sparse' : ''}`,
    writesWhereAsked: always,
  },
  crossEntropyGrad: {
    operands: ['probs', 'target', 'dy'],
    gradient: 'secondOrder',
    shape: (op, shapeOf) => shapeOf(op.probs),
    describe: (op, v) => `crossEntropyGrad probs=${v(op.probs)}, target=${v(op.target)}, dy=${v(op.dy)}`,
    writesWhereAsked: always,
  },
  softmaxCrossEntropy: {
    operands: ['logits', 'target'],
    gradient: ['logits'],
    shape: perRow,
    describe: (op, v) => `softmaxCrossEntropy logits=${v(op.logits)}, target=${v(op.target)}${op.sparse ? ' sparse' : ''}`,
    writesWhereAsked: always,
  },
  softmaxCrossEntropyGrad: {
    operands: ['logits', 'target', 'dy'],
    gradient: 'secondOrder',
    shape: (op, shapeOf) => shapeOf(op.logits),
    describe: (op, v) => `softmaxCrossEntropyGrad logits=${v(op.logits)}, target=${v(op.target)}, dy=${v(op.dy)}`,
    writesWhereAsked: always,
  },
  pointwiseLoss: {
    operands: ['pred', 'target'],
    gradient: ['pred'],
    shape: perRow,
    describe: (op, v) => `${op.loss} pred=${v(op.pred)}, target=${v(op.target)}`,
    writesWhereAsked: always,
  },
  pointwiseLossGrad: {
    operands: ['pred', 'target', 'dy'],
    gradient: 'secondOrder',
    shape: (op, shapeOf) => shapeOf(op.pred),
    describe: (op, v) => `${op.loss}Grad pred=${v(op.pred)}, target=${v(op.target)}, dy=${v(op.dy)}`,
    writesWhereAsked: always,
  },
  sigmoidCrossEntropy: {
    operands: ['logits', 'target'],
    gradient: ['logits'],
    shape: perRow,
    describe: (op, v) => `sigmoidCrossEntropy logits=${v(op.logits)}, target=${v(op.target)}`,
    writesWhereAsked: always,
  },
  sigmoidCrossEntropyGrad: {
    operands: ['logits', 'target', 'dy'],
    gradient: 'secondOrder',
    shape: (op, shapeOf) => shapeOf(op.logits),
    describe: (op, v) => `sigmoidCrossEntropyGrad logits=${v(op.logits)}, target=${v(op.target)}, dy=${v(op.dy)}`,
    writesWhereAsked: always,
  },
  metric: {
    operands: ['pred', 'target'],
    // Metrics are reported, not minimised: no gradient flows through them.
    gradient: [],
    shape: perRow,
    describe: (op, v) => `metric ${op.metric} pred=${v(op.pred)}, target=${v(op.target)}`,
    writesWhereAsked: always,
  },
  lossHead: {
    operands: ['input', 'target', 'sampleWeight'],
    gradient: 'secondOrder',
    shape: (op, shapeOf) => shapeOf(op.input),
    describe: (op, v) => {
      const metrics = op.metrics.map((m) => `${m.metric}→slot${m.slot}`).join(', ');
      return `lossHead ${op.loss} input=${v(op.input)}, target=${v(op.target)}${op.sparse ? ' sparse' : ''}${op.sampleWeight !== undefined ? ` weights=${v(op.sampleWeight)}` : ''} loss→slot${op.lossSlot}${metrics ? `, ${metrics}` : ''}${op.withGrad ? `, grad × ${op.gradScale}` : ''}`;
    },
    // Without a gradient its value (the prediction) is not stored at all.
    writesWhereAsked: (op) => op.withGrad,
  },
};

/** The table entry of an op, typed for it. */
export function specOf<K extends OpName>(op: OpOf<K>): OpSpec<K> {
  return OPS[op.op as K];
}

export function operandsByTable(op: IrOp): ValueId[] {
  return specOf(op).operands.flatMap((path) => idsAt(op, path));
}

export function mapOperandsByTable<N extends IrOp>(op: N, map: (id: ValueId) => ValueId): N {
  let out = op;
  for (const path of specOf(op).operands) out = mapIdsAt(out, path, map);
  return out === op ? { ...op } : out;
}

/** Operands a gradient flows into; throws for ops that are themselves gradients. */
export function gradientOperandsOf(op: IrOp): ValueId[] | 'secondOrder' {
  const g = specOf(op).gradient;
  return g === 'secondOrder' ? g : g.flatMap((path) => idsAt(op, path));
}

/** Output shape of an op given its operands' shapes; throws an IrShapeError on mismatch. */
export function inferShape(op: IrOp, shapeOf: ShapeOf, batchSize: number): Shape {
  const rule = specOf(op).shape;
  if (rule === 'leaf') return fail(`${op.op} nodes carry their own shape`);
  return rule(op as never, shapeOf, batchSize);
}

export function describeOp(op: IrOp, v: (id: ValueId) => string): string {
  return specOf(op).describe(op as never, v);
}
