// conv2d: a convolution as an implicit GEMM (see Conv2dKernel in ir/kernel.ts), no im2col buffer.
// Each invocation computes a 4×4 block of the output product in registers (four vec4 accumulators),
// reading the image operand through the window's index arithmetic. Channels are contiguous in every
// operand, so the channel loop walks them four at a time with vec4 loads (array<vec4<f32>> where
// the view is 4-aligned): on SwiftShader the loads and the index arithmetic, not the multiply-adds,
// set the speed. The window's bounds checks are emitted only where the geometry can leave the input
// (padding, or a 'valid' window that overhangs); masked taps read a valid address and become zero.
// The filter gradient, a product with a tiny output and a long reduction (batch · out pixels), splits
// that reduction over the lanes of a workgroup and sums the lanes through workgroup memory
// (conv2dFilterGrad.ts).
import type { BufferDecl, Conv2dKernel, View } from '../ir/kernel.js';
import { conv2dFilterGradBody } from './conv2dFilterGrad.js';
import { conv2dFilterGradQuadBody } from './conv2dFilterGradQuad.js';
import { type ConvQuadChoice, conv2dQuadBody } from './conv2dQuad.js';
import { epilogueFunction } from './epilogue.js';
import type { MatmulVariant } from './matmul.js';
import {
  ACTIVATION_FUNCTIONS,
  BufferSet,
  KernelCodegenError,
  assemble,
  loadF32,
  perItemPrologue,
  u32,
  viewAligned4,
  type BufferVar,
  type GeneratedKernel,
} from './views.js';
import { i32, windowMasks } from './windowIndex.js';

const WORKGROUP_SIZE = 64;
const BLOCK = [0, 1, 2, 3] as const;
const XYZW = ['x', 'y', 'z', 'w'] as const;

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

