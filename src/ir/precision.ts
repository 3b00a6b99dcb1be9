// Mixed precision (Keras's dtype policy names): which element type the kernels store values in.
// 'mixed_float16' stores activations and their gradients (the arena and the gathered batch) as f16,
// halving the bytes the kernels move; parameters, their gradients and the optimizer state stay f32
// (the master weights), and every kernel loads f16 into f32 and accumulates in f32. It needs the
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
