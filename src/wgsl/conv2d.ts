// conv2d: a convolution as an implicit GEMM (see Conv2dKernel in ir/kernel.ts). Each invocation
// computes a 4×4 block of the output product in registers (four vec4 accumulators), reading the
// image operand through the window's index arithmetic instead of an im2col buffer: per tap (ky, kx)
// each of the block's rows finds its source pixel once, then the channel loop reads contiguously.
// Taps that fall in the padding read a valid address and are masked to zero, so there are no branches.
import type { BufferDecl, Conv2dKernel, View } from '../ir/kernel.js';
import {
  ACTIVATION_FUNCTIONS,
  BufferSet,
  KernelCodegenError,
  activationExpr,
  activationGradExpr,
  assemble,
  loadF32,
  perItemPrologue,
  storeF32,
  u32,
  viewIndex,
  type BufferVar,
  type GeneratedKernel,
} from './views.js';

const WORKGROUP_SIZE = 64;
const BLOCK = [0, 1, 2, 3] as const;
const XYZW = ['x', 'y', 'z', 'w'] as const;

const i32 = (n: number): string => `${n}i`;

/** Rows and columns of the product a pass computes. */
export function conv2dProductShape(desc: Conv2dKernel): [rows: number, cols: number] {
  const g = desc.geometry;
  switch (desc.pass) {
    case 'forward':
      return [g.batch * g.outH * g.outW, desc.outC];
    case 'inputGrad':
      return [g.batch * g.inH * g.inW, desc.inC];
    case 'filterGrad':
      return [g.kernelH * g.kernelW * desc.inC + (desc.aOnesRow ? 1 : 0), desc.outC];
    default:
      return desc.pass satisfies never;
  }
}

/** The shapes of a and b a pass reads. */
function operandShapes(desc: Conv2dKernel): { a: [number, number]; b: [number, number] } {
  const g = desc.geometry;
  const image: [number, number] = [g.batch * g.inH * g.inW, desc.inC];
  const outImage: [number, number] = [g.batch * g.outH * g.outW, desc.outC];
  const filter: [number, number] = [g.kernelH * g.kernelW * desc.inC, desc.outC];
  switch (desc.pass) {
    case 'forward':
      return { a: image, b: filter };
    case 'inputGrad':
      return { a: outImage, b: filter };
    case 'filterGrad':
      return { a: image, b: outImage };
    default:
      return desc.pass satisfies never;
  }
}

function epilogueFn(desc: Conv2dKernel, buffers: BufferSet): string {
  const lines = ['fn epilogue(m: u32, n: u32, acc: f32) {', '  var v = acc;'];
  if (desc.bias) lines.push(`  v = v + ${loadF32(buffers.get(desc.bias.buffer), viewIndex(desc.bias, '0u', 'n'))};`);
  if (desc.activation && desc.activation !== 'linear') lines.push(`  v = ${activationExpr(desc.activation, 'v')};`);
  if (desc.gradMask) {
    lines.push(`  let y = ${loadF32(buffers.get(desc.gradMask.y.buffer), viewIndex(desc.gradMask.y, 'm', 'n'))};`);
    lines.push(`  v = ${activationGradExpr(desc.gradMask.activation, 'y', 'v')};`);
  }
  lines.push(`  ${storeF32(buffers.get(desc.out.buffer), viewIndex(desc.out, 'm', 'n'), 'v', !!desc.accumulate)}`);
  lines.push('}');
  return lines.join('\n');
}

/** Element (r, c) of a view as a load. */
const load = (v: BufferVar, view: View, index: string): string => loadF32(v, `${u32(view.offset)} + ${index}`);