/** The length of the product's reduction (K): window taps × channels, or the filter gradient's output pixels. */
export function reductionLength(desc: Conv2dKernel): number {
  const g = desc.geometry;
  switch (desc.pass) {
    case 'forward':
      return g.kernelH * g.kernelW * desc.inC;
    case 'inputGrad':
      return g.kernelH * g.kernelW * desc.outC;
    case 'filterGrad':
      return g.batch * g.outH * g.outW;
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

/** `fn ld<name>4(i)`: four consecutive elements from element i (one vec4 load where the buffer allows). */
export function load4Fn(name: string, v: BufferVar, aligned: boolean): string {
  const one = (i: string): string => loadF32(v, i);
  const body = v.vec4 && aligned ? `${v.ident}[i >> 2u]` : `vec4<f32>(${one('i')}, ${one('i + 1u')}, ${one('i + 2u')}, ${one('i + 3u')})`;
  return `fn ${name}(i: u32) -> vec4<f32> { return ${body}; }`;
}

/**
 * Declares a view's buffer as array<vec4<f32>> when the view is 4-aligned and `wide` (channels ≥ 4)
 * and the kernel only reads that buffer. (Also declaring the written activation arena vec4, with
 * single-component stores, was measured on SwiftShader and gained nothing: bench/cnn-kernels.mjs
 * --f32-arena, demo CNN at batch 32, second convolution forward 247 vs 244 ms, input gradient 235
 * vs 247 ms under load.)
 */
export function vec4Operand(buffers: BufferSet, v: BufferVar, view: View, wide: boolean): boolean {
  const aligned = wide && viewAligned4(view);
  return aligned && buffers.tryVec4(v.name);
}

/** Element index expressions of a view, with the offset added once. */
const at = (view: View, index: string): string => (view.offset === 0 ? index : `${u32(view.offset)} + ${index}`);

function forwardLoop(desc: Conv2dKernel, A: BufferVar): string[] {
  const g = desc.geometry;
  const masks = windowMasks(g);
  const C = desc.inC;
  const C4 = C - (C % 4);
  const sA = desc.a.rowStride;
  const sB = desc.b.rowStride;
  const L: string[] = [];
  for (const i of BLOCK) {
    L.push(`  let r${i} = min(m0 + ${u32(i)}, ${u32(g.batch * g.outH * g.outW - 1)});`);
    L.push(
      `  let ox${i} = r${i} % ${u32(g.outW)}; let t${i} = r${i} / ${u32(g.outW)}; let oy${i} = t${i} % ${u32(g.outH)}; let b${i} = t${i} / ${u32(g.outH)};`,
    );
    // The window's top-left input pixel (may lie in the padding: i32).
    L.push(`  let y0${i} = i32(oy${i} * ${u32(g.strideH)}) - ${i32(g.padTop)}; let x0${i} = i32(ox${i} * ${u32(g.strideW)}) - ${i32(g.padLeft)};`);
    L.push(`  let p${i} = (i32(b${i} * ${u32(g.inH)}) + y0${i}) * ${i32(g.inW)} + x0${i};`);
  }
  L.push(`  for (var ky = 0u; ky < ${u32(g.kernelH)}; ky = ky + 1u) {`);
  L.push(`    for (var kx = 0u; kx < ${u32(g.kernelW)}; kx = kx + 1u) {`);
  L.push(`      let tap = i32(ky * ${u32(g.inW)} + kx);`);
  for (const i of BLOCK) {
    const checks = [
      ...(masks.h ? [`y0${i} + i32(ky) >= 0i`, `y0${i} + i32(ky) < ${i32(g.inH)}`] : []),
      ...(masks.w ? [`x0${i} + i32(kx) >= 0i`, `x0${i} + i32(kx) < ${i32(g.inW)}`] : []),
    ];
    if (checks.length) {
      L.push(`      let ok${i} = ${checks.join(' && ')};`);
      L.push(`      let a${i} = select(0u, u32(p${i} + tap) * ${u32(sA)}, ok${i});`);
    } else {
      L.push(`      let a${i} = u32(p${i} + tap) * ${u32(sA)};`);
    }
  }
  const masked = masks.h || masks.w;
  L.push(`      let kb = (ky * ${u32(g.kernelW)} + kx) * ${u32(C)};`);
  if (C4 > 0) {
    L.push(`      for (var ci = 0u; ci < ${u32(C4)}; ci = ci + 4u) {`);
    for (const kk of BLOCK) L.push(`        let w${kk} = ldb4(${at(desc.b, `(kb + ci + ${u32(kk)}) * ${u32(sB)} + n0`)});`);
    for (const i of BLOCK) {
      const load = `lda4(${at(desc.a, `a${i} + ci`)})`;
      L.push(`        let v${i} = ${masked ? `select(vec4<f32>(0.0), ${load}, ok${i})` : load};`);
      L.push(`        acc${i} = acc${i} + v${i}.x * w0 + v${i}.y * w1 + v${i}.z * w2 + v${i}.w * w3;`);
    }
    L.push('      }');
  }
  for (let c = C4; c < C; c++) {
    L.push(`      {`);
    L.push(`        let w = ldb4(${at(desc.b, `(kb + ${u32(c)}) * ${u32(sB)} + n0`)});`);
    for (const i of BLOCK) {
      const load = loadF32(A, at(desc.a, `a${i} + ${u32(c)}`));
      L.push(`        acc${i} = acc${i} + ${masked ? `select(0.0, ${load}, ok${i})` : load} * w;`);
    }
    L.push(`      }`);
  }
  L.push('    }', '  }');
  return L;
}

function inputGradLoop(desc: Conv2dKernel, A: BufferVar, B: BufferVar): string[] {
  const g = desc.geometry;
  const CO = desc.outC;
  const CO4 = CO - (CO % 4);
  const sA = desc.a.rowStride;
  const sB = desc.b.rowStride;
  const L: string[] = [];
  for (const i of BLOCK) {
    L.push(`  let r${i} = min(m0 + ${u32(i)}, ${u32(g.batch * g.inH * g.inW - 1)});`);
    L.push(
      `  let ix${i} = i32(r${i} % ${u32(g.inW)}); let t${i} = r${i} / ${u32(g.inW)}; let iy${i} = i32(t${i} % ${u32(g.inH)}); let b${i} = t${i} / ${u32(g.inH)};`,
    );
  }
  // Filter rows (tap, ci) of the block's columns: filter[(tap · inC + nc_j), co].
  L.push(`  for (var ky = 0u; ky < ${u32(g.kernelH)}; ky = ky + 1u) {`);
  L.push(`    for (var kx = 0u; kx < ${u32(g.kernelW)}; kx = kx + 1u) {`);
  for (const i of BLOCK) {
    // The output pixel whose tap (ky, kx) lands on this input pixel, if the strides allow one.
    L.push(`      let ty${i} = iy${i} + ${i32(g.padTop)} - i32(ky); let tx${i} = ix${i} + ${i32(g.padLeft)} - i32(kx);`);
    const divY = g.strideH === 1 ? `ty${i}` : `ty${i} / ${i32(g.strideH)}`;
    const divX = g.strideW === 1 ? `tx${i}` : `tx${i} / ${i32(g.strideW)}`;
    L.push(`      let oy${i} = ${divY}; let ox${i} = ${divX};`);
    const checks = [`ty${i} >= 0i`, `tx${i} >= 0i`, `oy${i} < ${i32(g.outH)}`, `ox${i} < ${i32(g.outW)}`];
    if (g.strideH !== 1) checks.push(`oy${i} * ${i32(g.strideH)} == ty${i}`);
    if (g.strideW !== 1) checks.push(`ox${i} * ${i32(g.strideW)} == tx${i}`);
    L.push(`      let ok${i} = ${checks.join(' && ')};`);
    L.push(`      let a${i} = select(0u, ((b${i} * ${u32(g.outH)} + u32(max(oy${i}, 0i))) * ${u32(g.outW)} + u32(max(ox${i}, 0i))) * ${u32(sA)}, ok${i});`);
  }
  L.push(`      let kb = (ky * ${u32(g.kernelW)} + kx) * ${u32(desc.inC)};`);
  for (const j of BLOCK) L.push(`      let f${j} = (kb + nc${j}) * ${u32(sB)};`);
  if (CO4 > 0) {
    L.push(`      for (var co = 0u; co < ${u32(CO4)}; co = co + 4u) {`);
    for (const j of BLOCK) L.push(`        let w${j} = ldb4(${at(desc.b, `f${j} + co`)});`);
    for (const i of BLOCK) {
      L.push(`        let v${i} = select(vec4<f32>(0.0), lda4(${at(desc.a, `a${i} + co`)}), ok${i});`);
      L.push(`        acc${i} = acc${i} + vec4<f32>(dot(v${i}, w0), dot(v${i}, w1), dot(v${i}, w2), dot(v${i}, w3));`);
    }
    L.push('      }');
  }
  for (let c = CO4; c < CO; c++) {
    L.push(`      {`);
    L.push(`        let w = vec4<f32>(${BLOCK.map((j) => loadF32(B, at(desc.b, `f${j} + ${u32(c)}`))).join(', ')});`);
    for (const i of BLOCK) L.push(`        acc${i} = acc${i} + select(0.0, ${loadF32(A, at(desc.a, `a${i} + ${u32(c)}`))}, ok${i}) * w;`);
    L.push(`      }`);
  }
  L.push('    }', '  }');
  return L;
}

export function generateConv2d(
  desc: Conv2dKernel,
  decls: Record<string, BufferDecl>,
  variant: MatmulVariant = 'registerTiled',
  /** quadTiled's block and workgroup size (the filter gradient: workgroupSize / 4 quads split a block's pixels). */
  quadChoice?: ConvQuadChoice,
): GeneratedKernel {
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
  const quad = variant === 'quadTiled';
  // Which operand is read four channels at a time: forward a along cin, b along cout; inputGrad both
  // along cout (the quad kernel reads one element per lane: no vec4).
  const wideA = desc.pass === 'inputGrad' ? desc.outC >= 4 : desc.inC >= 4;
  const wideB = desc.pass === 'inputGrad' ? desc.outC >= 4 : desc.outC >= 4;
  const alignedA = !quad && vec4Operand(buffers, A, desc.a, wideA);
  // The quad kernels read one element per lane, but the input gradient's four channels of a filter row at once: vec4 where aligned (conv2dQuad.ts).
  const alignedB = quad ? desc.pass === 'inputGrad' && vec4Operand(buffers, B, desc.b, wideB) : vec4Operand(buffers, B, desc.b, wideB);
  const ep = [
    desc.aOnesRow ? 'ones row' : '',
    desc.bias ? 'bias' : '',
    desc.activation ?? '',
    desc.gradMask ? `× ${desc.gradMask.activation}'(y)` : '',
    desc.accumulate ? 'accumulate' : '',
  ].filter(Boolean);
  const usesActivationFns = [desc.activation, desc.gradMask?.activation].some((a) => a === 'sigmoid' || a === 'tanh');
  const loaders = quad ? [] : [load4Fn('lda4', A, alignedA), load4Fn('ldb4', B, alignedB)];
  const helpers = [...loaders, usesActivationFns ? ACTIVATION_FUNCTIONS : '', epilogueFunction(desc, buffers)];
  const summary = `conv2d ${desc.pass} ${g.batch}×${g.inH}×${g.inW}×${desc.inC} → ${g.outH}×${g.outW}×${desc.outC}, window ${g.kernelH}×${g.kernelW} stride ${g.strideH}×${g.strideW} pad ${g.padTop},${g.padLeft}; product ${M}×${N}×${reductionLength(desc)} (M×N×K)`;
  if (desc.pass === 'filterGrad' && variant === 'quadTiled') {
    const fq = conv2dFilterGradQuadBody(desc, A, B, M, N, quadChoice && { block: quadChoice.block, split: quadChoice.workgroupSize / 4 });
    const [r, cl] = fq.choice.block;
    return assemble({
      desc,
      summary: `${summary}; quadTiled ${r}×${4 * cl} per quad, ${fq.choice.split} quads per block${ep.length ? `; ${ep.join(', ')}` : ''}`,
      buffers,
      helpers: [...helpers, fq.helpers].filter(Boolean).join('\n\n'),
      workgroupSize: fq.workgroupSize,
      body: fq.body,
      workgroups: fq.workgroups,
      enables: fq.enables,
    });
  }
  if (desc.pass === 'filterGrad') {
    const fg = conv2dFilterGradBody(desc, variant, A, M, N);
    return assemble({
      desc,
      summary: `${summary}; ${fg.lanes} lanes per 4×4 block${ep.length ? `; ${ep.join(', ')}` : ''}`,
      buffers,
      helpers: [...helpers, fg.helpers].filter(Boolean).join('\n\n'),
      workgroupSize: fg.workgroupSize,
      body: fg.body,
      workgroups: fg.workgroups,
    });
  }
  if (quad) {
    const q = conv2dQuadBody(desc, A, B, M, N, quadChoice);
    return assemble({
      desc,
      summary: `${summary}; quadTiled ${q.block[0]}×${4 * q.block[1]} per quad${ep.length ? `; ${ep.join(', ')}` : ''}`,
      buffers,
      helpers: helpers.filter(Boolean).join('\n\n'),
      workgroupSize: q.workgroupSize,
      body: q.body,
      workgroups: q.workgroups,
      enables: q.enables,
    });
  }
  const blocksN = Math.ceil(N / 4);
  const { dispatch, code } = perItemPrologue(Math.ceil(M / 4) * blocksN, WORKGROUP_SIZE);
  const L = [code, `  let m0 = (gidx / ${u32(blocksN)}) * 4u;`, `  let n0 = (gidx % ${u32(blocksN)}) * 4u;`];
  for (const j of BLOCK) L.push(`  let nc${j} = min(n0 + ${u32(j)}, ${u32(N - 1)});`);
  for (const i of BLOCK) L.push(`  var acc${i} = vec4<f32>(0.0);`);
  switch (desc.pass) {
    case 'forward':
      L.push(...forwardLoop(desc, A));
      break;
    case 'inputGrad':
      L.push(...inputGradLoop(desc, A, B));
      break;
    default:
      return desc.pass satisfies never;
  }
  L.push(...blockStores(M, N));
  return assemble({
    desc,
    summary: `${summary}${ep.length ? `; ${ep.join(', ')}` : ''}`,
    buffers,
    helpers: helpers.filter(Boolean).join('\n\n'),
    workgroupSize: WORKGROUP_SIZE,
    body: L.join('\n'),
    workgroups: dispatch.workgroups,
  });
}

/** The epilogue calls of a 4×4 block at (m0, n0) held in acc0..acc3 (vec4 over n). */
function blockStores(M: number, N: number): string[] {
  const L: string[] = [];
  for (const i of BLOCK)
    for (const j of BLOCK)
      L.push(`  if (m0 + ${u32(i)} < ${u32(M)} && n0 + ${u32(j)} < ${u32(N)}) { epilogue(m0 + ${u32(i)}, n0 + ${u32(j)}, acc${i}.${XYZW[j]}); }`);
  return L;
}
