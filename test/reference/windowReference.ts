// The float64 reference of the conv2d and pool2d kernels (KernelDesc semantics in src/ir/kernel.ts),
// over views, on the same plain loops as the interpreter (src/ir/ops/windowMath.ts).
import type { Conv2dKernel, Pool2dKernel, View } from '../../src/ir/kernel.js';
import { convFilterGrad64, convForward64, convInputGrad64, pool64, poolGrad64, type At } from '../../src/ir/ops/windowMath.js';
import { activation, activationGrad, viewIndex, type RefBuffers, type RefStep } from './kernelReference.js';

function reader(buffers: RefBuffers, view: View, step: RefStep): At {
  const b = buffers[view.buffer];
  if (!b) throw new Error(`reference: no buffer "${view.buffer}"`);
  return (r, c) => {
    if (r < 0 || r >= view.rows || c < 0 || c >= view.cols)
      throw new Error(`reference: (${r}, ${c}) outside a ${view.rows}×${view.cols} view of "${view.buffer}"`);
    const i = viewIndex(view, r, c, step);
    if (i < 0 || i >= b.length) throw new Error(`reference: read of "${view.buffer}"[${i}] out of bounds (${b.length})`);
    return b[i]!;
  };
}

function store(buffers: RefBuffers, view: View, rows: number, cols: number, step: RefStep, value: (r: number, c: number) => number, accumulate: boolean): void {
  const b = buffers[view.buffer]!;
  const values = Array.from({ length: rows * cols }, (_, i) => value(Math.floor(i / cols), i % cols));
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const i = viewIndex(view, r, c, step);
      if (i < 0 || i >= b.length) throw new Error(`reference: write of "${view.buffer}"[${i}] out of bounds (${b.length})`);
      b[i] = accumulate ? b[i]! + values[r * cols + c]! : values[r * cols + c]!;
    }
}

export function conv2dReference(desc: Conv2dKernel, buffers: RefBuffers, step: RefStep): void {
  const g = desc.geometry;
  const a = reader(buffers, desc.a, step);
  const b = reader(buffers, desc.b, step);
  let product: Float64Array;
  let rows: number;
  let cols: number;
  switch (desc.pass) {
    case 'forward':
      product = convForward64(g, desc.inC, desc.outC, a, b);
      [rows, cols] = [g.batch * g.outH * g.outW, desc.outC];
      break;
    case 'inputGrad':
      product = convInputGrad64(g, desc.inC, desc.outC, a, b);
      [rows, cols] = [g.batch * g.inH * g.inW, desc.inC];
      break;
    case 'filterGrad':
      product = convFilterGrad64(g, desc.inC, desc.outC, a, b, !!desc.aOnesRow);
      [rows, cols] = [g.kernelH * g.kernelW * desc.inC + (desc.aOnesRow ? 1 : 0), desc.outC];
      break;
    default:
      return desc.pass satisfies never;
  }
  const bias = desc.bias ? reader(buffers, desc.bias, step) : undefined;
  const mask = desc.gradMask ? reader(buffers, desc.gradMask.y, step) : undefined;
  store(
    buffers,
    desc.out,
    rows,
    cols,
    step,
    (r, c) => {
      let v = product[r * cols + c]!;
      if (bias) v += bias(0, c);
      if (desc.activation) v = activation(desc.activation, v);
      if (mask && desc.gradMask) v = activationGrad(desc.gradMask.activation, mask(r, c), v);
      return v;
    },
    !!desc.accumulate,
  );
}

export function pool2dReference(desc: Pool2dKernel, buffers: RefBuffers, step: RefStep): void {
  const g = desc.geometry;
  const x = reader(buffers, desc.x, step);
  const c = desc.channels;
  if (desc.dy) {
    const values = poolGrad64(g, c, desc.mode, x, reader(buffers, desc.dy, step));
    const mask = desc.gradMask;
    const y = mask ? reader(buffers, mask.y, step) : undefined;
    const masked = (r: number, ch: number): number => (mask && y ? activationGrad(mask.activation, y(r, ch), values[r * c + ch]!) : values[r * c + ch]!);
    store(buffers, desc.out, g.batch * g.inH * g.inW, c, step, masked, !!desc.accumulate);
  } else {
    const values = pool64(g, c, desc.mode, x);
    store(buffers, desc.out, g.batch * g.outH * g.outW, c, step, (r, ch) => values[r * c + ch]!, !!desc.accumulate);
  }
}
