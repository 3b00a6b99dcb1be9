// Shape of the generated WGSL modules (no GPU): bindings, Step uniform, workgroup counts,
// constants, 4-wide load path, u8 unpacking, errors.
import { describe, expect, test } from 'vitest';
import type { BufferDecl, KernelDesc, MatmulKernel, View } from '../../src/ir/kernel.js';
import { STEP_UNIFORM_FIELDS, kernelUsesStep } from '../../src/ir/kernel.js';
import {
  KernelCodegenError,
  QUAD_WIDTH,
  MAX_WORKGROUPS_PER_DIMENSION,
  chooseQuadBlock,
  generateChain,
  generateGroup,
  generateKernel,
  generateOptimizer,
  type GeneratedKernel,
} from '../../src/wgsl/index.js';

const f32 = (name: string, size: number, role: BufferDecl['role'] = 'arena'): BufferDecl => ({ name, elementType: 'f32', size, role });
const view = (buffer: string, offset: number, rows: number, cols: number, rowStride = cols, rowBaseFromStep = false): View => ({
  buffer,
  offset,
  rows,
  cols,
  rowStride,
  ...(rowBaseFromStep ? { rowBaseFromStep } : {}),
});

function mm(over: Partial<MatmulKernel> = {}): MatmulKernel {
  return {
    kind: 'matmul',
    name: 'dense_1/forward',
    m: 32,
    n: 30,
    k: 784,
    a: view('arena', 1000, 32, 784, 790),
    b: view('params', 0, 784, 30),
    transA: false,
    transB: false,
    out: view('arena', 40000, 32, 30, 31),
    ...over,
  };
}
const decls: Record<string, BufferDecl> = {
  arena: f32('arena', 100000),
  params: f32('params', 784 * 30 + 30, 'params'),
  grads: f32('grads', 784 * 30 + 30, 'grads'),
  slots: f32('slots', 3 * (784 * 30 + 30), 'optimizerState'),
  metrics: f32('metrics', 8, 'metrics'),
  idx: { name: 'idx', elementType: 'u32', size: 60000, role: 'indices' },
  labels: { name: 'labels', elementType: 'u8', size: 60000, role: 'labels' },
  pixels: { name: 'pixels', elementType: 'u8', size: 60000 * 784, role: 'dataset' },
};