function forwardLoop(desc: Conv2dKernel, A: BufferVar, B: BufferVar): string[] {
  const g = desc.geometry;
  const L: string[] = [];
  for (const i of BLOCK) {
    L.push(`  let r${i} = min(m0 + ${u32(i)}, ${u32(g.batch * g.outH * g.outW - 1)});`);
    L.push(
      `  let ox${i} = r${i} % ${u32(g.outW)}; let t${i} = r${i} / ${u32(g.outW)}; let oy${i} = t${i} % ${u32(g.outH)}; let b${i} = t${i} / ${u32(g.outH)};`,
    );
  }
  L.push(`  for (var ky = 0u; ky < ${u32(g.kernelH)}; ky = ky + 1u) {`);
  L.push(`    for (var kx = 0u; kx < ${u32(g.kernelW)}; kx = kx + 1u) {`);
  for (const i of BLOCK) {
    L.push(
      `      let iy${i} = i32(oy${i} * ${u32(g.strideH)} + ky) - ${i32(g.padTop)}; let ix${i} = i32(ox${i} * ${u32(g.strideW)} + kx) - ${i32(g.padLeft)};`,
    );
    L.push(`      let ok${i} = iy${i} >= 0i && iy${i} < ${i32(g.inH)} && ix${i} >= 0i && ix${i} < ${i32(g.inW)};`);
    L.push(
      `      let a${i} = select(0u, ((b${i} * ${u32(g.inH)} + u32(max(iy${i}, 0i))) * ${u32(g.inW)} + u32(max(ix${i}, 0i))) * ${u32(desc.a.rowStride)}, ok${i});`,
    );
  }
  L.push(`      let kb = (ky * ${u32(g.kernelW)} + kx) * ${u32(desc.inC)};`);
  L.push(`      for (var ci = 0u; ci < ${u32(desc.inC)}; ci = ci + 1u) {`);
  L.push(`        let bi = (kb + ci) * ${u32(desc.b.rowStride)};`);
  L.push(`        let w = vec4<f32>(${BLOCK.map((j) => load(B, desc.b, `bi + nc${j}`)).join(', ')});`);
  for (const i of BLOCK) L.push(`        acc${i} = acc${i} + select(0.0, ${load(A, desc.a, `a${i} + ci`)}, ok${i}) * w;`);
  L.push('      }', '    }', '  }');
  return L;
}

function inputGradLoop(desc: Conv2dKernel, A: BufferVar, B: BufferVar): string[] {
  const g = desc.geometry;
  const L: string[] = [];
  for (const i of BLOCK) {
    L.push(`  let r${i} = min(m0 + ${u32(i)}, ${u32(g.batch * g.inH * g.inW - 1)});`);
    L.push(
      `  let ix${i} = i32(r${i} % ${u32(g.inW)}); let t${i} = r${i} / ${u32(g.inW)}; let iy${i} = i32(t${i} % ${u32(g.inH)}); let b${i} = t${i} / ${u32(g.inH)};`,
    );
  }
  L.push(`  for (var ky = 0u; ky < ${u32(g.kernelH)}; ky = ky + 1u) {`);
  L.push(`    for (var kx = 0u; kx < ${u32(g.kernelW)}; kx = kx + 1u) {`);
  for (const i of BLOCK) {
    // The output pixel whose tap (ky, kx) lands on this input pixel, if the strides allow one.
    L.push(`      let ty${i} = iy${i} + ${i32(g.padTop)} - i32(ky); let tx${i} = ix${i} + ${i32(g.padLeft)} - i32(kx);`);
    L.push(`      let oy${i} = ty${i} / ${i32(g.strideH)}; let ox${i} = tx${i} / ${i32(g.strideW)};`);
    L.push(
      `      let ok${i} = ty${i} >= 0i && tx${i} >= 0i && oy${i} * ${i32(g.strideH)} == ty${i} && ox${i} * ${i32(g.strideW)} == tx${i} && oy${i} < ${i32(g.outH)} && ox${i} < ${i32(g.outW)};`,
    );
    L.push(
      `      let a${i} = select(0u, ((b${i} * ${u32(g.outH)} + u32(max(oy${i}, 0i))) * ${u32(g.outW)} + u32(max(ox${i}, 0i))) * ${u32(desc.a.rowStride)}, ok${i});`,
    );
  }
  L.push(`      let kb = (ky * ${u32(g.kernelW)} + kx) * ${u32(desc.inC)};`);
  for (const j of BLOCK) L.push(`      let bi${j} = (kb + nc${j}) * ${u32(desc.b.rowStride)};`);
  L.push(`      for (var co = 0u; co < ${u32(desc.outC)}; co = co + 1u) {`);
  L.push(`        let w = vec4<f32>(${BLOCK.map((j) => load(B, desc.b, `bi${j} + co`)).join(', ')});`);
  for (const i of BLOCK) L.push(`        acc${i} = acc${i} + select(0.0, ${load(A, desc.a, `a${i} + co`)}, ok${i}) * w;`);
  L.push('      }', '    }', '  }');
  return L;
}

