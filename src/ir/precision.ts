// Mixed precision (Keras's dtype policy names): which element type the kernels store values in.
// 'mixed_float16' stores activations and their gradients (the arena) as f16 and gives the kernels
// an f16 copy of the weights (written by the optimizer after each update), halving the bytes they
// read; the parameters (the master weights), their gradients and the optimizer state stay f32, the
// gathered input batch too, and every kernel loads f16 into f32 and accumulates in f32. It needs the
// adapter's 'shader-f16' feature; where that is missing the model falls back to float32 (see
// resolvePrecision in src/api/precision.ts).
import type { BufferDecl, ElementType } from './kernel.js';

export type Precision = 'float32' | 'mixed_float16';

export const PRECISIONS: readonly Precision[] = ['float32', 'mixed_float16'];

/** The element type the plan stores activations (arena blocks, the gathered batch) in. */
export function activationElementType(precision: Precision): 'f32' | 'f16' {
  switch (precision) {
    case 'float32':
      return 'f32';
    case 'mixed_float16':
      return 'f16';
    default:
      return precision satisfies never;
  }
}

/** The f16 copy of the parameters that mixed-precision kernels read (the optimizer keeps it in step). */
export const HALF_WEIGHTS = 'paramsHalf';

/** The buffer the kernels read weights from: the f32 master parameters, or their f16 copy. */
export function weightsBuffer(precision: Precision): string {
  switch (precision) {
    case 'float32':
      return 'params';
    case 'mixed_float16':
      return HALF_WEIGHTS;
    default:
      return precision satisfies never;
  }
}

/** Bytes per element (u8 is packed four to a word). */
export function elementBytes(t: ElementType): number {
  switch (t) {
    case 'u8':
      return 1;
    case 'f16':
      return 2;
    case 'f32':
    case 'u32':
    case 'i32':
      return 4;
    default:
      return t satisfies never;
  }
}

/** Bytes of a buffer of `size` elements of type `t`, rounded up to WebGPU's 4-byte buffer granularity. */
export function bufferBytes(t: ElementType, size: number): number {
  return Math.ceil((size * elementBytes(t)) / 4) * 4;
}

/** Bytes of a declared buffer. */
export function declBytes(decl: BufferDecl): number {
  return bufferBytes(decl.elementType, decl.size);
}
