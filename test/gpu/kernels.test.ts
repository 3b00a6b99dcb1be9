// Every kernel family: the generated WGSL run on WebGPU in the page against the float64 reference
// (test/reference/kernelReference.ts) on random inputs, odd sizes, views with offsets and wide
// strides. One inPage call per family (SwiftShader is slow on 2 cores).
import type { Page } from 'puppeteer';
import { beforeAll, describe, expect, test } from 'vitest';
import type {
  ElementwiseActivation,
  ElementwiseExpr,
  ElementwiseKernel,
  KernelDesc,
  LossKind,
  MatmulKernel,
  MetricKind,
  OptimizerAlgorithm,
  View,
} from '../../src/ir/kernel.js';
import { optimizerStateArrays } from '../../src/ir/kernel.js';
import { sliceRows } from '../../src/ir/plan/rowParts.js';
import { chainQuadBlock, generateKernel, generateProductsSharingA, type QuadChoice } from '../../src/wgsl/index.js';
import type { RefStep } from '../reference/kernelReference.js';
import { Arena, STEP0, failures, runShareOfCases, type CaseResult, type KernelCase } from './kernelCases.js';
import { openPage } from './harness.js';

let page: Page;
beforeAll(async () => {
  page = await openPage();
});

const VARIANTS = ['registerTiled', 'workgroupTiled', 'quadTiled'] as const;
const TRANSPOSES = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

interface MatmulOptions {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  variant: (typeof VARIANTS)[number];
  aOnesRow?: boolean;
  bias?: boolean;
  activation?: ElementwiseActivation;
  gradMask?: ElementwiseActivation;
  accumulate?: boolean;
  /** Steps with these rowBase values; a and out read/write rows shifted by rowBase. */
  rowBases?: number[];
  /** B in the arena too (else in a separate read-only "params" buffer). */
  bInArena?: boolean;
  /**
   * Operands in read-only buffers with rows at multiples of 4 (the vec4 load path): 'separate' puts
   * A (and y) in "acts", B (and bias) in "params"; 'shared' puts A, B, bias and y all in "acts";
   * 'sharedMixed' likewise but B's rows are not aligned (4-wide loads for A, scalar ones for B).
   */
  aligned?: 'separate' | 'shared' | 'sharedMixed';
  block?: [4 | 8, 4 | 8];
  /** quadTiled's block, workgroup size and sharing. */
  quad?: QuadChoice;
}

function matmulCase(o: MatmulOptions): KernelCase {
  const arena = new Arena('arena');
  const params = new Arena('params');
  const shift = o.rowBases ? Math.max(...o.rowBases) : 0;
  const mReal = o.aOnesRow ? o.m - 1 : o.m;
  const rb = !!o.rowBases;
  const acts = new Arena('acts');
  const al = !!o.aligned;
  const aHome = o.aligned ? acts : arena;
  const a = o.transA ? aHome.view(o.k, mReal, { pad: 3, align4: al }) : aHome.view(mReal, o.k, { pad: 1, rowBaseFromStep: rb, extraRows: shift, align4: al });
  const bHome = o.aligned === 'shared' || o.aligned === 'sharedMixed' ? acts : o.bInArena ? arena : params;
  const alB = al && o.aligned !== 'sharedMixed';
  const b = o.transB ? bHome.view(o.n, o.k, { pad: 2, gap: 1, align4: alB }) : bHome.view(o.k, o.n, { pad: 5, gap: 0, align4: alB });
  const bias = o.bias ? bHome.view(1, o.n, { gap: 2 }) : undefined;
  const y = o.gradMask ? aHome.view(o.m, o.n, { pad: 4 }) : undefined;
  const out = arena.view(o.m, o.n, { pad: 3, gap: 7, rowBaseFromStep: rb, extraRows: shift });
  const desc: MatmulKernel = {
    kind: 'matmul',
    name: `matmul ${o.m}x${o.n}x${o.k}`,
    m: o.m,
    n: o.n,
    k: o.k,
    a,
    b,
    transA: o.transA,
    transB: o.transB,
    out,
    ...(o.aOnesRow ? { aOnesRow: true } : {}),
    ...(bias ? { bias } : {}),
    ...(o.activation ? { activation: o.activation } : {}),
    ...(o.gradMask && y ? { gradMask: { activation: o.gradMask, y } } : {}),
    ...(o.accumulate ? { accumulate: true } : {}),
  };
  const flags = [
    o.transA ? 'tA' : '',
    o.transB ? 'tB' : '',
    o.aOnesRow ? 'ones' : '',
    o.bias ? 'bias' : '',
    o.activation ?? '',
    o.gradMask ? `mask:${o.gradMask}` : '',
    o.accumulate ? 'acc' : '',
    o.rowBases ? `rowBase:${o.rowBases.join('/')}` : '',
    o.bInArena ? 'bInArena' : '',
    o.aligned ? `aligned:${o.aligned}` : '',
    o.block ? `block:${o.block.join('×')}` : '',
    o.quad
      ? `quad:${o.quad.block.join('×')}/${o.quad.workgroupSize}${o.quad.sharing ? `/${o.quad.sharing}` : ''}${o.quad.lanes ? `/lanes:${o.quad.lanes}` : ''}`
      : '',
  ].filter(Boolean);
  const decls = {
    arena: arena.decl(),
    ...(params.size > 0 ? { params: params.decl('params', al) } : {}),
    ...(acts.size > 0 ? { acts: acts.decl('arena', al) } : {}),
  };
  return {
    label: `${o.variant} ${o.m}×${o.n}×${o.k} ${flags.join(' ')}`,
    decls,
    init: {},
    kernels: [desc],
    steps: (o.rowBases ?? [0]).map((rowBase) => ({ ...STEP0, rowBase })),
    variant: o.variant,
    ...(o.block ? { registerBlock: o.block } : {}),
    ...(o.quad ? { quad: o.quad } : {}),
    outputs: ['arena'],
  };
}

function expectAllPass(results: CaseResult[], tol = 1e-4): void {
  const worst = results.reduce((w, r) => (r.error > w.error ? r : w), results[0]!);
  const slowest = results.reduce((w, r) => (r.gpuMs > w.gpuMs ? r : w), results[0]!);
  const gpuMs = results.reduce((s, r) => s + r.gpuMs, 0);
  console.log(
    `[kernels] ${results.length} cases, worst rel error ${worst.error.toExponential(2)} (${worst.label}); ` +
      `GPU time ${gpuMs.toFixed(0)} ms, slowest ${slowest.gpuMs.toFixed(0)} ms (${slowest.label})`,
  );
  expect(failures(results, tol)).toEqual([]);
}