function filterGradLoop(desc: Conv2dKernel, A: BufferVar, B: BufferVar): string[] {
  const g = desc.geometry;
  const taps = g.kernelH * g.kernelW * desc.inC;
  const L: string[] = [];
  for (const i of BLOCK) {
    L.push(`  let r${i} = min(m0 + ${u32(i)}, ${u32(taps - 1)});`);
    L.push(
      `  let ci${i} = r${i} % ${u32(desc.inC)}; let t${i} = r${i} / ${u32(desc.inC)}; let kx${i} = t${i} % ${u32(g.kernelW)}; let ky${i} = t${i} / ${u32(g.kernelW)};`,
    );
    if (desc.aOnesRow) L.push(`  let ones${i} = m0 + ${u32(i)} == ${u32(taps)};`);
  }
  L.push(`  for (var b = 0u; b < ${u32(g.batch)}; b = b + 1u) {`);
  L.push(`    for (var oy = 0u; oy < ${u32(g.outH)}; oy = oy + 1u) {`);
  for (const i of BLOCK) {
    L.push(`      let iy${i} = i32(oy * ${u32(g.strideH)} + ky${i}) - ${i32(g.padTop)};`);
    L.push(`      let oky${i} = iy${i} >= 0i && iy${i} < ${i32(g.inH)};`);
    L.push(`      let rowa${i} = (b * ${u32(g.inH)} + u32(max(iy${i}, 0i))) * ${u32(g.inW)};`);
  }
  L.push(`      let rowb = (b * ${u32(g.outH)} + oy) * ${u32(g.outW)};`);
  L.push(`      for (var ox = 0u; ox < ${u32(g.outW)}; ox = ox + 1u) {`);
  L.push(`        let bi = (rowb + ox) * ${u32(desc.b.rowStride)};`);
  L.push(`        let d = vec4<f32>(${BLOCK.map((j) => load(B, desc.b, `bi + nc${j}`)).join(', ')});`);
  for (const i of BLOCK) {
    L.push(`        let ix${i} = i32(ox * ${u32(g.strideW)} + kx${i}) - ${i32(g.padLeft)};`);
    L.push(`        let ok${i} = oky${i} && ix${i} >= 0i && ix${i} < ${i32(g.inW)};`);
    const a = `select(0.0, ${load(A, desc.a, `select(0u, (rowa${i} + u32(max(ix${i}, 0i))) * ${u32(desc.a.rowStride)} + ci${i}, ok${i})`)}, ok${i})`;
    L.push(`        acc${i} = acc${i} + ${desc.aOnesRow ? `select(${a}, 1.0, ones${i})` : a} * d;`);
  }
  L.push('      }', '    }', '  }');
  return L;
}

