// Op-table entries of the windowed ops (convolution, pooling and their gradients), kept apart from
// the table itself because their shape rules share the window geometry.

import type { MatmulEpilogue, OpOf, ValueId } from '../graph.js';
import { IrShapeError, colsOf, formatShape, rowsOf, sameShape, type Shape } from '../shape.js';
import type { OpSpec, ShapeOf } from './table.js';
import { describeWindow, validWindow, windowGeometry, type Window2d, type WindowGeometry } from './window.js';

type WindowOpName = 'conv2d' | 'conv2dInputGrad' | 'conv2dFilterGrad' | 'pool2d' | 'pool2dGrad';

function fail(message: string): never {
  throw new IrShapeError(message);
}

/** The geometry of a window over an image value, or an IrShapeError saying why there is none. */
export function imageGeometry(op: string, window: Window2d, image: Shape): WindowGeometry {
  if (image.length !== 4) fail(`${op}: needs an image [n, h, w, c], got ${formatShape(image)}`);
  if (!validWindow(window)) fail(`${op}: bad window ${describeWindow(window)}`);
  const g = windowGeometry(window, image);
  if (!g) fail(`${op}: a ${describeWindow(window)} window does not fit in ${formatShape(image)}`);
  return g;
}

/** cin of a filter [kh·kw·cin, cout] for a window. */
function filterInputChannels(op: string, window: Window2d, filter: Shape): number {
  const taps = window.size[0] * window.size[1];
  if (filter.length !== 2 || rowsOf(filter) % taps !== 0) fail(`${op}: filter ${formatShape(filter)} is not [${window.size.join('·')}·cin, cout]`);
  return rowsOf(filter) / taps;
}

/** Checks the epilogue fields an op allows, against the shape of its product. */
function checkEpilogue(op: string, e: MatmulEpilogue | undefined, allowed: (keyof MatmulEpilogue)[], product: Shape, shapeOf: ShapeOf): void {
  if (!e) return;
  for (const key of Object.keys(e) as (keyof MatmulEpilogue)[]) if (!allowed.includes(key)) fail(`${op}: its epilogue cannot have ${key}`);
  if (e.bias !== undefined && !sameShape(shapeOf(e.bias), [1, colsOf(product)]))
    fail(`${op}: bias must be [1, ${colsOf(product)}], got ${formatShape(shapeOf(e.bias))}`);
  if (e.gradMask && !sameShape(shapeOf(e.gradMask.y), product))
    fail(`${op}: mask ${formatShape(shapeOf(e.gradMask.y))} does not match ${formatShape(product)}`);
  if (e.accumulate !== undefined && !sameShape(shapeOf(e.accumulate), product))
    fail(`${op}: accumulated value ${formatShape(shapeOf(e.accumulate))} does not match ${formatShape(product)}`);
}

function describeEpilogue(e: MatmulEpilogue | undefined, v: (id: ValueId) => string): string {
  if (!e) return '';
  const parts: string[] = [];
  if (e.aOnesRow) parts.push('+1row');
  if (e.bias !== undefined) parts.push(`+ bias ${v(e.bias)}`);
  if (e.activation) parts.push(`→ ${e.activation}`);
  if (e.gradMask) parts.push(`× ${e.gradMask.activation}'(${v(e.gradMask.y)})`);
  if (e.accumulate !== undefined) parts.push(`+= into ${v(e.accumulate)}`);
  return parts.length ? ` ${parts.join(' ')}` : '';
}

const EPILOGUE_OPERANDS = ['epilogue.bias', 'epilogue.gradMask.y', 'epilogue.accumulate'] as const;
const always = (): boolean => true;