describe('matmul', () => {
  const SIZES: [number, number, number][] = [
    [37, 61, 13],
    [1, 1, 1],
    [5, 3, 130],
    [33, 30, 784],
    [8, 12, 16],
    [2, 7, 5],
    [70, 65, 3],
  ];

  for (const variant of VARIANTS) {
    test(`${variant}: every size × transpose combination`, async () => {
      const cases: KernelCase[] = [];
      // (workgroupTiled: the sizes that exercise its tile edges; each pipeline compiles slowly on SwiftShader.)
      const sizes = variant !== 'workgroupTiled' ? SIZES : SIZES.filter(([m, n]) => !(m === 8 && n === 12) && !(m === 2 && n === 7));
      for (const [m, n, k] of sizes) for (const [transA, transB] of TRANSPOSES) cases.push(matmulCase({ m, n, k, transA, transB, variant }));
      expectAllPass(await runShareOfCases(page, cases, 'kernels'));
    });

    test(`${variant}: epilogues, aOnesRow, accumulate, rowBaseFromStep`, async () => {
      const cases: KernelCase[] = [];
      // Every activation through registerTiled. The epilogue code is shared by both variants and
      // workgroupTiled pipelines take ~0.5 s each to compile on SwiftShader, so that variant gets
      // the combined case below (bias + tanh + sigmoid mask + accumulate) instead.
      const all: ElementwiseActivation[] = ['linear', 'relu', 'sigmoid', 'tanh'];
      const full = variant !== 'workgroupTiled';
      for (const [transA, transB] of TRANSPOSES) {
        for (const act of full ? all : []) {
          cases.push(matmulCase({ m: 37, n: 61, k: 13, transA, transB, variant, bias: true, activation: act }));
          cases.push(matmulCase({ m: 6, n: 9, k: 7, transA, transB, variant, gradMask: act }));
        }
        if (full) cases.push(matmulCase({ m: 37, n: 61, k: 13, transA, transB, variant, accumulate: true }));
        cases.push(matmulCase({ m: 31, n: 30, k: 33, transA, transB, variant, aOnesRow: true, accumulate: true }));
        cases.push(matmulCase({ m: 5, n: 3, k: 130, transA, transB, variant, aOnesRow: true }));
        cases.push(matmulCase({ m: 1, n: 4, k: 9, transA, transB, variant, aOnesRow: true }));
        cases.push(matmulCase({ m: 9, n: 11, k: 6, transA, transB, variant, rowBases: [0, 3, 7], bias: true, activation: 'relu' }));
        cases.push(
          matmulCase({ m: 13, n: 10, k: 21, transA, transB, variant, bias: true, activation: 'tanh', gradMask: 'sigmoid', accumulate: true, bInArena: true }),
        );
      }
      // 4-wide loads from read-only buffers (aligned rows), with bias / y read through the same buffers.
      // (The workgroup-tiled variant stages through workgroup memory and never takes this path.)
      for (const aligned of variant !== 'workgroupTiled' ? (['separate', 'shared', 'sharedMixed'] as const) : []) {
        for (const [transA, transB] of TRANSPOSES) {
          cases.push(matmulCase({ m: 37, n: 61, k: 13, transA, transB, variant, aligned }));
          cases.push(matmulCase({ m: 8, n: 12, k: 16, transA, transB, variant, aligned, bias: true, activation: 'sigmoid', gradMask: 'relu' }));
          cases.push(matmulCase({ m: 31, n: 30, k: 33, transA, transB, variant, aligned, aOnesRow: true, accumulate: true }));
          cases.push(matmulCase({ m: 9, n: 11, k: 6, transA, transB, variant, aligned, rowBases: [0, 3], bias: true }));
        }
      }
      // The MLP's shapes: forward first layer (batch 32) and the weight gradient with its bias row.
      cases.push(matmulCase({ m: 32, n: 30, k: 784, transA: false, transB: false, variant, bias: true, activation: 'relu' }));
      cases.push(matmulCase({ m: 785, n: 30, k: 32, transA: true, transB: false, variant, aOnesRow: true }));
      cases.push(matmulCase({ m: 32, n: 30, k: 784, transA: false, transB: false, variant, bias: true, activation: 'relu', aligned: 'separate' }));
      cases.push(matmulCase({ m: 785, n: 30, k: 32, transA: true, transB: false, variant, aOnesRow: true, aligned: 'shared' }));
      cases.push(matmulCase({ m: 785, n: 30, k: 32, transA: true, transB: false, variant, aOnesRow: true, aligned: 'sharedMixed' }));
      if (variant === 'registerTiled') {
        // The aligned cases really take the 4-wide (array<vec4<f32>, n>) load path.
        const vec4 = cases.filter((c) => generateKernel(c.kernels[0]!, c.decls, { variant }).wgsl.includes('array<vec4<f32>'));
        expect(vec4.length).toBeGreaterThanOrEqual(50);
      }
      expectAllPass(await runShareOfCases(page, cases, 'kernels'));
    });
  }
});

describe('matmul register blocks', () => {
  test('registerTiled with 8×4, 4×8 and 8×8 blocks', async () => {
    const cases: KernelCase[] = [];
    const variant = 'registerTiled';
    for (const block of [
      [8, 4],
      [4, 8],
      [8, 8],
    ] as const) {
      for (const [transA, transB] of TRANSPOSES) {
        for (const [m, n, k] of [
          [37, 61, 13],
          [9, 17, 130],
        ] as const) {
          cases.push(matmulCase({ m, n, k, transA, transB, variant, block: [...block] }));
        }
        cases.push(
          matmulCase({ m: 31, n: 30, k: 33, transA, transB, variant, block: [...block], aOnesRow: true, accumulate: true, bias: true, activation: 'sigmoid' }),
        );
        cases.push(matmulCase({ m: 13, n: 11, k: 6, transA, transB, variant, block: [...block], rowBases: [0, 3], gradMask: 'tanh' }));
        cases.push(matmulCase({ m: 33, n: 30, k: 35, transA, transB, variant, block: [...block], aligned: 'sharedMixed', aOnesRow: true }));
        cases.push(matmulCase({ m: 24, n: 20, k: 19, transA, transB, variant, block: [...block], aligned: 'separate', bias: true }));
      }
    }
    expectAllPass(await runShareOfCases(page, cases, 'kernels'));
  });
});

describe('matmul quad blocks (quadTiled)', () => {
  test('blocks from 1×1 to 16×16, workgroups of one quad to 64 invocations, A broadcast or swapped, lanes on columns or rows, K tails 1–3', async () => {
    const cases: KernelCase[] = [];
    const variant = 'quadTiled';
    const choices: QuadChoice[] = [
      { block: [1, 1], workgroupSize: 4 },
      { block: [3, 2], workgroupSize: 8 },
      { block: [8, 8], workgroupSize: 4 },
      { block: [8, 8], workgroupSize: 64 },
      { block: [16, 8], workgroupSize: 16 },
      { block: [5, 3], workgroupSize: 12 },
      { block: [3, 2], workgroupSize: 8, sharing: 'swap' },
      // Lanes on rows (narrow outputs): R groups of 4 rows × Cl columns, B shared.
      { block: [3, 5], workgroupSize: 8, sharing: 'swap', lanes: 'rows' },
    ];
    for (const quad of choices) {
      for (const [transA, transB] of TRANSPOSES) {
        for (const [m, n, k] of [
          [37, 61, 13],
          [9, 17, 130],
          [2, 3, 7],
        ] as const) {
          cases.push(matmulCase({ m, n, k, transA, transB, variant, quad }));
        }
        cases.push(matmulCase({ m: 31, n: 30, k: 33, transA, transB, variant, quad, aOnesRow: true, accumulate: true, bias: true, activation: 'sigmoid' }));
        cases.push(matmulCase({ m: 13, n: 11, k: 6, transA, transB, variant, quad, rowBases: [0, 3], gradMask: 'tanh' }));
      }
    }
    // Lanes on rows with B broadcast, 10 columns as an output layer's (one case per transpose: K tails 3 and 1).
    const rowLanes: QuadChoice = { block: [2, 10], workgroupSize: 4, sharing: 'broadcast', lanes: 'rows' };
    for (const [i, [transA, transB]] of TRANSPOSES.entries()) {
      cases.push(matmulCase({ m: 37, n: 10, k: i % 2 ? 15 : 33, transA, transB, variant, quad: rowLanes, aOnesRow: i > 1, bias: i < 2 }));
    }
    // The blocks of chained products (chainQuadBlock), wide and narrow: one case each per transpose.
    for (const [i, [transA, transB]] of TRANSPOSES.entries()) {
      cases.push(matmulCase({ m: 37, n: 61, k: 13, transA, transB, variant, quad: chainQuadBlock(37, 61), bias: i % 2 === 0 }));
      cases.push(matmulCase({ m: 31, n: 10, k: 30, transA, transB, variant, quad: chainQuadBlock(31, 10), aOnesRow: i > 1, gradMask: 'relu' }));
    }
    // The 16 × 16 block (chosen for big products) compiles slowly on SwiftShader: two cases per transpose.
    const big: QuadChoice = { block: [16, 16], workgroupSize: 4, sharing: 'swap' };
    for (const [transA, transB] of TRANSPOSES) {
      cases.push(matmulCase({ m: 37, n: 70, k: 15, transA, transB, variant, quad: big }));
      cases.push(matmulCase({ m: 31, n: 30, k: 33, transA, transB, variant, quad: big, aOnesRow: true, accumulate: true, bias: true, activation: 'sigmoid' }));
    }
    expectAllPass(await runShareOfCases(page, cases, 'kernels'));
  });

  test('the 32 × 8 block (chosen for big products): row, column and K tails, A swapped or broadcast', async () => {
    const cases: KernelCase[] = [];
    const variant = 'quadTiled';
    const big: QuadChoice = { block: [32, 8], workgroupSize: 4, sharing: 'swap' };
    // Each transpose once (a 32 × 8 pipeline takes seconds to compile here): 69 rows = 32 + 32 + 5,
    // 45 columns = 32 + 13, K = 15 = 4·3 + 3; and the epilogue with the ones row at 37 × 30 × 33.
    for (const [i, [transA, transB]] of TRANSPOSES.entries()) {
      if (i < 2) cases.push(matmulCase({ m: 69, n: 45, k: 15, transA, transB, variant, quad: big }));
      else
        cases.push(
          matmulCase({ m: 37, n: 30, k: 33, transA, transB, variant, quad: big, aOnesRow: true, accumulate: true, bias: true, activation: 'sigmoid' }),
        );
    }
    const broadcast: QuadChoice = { ...big, sharing: 'broadcast' };
    cases.push(matmulCase({ m: 33, n: 35, k: 10, transA: false, transB: false, variant, quad: broadcast, rowBases: [0, 3], gradMask: 'tanh' }));
    expectAllPass(await runShareOfCases(page, cases, 'kernels'));
  });
});