export function generateConv2d(desc: Conv2dKernel, decls: Record<string, BufferDecl>): GeneratedKernel {
  const g = desc.geometry;
  const sizes = [g.batch, g.inH, g.inW, g.outH, g.outW, g.kernelH, g.kernelW, g.strideH, g.strideW, desc.inC, desc.outC];
  if (!sizes.every((d) => Number.isInteger(d) && d > 0) || g.padTop < 0 || g.padLeft < 0) throw new KernelCodegenError(desc.name, 'bad convolution geometry');
  if (desc.aOnesRow && desc.pass !== 'filterGrad') throw new KernelCodegenError(desc.name, 'only the filter gradient takes a ones row');
  const [M, N] = conv2dProductShape(desc);
  const shapes = operandShapes(desc);
  const buffers = new BufferSet(desc.name, decls);
  const shaped = (v: View, [rows, cols]: [number, number], what: string): View => {
    if (v.rows < rows || v.cols < cols) throw new KernelCodegenError(desc.name, `${what} is ${v.rows}×${v.cols}, needs at least ${rows}×${cols}`);
    return { ...v, rows, cols };
  };
  if ([desc.a, desc.b, desc.out].some((v) => v.rowBaseFromStep)) throw new KernelCodegenError(desc.name, 'conv2d views cannot shift by the step');
  const A = buffers.view(shaped(desc.a, shapes.a, 'a'), false, 'a');
  const B = buffers.view(shaped(desc.b, shapes.b, 'b'), false, 'b');
  if (desc.bias) buffers.view(shaped(desc.bias, [1, N], 'bias'), false, 'bias');
  if (desc.gradMask) buffers.view(shaped(desc.gradMask.y, [M, N], 'gradMask.y'), false, 'gradMask.y');
  buffers.view(shaped(desc.out, [M, N], 'out'), true, 'out');
  const blocksN = Math.ceil(N / 4);
  const { dispatch, code } = perItemPrologue(Math.ceil(M / 4) * blocksN, WORKGROUP_SIZE);
  const L = [code, `  let m0 = (gidx / ${u32(blocksN)}) * 4u;`, `  let n0 = (gidx % ${u32(blocksN)}) * 4u;`];
  for (const j of BLOCK) L.push(`  let nc${j} = min(n0 + ${u32(j)}, ${u32(N - 1)});`);
  for (const i of BLOCK) L.push(`  var acc${i} = vec4<f32>(0.0);`);
  switch (desc.pass) {
    case 'forward':
      L.push(...forwardLoop(desc, A, B));
      break;
    case 'inputGrad':
      L.push(...inputGradLoop(desc, A, B));
      break;
    case 'filterGrad':
      L.push(...filterGradLoop(desc, A, B));
      break;
    default:
      return desc.pass satisfies never;
  }
  for (const i of BLOCK)
    for (const j of BLOCK)
      L.push(`  if (m0 + ${u32(i)} < ${u32(M)} && n0 + ${u32(j)} < ${u32(N)}) { epilogue(m0 + ${u32(i)}, n0 + ${u32(j)}, acc${i}.${XYZW[j]}); }`);
  const usesActivationFns = [desc.activation, desc.gradMask?.activation].some((a) => a === 'sigmoid' || a === 'tanh');
  const ep = [
    desc.aOnesRow ? 'ones row' : '',
    desc.bias ? 'bias' : '',
    desc.activation ?? '',
    desc.gradMask ? `× ${desc.gradMask.activation}'(y)` : '',
    desc.accumulate ? 'accumulate' : '',
  ].filter(Boolean);
  return assemble({
    desc,
    summary: `conv2d ${desc.pass} ${g.batch}×${g.inH}×${g.inW}×${desc.inC} → ${g.outH}×${g.outW}×${desc.outC}, window ${g.kernelH}×${g.kernelW} stride ${g.strideH}×${g.strideW} pad ${g.padTop},${g.padLeft}; product ${M}×${N}${ep.length ? `; ${ep.join(', ')}` : ''}`,
    buffers,
    helpers: [usesActivationFns ? ACTIVATION_FUNCTIONS : '', epilogueFn(desc, buffers)].filter(Boolean).join('\n\n'),
    workgroupSize: WORKGROUP_SIZE,
    body: L.join('\n'),
    workgroups: dispatch.workgroups,
  });
}