describe('bindings', () => {
  test('each distinct buffer once, read_write when any view of it is written', () => {
    const k = generateKernel(mm({ bias: view('params', 784 * 30, 1, 30), gradMask: { activation: 'relu', y: view('arena', 50000, 32, 30) } }), decls);
    expect(k.bindings).toEqual([
      { binding: 0, buffer: 'arena', access: 'read_write' },
      { binding: 1, buffer: 'params', access: 'read' },
    ]);
    // Buffers of known size are fixed-size arrays (a constant bound for the compiler's clamps).
    expect(k.wgsl).toContain('@group(0) @binding(0) var<storage, read_write> buf_arena: array<f32, 100000>;');
    expect(k.wgsl).toContain('@group(0) @binding(1) var<storage, read> buf_params: array<f32, 23550>;');
    expect(k.wgsl.match(/@group\(0\)/g)).toHaveLength(2);
  });

  test('buffers of unknown size (datasets, predictions: size 0) stay runtime-sized arrays', () => {
    const source = { dataset: 'rows', elementType: 'f32', scale: 1, out: view('arena', 0, 32, 784) } as const;
    const k = generateKernel({ kind: 'gather', name: 'g', indices: 'idx', rows: 32, sources: [source] }, { ...decls, rows: f32('rows', 0, 'dataset') });
    // 784 columns: read four-wide, as a runtime-sized array of vec4s.
    expect(k.wgsl).toContain('var<storage, read> buf_rows: array<vec4<f32>>;');
    const odd = generateKernel(
      { kind: 'gather', name: 'g', indices: 'idx', rows: 32, sources: [{ ...source, out: view('arena', 0, 32, 783) }] },
      { ...decls, rows: f32('rows', 0, 'dataset') },
    );
    expect(odd.wgsl).toContain('var<storage, read> buf_rows: array<f32>;');
    expect(k.wgsl).toContain('var<storage, read> buf_idx: array<u32, 60000>;');
    expect(k.wgsl).toContain('var<storage, read_write> buf_arena: array<vec4<f32>, 25000>;');
  });

  test('optimizer: params and slots written, grads read', () => {
    const k = generateKernel(
      {
        kind: 'optimizer',
        name: 'adam',
        algorithm: { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
        count: 100,
        params: 'params',
        grads: 'grads',
        state: 'slots',
      },
      decls,
    );
    expect(k.bindings).toEqual([
      { binding: 0, buffer: 'params', access: 'read_write' },
      { binding: 1, buffer: 'grads', access: 'read' },
      { binding: 2, buffer: 'slots', access: 'read_write' },
    ]);
  });

  test('optimizer: four parameters per vec4 over padded buffers, one at a time otherwise', () => {
    const adam = { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as const;
    const padded = (n: number): Record<string, BufferDecl> => ({
      params: f32('params', n, 'params'),
      grads: f32('grads', n, 'grads'),
      slots: f32('slots', 2 * n, 'optimizerState'),
    });
    const desc = { kind: 'optimizer', name: 'adam', algorithm: adam, count: 1237, params: 'params', grads: 'grads', state: 'slots' } as const;
    const wide = generateKernel({ ...desc, stateStride: 1240 }, padded(1240));
    for (const [b, vec4s] of [
      ['params', 310],
      ['grads', 310],
      ['slots', 620],
    ])
      expect(wide.wgsl).toContain(`buf_${b}: array<vec4<f32>, ${vec4s}>;`);
    // The last vec4 reaches past the 1237 parameters: its gradient is zero there (one select), the stores are plain.
    expect(wide.wgsl).toContain('let g = select(vec4<f32>(0.0), buf_grads[j], live);');
    expect(wide.wgsl).toContain('buf_slots[j + 310u] = v;');
    // 310 vec4s, 16 per invocation: 20 invocations in 1 workgroup of 64; 4 per invocation: 78 in 2.
    expect(wide.workgroups).toEqual([1, 1, 1]);
    expect(generateOptimizer({ ...desc, stateStride: 1240 }, padded(1240), { workgroupSize: 64, perInvocation: 4 }).workgroups).toEqual([2, 1, 1]);
    const narrow = generateKernel(desc, padded(1240));
    expect(narrow.wgsl).toContain('buf_params: array<f32, 1240>;');
    expect(narrow.wgsl).toContain('buf_slots[i + 1237u] = v;');
  });

  test('lossHead: metrics read_write, labels/indices read; one quad with quadReduction', () => {
    const head: KernelDesc = {
      kind: 'lossHead',
      name: 'head',
      loss: 'softmaxCrossEntropy',
      rows: 32,
      cols: 10,
      input: view('arena', 0, 32, 10),
      target: { sparse: true, labels: 'labels', indices: 'idx' },
      gradOut: view('arena', 320, 32, 10),
      gradScale: 1 / 32,
      metricsBuffer: 'metrics',
      lossSlot: 0,
      metrics: [{ kind: 'sparseCategoricalAccuracy', slot: 1 }],
    };
    const k = generateKernel(head, decls);
    expect(k.bindings.map((b) => [b.buffer, b.access])).toEqual([
      ['arena', 'read_write'],
      ['idx', 'read'],
      ['labels', 'read'],
      ['metrics', 'read_write'],
    ]);
    expect(k.workgroups).toEqual([1, 1, 1]);
    expect(k.usesStep).toBe(true);
    expect(k.wgsl).toContain('var<workgroup> partial');
    expect(k.wgsl).toContain('workgroupBarrier()');
    expect(k.wgsl).toContain('@workgroup_size(64)');
    // One quad: the sums by subgroupAdd, no workgroup memory or barrier, subgroups enabled.
    const quad = generateKernel(head, decls, { quadReduction: true });
    expect(quad.wgsl.startsWith('enable subgroups;')).toBe(true);
    expect(quad.wgsl).toContain('@workgroup_size(4)');
    expect(quad.wgsl).toContain('r = r + 4u');
    expect(quad.wgsl).toContain('let t_acc0 = subgroupAdd(acc0);');
    expect(quad.wgsl).not.toContain('var<workgroup>');
    expect(quad.wgsl).not.toContain('workgroupBarrier');
    expect(quad.bindings).toEqual(k.bindings);
    expect(quad.workgroups).toEqual([1, 1, 1]);
  });
});

describe('Step uniform', () => {
  test('declared in group 1, fields in STEP_UNIFORM_FIELDS order, only when kernelUsesStep', () => {
    const cases: KernelDesc[] = [
      mm(),
      mm({ out: view('arena', 40000, 32, 30, 30, true) }),
      { kind: 'columnSum', name: 'cs', x: view('arena', 0, 32, 30), out: view('grads', 0, 1, 30) },
      { kind: 'optimizer', name: 'sgd', algorithm: { kind: 'sgd' }, count: 10, params: 'params', grads: 'grads' },
      {
        kind: 'gather',
        name: 'g',
        indices: 'idx',
        rows: 32,
        sources: [{ dataset: 'pixels', elementType: 'u8', scale: 1 / 255, out: view('arena', 0, 32, 784) }],
      },
    ];
    for (const desc of cases) {
      const k = generateKernel(desc, decls);
      expect(k.usesStep).toBe(kernelUsesStep(desc));
      expect(k.wgsl.includes('@group(1) @binding(0) var<uniform> step: Step;')).toBe(k.usesStep);
      if (k.usesStep) {
        const struct = /struct Step \{([^}]*)\}/.exec(k.wgsl)![1]!;
        expect(
          struct
            .split(',')
            .map((f) => f.trim().split(':')[0])
            .filter(Boolean),
        ).toEqual([...STEP_UNIFORM_FIELDS]);
      }
    }
    expect(generateKernel(cases[0]!, decls).usesStep).toBe(false);
    expect(generateKernel(cases[1]!, decls).wgsl).toContain('step.rowBase * 30u');
  });
});

describe('workgroup counts', () => {
  test('per-item kernels: ceil(items / 64), spilling into y past 65535', () => {
    const ew = (rows: number, cols: number) =>
      generateKernel(
        { kind: 'elementwise', name: 'e', rows, cols, expr: { op: 'const', value: 1 }, out: view('big', 0, rows, cols) },
        { big: f32('big', rows * cols) },
      ).workgroups;
    expect(ew(10, 10)).toEqual([2, 1, 1]);
    expect(ew(65535, 64)).toEqual([65535, 1, 1]);
    expect(ew(65535 * 64 + 1, 1)).toEqual([65535, 2, 1]);
    const k = generateKernel(
      { kind: 'elementwise', name: 'e', rows: 65535 * 64 + 1, cols: 1, expr: { op: 'const', value: 1 }, out: view('big', 0, 65535 * 64 + 1, 1) },
      { big: f32('big', 65535 * 64 + 1) },
    );
    expect(k.wgsl).toContain('let wg = wid.x + wid.y * 65535u;');
    expect(k.wgsl).toContain(`if (gidx >= ${65535 * 64 + 1}u) { return; }`);
  });

  test('per-item kernels as chain stages on CPU adapters: workgroups of itemWorkgroupSize, a quad (QUAD_WIDTH)', () => {
    const quad = { itemWorkgroupSize: QUAD_WIDTH };
    const ew = generateKernel(
      { kind: 'elementwise', name: 'e', rows: 10, cols: 3, expr: { op: 'const', value: 1 }, out: view('big', 0, 10, 3) },
      { big: f32('big', 30) },
      quad,
    );
    expect(ew.workgroups).toEqual([8, 1, 1]);
    expect(ew.wgsl).toContain('@workgroup_size(4)');
    expect(ew.wgsl).toContain('let gidx = wg * 4u + lidx;');
    const sums = generateKernel({ kind: 'columnSum', name: 's', x: view('big', 0, 10, 3), out: view('big', 30, 1, 3) }, { big: f32('big', 33) }, quad);
    expect(sums.workgroups).toEqual([1, 1, 1]);
    expect(sums.wgsl).toContain('@workgroup_size(4)');
    const softmax = generateKernel({ kind: 'softmaxRows', name: 'p', x: view('big', 0, 10, 3), out: view('big', 30, 10, 3) }, { big: f32('big', 60) }, quad);
    expect(softmax.workgroups).toEqual([3, 1, 1]);
    // Without it, the kernel's own width.
    expect(
      generateKernel(
        { kind: 'elementwise', name: 'e', rows: 10, cols: 3, expr: { op: 'const', value: 1 }, out: view('big', 0, 10, 3) },
        { big: f32('big', 30) },
      ).wgsl,
    ).toContain('@workgroup_size(64)');
  });

  test('matmul: 4×4 blocks per invocation (registerTiled), 64×64 tiles (workgroupTiled), 2-D fallback', () => {
    const big = (m: number, n: number, k: number): [MatmulKernel, Record<string, BufferDecl>] => [
      { kind: 'matmul', name: 'big', m, n, k, transA: false, transB: false, a: view('a', 0, m, k), b: view('b', 0, k, n), out: view('o', 0, m, n) },
      { a: f32('a', m * k), b: f32('b', k * n), o: f32('o', m * n) },
    ];
    const [d1, b1] = big(1024, 1024, 1024);
    expect(generateKernel(d1, b1).workgroups).toEqual([1024, 1, 1]);
    expect(generateKernel(d1, b1, { variant: 'workgroupTiled' }).workgroups).toEqual([256, 1, 1]);
    const [d2, b2] = big(8192, 8192, 1);
    const w2 = generateKernel(d2, b2).workgroups;
    expect(w2).toEqual([MAX_WORKGROUPS_PER_DIMENSION, 2, 1]);
    // Small outputs get small workgroups so that several run at once: 32×30 = 64 blocks.
    const small = generateKernel(mm(), decls);
    expect(small.wgsl).toContain('@workgroup_size(8)');
    expect(small.workgroups).toEqual([8, 1, 1]);
    expect(generateKernel(mm(), decls, { variant: 'workgroupTiled' }).wgsl).toContain('@workgroup_size(256)');
  });

  test('matmul quadTiled: subgroups enabled first, A by quad swaps (or quadBroadcast), blocks chosen by chooseQuadBlock', () => {
    const k = generateKernel(mm({ bias: view('params', 23520, 1, 30), activation: 'relu' }), decls, { variant: 'quadTiled' });
    expect(k.wgsl.startsWith('enable subgroups;\ndiagnostic(off, subgroup_uniformity);\n')).toBe(true);
    expect(k.wgsl).toContain('quadSwapDiagonal(av0)');
    expect(k.wgsl).toContain('(k + (l ^ 3u)) * 30u');
    expect(k.wgsl).not.toContain('quadBroadcast(av0, 3u)');
    // The K tail (784 = 4·196: none here) and the 'broadcast' sharing use quadBroadcast.
    const broadcast = generateKernel(mm(), decls, { variant: 'quadTiled', quad: { block: [8, 8], workgroupSize: 4, sharing: 'broadcast' } });
    expect(broadcast.wgsl).toContain('quadBroadcast(av0, 3u)');
    expect(broadcast.wgsl).not.toContain('quadSwap');
    expect(k.wgsl).not.toMatch(/workgroupBarrier|var<workgroup>/);
    expect(k.module?.enables).toEqual(['subgroups']);
    // 32 × 30 from K = 784: one column group of 32, 16 rows per quad (long K), 2 one-quad workgroups.
    expect(k.wgsl).toContain('@workgroup_size(4)');
    expect(k.workgroups).toEqual([2, 1, 1]);
    // The non-subgroup variants enable nothing.
    expect(generateKernel(mm(), decls).wgsl).not.toContain('enable');
    const swap = { workgroupSize: 4, sharing: 'swap' };
    expect(chooseQuadBlock(1024, 1024, 1024)).toEqual({ block: [32, 8], ...swap });
    expect(chooseQuadBlock(20, 1024, 4096)).toEqual({ block: [20, 8], ...swap }); // big, but only 20 rows
    expect(chooseQuadBlock(40, 4096, 512)).toEqual({ block: [20, 8], ...swap }); // rows spread: 2 × 20, not 32 + 8
    expect(chooseQuadBlock(4096, 40, 512)).toEqual({ block: [32, 5], ...swap }); // columns spread: 2 × 5 groups
    expect(chooseQuadBlock(1000, 1000, 1000)).toEqual({ block: [32, 8], ...swap }); // 32 blocks of 31.25 rows, 250 groups in 32 × 7.8
    expect(chooseQuadBlock(256, 256, 256)).toEqual({ block: [16, 8], ...swap }); // under BIG_QUAD_BLOCK_MACS
    expect(chooseQuadBlock(32, 30, 784)).toEqual({ block: [16, 8], ...swap }); // long K: 2 quads, not 4
    expect(chooseQuadBlock(785, 30, 32)).toEqual({ block: [32, 8], ...swap }); // short K over many rows: 25 quads of 31.4 rows
    expect(chooseQuadBlock(301, 30, 32)).toEqual({ block: [16, 8], ...swap }); // short K, but under SHORT_K_ROWS rows
    expect(chooseQuadBlock(785, 30, 128)).toEqual({ block: [16, 8], ...swap }); // K past SHORT_K
    // Outputs up to NARROW_OUTPUT columns: lanes on rows, every column in the block (R groups of 4 rows).
    const rows = { ...swap, lanes: 'rows' };
    expect(chooseQuadBlock(32, 10, 814)).toEqual({ block: [4, 10], ...rows }); // long K: 2 quads of 16 rows
    expect(chooseQuadBlock(815, 10, 32)).toEqual({ block: [8, 10], ...rows }); // wide & deep's output weight gradient: 26 quads
    expect(chooseQuadBlock(32, 12, 30)).toEqual({ block: [2, 12], ...rows }); // 4 quads
    expect(chooseQuadBlock(3, 1, 5)).toEqual({ block: [1, 1], ...rows });
    expect(chooseQuadBlock(32, 13, 784)).toEqual({ block: [16, 4], ...swap }); // past NARROW_OUTPUT: lanes on columns
    expect(chooseQuadBlock(32, 30, 255)).toEqual({ block: [8, 8], ...swap }); // K under LONG_K: 4 quads
    expect(chooseQuadBlock(256, 30, 784)).toEqual({ block: [16, 8], ...swap });
    expect(chooseQuadBlock(32, 10, 30)).toEqual({ block: [2, 10], ...rows });
    // Lanes on rows: the quad swaps B's values (loaded at k + l), each lane reads its own A rows
    // m0 + l + 4i at k + (l ^ kk) and stores them; the K tail (30 = 4·7 + 2) broadcasts B.
    const narrow = generateKernel(mm({ n: 10, k: 30, b: view('params', 0, 30, 10) }), decls, { variant: 'quadTiled' });
    expect(narrow.wgsl).toContain('quadSwapDiagonal(bv0)');
    expect(narrow.wgsl).toContain('quadBroadcast(bv9, 1u)');
    expect(narrow.wgsl).not.toContain('quadSwapX(av');
    expect(narrow.wgsl).toContain('let ra1 = 1000u + min(m0 + l + 4u, 31u) * 790u;');
    expect(narrow.wgsl).toContain('if (m0 + l + 4u < 32u) {');
    expect(narrow.wgsl).toContain('lanes on rows');
    expect(narrow.workgroups).toEqual([4, 1, 1]);
    // A group with a quadTiled part enables subgroups once, at the top.
    const other = generateKernel(mm({ name: 'other', out: view('arena', 0, 32, 30) }), decls, { variant: 'quadTiled' });
    const group = generateGroup([k, other]);
    expect(group.wgsl.startsWith('enable subgroups;\n')).toBe(true);
    expect(group.wgsl.match(/enable subgroups;/g)).toHaveLength(1);
    // A chain: one workgroup; the stages in order with a storage barrier between them; a 4-wide quad
    // part's workgroups run 16 side by side in a 64-wide chain, each with its own local index.
    const head = generateKernel(mm({ name: 'wide', out: view('arena', 4000, 32, 30) }), decls, { variant: 'registerTiled' });
    const chain = generateChain([[k], [other, head]]);
    expect(chain.workgroups).toEqual([1, 1, 1]);
    expect(chain.name).toBe(`${k.name} → other | wide`);
    expect(chain.wgsl.match(/storageBarrier\(\);/g)).toHaveLength(1);
    const width = head.module!.workgroupSize as number;
    expect(chain.wgsl).toContain(`@compute @workgroup_size(${width})`);
    expect(chain.wgsl).toContain(`let w = it * ${width / 4}u + lidx / 4u; if (w < ${k.workgroups[0]}u) { part0(vec3<u32>(w, 0u, 0u), lidx % 4u); }`);
    expect(chain.wgsl.indexOf('part0(vec3')).toBeLessThan(chain.wgsl.indexOf('storageBarrier'));
    expect(chain.wgsl.indexOf('storageBarrier')).toBeLessThan(chain.wgsl.indexOf('part1(vec3'));
    expect(generateChain([[k, other]]).wgsl).toBe(group.wgsl);
    // A part whose size does not divide the chain's width: one workgroup per iteration, the lanes past it idle.
    const sized = (name: string, size: number, workgroups: number): GeneratedKernel => ({
      ...head,
      name,
      workgroups: [workgroups, 1, 1],
      module: { ...head.module!, workgroupSize: size, helpers: '', body: '  let x = lidx + wid.x;' },
    });
    const odd = generateChain([[sized('a', 48, 3)], [sized('b', 64, 2)]]);
    expect(odd.wgsl).toContain('@compute @workgroup_size(64)');
    expect(odd.wgsl).toContain(
      'for (var it = 0u; it < 3u; it = it + 1u) { let w = it; if (lidx < 48u && w < 3u) { part0(vec3<u32>(w, 0u, 0u), lidx % 48u); } }',
    );
    expect(odd.wgsl).toContain('for (var it = 0u; it < 2u; it = it + 1u) { let w = it; if (w < 2u) { part1(vec3<u32>(w, 0u, 0u), lidx); } }');
    expect(() => generateKernel(mm(), decls, { variant: 'quadTiled', quad: { block: [4, 4], workgroupSize: 6 } })).toThrow(KernelCodegenError);
    expect(() => generateKernel(mm(), decls, { variant: 'quadTiled', quad: { block: [33, 8], workgroupSize: 4 } })).toThrow(/1\.\.32 × 1\.\.16/);
  });
});

describe('constants and code paths', () => {
  test('offsets, strides and sizes are baked in; name at the top', () => {
    const k = generateKernel(mm({ bias: view('params', 23520, 1, 30), activation: 'relu' }), decls);
    expect(k.name).toBe('dense_1/forward');
    expect(k.entryPoint).toBe('main');
    expect(k.wgsl.startsWith('// weft kernel: dense_1/forward\n')).toBe(true);
    for (const c of ['1000u', '790u', '40000u', '31u', '23520u', '784u']) expect(k.wgsl).toContain(c);
    expect(k.wgsl).not.toMatch(/override|arrayLength/);
    expect(k.wgsl).toContain('max(v, 0.0)');
  });

  test('4-wide loads use array<vec4<f32>> only for read-only, aligned, size%4 buffers', () => {
    // A in the written arena: scalar; B aligned (stride 32) in read-only params: vec4.
    const d = mm({ n: 32, b: view('params', 0, 784, 32), out: view('arena', 40000, 32, 32) });
    const k = generateKernel(d, { ...decls, params: f32('params', 784 * 32, 'params') });
    expect(k.wgsl).toContain('var<storage, read> buf_params: array<vec4<f32>, 6272>;');
    expect(k.wgsl).toContain('var<storage, read_write> buf_arena: array<f32, 100000>;');
    // Unaligned stride (30): scalar loads.
    expect(generateKernel(mm(), decls).wgsl).not.toContain('vec4<f32>>');
    // Size not a multiple of 4: scalar.
    expect(generateKernel(d, { ...decls, params: f32('params', 784 * 32 + 1, 'params') }).wgsl).not.toContain('array<vec4<f32>');
    // Both operands in one read-only buffer, both aligned: one vec4 binding.
    const dw: MatmulKernel = {
      kind: 'matmul',
      name: 'dW',
      m: 785,
      n: 32,
      k: 32,
      transA: true,
      transB: false,
      aOnesRow: true,
      a: view('acts', 0, 32, 784),
      b: view('acts', 32 * 784, 32, 32),
      out: view('grads', 0, 785, 32),
    };
    const kw = generateKernel(dw, { acts: f32('acts', 32 * 784 + 32 * 32), grads: f32('grads', 785 * 32, 'grads') });
    expect(kw.bindings).toEqual([
      { binding: 0, buffer: 'acts', access: 'read' },
      { binding: 1, buffer: 'grads', access: 'read_write' },
    ]);
    expect(kw.wgsl).toContain('var<storage, read> buf_acts: array<vec4<f32>, 6528>;');
  });

  test('u8 buffers are array<u32> with byte unpacking; f32 scale baked in', () => {
    const k = generateKernel(
      {
        kind: 'gather',
        name: 'g',
        indices: 'idx',
        rows: 32,
        sources: [{ dataset: 'pixels', elementType: 'u8', scale: 1 / 255, out: view('arena', 7, 32, 784) }],
      },
      decls,
    );
    // 784 columns: 16 pixels (four packed words, one vec4<u32>) per invocation; 60000 × 784 bytes
    // are 2,940,000 of them. Scaled by 1/255: unpack4x8unorm.
    expect(k.wgsl).toContain('var<storage, read> buf_pixels: array<vec4<u32>, 2940000>;');
    expect(k.wgsl).toContain('let words = buf_pixels[(sample * 784u + c) >> 4u];');
    expect(k.wgsl).toContain('unpack4x8unorm(words[3])');
    expect(k.workgroups).toEqual([Math.ceil((32 * 49) / 64), 1, 1]);
    // 20 columns, scale 0.5: one word (four pixels) per invocation, bytes by shifts and masks, the scale baked in.
    const four = generateKernel(
      { kind: 'gather', name: 'g', indices: 'idx', rows: 32, sources: [{ dataset: 'pixels', elementType: 'u8', scale: 0.5, out: view('arena', 7, 32, 20) }] },
      decls,
    );
    expect(four.wgsl).toContain('var<storage, read> buf_pixels: array<u32, 11760000>;');
    expect(four.wgsl).toContain('0.5f * vec4<f32>((vec4<u32>(buf_pixels[((sample * 20u + c) >> 2u) + 0u]) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(255u))');
    expect(four.workgroups).toEqual([Math.ceil((32 * 5) / 64), 1, 1]);
    // An odd column count falls back to one element per invocation, unpacking bytes one by one.
    const odd = generateKernel(
      {
        kind: 'gather',
        name: 'g',
        indices: 'idx',
        rows: 32,
        sources: [{ dataset: 'pixels', elementType: 'u8', scale: 1 / 255, out: view('arena', 7, 32, 783) }],
      },
      decls,
    );
    expect(odd.wgsl).toContain('& 0xffu');
    expect(odd.workgroups).toEqual([Math.ceil((32 * 783) / 64), 1, 1]);
  });

  test('every K remainder and transpose combination generates a tail without a loop when K < 4', () => {
    for (const k of [1, 2, 3, 4, 5, 7]) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const a = transA ? view('arena', 0, k, 5) : view('arena', 0, 5, k);
          const b = transB ? view('params', 0, 6, k) : view('params', 0, k, 6);
          const g = generateKernel(mm({ m: 5, n: 6, k, a, b, transA, transB, out: view('arena', 100, 5, 6) }), decls);
          expect(g.wgsl.includes('for (var k = 0u;')).toBe(k >= 4);
        }
      }
    }
  });
});

describe('errors', () => {
  test('undeclared buffers, out-of-range views and writes into non-f32 buffers are rejected', () => {
    expect(() => generateKernel(mm({ b: view('nope', 0, 784, 30) }), decls)).toThrow(KernelCodegenError);
    expect(() => generateKernel(mm({ out: view('arena', 99990, 32, 30) }), decls)).toThrow(/past its size/);
    expect(() => generateKernel(mm({ a: view('arena', 0, 31, 784) }), decls)).toThrow(/needs at least 32×784/);
    expect(() =>
      generateKernel({ kind: 'elementwise', name: 'e', rows: 1, cols: 1, expr: { op: 'const', value: 1 }, out: view('labels', 0, 1, 1) }, decls),
    ).toThrow(/only f32 and f16 buffers are written/);
    expect(() =>
      generateKernel({ kind: 'optimizer', name: 'o', algorithm: { kind: 'adagrad', epsilon: 1e-7 }, count: 10, params: 'params', grads: 'grads' }, decls),
    ).toThrow(/needs an optimizer state buffer/);
  });
});
