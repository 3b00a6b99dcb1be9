// The quadTiled conv2d kernels' code: subgroups enabled, the image operand shared by quadBroadcast,
// window tests without short-circuit `&&` (SwiftShader took minutes to compile those), blocks and
// pixel splits as chosen, and the filter gradient's workgroup memory within WebGPU's minimum.
import { describe, expect, test } from 'vitest';
import type { BufferDecl, Conv2dKernel, View } from '../../src/ir/kernel.js';
import { windowGeometry } from '../../src/ir/ops/window.js';
import { chooseFilterGradQuad } from '../../src/wgsl/conv2dFilterGradQuad.js';
import { chooseConvQuad } from '../../src/wgsl/conv2dQuad.js';
import { generateKernel } from '../../src/wgsl/index.js';

const view = (buffer: string, offset: number, rows: number, cols: number): View => ({ buffer, offset, rowStride: cols, rows, cols });
const decls: Record<string, BufferDecl> = {
  arena: { name: 'arena', elementType: 'f32', size: 1 << 20, role: 'arena' },
  params: { name: 'params', elementType: 'f32', size: 1 << 16, role: 'params' },
  grads: { name: 'grads', elementType: 'f32', size: 1 << 16, role: 'grads' },
};

/** The demo CNN's second convolution at batch 32 ('same' padding here, so the window tests exist). */
function conv(pass: Conv2dKernel['pass']): Conv2dKernel {
  const g = windowGeometry({ size: [3, 3], strides: [1, 1], padding: 'same' }, [32, 13, 13, 16])!;
  const image = view('arena', 0, 32 * 169, 16);
  const out = view('arena', 1 << 18, 32 * 169, 32);
  const filter = view('params', 0, 144, 32);
  const base = { kind: 'conv2d' as const, name: pass, pass, geometry: g, inC: 16, outC: 32 };
  switch (pass) {
    case 'forward':
      return { ...base, a: image, b: filter, bias: view('params', 144 * 32, 1, 32), activation: 'relu', out };
    case 'inputGrad':
      return { ...base, a: out, b: filter, gradMask: { activation: 'relu', y: image }, out: view('arena', 1 << 19, 32 * 169, 16) };
    case 'filterGrad':
      return { ...base, a: image, b: out, aOnesRow: true, out: view('grads', 0, 145, 32) };
    default:
      return pass satisfies never;
  }
}

describe('conv2d quadTiled code', () => {
  for (const pass of ['forward', 'inputGrad', 'filterGrad'] as const)
    test(`${pass}: subgroups, quadBroadcast of the image operand, no && in window tests`, () => {
      const k = generateKernel(conv(pass), decls, { variant: 'quadTiled' });
      expect(k.wgsl.startsWith('enable subgroups;')).toBe(true);
      expect(k.wgsl).toContain('quadBroadcast(av0, 3u)');
      expect(k.wgsl).not.toContain('&&');
      // The register-tiled fallback is the same kernel without subgroups.
      const fallback = generateKernel(conv(pass), decls, { variant: 'registerTiled' });
      expect(fallback.wgsl).not.toContain('quadBroadcast');
      expect(fallback.wgsl).not.toContain('enable subgroups;');
    });

  test('the input gradient reads four channels of a filter row as one vec4 (params read-only)', () => {
    const k = generateKernel(conv('inputGrad'), decls, { variant: 'quadTiled' });
    expect(k.wgsl).toContain('var<storage, read> buf_params: array<vec4<f32>, 16384>;');
    expect(k.wgsl).toContain('wv3.w');
  });

  test('blocks: 16 rows × up to 16 columns, fewer rows for small products; workgroups of 4 quads when there are many', () => {
    expect(chooseConvQuad(32 * 121, 32)).toEqual({ block: [16, 4], workgroupSize: 16 });
    expect(chooseConvQuad(32 * 169, 16)).toEqual({ block: [16, 4], workgroupSize: 16 });
    expect(chooseConvQuad(40, 3)).toEqual({ block: [2, 1], workgroupSize: 4 });
  });

  test('filter gradient: pixels split over quads only while blocks are few, within 16 KiB of workgroup memory', () => {
    expect(chooseFilterGradQuad(145, 32, 32 * 121)).toEqual({ block: [16, 4], split: 1 });
    const first = chooseFilterGradQuad(10, 16, 32 * 676);
    expect(first).toEqual({ block: [10, 4], split: 16 });
    expect(4 * first.split * 10 * 4 * 4).toBeLessThanOrEqual(16384); // bytes of the partial blocks
    // few pixels: no split
    expect(chooseFilterGradQuad(10, 16, 100).split).toBe(1);
    const k = generateKernel({ ...conv('filterGrad'), geometry: { ...conv('filterGrad').geometry, batch: 1 } }, decls, { variant: 'quadTiled' });
    expect(k.wgsl).not.toContain('workgroupBarrier');
  });
});
