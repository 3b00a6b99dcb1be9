// What the matmul strategies (matmul.ts, matmulQuad.ts) share: operand checks and views, the
// epilogue (bias, activation, activation-gradient mask, store or accumulate) and the summary line.
import type { BufferDecl, MatmulKernel, View } from '../ir/kernel.js';
import { declareEpilogueWrites, epilogueFunction } from './epilogue.js';
import { BufferSet, KernelCodegenError, u32, type BufferVar } from './views.js';

export type MatmulVariant = 'registerTiled' | 'workgroupTiled' | 'quadTiled';

export const XYZW = ['x', 'y', 'z', 'w'] as const;

export interface Ctx {
  desc: MatmulKernel;
  M: number;
  N: number;
  K: number;
  /** Rows of op(A) that come from A (M − 1 with aOnesRow). */
  mReal: number;
  A: BufferVar;
  B: BufferVar;
  buffers: BufferSet;
}

/** Checks a matmul's views and registers its buffers in `buffers` (a new set unless several products share one module). */
export function prepare(desc: MatmulKernel, decls: Record<string, BufferDecl>, buffers = new BufferSet(desc.name, decls)): Ctx {
  const { m: M, n: N, k: K } = desc;
  for (const [what, x] of [
    ['m', M],
    ['n', N],
    ['k', K],
  ] as const) {
    if (!Number.isInteger(x) || x < 0) throw new KernelCodegenError(desc.name, `${what} = ${x} is not a size`);
  }
  const mReal = desc.aOnesRow ? M - 1 : M;
  if (mReal < 0) throw new KernelCodegenError(desc.name, 'aOnesRow needs m ≥ 1');
  const shaped = (v: View, rows: number, cols: number, what: string): View => {
    if (v.rows < rows || v.cols < cols) {
      throw new KernelCodegenError(desc.name, `${what} is ${v.rows}×${v.cols}, needs at least ${rows}×${cols}`);
    }
    return { ...v, rows, cols };
  };
  // Register reads before writes only for ordering; access is the union anyway.
  const A = buffers.view(desc.transA ? shaped(desc.a, K, mReal, 'a') : shaped(desc.a, mReal, K, 'a'), false, 'a');
  const B = buffers.view(desc.transB ? shaped(desc.b, N, K, 'b') : shaped(desc.b, K, N, 'b'), false, 'b');
  if (desc.bias) buffers.view(shaped(desc.bias, 1, N, 'bias'), false, 'bias');
  if (desc.gradMask) buffers.view(shaped(desc.gradMask.y, M, N, 'gradMask.y'), false, 'gradMask.y');
  declareEpilogueWrites(desc.name, desc, shaped(desc.out, M, N, 'out'), buffers);
  return { desc, M, N, K, mReal, A, B, buffers };
}

/**
 * How the register strategies (registerTiled, quadTiled) walk the operands: row strides, K as a
 * body of 4-steps and a tail of 0–3, and whether op(A) ends in a row of ones.
 */
export interface OperandWalk {
  /** Row strides of A and B as stored. */
  sA: number;
  sB: number;
  /** K rounded down to a multiple of 4 (the unrolled loop's extent), and the rest. */
  K4: number;
  rem: number;
  ones: boolean;
}

export function operandWalk(ctx: Ctx): OperandWalk {
  const { desc, K } = ctx;
  return { sA: desc.a.rowStride, sB: desc.b.rowStride, K4: K - (K % 4), rem: K % 4, ones: !!desc.aOnesRow };
}

/** `base + x` in WGSL (just `base` for x = 0). */
export function plus(base: string, x: number): string {
  return x === 0 ? base : `${base} + ${u32(x)}`;
}

/** 0, 1, …, n − 1. */
export function range(n: number): number[] {
  return [...Array(n).keys()];
}

/** `fn epilogue(m, n, v)` for this matmul (src/wgsl/epilogue.ts), or another name for it. */
export function epilogueFn(ctx: Ctx, name?: string): string {
  return epilogueFunction(ctx.desc, ctx.buffers, name);
}

export function needsActivationFns(desc: MatmulKernel): boolean {
  const s = (a?: string): boolean => a === 'sigmoid' || a === 'tanh';
  return s(desc.activation) || s(desc.gradMask?.activation);
}

export function summary(ctx: Ctx, variant: MatmulVariant): string {
  const d = ctx.desc;
  const ep = [
    d.aOnesRow ? 'aOnesRow' : '',
    d.bias ? 'bias' : '',
    d.activation && d.activation !== 'linear' ? d.activation : '',
    d.gradMask ? `× ${d.gradMask.activation}'(y)` : '',
    d.accumulate ? 'accumulate' : '',
    d.update ? `${d.update.algorithm.kind} update of the parameters instead of storing the gradient` : '',
  ].filter(Boolean);
  return `matmul ${ctx.M}×${ctx.N}×${ctx.K} (M×N×K) ${d.transA ? 'Aᵀ' : 'A'}·${d.transB ? 'Bᵀ' : 'B'}${ep.length ? ', ' + ep.join(', ') : ''}; ${variant}`;
}
