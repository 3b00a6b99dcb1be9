// Mixed precision without a shader-f16 adapter: the f16 WGSL text (enable f16, f16 arena, f32
// accumulation and master weights), the plan's byte counts, and the compile option with its
// float32 fallback where the adapter lacks 'shader-f16'.
import { describe, expect, test, vi } from 'vitest';
import { resolveCompileArgs } from '../../src/api/compileArgs.js';
import { resolveLoss, resolveMetric } from '../../src/api/compileConfig.js';
import { WeftError } from '../../src/api/errors.js';
import { dense } from '../../src/api/layers/dense.js';
import { input } from '../../src/api/layers/input.js';
import { lowerModel, type OutputSpec } from '../../src/api/lowerModel.js';
import { planSource } from '../../src/api/planSource.js';
import { NO_SHADER_F16_WARNING, precisionChooser, resolvePrecision } from '../../src/api/precision.js';
import type { SymbolicTensor } from '../../src/api/symbolic.js';
import { buildTopology } from '../../src/api/topology.js';
import { compileGraph } from '../../src/ir/compile.js';
import type { BufferDecl, MatmulKernel } from '../../src/ir/kernel.js';
import { groupDispatches } from '../../src/ir/plan/dispatchGroups.js';
import type { Precision } from '../../src/ir/precision.js';
import { bufferBytes, elementBytes } from '../../src/ir/precision.js';
import { dispatchTraits, emulateF16Storage, generateGroup, generateHalfWeights, generateKernel, type GeneratedKernel } from '../../src/wgsl/index.js';

function modelOf(inputs: SymbolicTensor[], outputs: SymbolicTensor[]) {
  const topology = buildTopology(inputs, outputs);
  return { inputs, outputs, topology, weights: topology.layers.flatMap((l) => l.weights) };
}

function spec(name: string, units: number): OutputSpec {
  const loss = resolveLoss('sparseCategoricalCrossentropy', name);
  return { name, units, loss, weight: 1, metrics: [resolveMetric('accuracy', loss, units, name)] };
}

/** The article's MLP shape at odd sizes: 37 → 13 relu → 11 tanh → 5 softmax. */
function mlp() {
  const x = input({ shape: [37] });
  const h1 = dense({ units: 13, activation: 'relu', seed: 1 }).apply(x);
  const h2 = dense({ units: 11, activation: 'tanh', seed: 2 }).apply(h1);
  const out = dense({ units: 5, activation: 'softmax', seed: 3, name: 'out' }).apply(h2);
  return modelOf([x], [out]);
}