/**
 * A dataset of `batch + 11` samples of `features` (u8 or f32, from element `offset`) and a shuffled index
 * list: the declarations, the indices, two steps (rowBase at the end and at 4) and op(A)'s view of the
 * step's rows read by index.
 */
function rowsByIndex(elementType: 'u8' | 'f32', features: number, batch: number, scale: number, offset: number) {
  const datasetRows = batch + 11;
  return {
    a: { buffer: 'ds', offset, rowStride: features, rows: batch, cols: features, gathered: { indices: 'idx', scale } } as View,
    decls: {
      ds: { name: 'ds', elementType, size: offset + datasetRows * features, role: 'dataset' } as const,
      idx: { name: 'idx', elementType: 'u32', size: datasetRows, role: 'indices' } as const,
    },
    init: { idx: Array.from({ length: datasetRows }, (_, i) => (i * 7 + 5) % datasetRows) },
    steps: [datasetRows - batch, 4].map((rowBase) => ({ ...STEP0, rowBase })),
  };
}

describe('matmul reading A through the sample indices (View.gathered, quadTiled)', () => {
  /**
   * op(A) from `datasetRows` samples of a u8 or f32 dataset, the step's `batch` rows picked by a
   * shuffled index list from rowBase on: A is batch × features (the first layer's forward) or, with
   * transA, features × batch (its weight gradient, with the ones row).
   */
  function gatheredCase(o: {
    elementType: 'u8' | 'f32';
    features: number;
    batch: number;
    n: number;
    transA: boolean;
    transB?: boolean;
    scale: number;
    offset?: number;
    aOnesRow?: boolean;
    quad?: QuadChoice;
  }): KernelCase {
    const arena = new Arena('arena');
    const params = new Arena('params');
    const [m, k] = o.transA ? [o.features + (o.aOnesRow ? 1 : 0), o.batch] : [o.batch, o.features];
    const offset = o.offset ?? 0;
    const rows = rowsByIndex(o.elementType, o.features, o.batch, o.scale, offset);
    const a = rows.a;
    const b = o.transB ? params.view(o.n, k, { pad: 2 }) : o.transA ? arena.view(k, o.n, { pad: 1 }) : params.view(k, o.n, { pad: 3 });
    const out = arena.view(m, o.n, { pad: 2, gap: 5 });
    const desc: MatmulKernel = {
      kind: 'matmul',
      name: 'gathered matmul',
      m,
      n: o.n,
      k,
      a,
      b,
      transA: o.transA,
      transB: !!o.transB,
      out,
      ...(o.aOnesRow ? { aOnesRow: true } : {}),
      ...(o.transA ? {} : { bias: params.view(1, o.n), activation: 'relu' as const }),
    };
    const quad = o.quad ? ` quad:${o.quad.block.join('×')}/${o.quad.workgroupSize}${o.quad.lanes ? `/lanes:${o.quad.lanes}` : ''}` : '';
    return {
      label: `gathered ${o.elementType}×${o.scale} ${m}×${o.n}×${k} ${o.transA ? 'tA' : 'A'}${o.transB ? ' tB' : ''}${o.aOnesRow ? ' ones' : ''} offset ${offset}${quad}`,
      decls: { arena: arena.decl(), params: params.decl('params'), ...rows.decls },
      init: rows.init,
      kernels: [desc],
      steps: rows.steps,
      variant: 'quadTiled',
      ...(o.quad ? { quad: o.quad } : {}),
      outputs: ['arena'],
    };
  }

  test('u8 and f32 datasets, forward and weight-gradient shapes, whole words and odd sizes, two steps', async () => {
    const cases: KernelCase[] = [];
    for (const elementType of ['u8', 'f32'] as const) {
      const scale = elementType === 'u8' ? 1 / 255 : 1;
      // Whole words (features a multiple of 4, the u8 word paths) and odd sizes (byte at a time); K tails.
      for (const [features, batch] of [
        [36, 9],
        [23, 7],
      ] as const) {
        cases.push(gatheredCase({ elementType, features, batch, n: 30, transA: false, scale }));
        cases.push(gatheredCase({ elementType, features, batch, n: 30, transA: true, aOnesRow: true, scale }));
        cases.push(gatheredCase({ elementType, features, batch, n: 7, transA: true, transB: true, scale }));
      }
      // Narrow outputs put the lanes on rows (A a lane's own operand); a block of 3 rows (no whole words of Aᵀ).
      cases.push(gatheredCase({ elementType, features: 20, batch: 6, n: 10, transA: false, scale }));
      cases.push(gatheredCase({ elementType, features: 20, batch: 6, n: 10, transA: true, aOnesRow: true, scale }));
      cases.push(gatheredCase({ elementType, features: 40, batch: 5, n: 9, transA: true, scale, quad: { block: [3, 3], workgroupSize: 8, sharing: 'swap' } }));
    }
    // u8 at another scale (bytes times a constant, not unorm), at an aligned and an unaligned offset.
    cases.push(gatheredCase({ elementType: 'u8', features: 16, batch: 8, n: 12, transA: false, scale: 0.5, offset: 8 }));
    cases.push(gatheredCase({ elementType: 'u8', features: 16, batch: 8, n: 13, transA: true, aOnesRow: true, scale: 0.5, offset: 3 }));
    expectAllPass(await runShareOfCases(page, cases, 'kernels'));
  });

  test('only a quadTiled matmul reads gathered rows: other variants refuse them by name', () => {
    const c = gatheredCase({ elementType: 'u8', features: 8, batch: 4, n: 4, transA: false, scale: 1 / 255 });
    expect(() => generateKernel(c.kernels[0]!, c.decls, { variant: 'registerTiled' })).toThrow(/gathered matmul.*only a quadTiled matmul's first operand/);
    expect(() => generateKernel(c.kernels[0]!, c.decls, { variant: 'quadTiled' })).not.toThrow();
  });
});

describe('row parts (plan/rowParts.ts, wgsl generateRowParts, quadTiled)', () => {
  /**
   * Three products chained over the batch rows, run as `count` row parts (each part's kernels read its
   * rows through View.partRows, shifted by the workgroup's `row_part`): the first layer over rows read by
   * index (u8 or f32, odd features), a hidden product with the activation gradient's mask, a narrow
   * output added into (lanes on rows); the float64 reference runs the unsplit kernels.
   */
  function partsCase(o: { elementType: 'u8' | 'f32'; features: number; batch: number; count: number; offset?: number; dropout?: boolean }): KernelCase {
    const arena = new Arena('arena');
    const params = new Arena('params');
    const rows = rowsByIndex(o.elementType, o.features, o.batch, o.elementType === 'u8' ? 1 / 255 : 1, o.offset ?? 0);
    const product = (name: string, a: View, n: number, extra: Partial<MatmulKernel>): MatmulKernel => ({
      kind: 'matmul',
      name,
      m: o.batch,
      n,
      k: a.cols,
      a,
      b: params.view(a.cols, n, { pad: 3 }),
      transA: false,
      transB: false,
      out: arena.view(o.batch, n, { pad: 2, gap: 5 }),
      ...extra,
    });
    const first = product('first', rows.a, 30, { bias: params.view(1, 30), activation: 'relu' });
    // With `dropout`, the hidden product reads the first layer's output through dropout (an elementwise stage, quad-wide as the runtime makes it).
    const dropped: ElementwiseKernel | null = o.dropout
      ? {
          kind: 'elementwise',
          name: 'dropout',
          rows: o.batch,
          cols: 30,
          expr: { op: 'dropout', x: { op: 'read', view: first.out }, rate: 0.4, salt: 99 },
          out: arena.view(o.batch, 30, { pad: 1 }),
        }
      : null;
    const hidden = product('hidden', dropped?.out ?? first.out, 13, { gradMask: { activation: 'tanh', y: arena.view(o.batch, 13) } });
    const narrow = product('narrow', hidden.out, 7, { accumulate: true });
    const whole = [first, ...(dropped ? [dropped] : []), hidden, narrow];
    const rowsPerPart = o.batch / o.count;
    return {
      label: `row parts ${o.count} × ${rowsPerPart}: ${o.elementType} ${o.features} features → 30 ${o.dropout ? '→ dropout ' : ''}→ 13 → 7 (+=), offset ${o.offset ?? 0}`,
      decls: { arena: arena.decl(), params: params.decl('params'), ...rows.decls },
      init: rows.init,
      kernels: whole.map((k) => sliceRows(k, o.batch, rowsPerPart, 0)!),
      steps: rows.steps,
      variant: 'quadTiled',
      itemWorkgroupSize: 4,
      rowParts: { count: o.count, whole },
      outputs: ['arena'],
    };
  }

  test('gathered u8 and f32 rows, odd features, 2 and 3 parts, dropout between products, two steps: every part its own rows and its rows of the mask', async () => {
    const cases: KernelCase[] = [];
    for (const elementType of ['u8', 'f32'] as const) {
      cases.push(partsCase({ elementType, features: 23, batch: 12, count: 3 }));
      cases.push(partsCase({ elementType, features: 36, batch: 8, count: 2, offset: 4 }));
      cases.push(partsCase({ elementType, features: 23, batch: 12, count: 3, dropout: true }));
    }
    expectAllPass(await runShareOfCases(page, cases, 'kernels'));
  });
});

describe('products over the same gathered op(A) as one kernel (wgsl/sharedOperand.ts, quadTiled)', () => {
  interface Part {
    n: number;
    /** The weight-gradient shape's row of ones (this part's M is one more). */
    ones?: boolean;
    transB?: boolean;
    accumulate?: boolean;
    /** Forward shape: bias and this activation; or the activation gradient's mask. */
    activation?: 'relu' | 'sigmoid';
    gradMask?: 'tanh';
  }
  /**
   * Several products over one op(A) read by index from a u8 or f32 dataset — the forward shape (A is
   * batch × features) or the weight-gradient shape (Aᵀ, features × batch) — each part with its own
   * B, output and epilogue; the float64 reference runs them one by one.
   */
  function sharedCase(o: { elementType: 'u8' | 'f32'; features: number; batch: number; transA: boolean; parts: Part[]; offset?: number }): KernelCase {
    const arena = new Arena('arena');
    const params = new Arena('params');
    const offset = o.offset ?? 0;
    const rows = rowsByIndex(o.elementType, o.features, o.batch, o.elementType === 'u8' ? 1 / 255 : 1, offset);
    const a = rows.a;
    const k = o.transA ? o.batch : o.features;
    const kernels: MatmulKernel[] = o.parts.map((p, i) => {
      const m = o.transA ? o.features + (p.ones ? 1 : 0) : o.batch;
      return {
        kind: 'matmul',
        name: `product ${i}`,
        m,
        n: p.n,
        k,
        a,
        b: p.transB ? params.view(p.n, k, { pad: 2 }) : o.transA ? arena.view(k, p.n, { pad: 1 }) : params.view(k, p.n, { pad: 3 }),
        transA: o.transA,
        transB: !!p.transB,
        out: arena.view(m, p.n, { pad: 2, gap: 5 }),
        ...(p.ones ? { aOnesRow: true } : {}),
        ...(p.accumulate ? { accumulate: true } : {}),
        ...(p.activation ? { bias: params.view(1, p.n), activation: p.activation } : {}),
        ...(p.gradMask ? { gradMask: { activation: p.gradMask, y: arena.view(m, p.n) } } : {}),
      };
    });
    const parts = o.parts
      .map(
        (p) =>
          `${p.n}${p.ones ? ' ones' : ''}${p.transB ? ' tB' : ''}${p.accumulate ? ' acc' : ''}${p.activation ? ` ${p.activation}` : ''}${p.gradMask ? ` ×${p.gradMask}'` : ''}`,
      )
      .join(' + ');
    return {
      label: `shared ${o.elementType} ${o.transA ? 'Aᵀ' : 'A'} ${o.features}×${o.batch} offset ${offset}: ${parts}`,
      decls: { arena: arena.decl(), params: params.decl('params'), ...rows.decls },
      init: rows.init,
      kernels,
      steps: rows.steps,
      variant: 'quadTiled',
      sharedA: true,
      outputs: ['arena'],
    };
  }

  test('forward and weight-gradient shapes, two and three products, odd widths, rows of ones on some parts, every epilogue', async () => {
    const cases: KernelCase[] = [];
    for (const elementType of ['u8', 'f32'] as const)
      for (const [features, batch] of [
        [36, 9],
        [23, 7],
      ] as const) {
        // Wide & deep's shapes: the first layer beside the output layer's input part, and their weight gradients.
        cases.push(sharedCase({ elementType, features, batch, transA: false, parts: [{ n: 30, activation: 'relu' }, { n: 10 }] }));
        cases.push(sharedCase({ elementType, features, batch, transA: true, parts: [{ n: 10 }, { n: 30, ones: true }] }));
        cases.push(sharedCase({ elementType, features, batch, transA: true, parts: [{ n: 13, ones: true }, { n: 6 }] }));
        cases.push(
          sharedCase({
            elementType,
            features,
            batch,
            transA: false,
            parts: [
              { n: 7, accumulate: true },
              { n: 13, activation: 'sigmoid', transB: true },
              { n: 5, gradMask: 'tanh' },
            ],
          }),
        );
      }
    cases.push(
      sharedCase({
        elementType: 'u8',
        features: 16,
        batch: 8,
        transA: true,
        offset: 3,
        parts: [
          { n: 3, ones: true },
          { n: 9, transB: true },
        ],
      }),
    );
    cases.push(sharedCase({ elementType: 'u8', features: 16, batch: 8, transA: false, offset: 8, parts: [{ n: 1 }, { n: 2, activation: 'relu' }] }));
    expectAllPass(await runShareOfCases(page, cases, 'kernels'));
  });

  test('the kernel names its products and refuses ones that read another op(A)', () => {
    const c = sharedCase({ elementType: 'u8', features: 16, batch: 8, transA: false, parts: [{ n: 30, activation: 'relu' }, { n: 10 }] });
    const kernel = generateProductsSharingA(c.kernels as MatmulKernel[], c.decls);
    expect(kernel.name).toBe('product 0 & product 1');
    expect(kernel.wgsl).toMatch(/fn epilogue0\(/);
    expect(kernel.wgsl).toMatch(/fn epilogue1\(/);
    const [first, second] = c.kernels as MatmulKernel[];
    const other = { ...second!, a: { ...second!.a, offset: 4 } };
    expect(() => generateProductsSharingA([first!, other], c.decls)).toThrow(/"product 1" does not read the same op\(A\)/);
    expect(() => generateProductsSharingA([first!], c.decls)).toThrow(/two or more/);
  });
});

describe('gather', () => {
  /**
   * One gather of `rows` rows, one dataset of `datasetRows` rows per source, into views of one arena (rows
   * starting on vec4s when `align4`), from the last `rows` positions of a permutation.
   */
  function gatherCase(
    label: string,
    rows: number,
    datasetRows: number,
    sources: readonly { dataset: string; elementType: 'u8' | 'f32'; cols: number; scale: number }[],
    align4: boolean,
  ): KernelCase {
    const arena = new Arena('arena');
    const views = sources.map((w) => ({
      dataset: w.dataset,
      elementType: w.elementType,
      scale: w.scale,
      out: arena.view(rows, w.cols, align4 ? { pad: 4, align4 } : { pad: 1 }),
    }));
    return {
      label,
      decls: {
        arena: arena.decl('arena', align4),
        idx: { name: 'idx', elementType: 'u32', size: datasetRows, role: 'indices' },
        ...Object.fromEntries(sources.map((w) => [w.dataset, { name: w.dataset, elementType: w.elementType, size: datasetRows * w.cols, role: 'dataset' }])),
      },
      init: { idx: Array.from({ length: datasetRows }, (_, i) => (i * 7 + 5) % datasetRows) },
      kernels: [{ kind: 'gather', name: label, indices: 'idx', rows, sources: views }],
      steps: [{ ...STEP0, rowBase: datasetRows - rows }],
      outputs: ['arena'],
    };
  }

  test('f32 and u8 datasets, several sources in one dispatch, rowBase from the step', async () => {
    const cases: KernelCase[] = [];
    for (const indexType of ['u32', 'i32'] as const) {
      const datasetRows = 50;
      const perm = Array.from({ length: datasetRows }, (_, i) => (i * 17 + 3) % datasetRows);
      const arena = new Arena('arena');
      const rows = 9;
      const outF = arena.view(rows, 7, { pad: 3 });
      const outU = arena.view(rows, 13, { pad: 1, gap: 5 });
      const outU2 = arena.view(rows, 4, { pad: 0 });
      const outF4 = arena.view(rows, 8, { pad: 2 }); // 4 columns per invocation, f32
      const desc: KernelDesc = {
        kind: 'gather',
        name: 'gather batch',
        indices: 'idx',
        rows,
        sources: [
          { dataset: 'dsF', elementType: 'f32', scale: 1, out: outF },
          { dataset: 'dsU', elementType: 'u8', scale: 1 / 255, out: outU },
          { dataset: 'dsU2', elementType: 'u8', scale: 0.5, out: outU2 },
          { dataset: 'dsF4', elementType: 'f32', scale: 2, out: outF4 },
        ],
      };
      cases.push({
        label: `gather indices ${indexType}`,
        decls: {
          arena: arena.decl(),
          idx: { name: 'idx', elementType: indexType, size: datasetRows, role: 'indices' },
          dsF: { name: 'dsF', elementType: 'f32', size: datasetRows * 7, role: 'dataset' },
          dsU: { name: 'dsU', elementType: 'u8', size: datasetRows * 13, role: 'dataset' },
          dsU2: { name: 'dsU2', elementType: 'u8', size: datasetRows * 4, role: 'dataset' },
          dsF4: { name: 'dsF4', elementType: 'f32', size: datasetRows * 8, role: 'dataset' },
        },
        init: { idx: perm },
        kernels: [desc],
        steps: [
          { ...STEP0, rowBase: 0 },
          { ...STEP0, rowBase: 18 },
          { ...STEP0, rowBase: 41 },
        ],
        outputs: ['arena'],
      });
    }
    // Only the last step's batch survives; also check one step alone so every step's write is seen.
    const single = { ...cases[0]!, label: 'gather single step rowBase 18', steps: [{ ...STEP0, rowBase: 18 }] };
    cases.push(single);
    // Rows wider than a workgroup's lanes (lanes stride along the row: 784 u8 pixels = 196 words, 301
    // and 260 f32 columns) beside narrow ones sharing a workgroup (3 and 20 columns), odd row counts.
    const wide = [
      { dataset: 'pixels', elementType: 'u8', cols: 784, scale: 1 / 255 },
      { dataset: 'wideF', elementType: 'f32', cols: 301, scale: 1 },
      { dataset: 'narrowF', elementType: 'f32', cols: 3, scale: 0.5 },
      { dataset: 'wideF4', elementType: 'f32', cols: 260, scale: 2 },
      { dataset: 'narrowU', elementType: 'u8', cols: 20, scale: 1 },
    ] as const;
    for (const rows of [5, 33]) cases.push(gatherCase(`gather wide rows, ${rows} rows`, rows, 40, wide, false));
    // Rows starting on vec4s (vec4 stores) and rows of 16 columns per invocation: u8 read 16 bytes at a
    // time (scaled 1/255 by unpack4x8unorm, by 1 or 0.25 with shifts), f32 as four vec4s; a 4-wide one beside them.
    const aligned = [
      { dataset: 'pixels', elementType: 'u8', cols: 784, scale: 1 / 255 },
      { dataset: 'bytes48', elementType: 'u8', cols: 48, scale: 1 },
      { dataset: 'bytes16', elementType: 'u8', cols: 16, scale: 0.25 },
      { dataset: 'floats32', elementType: 'f32', cols: 32, scale: 1 },
      { dataset: 'floats12', elementType: 'f32', cols: 12, scale: 3 },
    ] as const;
    for (const rows of [3, 17]) cases.push(gatherCase(`gather aligned rows, ${rows} rows`, rows, 24, aligned, true));
    const wgslOf = (label: string): string => {
      const c = cases.find((x) => x.label === label)!;
      return generateKernel(c.kernels[0]!, c.decls).wgsl;
    };
    const alignedWgsl = wgslOf('gather aligned rows, 3 rows');
    expect(alignedWgsl).toContain('var<storage, read_write> buf_arena: array<vec4<f32>');
    expect(alignedWgsl).toContain('buf_pixels: array<vec4<u32>');
    expect(alignedWgsl).toContain('unpack4x8unorm(words[3])');
    expect(wgslOf('gather wide rows, 5 rows')).not.toContain('read_write> buf_arena: array<vec4');
    expectAllPass(await runShareOfCases(page, cases, 'kernels'), 1e-6);
  });
});

describe('elementwise', () => {
  test('expressions, broadcast rows, activations and their gradients, accumulate, rowBase', async () => {
    const cases: KernelCase[] = [];
    const acts: ElementwiseActivation[] = ['linear', 'relu', 'sigmoid', 'tanh'];
    for (const [rows, cols] of [
      [37, 61],
      [1, 1],
      [3, 130],
    ] as const) {
      for (const act of acts) {
        for (const accumulate of [false, true]) {
          const arena = new Arena('arena');
          const x = arena.view(rows, cols, { pad: 3 });
          const y = arena.view(rows, cols, { pad: 0, gap: 1 });
          const bias = arena.view(1, cols, { gap: 4 });
          const out = arena.view(rows, cols, { pad: 5 });
          const other = new Arena('other');
          const w = other.view(rows, cols, { pad: 2, gap: 9 });
          const read = (view: View, broadcastRows = false): ElementwiseExpr => ({ op: 'read', view, ...(broadcastRows ? { broadcastRows } : {}) });
          const expr: ElementwiseExpr = {
            op: 'add',
            a: { op: 'activation', activation: act, x: { op: 'mul', a: { op: 'sub', a: read(x), b: read(bias, true) }, b: { op: 'const', value: 1.7 } } },
            b: { op: 'activationGrad', activation: act, y: read(y), dy: { op: 'mul', a: read(w), b: { op: 'const', value: -0.25 } } },
          };
          cases.push({
            label: `elementwise ${rows}×${cols} ${act}${accumulate ? ' acc' : ''}`,
            decls: { arena: arena.decl(), other: other.decl() },
            init: {},
            kernels: [{ kind: 'elementwise', name: 'ew', rows, cols, expr, out, ...(accumulate ? { accumulate } : {}) }],
            steps: [STEP0],
            outputs: ['arena'],
          });
        }
      }
    }
    {
      // rowBaseFromStep on a read and the output; a read from an i32 buffer; a constant-only operand.
      const arena = new Arena('arena');
      const x = arena.view(4, 6, { rowBaseFromStep: true, extraRows: 5 });
      const out = arena.view(4, 6, { rowBaseFromStep: true, extraRows: 5 });
      const ints = new Arena('ints', 'i32');
      const iv = ints.view(4, 6);
      cases.push({
        label: 'elementwise rowBase + i32 read',
        decls: { arena: arena.decl(), ints: ints.decl('labels') },
        init: { ints: { seed: 5, lo: -50, hi: 50 } },
        kernels: [
          {
            kind: 'elementwise',
            name: 'ew rb',
            rows: 4,
            cols: 6,
            expr: { op: 'add', a: { op: 'read', view: x }, b: { op: 'mul', a: { op: 'read', view: iv }, b: { op: 'const', value: 3 } } },
            out,
          },
        ],
        steps: [
          { ...STEP0, rowBase: 0 },
          { ...STEP0, rowBase: 5 },
        ],
        outputs: ['arena'],
      });
    }
    {
      // Dropout (mask from step.seed): two steps with different seeds, accumulated.
      const arena = new Arena('arena');
      const x = arena.view(37, 61, { pad: 3 });
      const out = arena.view(37, 61, { pad: 1 });
      cases.push({
        label: 'elementwise dropout',
        decls: { arena: arena.decl() },
        init: {},
        kernels: [
          {
            kind: 'elementwise',
            name: 'ew dropout',
            rows: 37,
            cols: 61,
            expr: { op: 'dropout', x: { op: 'read', view: x }, rate: 0.3, salt: 12345 },
            out,
            accumulate: true,
          },
        ],
        steps: [
          { ...STEP0, seed: 7 },
          { ...STEP0, seed: 0xfffffff0 },
        ],
        outputs: ['arena'],
      });
      // As a chain's stage is generated on CPU adapters: quad-wide workgroups (itemWorkgroupSize), 2,257 of them.
      cases.push({ ...cases[cases.length - 1]!, label: 'elementwise dropout, workgroups of 4', itemWorkgroupSize: 4 });
    }
    {
      // More than 65535 × 64 elements: the dispatch spills into y.
      const rows = 65535 + 3;
      const cols = 64;
      const x: View = { buffer: 'big', offset: 0, rowStride: cols, rows, cols };
      cases.push({
        label: 'elementwise 2-D dispatch',
        decls: { big: { name: 'big', elementType: 'f32', size: rows * cols, role: 'arena' } },
        init: {},
        kernels: [{ kind: 'elementwise', name: 'ew big', rows, cols, expr: { op: 'mul', a: { op: 'read', view: x }, b: { op: 'const', value: 2 } }, out: x }],
        steps: [STEP0],
        outputs: ['big'],
      });
    }
    expectAllPass(await runShareOfCases(page, cases, 'kernels'));
  });
});

describe('softmaxRows and columnSum', () => {
  test('softmax forward and gradient, column sums, accumulate, strides', async () => {
    const cases: KernelCase[] = [];
    for (const [rows, cols] of [
      [37, 13],
      [1, 1],
      [5, 130],
      [70, 10],
    ] as const) {
      for (const accumulate of [false, true]) {
        for (const grad of [false, true]) {
          const arena = new Arena('arena');
          const x = arena.view(rows, cols, { pad: 3 });
          const dy = arena.view(rows, cols, { pad: 1 });
          const out = arena.view(rows, cols, { pad: 2 });
          cases.push({
            label: `softmaxRows ${rows}×${cols}${grad ? ' grad' : ''}${accumulate ? ' acc' : ''}`,
            decls: { arena: arena.decl() },
            init: { arena: { seed: rows * 1000 + cols, lo: -3, hi: 3 } },
            kernels: [{ kind: 'softmaxRows', name: 'sm', x, out, ...(grad ? { dy } : {}), ...(accumulate ? { accumulate } : {}) }],
            steps: [STEP0],
            outputs: ['arena'],
          });
        }
        const arena = new Arena('arena');
        const x = arena.view(rows, cols, { pad: 4 });
        const grads = new Arena('grads');
        const out = grads.view(1, cols, { gap: 11 });
        cases.push({
          label: `columnSum ${rows}×${cols}${accumulate ? ' acc' : ''}`,
          decls: { arena: arena.decl(), grads: grads.decl('grads') },
          init: {},
          kernels: [{ kind: 'columnSum', name: 'cs', x, out, ...(accumulate ? { accumulate } : {}) }],
          steps: [STEP0],
          outputs: ['grads'],
        });
      }
    }
    expectAllPass(await runShareOfCases(page, cases, 'kernels'));
  });
});

describe('lossHead', () => {
  /** Each case twice: 64 invocations summing after a barrier, and one quad summing with subgroupAdd. */
  const bothReductions = (cases: KernelCase[]): KernelCase[] => cases.flatMap((c) => [c, { ...c, label: `${c.label} (one quad)`, quadReduction: true }]);
  const ALL_METRICS: MetricKind[] = ['sparseCategoricalAccuracy', 'categoricalAccuracy', 'binaryAccuracy', 'meanSquaredError', 'meanAbsoluteError'];

  function lossCase(o: {
    loss: LossKind;
    sparse: boolean;
    rows: number;
    cols: number;
    scale?: number;
    probabilities?: boolean;
    labelType?: 'u8' | 'i32' | 'u32';
    rowBase?: number;
    grad?: boolean;
    predict?: boolean;
    /** Per-sample weights read through the indices (classWeight). */
    weighted?: boolean;
    /** A weight penalty over two odd ranges of a params buffer (regularizers). */
    penalty?: boolean;
    /** A short batch of this many samples on the plan made for `rows` (maskRows; step.rows). */
    liveRows?: number;
  }): KernelCase {
    const arena = new Arena('arena');
    const rowBase = o.rowBase ?? 0;
    const input = arena.view(o.rows, o.cols, { pad: 3 });
    const targets = new Arena('targets');
    const targetView = targets.view(o.rows, o.cols, { pad: 1 });
    const gradOut = arena.view(o.rows, o.cols, { pad: 2 });
    const predictionOut = arena.view(o.rows, o.cols, { pad: 0, rowBaseFromStep: true, extraRows: rowBase });
    const samples = o.rows + rowBase + 5;
    const metricSlots = ALL_METRICS.map((kind, i) => ({ kind, slot: 2 + 2 * i }));
    const init: KernelCase['init'] = {
      // binaryCrossEntropy reads probabilities: mostly inside (0, 1), a few outside its clip.
      arena: o.probabilities ? { seed: o.rows * 31 + o.cols, lo: -0.05, hi: 1.05 } : { seed: o.rows * 31 + o.cols, lo: -(o.scale ?? 3), hi: o.scale ?? 3 },
      metrics: { seed: 99, lo: 0, hi: 5 },
    };
    const decls: KernelCase['decls'] = { arena: arena.decl(), metrics: { name: 'metrics', elementType: 'f32', size: 16, role: 'metrics' } };
    if (o.sparse || o.weighted) {
      decls.idx = { name: 'idx', elementType: 'u32', size: samples, role: 'indices' };
      init.idx = Array.from({ length: samples }, (_, i) => (i * 7 + 2) % samples);
    }
    if (o.weighted) {
      decls.sw = { name: 'sw', elementType: 'f32', size: samples, role: 'dataset' };
      init.sw = { seed: 23, lo: 0.1, hi: 4 };
    }
    if (o.penalty) {
      decls.params = { name: 'params', elementType: 'f32', size: 301, role: 'params' };
      init.params = { seed: 41, lo: -2, hi: 2 };
    }
    if (o.sparse) {
      decls.labels = { name: 'labels', elementType: o.labelType ?? 'u8', size: samples, role: 'labels' };
      init.labels = { seed: 3, lo: 0, hi: o.cols };
    } else {
      decls.targets = targets.decl('labels');
      init.targets = { seed: 17, lo: 0, hi: 1 };
    }
    const desc: KernelDesc = {
      kind: 'lossHead',
      name: `loss ${o.loss}`,
      loss: o.loss,
      rows: o.rows,
      cols: o.cols,
      input,
      target: o.sparse ? { sparse: true, labels: 'labels', indices: 'idx' } : { sparse: false, view: targetView },
      ...(o.grad !== false ? { gradOut } : {}),
      gradScale: 0.7 / o.rows,
      metricsBuffer: 'metrics',
      lossSlot: 0,
      metrics: metricSlots,
      ...(o.predict ? { predictionOut } : {}),
      ...(o.weighted ? { sampleWeights: { weights: 'sw', indices: 'idx' } } : {}),
      ...(o.liveRows !== undefined ? { maskRows: { batch: o.rows } } : {}),
      ...(o.penalty
        ? {
            penalty: {
              slot: 13,
              params: 'params',
              terms: [
                { offset: 3, count: 131, l1: 0.01, l2: 0.02 },
                { offset: 200, count: 101, l1: 0, l2: 0.5 },
              ],
            },
          }
        : {}),
    };
    return {
      label: `lossHead ${o.loss} ${o.sparse ? `sparse(${o.labelType ?? 'u8'})` : 'dense'} ${o.rows}×${o.cols}${o.scale ? ` ±${o.scale}` : ''}${o.rowBase ? ` rowBase ${o.rowBase}` : ''}${o.weighted ? ' weighted' : ''}${o.penalty ? ' penalty' : ''}${o.liveRows !== undefined ? ` ${o.liveRows} live rows` : ''}`,
      decls,
      init,
      kernels: [desc],
      steps: [{ ...STEP0, rowBase, rows: o.liveRows ?? 0 }],
      outputs: ['arena', 'metrics'],
    };
  }

  test('every loss × sparse/dense targets × all metrics, logits up to ±1e4', async () => {
    const cases: KernelCase[] = [];
    for (const loss of ['softmaxCrossEntropy', 'meanSquaredError', 'meanAbsoluteError'] as const) {
      for (const sparse of [true, false]) {
        for (const [rows, cols] of [
          [37, 10],
          [1, 1],
          [150, 7],
          [3, 130],
        ] as const) {
          cases.push(lossCase({ loss, sparse, rows, cols, predict: rows !== 150, rowBase: sparse ? 4 : 0 }));
        }
      }
    }
    for (const sparse of [true, false]) {
      cases.push(lossCase({ loss: 'softmaxCrossEntropy', sparse, rows: 37, cols: 10, scale: 1e4, predict: true }));
      cases.push(lossCase({ loss: 'softmaxCrossEntropy', sparse, rows: 64, cols: 3, scale: 1e4, grad: false }));
    }
    cases.push(lossCase({ loss: 'softmaxCrossEntropy', sparse: true, rows: 32, cols: 10, labelType: 'i32', rowBase: 9 }));
    cases.push(lossCase({ loss: 'softmaxCrossEntropy', sparse: true, rows: 32, cols: 10, labelType: 'u32', grad: false, predict: true }));
    expectAllPass(await runShareOfCases(page, bothReductions(cases), 'kernels'));
  });

  test('binary cross-entropy: sigmoid on logits up to ±1e4, and from probabilities', async () => {
    const cases: KernelCase[] = [];
    for (const [rows, cols] of [
      [37, 1],
      [1, 1],
      [150, 3],
      [3, 130],
    ] as const) {
      cases.push(lossCase({ loss: 'sigmoidCrossEntropy', sparse: false, rows, cols, predict: rows !== 150 }));
      cases.push(lossCase({ loss: 'binaryCrossEntropy', sparse: false, rows, cols, probabilities: true, predict: rows !== 150 }));
    }
    cases.push(lossCase({ loss: 'sigmoidCrossEntropy', sparse: false, rows: 37, cols: 2, scale: 1e4, predict: true }));
    cases.push(lossCase({ loss: 'sigmoidCrossEntropy', sparse: true, rows: 32, cols: 4, rowBase: 4 }));
    expectAllPass(await runShareOfCases(page, bothReductions(cases), 'kernels'));
  });

  test('weighted samples (classWeight) and the weight penalty (regularizers), every loss', async () => {
    const cases: KernelCase[] = [];
    for (const loss of ['softmaxCrossEntropy', 'sigmoidCrossEntropy', 'binaryCrossEntropy', 'meanSquaredError', 'meanAbsoluteError'] as const) {
      const probabilities = loss === 'binaryCrossEntropy';
      cases.push(lossCase({ loss, sparse: false, rows: 37, cols: 3, probabilities, weighted: true, rowBase: 5, predict: true }));
      cases.push(lossCase({ loss, sparse: false, rows: 70, cols: 1, probabilities, weighted: true, penalty: true }));
    }
    cases.push(lossCase({ loss: 'softmaxCrossEntropy', sparse: true, rows: 65, cols: 10, weighted: true, rowBase: 3, labelType: 'i32' }));
    cases.push(lossCase({ loss: 'softmaxCrossEntropy', sparse: true, rows: 5, cols: 4, penalty: true }));
    expectAllPass(await runShareOfCases(page, bothReductions(cases), 'kernels'));
  });

  test("a short batch on a full batch's plan (maskRows): rows from step.rows on leave loss, metrics and predictions alone, their gradient zero, the rest's scaled for step.rows", async () => {
    const cases: KernelCase[] = [
      // training heads: gradient rows of the padding zero, the live rows' mean over step.rows
      lossCase({ loss: 'softmaxCrossEntropy', sparse: true, rows: 32, cols: 10, rowBase: 4, liveRows: 8 }),
      lossCase({ loss: 'sigmoidCrossEntropy', sparse: false, rows: 37, cols: 3, weighted: true, penalty: true, liveRows: 30 }),
      lossCase({ loss: 'binaryCrossEntropy', sparse: false, rows: 16, cols: 1, probabilities: true, liveRows: 15 }),
      lossCase({ loss: 'meanSquaredError', sparse: false, rows: 64, cols: 2, predict: true, liveRows: 1 }),
      lossCase({ loss: 'meanAbsoluteError', sparse: true, rows: 12, cols: 4, liveRows: 12 }),
      // evaluate heads (no gradient)
      lossCase({ loss: 'softmaxCrossEntropy', sparse: true, rows: 37, cols: 10, grad: false, predict: true, rowBase: 4, liveRows: 29 }),
      lossCase({ loss: 'meanSquaredError', sparse: false, rows: 64, cols: 3, grad: false, predict: true, liveRows: 1 }),
      lossCase({ loss: 'sigmoidCrossEntropy', sparse: false, rows: 150, cols: 3, grad: false, liveRows: 149 }),
      lossCase({ loss: 'binaryCrossEntropy', sparse: false, rows: 33, cols: 2, probabilities: true, grad: false, predict: true, weighted: true, liveRows: 32 }),
      lossCase({ loss: 'meanAbsoluteError', sparse: true, rows: 5, cols: 4, grad: false, penalty: true, liveRows: 3 }),
      lossCase({ loss: 'softmaxCrossEntropy', sparse: false, rows: 32, cols: 10, grad: false, predict: true, liveRows: 32 }),
    ];
    expectAllPass(await runShareOfCases(page, bothReductions(cases), 'kernels'));
  });
});

describe('optimizer', () => {
  test('every algorithm over several steps with changing step records', async () => {
    const algorithms: OptimizerAlgorithm[] = [
      { kind: 'sgd' },
      { kind: 'momentum', momentum: 0.9, nesterov: false },
      { kind: 'momentum', momentum: 0.8, nesterov: true },
      { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
      { kind: 'rmsprop', decay: 0.9, momentum: 0, epsilon: 1e-7, centered: false },
      { kind: 'rmsprop', decay: 0.95, momentum: 0.5, epsilon: 1e-6, centered: true },
      { kind: 'adagrad', epsilon: 1e-7 },
    ];
    const steps: RefStep[] = [1, 2, 3, 4].map((t) => ({
      rowBase: 0,
      t,
      learningRate: Math.fround(0.01 * (1 + t / 2)),
      beta1Power: Math.fround(0.9 ** t),
      beta2Power: Math.fround(0.999 ** t),
      seed: t,
      rows: 0,
    }));
    const cases: KernelCase[] = [];
    for (const count of [1237, 1]) {
      for (const algorithm of algorithms) {
        const nSlots = optimizerStateArrays(algorithm);
        // Slot contents valid for every algorithm: second moments / accumulators positive,
        // rmsprop's mean gradient small enough that ms − mg² > 0.
        const slotInit: number[] = [];
        for (let s = 0; s < nSlots; s++) {
          for (let i = 0; i < count; i++) {
            const u = ((i * 2654435761 + s * 97) % 1000) / 1000;
            const positive = (algorithm.kind === 'adam' && s === 1) || (algorithm.kind === 'rmsprop' && s === 0) || algorithm.kind === 'adagrad';
            const v = algorithm.kind === 'rmsprop' && s === 2 ? (u - 0.5) * 0.6 : positive ? 0.5 + u / 2 : u * 2 - 1;
            slotInit.push(i >= count ? 0 : Math.fround(v === 0 ? 0.123 : v));
          }
        }
        cases.push({
          label: `optimizer ${JSON.stringify(algorithm)} count ${count}`,
          decls: {
            params: { name: 'params', elementType: 'f32', size: count + 3, role: 'params' },
            grads: { name: 'grads', elementType: 'f32', size: count, role: 'grads' },
            ...(nSlots ? { slots: { name: 'slots', elementType: 'f32', size: nSlots * count, role: 'optimizerState' } } : {}),
          },
          init: nSlots ? { slots: slotInit } : {},
          kernels: [
            { kind: 'optimizer', name: `opt ${algorithm.kind}`, algorithm, count, params: 'params', grads: 'grads', ...(nSlots ? { state: 'slots' } : {}) },
          ],
          steps,
          outputs: nSlots ? ['params', 'slots'] : ['params'],
        });
      }
    }
    // Plans' layout: buffers padded to whole vec4s and state arrays a padded stride apart, updated four
    // parameters per vec4. The padding holds garbage in the parameters and gradients here, and zeros in the
    // state, as plans create it: the last vec4 must leave it as it was (its gradient is zero there).
    for (const count of [1237, 1236, 5, 2]) {
      const padded = Math.ceil(count / 4) * 4;
      for (const algorithm of algorithms) {
        const nSlots = optimizerStateArrays(algorithm);
        const slotInit: number[] = [];
        for (let s = 0; s < nSlots; s++) {
          for (let i = 0; i < padded; i++) {
            const u = ((i * 2654435761 + s * 97) % 1000) / 1000;
            const positive = (algorithm.kind === 'adam' && s === 1) || (algorithm.kind === 'rmsprop' && s === 0) || algorithm.kind === 'adagrad';
            const v = algorithm.kind === 'rmsprop' && s === 2 ? (u - 0.5) * 0.6 : positive ? 0.5 + u / 2 : u * 2 - 1;
            slotInit.push(i >= count ? 0 : Math.fround(v === 0 ? 0.123 : v));
          }
        }
        cases.push({
          label: `optimizer 4-wide ${JSON.stringify(algorithm)} count ${count}`,
          decls: {
            params: { name: 'params', elementType: 'f32', size: padded, role: 'params' },
            grads: { name: 'grads', elementType: 'f32', size: padded, role: 'grads' },
            ...(nSlots ? { slots: { name: 'slots', elementType: 'f32', size: nSlots * padded, role: 'optimizerState' } } : {}),
          },
          init: nSlots ? { slots: slotInit } : {},
          kernels: [
            {
              kind: 'optimizer',
              name: `opt ${algorithm.kind}`,
              algorithm,
              count,
              params: 'params',
              grads: 'grads',
              ...(nSlots ? { state: 'slots', stateStride: padded } : {}),
            },
          ],
          steps,
          outputs: nSlots ? ['params', 'slots'] : ['params'],
        });
      }
    }
    // Regularized ranges: the penalty's gradient joins g (l1, l2, both; the last parameter alone).
    const penalties = [
      { offset: 5, count: 300, l1: 0.01, l2: 0.02 },
      { offset: 700, count: 536, l1: 0, l2: 0.5 },
      { offset: 1236, count: 1, l1: 0.3, l2: 0 },
    ];
    for (const algorithm of [algorithms[0]!, algorithms[3]!]) {
      const nSlots = optimizerStateArrays(algorithm);
      cases.push({
        label: `optimizer ${algorithm.kind} with weight penalties`,
        decls: {
          params: { name: 'params', elementType: 'f32', size: 1240, role: 'params' },
          grads: { name: 'grads', elementType: 'f32', size: 1237, role: 'grads' },
          ...(nSlots ? { slots: { name: 'slots', elementType: 'f32', size: nSlots * 1237, role: 'optimizerState' } } : {}),
        },
        init: nSlots ? { slots: Array.from({ length: nSlots * 1237 }, (_, i) => (i < 1237 ? 0.1 : 0.5)) } : {},
        kernels: [
          {
            kind: 'optimizer',
            name: `opt ${algorithm.kind}`,
            algorithm,
            count: 1237,
            params: 'params',
            grads: 'grads',
            penalties,
            ...(nSlots ? { state: 'slots' } : {}),
          },
        ],
        steps,
        outputs: nSlots ? ['params', 'slots'] : ['params'],
      });
      // The same 4-wide: ranges that start and end inside a vec4.
      cases.push({
        label: `optimizer 4-wide ${algorithm.kind} with weight penalties`,
        decls: {
          params: { name: 'params', elementType: 'f32', size: 1240, role: 'params' },
          grads: { name: 'grads', elementType: 'f32', size: 1240, role: 'grads' },
          ...(nSlots ? { slots: { name: 'slots', elementType: 'f32', size: nSlots * 1240, role: 'optimizerState' } } : {}),
        },
        init: nSlots ? { slots: Array.from({ length: nSlots * 1240 }, (_, i) => (i % 1240 >= 1237 ? 0 : i < 1240 ? 0.1 : 0.5)) } : {},
        kernels: [
          {
            kind: 'optimizer',
            name: `opt ${algorithm.kind}`,
            algorithm,
            count: 1237,
            params: 'params',
            grads: 'grads',
            penalties,
            ...(nSlots ? { state: 'slots', stateStride: 1240 } : {}),
          },
        ],
        steps,
        outputs: nSlots ? ['params', 'slots'] : ['params'],
      });
    }
    expectAllPass(await runShareOfCases(page, cases, 'kernels'));
  });
});

describe('matmul with a fused optimizer update (MatmulKernel.update)', () => {
  test('every algorithm and matmul variant: the weight gradient updates params and state in place, nothing stored', async () => {
    const algorithms: OptimizerAlgorithm[] = [
      { kind: 'sgd' },
      { kind: 'momentum', momentum: 0.8, nesterov: true },
      { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
      { kind: 'rmsprop', decay: 0.95, momentum: 0.5, epsilon: 1e-6, centered: true },
      { kind: 'adagrad', epsilon: 1e-7 },
    ];
    const steps: RefStep[] = [1, 2, 3].map((t) => ({
      ...STEP0,
      t,
      learningRate: Math.fround(0.02 * t),
      beta1Power: Math.fround(0.9 ** t),
      beta2Power: Math.fround(0.999 ** t),
    }));
    const cases: KernelCase[] = [];
    const quads: (QuadChoice | undefined)[] = [undefined, { block: [3, 2], workgroupSize: 8, sharing: 'swap' }];
    for (const variant of VARIANTS) {
      for (const quad of variant === 'quadTiled' ? quads : [undefined]) {
        for (const algorithm of algorithms) {
          // A dense layer's weight and bias gradient Xᵀ·dZ (+ ones row) over an odd-sized block of the
          // parameters (offset 5, rows of 7), with a penalty over part of it.
          const [mReal, n, k] = [13, 7, 9];
          const m = mReal + 1;
          const arena = new Arena('arena');
          const a = arena.view(k, mReal, { pad: 3 });
          const b = arena.view(k, n, { pad: 2 });
          const offset = 5;
          const count = offset + m * n + 3;
          const stride = count + 2;
          const nSlots = optimizerStateArrays(algorithm);
          const slotInit = Array.from({ length: nSlots * stride }, (_, i) => {
            const s = Math.floor(i / stride);
            const u = ((i * 2654435761) % 1000) / 1000;
            const positive = (algorithm.kind === 'adam' && s === 1) || (algorithm.kind === 'rmsprop' && s === 0) || algorithm.kind === 'adagrad';
            return Math.fround(algorithm.kind === 'rmsprop' && s === 2 ? (u - 0.5) * 0.6 : positive ? 0.5 + u / 2 : u * 2 - 1 || 0.1);
          });
          const desc: MatmulKernel = {
            kind: 'matmul',
            name: `dW ${algorithm.kind}`,
            m,
            n,
            k,
            a,
            b,
            transA: true,
            transB: false,
            aOnesRow: true,
            out: { buffer: 'grads', offset, rowStride: n, rows: m, cols: n },
            update: {
              algorithm,
              params: 'params',
              ...(nSlots ? { state: 'slots' } : {}),
              stateStride: stride,
              penalties: [{ offset: offset + 2 * n, count: 3 * n, l1: 0.01, l2: 0.03 }],
            },
          };
          cases.push({
            label: `${variant}${quad ? ` quad:${quad.block.join('×')}` : ''} fused ${algorithm.kind} ${m}×${n}×${k}`,
            decls: {
              arena: arena.decl(),
              params: { name: 'params', elementType: 'f32', size: count, role: 'params' },
              grads: { name: 'grads', elementType: 'f32', size: count, role: 'grads' },
              ...(nSlots ? { slots: { name: 'slots', elementType: 'f32', size: nSlots * stride, role: 'optimizerState' } } : {}),
            },
            init: { grads: { seed: 3 }, ...(nSlots ? { slots: slotInit } : {}) },
            kernels: [desc],
            steps,
            variant,
            ...(quad ? { quad } : {}),
            // The gradient buffer must come out as it went in.
            outputs: nSlots ? ['params', 'slots', 'grads'] : ['params', 'grads'],
          });
        }
      }
    }
    expectAllPass(await runShareOfCases(page, cases, 'kernels'));
  });
});
