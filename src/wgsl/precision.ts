// f16 storage emulated in f32 (tests and accuracy checks on adapters without 'shader-f16', such as
// SwiftShader): a module generated for an f16 arena is rewritten to keep the arena in f32 and round
// every store with quantizeToF16 (core WGSL), so each value takes exactly the f16 value that real
// f16 storage would hold (loads widen exactly either way). Only the numerics are emulated: the
// arena keeps 4 bytes per element. The rewrite relies on how views.ts writes f16 access: `f16(x)`
// only on stores, `f32(buf[i])` on loads (an identity conversion once the buffer is f32), and
// `enable f16;` as the module's first line.
import type { GeneratedKernel } from './views.js';

export function emulateF16Storage(kernel: GeneratedKernel): GeneratedKernel {
  if (!kernel.wgsl.startsWith('enable f16;\n')) return kernel;
  const wgsl = kernel.wgsl
    .replace(/^enable f16;\n\n?/, '')
    .replace(/array<f16>/g, 'array<f32>')
    .replace(/\bf16\(/g, 'quantizeToF16(')
    .replace(/× f16/g, '× f16 (emulated in f32)');
  if (/\bf16\b(?! \(emulated)/.test(wgsl)) throw new Error(`internal: kernel "${kernel.name}" uses f16 in a way the f32 emulation does not rewrite`);
  const { module: _pieces, ...rest } = kernel;
  return { ...rest, wgsl };
}