function compiled(precision: Precision, mode: 'train' | 'predict' = 'train', batch = 7) {
  const model = mlp();
  const graph = lowerModel(model, batch, mode, mode === 'train' ? [spec('out', 5)] : []);
  return compileGraph(graph, {
    mode,
    ...(mode === 'train' ? { optimizer: { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as const } : {}),
    inputStorage: [{ elementType: 'f32', scale: 1 }],
    precision,
  });
}

/** Every module of a plan as the runtime makes it: kernels, then grouped dispatches. */
function modules(
  precision: Precision,
  mode: 'train' | 'predict' = 'train',
): { kernels: GeneratedKernel[]; groups: GeneratedKernel[]; decls: Record<string, BufferDecl> } {
  const { plan } = compiled(precision, mode);
  const decls = Object.fromEntries(plan.buffers.map((b) => [b.name, b]));
  const kernels = plan.kernels.map((k) => generateKernel(k, decls));
  const groups = groupDispatches(plan.kernels, kernels.map(dispatchTraits)).map((g) => generateGroup(g.map((i) => kernels[i]!)));
  return { kernels, groups, decls };
}

describe('mixed_float16 plans', () => {
  test('the arena and the weight copy are f16; the gathered batch, params, grads, optimizer state and metrics stay f32', () => {
    const { plan } = compiled('mixed_float16');
    expect(plan.precision).toBe('mixed_float16');
    const types = Object.fromEntries(plan.buffers.map((b) => [b.name, b.elementType]));
    expect(types).toMatchObject({ arena: 'f16', paramsHalf: 'f16', params: 'f32', grads: 'f32', optimizerState: 'f32', metrics: 'f32' });
    if (types.batch) expect(types.batch).toBe('f32');
    expect(plan.buffers.find((b) => b.name === 'paramsHalf')!.size).toBe(plan.paramCount);
    expect(compiled('float32').plan.buffers.map((b) => b.name)).not.toContain('paramsHalf');
  });

  test('kernels read weights from the f16 copy; only the optimizer touches the f32 parameters, and refreshes the copy', () => {
    for (const precision of ['float32', 'mixed_float16'] as const) {
      const { plan } = compiled(precision);
      const weights = precision === 'float32' ? 'params' : 'paramsHalf';
      const matmuls = plan.kernels.filter((k) => k.kind === 'matmul');
      const reads = matmuls.flatMap((k) => [k.a, k.b, ...(k.bias ? [k.bias] : [])].map((v) => v.buffer));
      expect(reads).toContain(weights);
      if (precision === 'mixed_float16') expect(reads).not.toContain('params');
      const optimizer = plan.kernels.find((k) => k.kind === 'optimizer')!;
      expect(optimizer).toMatchObject({ params: 'params', grads: 'grads' });
      expect((optimizer as { halfCopy?: string }).halfCopy).toBe(precision === 'float32' ? undefined : 'paramsHalf');
    }
    const { kernels } = modules('mixed_float16');
    const optimizer = kernels.find((k) => k.bindings.some((b) => b.buffer === 'optimizerState'))!;
    // Four parameters per vec4 (padded buffers); the f16 copy is written one element at a time.
    expect(optimizer.wgsl).toMatch(/let written = buf_params\[j\];/);
    for (let k = 0; k < 4; k++) expect(optimizer.wgsl).toMatch(new RegExp(`buf_paramsHalf\\[j \\* 4u \\+ ${k}u\\] = f16\\(written\\[${k}\\]\\);`));
    expect(optimizer.wgsl).toMatch(/buf_params: array<vec4<f32>, \d+>;/);
    expect(optimizer.wgsl).toMatch(/buf_paramsHalf: array<f16, \d+>;/);
  });

  test('planned bytes: the arena takes half the bytes, everything else the same', () => {
    for (const mode of ['train', 'predict'] as const) {
      const full = compiled('float32', mode).plan;
      const mixed = compiled('mixed_float16', mode).plan;
      expect(mixed.arenaSize).toBe(full.arenaSize); // same blocks, same element offsets
      expect(mixed.kernels.length).toBe(full.kernels.length);
      const saved = full.arenaSize * 4 - bufferBytes('f16', full.arenaSize);
      const weightCopy = bufferBytes('f16', full.paramCount);
      expect(full.plannedBytes - mixed.plannedBytes).toBe(saved - weightCopy);
      expect(bufferBytes('f16', full.arenaSize)).toBe(Math.ceil(full.arenaSize / 2) * 4);
    }
    expect([elementBytes('f16'), elementBytes('f32'), elementBytes('u8')]).toEqual([2, 4, 1]);
    expect(bufferBytes('f16', 7)).toBe(16); // 14 bytes rounded up to WebGPU's 4-byte granularity
  });

  test('float32 plans are unchanged: no f16 anywhere in their WGSL', () => {
    const { kernels, groups } = modules('float32');
    for (const k of [...kernels, ...groups]) {
      expect(k.wgsl).not.toMatch(/\bf16\b/);
      expect(k.wgsl).not.toContain('enable f16;');
    }
  });

  test('every module touching the arena or the weight copy enables f16, declares them array<f16>, and stores through f16()', () => {
    const { kernels, groups } = modules('mixed_float16');
    const kinds = new Set<string>();
    for (const k of [...kernels, ...groups]) {
      const half = k.bindings.filter((b) => b.buffer === 'arena' || b.buffer === 'paramsHalf').map((b) => b.buffer);
      if (half.length === 0) {
        expect(k.wgsl).not.toContain('enable f16;');
        continue;
      }
      kinds.add(k.name.split(' | ').length > 1 ? 'group' : k.name);
      expect(k.wgsl.startsWith('enable f16;\n')).toBe(true);
      for (const name of half) {
        expect(k.wgsl).toMatch(new RegExp(`var<storage, (read|read_write)> buf_${name}: array<f16, \\d+>;`));
        expect(k.wgsl).not.toMatch(new RegExp(`buf_${name}: array<(f32|vec4<f32>)[,>]`));
      }
      if (!half.includes('arena')) continue;
      // f32 master weights and gradients
      for (const name of ['params', 'grads', 'optimizerState'])
        if (k.bindings.some((b) => b.buffer === name)) expect(k.wgsl).toMatch(new RegExp(`buf_${name}: array<f32, \\d+>`));
      // every store into the arena rounds an f32 value once; every load widens to f32
      for (const m of k.wgsl.matchAll(/buf_arena\[[^\]]*\] = ([^;]*);/g)) expect(m[1]).toMatch(/^f16\(/);
      const reads = k.wgsl.replace(/buf_arena\[[^\]]*\] = /g, '');
      expect(reads.match(/buf_arena\[/g)?.length).toBe(reads.match(/f32\(buf_arena\[/g)?.length);
    }
    expect(kinds.size).toBeGreaterThan(3);
  });

  test('matmul: f16 operands load as f32, the accumulators are f32, the f32 weights keep their 4-wide loads', () => {
    const view = (buffer: string, offset: number, rows: number, cols: number) => ({ buffer, offset, rows, cols, rowStride: cols });
    const desc: MatmulKernel = {
      kind: 'matmul',
      name: 'dense/forward',
      m: 33,
      n: 28,
      k: 20,
      a: view('arena', 4, 33, 20),
      b: view('params', 0, 20, 28),
      transA: false,
      transB: false,
      bias: view('params', 560, 1, 28),
      activation: 'relu',
      out: view('arena', 700, 33, 28),
    };
    const decls = (t: 'f32' | 'f16'): Record<string, BufferDecl> => ({
      arena: { name: 'arena', elementType: t, size: 2000, role: 'arena' },
      params: { name: 'params', elementType: 'f32', size: 588, role: 'params' },
    });
    for (const variant of ['registerTiled', 'workgroupTiled'] as const) {
      const half = generateKernel(desc, decls('f16'), { variant }).wgsl;
      const full = generateKernel(desc, decls('f32'), { variant }).wgsl;
      expect(half).toContain('enable f16;');
      expect(half).toMatch(/f32\(buf_arena\[/);
      expect(half).toMatch(/buf_arena\[[^\]]*\] = f16\(/);
      expect(half).not.toMatch(/var acc\w*\s*(:\s*\w+)?\s*=\s*f16|var<workgroup>[^;]*f16/); // accumulators and tiles stay f32
      expect(half.match(/array<vec4<f32>, \d+>/g)?.length ?? 0).toBe(full.match(/buf_params: array<vec4<f32>, \d+>/g)?.length ?? 0);
      // Same code apart from the storage type: drop the conversions and the directive, get the f32 module.
      const stripped = half
        .replace('enable f16;\n\n', '')
        .replace(/array<f16(, \d+)?>/g, 'array<f32$1>')
        .replace(/× f16/g, '× f32')
        .replace(/f32\((buf_arena\[[^\]]*\])\)/g, '$1')
        .replace(/(buf_arena\[[^\]]*\] = )f16\(([^;]*)\);/g, '$1$2;');
      expect(stripped).toBe(full);
    }
  });

  test('accumulating stores add in f32 and round once', () => {
    const decls: Record<string, BufferDecl> = {
      arena: { name: 'arena', elementType: 'f16', size: 400, role: 'arena' },
      params: { name: 'params', elementType: 'f32', size: 400, role: 'params' },
    };
    const k = generateKernel(
      {
        kind: 'matmul',
        name: 'dx',
        m: 5,
        n: 7,
        k: 3,
        a: { buffer: 'arena', offset: 0, rows: 5, cols: 3, rowStride: 3 },
        b: { buffer: 'params', offset: 0, rows: 7, cols: 3, rowStride: 3 },
        transA: false,
        transB: true,
        accumulate: true,
        out: { buffer: 'arena', offset: 100, rows: 5, cols: 7, rowStride: 7 },
      },
      decls,
    );
    expect(k.wgsl).toMatch(/buf_arena\[([^\]]+)\] = f16\(f32\(buf_arena\[\1\]\) \+ \w+\);/);
  });
});

describe('f16 storage emulated in f32 (adapters without shader-f16: tests and the accuracy check)', () => {
  test('every module of a mixed plan: no f16 left, the arena is f32, each arena store rounds through quantizeToF16', () => {
    const { groups } = modules('mixed_float16');
    let stores = 0;
    for (const k of groups) {
      const e = emulateF16Storage(k);
      expect(e.bindings).toEqual(k.bindings);
      expect(e.workgroups).toEqual(k.workgroups);
      expect(e.wgsl).not.toMatch(/enable f16|array<f16[,>]|\bf16\(/);
      if (!k.bindings.some((b) => b.buffer === 'arena' || b.buffer === 'paramsHalf')) {
        expect(e.wgsl).toBe(k.wgsl);
        continue;
      }
      if (!k.bindings.some((b) => b.buffer === 'arena')) continue;
      expect(e.wgsl).toMatch(/buf_arena: array<f32, \d+>;/);
      for (const m of e.wgsl.matchAll(/buf_arena\[[^\]]*\] = ([^;]*);/g)) {
        expect(m[1]).toMatch(/^quantizeToF16\(/);
        stores++;
      }
    }
    expect(stores).toBeGreaterThan(5);
  });

  test('the weight copy module: params f32 in, paramsHalf f16 out, one element per invocation; emulated, rounded in f32', () => {
    const k = generateHalfWeights(709, 'params', 'paramsHalf');
    expect(k.bindings).toEqual([
      { binding: 0, buffer: 'params', access: 'read' },
      { binding: 1, buffer: 'paramsHalf', access: 'read_write' },
    ]);
    expect(k.wgsl.startsWith('enable f16;\n')).toBe(true);
    expect(k.wgsl).toContain('if (gidx >= 709u) { return; }');
    expect(k.wgsl).toContain('buf_paramsHalf[gidx] = f16(buf_params[gidx]);');
    expect(k.workgroups).toEqual([Math.ceil(709 / 64), 1, 1]);
    const e = emulateF16Storage(k);
    expect(e.wgsl).toContain('buf_paramsHalf: array<f32, 709>;');
    expect(e.wgsl).toContain('buf_paramsHalf[gidx] = quantizeToF16(buf_params[gidx]);');
  });

  test('float32 modules pass through unchanged', () => {
    for (const k of modules('float32').groups) expect(emulateF16Storage(k)).toBe(k);
  });
});

describe('compile({ precision })', () => {
  test("default float32; 'mixed_float16' accepted; others refused with the reason", () => {
    const x = input({ shape: [4] });
    const out = dense({ units: 3, activation: 'softmax', name: 'out' }).apply(x);
    const base = { optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' };
    expect(resolveCompileArgs(base, [out]).precision).toBe('float32');
    expect(resolveCompileArgs({ ...base, precision: 'mixed_float16' }, [out]).precision).toBe('mixed_float16');
    expect(() => resolveCompileArgs({ ...base, precision: 'mixed_bfloat16' as Precision }, [out])).toThrow(/no bfloat16 type/);
    expect(() => resolveCompileArgs({ ...base, precision: 'float16' as Precision }, [out])).toThrow(/'mixed_float16' \(f16 activations, f32 weights\)/);
    expect(() => resolvePrecision('half')).toThrow(WeftError);
    expect(() => resolvePrecision('half')).toThrow(/precision must be one of 'float32', 'mixed_float16', got "half"/);
  });

  test('without shader-f16 a mixed_float16 model compiles float32 plans and warns once per compile()', () => {
    const warn = vi.fn();
    const choose = precisionChooser('mixed_float16', warn);
    expect(choose({ shaderF16: false, fusedUpdates: false, gatheredProducts: false })).toBe('float32');
    expect(choose({ shaderF16: false, fusedUpdates: false, gatheredProducts: false })).toBe('float32');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toBe(NO_SHADER_F16_WARNING);
    expect(NO_SHADER_F16_WARNING).toMatch(/lacks; .*float32 instead/);
    expect(choose({ shaderF16: true, fusedUpdates: false, gatheredProducts: false })).toBe('mixed_float16');
    const plain = vi.fn();
    expect(precisionChooser('float32', plain)({ shaderF16: true, fusedUpdates: false, gatheredProducts: false })).toBe('float32');
    expect(plain).not.toHaveBeenCalled();
  });

  test("the model's plan source passes the device's feature on to the plan", () => {
    const model = mlp();
    const state = resolveCompileArgs(
      { optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'], precision: 'mixed_float16' },
      model.outputs,
    );
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const source = planSource(model as never, state);
      const storage = [{ elementType: 'f32' as const, scale: 1 }];
      const off = source.compile('train', 8, storage, { shaderF16: false, fusedUpdates: false, gatheredProducts: false }).plan;
      const on = source.compile('train', 8, storage, { shaderF16: true, fusedUpdates: false, gatheredProducts: false }).plan;
      expect([off.precision, on.precision]).toEqual(['float32', 'mixed_float16']);
      expect(off.buffers.find((b) => b.name === 'arena')!.elementType).toBe('f32');
      expect(on.buffers.find((b) => b.name === 'arena')!.elementType).toBe('f16');
      expect(source.compile('predict', 8, storage, { shaderF16: true, fusedUpdates: false, gatheredProducts: false }).plan.precision).toBe('mixed_float16');
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      warn.mockRestore();
    }
  });
});