export const WINDOW_OPS: { [K in WindowOpName]: OpSpec<K> } = {
  conv2d: {
    operands: ['x', 'filter', ...EPILOGUE_OPERANDS],
    gradient: ['x', 'filter'],
    shape: (op: OpOf<'conv2d'>, shapeOf: ShapeOf) => {
      const x = shapeOf(op.x);
      const g = imageGeometry('conv2d', op.window, x);
      const filter = shapeOf(op.filter);
      const cin = filterInputChannels('conv2d', op.window, filter);
      if (cin !== x[3]) fail(`conv2d: filter ${formatShape(filter)} is for ${cin} input channels, the image has ${x[3]}`);
      const shape = [g.batch, g.outH, g.outW, colsOf(filter)];
      checkEpilogue('conv2d', op.epilogue, ['bias', 'activation', 'gradMask', 'accumulate'], shape, shapeOf);
      return shape;
    },
    describe: (op, v) => `conv2d ${v(op.x)}, ${v(op.filter)} ${describeWindow(op.window)}${describeEpilogue(op.epilogue, v)}`,
    writesWhereAsked: always,
  },
  conv2dInputGrad: {
    operands: ['dy', 'filter', ...EPILOGUE_OPERANDS],
    gradient: 'secondOrder',
    shape: (op: OpOf<'conv2dInputGrad'>, shapeOf: ShapeOf) => {
      const g = imageGeometry('conv2dInputGrad', op.window, op.inputShape);
      const filter = shapeOf(op.filter);
      const cin = filterInputChannels('conv2dInputGrad', op.window, filter);
      const expected = [g.batch, g.outH, g.outW, colsOf(filter)];
      if (cin !== op.inputShape[3] || !sameShape(shapeOf(op.dy), expected))
        fail(`conv2dInputGrad: dy ${formatShape(shapeOf(op.dy))} and filter ${formatShape(filter)} do not fit an input ${formatShape(op.inputShape)}`);
      const shape = [...op.inputShape];
      checkEpilogue('conv2dInputGrad', op.epilogue, ['gradMask', 'accumulate'], shape, shapeOf);
      return shape;
    },
    describe: (op, v) => `conv2dInputGrad dy=${v(op.dy)}, ${v(op.filter)} ${describeWindow(op.window)}${describeEpilogue(op.epilogue, v)}`,
    writesWhereAsked: always,
  },
  conv2dFilterGrad: {
    operands: ['x', 'dy', ...EPILOGUE_OPERANDS],
    gradient: 'secondOrder',
    shape: (op: OpOf<'conv2dFilterGrad'>, shapeOf: ShapeOf) => {
      const x = shapeOf(op.x);
      const g = imageGeometry('conv2dFilterGrad', op.window, x);
      const dy = shapeOf(op.dy);
      if (dy.length !== 4 || !sameShape(dy.slice(0, 3), [g.batch, g.outH, g.outW]))
        fail(`conv2dFilterGrad: dy ${formatShape(dy)} does not fit an input ${formatShape(x)}`);
      const shape = [op.window.size[0] * op.window.size[1] * x[3]! + (op.epilogue?.aOnesRow ? 1 : 0), colsOf(dy)];
      checkEpilogue('conv2dFilterGrad', op.epilogue, ['aOnesRow', 'accumulate'], shape, shapeOf);
      return shape;
    },
    describe: (op, v) => `conv2dFilterGrad x=${v(op.x)}, dy=${v(op.dy)} ${describeWindow(op.window)}${describeEpilogue(op.epilogue, v)}`,
    writesWhereAsked: always,
  },
  pool2d: {
    operands: ['x'],
    gradient: ['x'],
    shape: (op: OpOf<'pool2d'>, shapeOf: ShapeOf) => {
      const x = shapeOf(op.x);
      const g = imageGeometry(`${op.mode}Pool2d`, op.window, x);
      return [g.batch, g.outH, g.outW, x[3]!];
    },
    describe: (op, v) => `${op.mode}Pool2d ${v(op.x)} ${describeWindow(op.window)}`,
    writesWhereAsked: always,
  },
  pool2dGrad: {
    operands: ['x', 'dy', 'gradMask.y'],
    gradient: 'secondOrder',
    shape: (op: OpOf<'pool2dGrad'>, shapeOf: ShapeOf) => {
      const x = shapeOf(op.x);
      const g = imageGeometry(`${op.mode}Pool2dGrad`, op.window, x);
      if (!sameShape(shapeOf(op.dy), [g.batch, g.outH, g.outW, x[3]!]))
        fail(`${op.mode}Pool2dGrad: dy ${formatShape(shapeOf(op.dy))} does not fit an input ${formatShape(x)}`);
      if (op.gradMask && !sameShape(shapeOf(op.gradMask.y), x))
        fail(`${op.mode}Pool2dGrad: mask ${formatShape(shapeOf(op.gradMask.y))} does not match ${formatShape(x)}`);
      return x;
    },
    describe: (op, v) =>
      `${op.mode}Pool2dGrad x=${v(op.x)}, dy=${v(op.dy)} ${describeWindow(op.window)}${op.gradMask ? ` × ${op.gradMask.activation}'(${v(op.gradMask.y)})` : ''}`,
    writesWhereAsked: always,
  },
};
