// The bench's run order (bench/cases.ts planTasks): what issue 14's item 2 divides (the 1024³ matmul by the
// peak of the same repeat) runs back to back, not a whole shape's worth of products apart.
import { describe, expect, test } from 'vitest';
import { defaultOptions, matmulFlops, planTasks } from '../../bench/cases.js';
import type { BufferDecl, MatmulKernel } from '../../src/ir/kernel.js';
import { sliceRows } from '../../src/ir/plan/rowParts.js';
import { generateGroup, generateRowParts, generateKernel, generateProductsSharingA } from '../../src/wgsl/index.js';

describe('bench planTasks', () => {
  test("each repeat's peak runs right before its 1024³ products, weft's quadTiled first among them", () => {
    const tasks = planTasks(defaultOptions({ repeats: 2, kinds: ['peak', 'matmul'], libs: ['weft', 'tfjs-webgpu'] }));
    const peaks = tasks.flatMap((t, i) => (t.kind === 'peak' ? [i] : []));
    expect(peaks).toHaveLength(2);
    peaks.forEach((i, rep) => {
      expect(tasks[i]).toMatchObject({ kind: 'peak', rep });
      expect(tasks[i + 1]).toMatchObject({ kind: 'matmul', shape: '1024', lib: 'weft-quadTiled', rep });
    });
    // every shape still runs every library once per repeat
    const matmuls = tasks.filter((t) => t.kind === 'matmul');
    const shapes = new Set(matmuls.map((t) => (t.kind === 'matmul' ? t.shape : '')));
    expect(matmuls).toHaveLength(2 * shapes.size * 6);
  });

  test('without the 1024³ shape the peak runs before the first product; without matmuls it still runs', () => {
    const some = planTasks(defaultOptions({ repeats: 1, kinds: ['peak', 'matmul'], libs: ['weft'], matmulShapes: ['256'] }));
    expect(some.map((t) => t.kind)).toEqual(['peak', 'matmul', 'matmul', 'matmul', 'matmul', 'matmul']);
    const alone = planTasks(defaultOptions({ repeats: 1, kinds: ['peak'], libs: ['weft'] }));
    expect(alone).toEqual([{ kind: 'peak', seconds: expect.any(Number), rep: 0 }]);
  });
});

describe("bench matmulFlops: the profile's FLOPs per dispatch, from its WGSL", () => {
  const decls: Record<string, BufferDecl> = {
    ds: { name: 'ds', elementType: 'u8', size: 0, role: 'dataset' },
    idx: { name: 'idx', elementType: 'u32', size: 0, role: 'indices' },
    params: { name: 'params', elementType: 'f32', size: 4096, role: 'params' },
    arena: { name: 'arena', elementType: 'f32', size: 4096, role: 'arena' },
  };
  const product = (n: number, offset: number): MatmulKernel => ({
    kind: 'matmul',
    name: `n${n}`,
    m: 8,
    n,
    k: 16,
    a: { buffer: 'ds', offset: 0, rowStride: 16, rows: 8, cols: 16, gathered: { indices: 'idx', scale: 1 / 255 } },
    b: { buffer: 'params', offset, rowStride: n, rows: 16, cols: n },
    transA: false,
    transB: false,
    out: { buffer: 'arena', offset, rowStride: n, rows: 8, cols: n },
  });
  test('one product, products side by side, and products sharing op(A) in one kernel count each product once', () => {
    const [a, b] = [product(30, 0), product(10, 1024)];
    const one = generateKernel(a, decls, { variant: 'quadTiled' });
    expect(matmulFlops(one.wgsl)).toBe(2 * 8 * 30 * 16);
    const apart = generateGroup([one, generateKernel(b, decls, { variant: 'quadTiled' })]);
    const shared = generateProductsSharingA([a, b], decls);
    expect(matmulFlops(apart.wgsl)).toBe(2 * 8 * 40 * 16);
    expect(matmulFlops(shared.wgsl)).toBe(2 * 8 * 40 * 16);
    expect(matmulFlops(generateGroup([shared, generateKernel(product(4, 2048), decls, { variant: 'quadTiled' })]).wgsl)).toBe(2 * 8 * 44 * 16);
  });

  test('row parts: the kernels, generated for one part of the rows, count once per part', () => {
    const part = sliceRows(product(30, 0), 8, 4, 0)!;
    const parts = generateRowParts([[generateKernel(part, decls, { variant: 'quadTiled' })]], 2);
    expect(parts.name).toMatch(/\(2 row parts\)$/);
    expect(matmulFlops(parts.wgsl)).toBe(2 * 8 * 30 * 16);
  });
});
