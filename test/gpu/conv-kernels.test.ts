// The conv2d (implicit GEMM: forward, input gradient, filter gradient) and pool2d kernels on WebGPU
// against the float64 reference, at odd sizes: odd h and w, strides 1 and 2, both paddings, 1×1 and
// 3×3 windows, c = 1 and c = 3, views with wide rows (as inside a channel concat), every epilogue.
import type { Page } from 'puppeteer';
import { beforeAll, describe, expect, test } from 'vitest';
import type { KernelDesc } from '../../src/ir/kernel.js';
import { windowGeometry, type Padding } from '../../src/ir/ops/window.js';
import { Arena, STEP0, failures, runShareOfCases, type KernelCase } from './kernelCases.js';
import { openPage } from './harness.js';

let page: Page;
beforeAll(async () => {
  page = await openPage();
});

interface Config {
  image: [number, number, number, number];
  k: [number, number];
  stride: number;
  padding: Padding;
  cout: number;
  /** Views whose rows start at multiples of 4 (the kernels then load four channels at once). */
  align4?: boolean;
}

const CONFIGS: Config[] = [
  { image: [2, 7, 5, 1], k: [3, 3], stride: 1, padding: 'same', cout: 5 },
  { image: [2, 7, 5, 3], k: [3, 3], stride: 2, padding: 'valid', cout: 6 },
  { image: [3, 9, 7, 3], k: [3, 3], stride: 2, padding: 'same', cout: 4 },
  { image: [2, 5, 7, 1], k: [1, 1], stride: 2, padding: 'valid', cout: 3 },
  { image: [1, 5, 5, 3], k: [1, 1], stride: 1, padding: 'same', cout: 9 },
  { image: [2, 6, 9, 2], k: [3, 2], stride: 1, padding: 'valid', cout: 7 },
  // cin and cout multiples of 4: four channels per load, aligned (vec4 arrays) and not
  { image: [2, 7, 5, 4], k: [3, 3], stride: 1, padding: 'same', cout: 8, align4: true },
  { image: [3, 9, 7, 8], k: [3, 3], stride: 2, padding: 'valid', cout: 6, align4: true },
  { image: [9, 7, 5, 4], k: [3, 3], stride: 1, padding: 'valid', cout: 4, align4: true },
  { image: [2, 5, 7, 4], k: [1, 1], stride: 2, padding: 'same', cout: 8, align4: true },
  { image: [2, 7, 5, 8], k: [3, 3], stride: 2, padding: 'same', cout: 4 },
  { image: [5, 7, 9, 3], k: [3, 3], stride: 1, padding: 'valid', cout: 5, align4: true },
];

function convCases(c: Config): KernelCase[] {
  const [n, h, w, cin] = c.image;
  const g = windowGeometry({ size: c.k, strides: [c.stride, c.stride], padding: c.padding }, c.image)!;
  const taps = c.k[0] * c.k[1] * cin;
  const label = `${c.image.join('×')} ${c.k.join('×')} s${c.stride} ${c.padding} → ${c.cout}${c.align4 ? ' aligned' : ''}`;
  const align4 = !!c.align4;
  const cases: KernelCase[] = [];
  const base = { geometry: g, inC: cin, outC: c.cout };
  {
    const arena = new Arena('arena');
    const params = new Arena('params');
    const x = arena.view(n * h * w, cin, { pad: 3, align4 });
    const filter = params.view(taps, c.cout, { pad: 0, align4 });
    const bias = params.view(1, c.cout, { pad: 0, align4 });
    const out = arena.view(n * g.outH * g.outW, c.cout, { pad: 2, align4 });
    const kernel: KernelDesc = { kind: 'conv2d', name: 'fwd', pass: 'forward', ...base, a: x, b: filter, bias, activation: 'relu', out };
    cases.push({
      label: `forward ${label}`,
      decls: { arena: arena.decl('arena', align4), params: params.decl('params', align4) },
      init: {},
      kernels: [kernel],
      steps: [STEP0],
      outputs: ['arena'],
    });
  }
  for (const accumulate of [false, true]) {
    const arena = new Arena('arena');
    const params = new Arena('params');
    const dy = arena.view(n * g.outH * g.outW, c.cout, { pad: 1, align4 });
    const filter = params.view(taps, c.cout, { pad: 0, align4 });
    const y = arena.view(n * h * w, cin, { pad: 0, align4 });
    const out = arena.view(n * h * w, cin, { pad: 2, align4 });
    const kernel: KernelDesc = {
      kind: 'conv2d',
      name: 'dx',
      pass: 'inputGrad',
      ...base,
      a: dy,
      b: filter,
      ...(accumulate ? { accumulate } : { gradMask: { activation: 'relu', y } }),
      out,
    };
    cases.push({
      label: `inputGrad ${label}${accumulate ? ' acc' : ' relu mask'}`,
      decls: { arena: arena.decl('arena', align4), params: params.decl('params', align4) },
      init: {},
      kernels: [kernel],
      steps: [STEP0],
      outputs: ['arena'],
    });
  }
  for (const onesRow of [false, true]) {
    const arena = new Arena('arena');
    const grads = new Arena('grads');
    const x = arena.view(n * h * w, cin, { pad: 2, align4 });
    const dy = arena.view(n * g.outH * g.outW, c.cout, { pad: 3, align4 });
    const out = grads.view(taps + (onesRow ? 1 : 0), c.cout, { pad: 0, align4 });
    const kernel: KernelDesc = {
      kind: 'conv2d',
      name: 'dw',
      pass: 'filterGrad',
      ...base,
      a: x,
      b: dy,
      ...(onesRow ? { aOnesRow: true } : { accumulate: true }),
      out,
    };
    cases.push({
      label: `filterGrad ${label}${onesRow ? ' +ones row' : ' acc'}`,
      decls: { arena: arena.decl('arena', align4), grads: grads.decl('grads', align4) },
      init: {},
      kernels: [kernel],
      steps: [STEP0],
      outputs: ['grads'],
    });
  }
  return cases;
}

interface PoolConfig {
  image: [number, number, number, number];
  size: [number, number];
  stride: number;
  padding: Padding;
}

/** Pool windows of the conv configs (1×1 → 2×2), and windows that do not overlap (the gradient scatters per window). */
const POOL_CONFIGS: PoolConfig[] = [
  ...CONFIGS.map((c) => ({ image: c.image, size: (c.k[0] === 1 ? [2, 2] : c.k) as [number, number], stride: c.stride, padding: c.padding })),
  { image: [2, 9, 7, 3], size: [2, 2], stride: 2, padding: 'valid' },
  { image: [2, 7, 9, 2], size: [3, 3], stride: 3, padding: 'same' },
  { image: [1, 8, 7, 5], size: [2, 2], stride: 3, padding: 'valid' },
  { image: [2, 7, 5, 3], size: [2, 2], stride: 2, padding: 'same' },
  { image: [2, 6, 7, 1], size: [2, 3], stride: 3, padding: 'same' },
];

type Mask = 'none' | 'relu of x' | 'tanh';

function poolCases(c: PoolConfig): KernelCase[] {
  const [n, h, w, ch] = c.image;
  const g = windowGeometry({ size: c.size, strides: [c.stride, c.stride], padding: c.padding }, c.image)!;
  const cases: KernelCase[] = [];
  const variants: [boolean, Mask][] = [
    [false, 'none'],
    [true, 'none'],
    [true, 'relu of x'],
    [true, 'tanh'],
  ];
  for (const mode of ['max', 'avg'] as const)
    for (const [grad, mask] of variants) {
      const arena = new Arena('arena');
      const x = arena.view(n * h * w, ch, { pad: 2 });
      const dy = arena.view(n * g.outH * g.outW, ch, { pad: 1 });
      const y = arena.view(n * h * w, ch, { pad: 1 });
      const out = grad ? arena.view(n * h * w, ch, { pad: 3 }) : arena.view(n * g.outH * g.outW, ch, { pad: 3 });
      // 'relu of x': the mask reads the pooled values themselves, as fusePoolGradMask makes it.
      const gradMask = mask === 'none' ? {} : { gradMask: mask === 'tanh' ? { activation: 'tanh' as const, y } : { activation: 'relu' as const, y: x } };
      const kernel: KernelDesc = { kind: 'pool2d', name: 'pool', mode, geometry: g, channels: ch, x, ...(grad ? { dy } : {}), ...gradMask, out };
      cases.push({
        label: `${mode}Pool ${grad ? 'grad ' : ''}${c.image.join('×')} ${c.size.join('×')} s${c.stride} ${c.padding}${mask === 'none' ? '' : ` × ${mask}'`}`,
        decls: { arena: arena.decl() },
        init: {},
        kernels: [kernel],
        steps: [STEP0],
        outputs: ['arena'],
      });
    }
  return cases;
}

describe('windowed kernels match the float64 reference', () => {
  test('conv2d: forward (+ bias, relu), input gradient (relu mask or accumulate), filter gradient (+ ones row or accumulate)', async () => {
    const results = await runShareOfCases(page, CONFIGS.flatMap(convCases), 'conv-kernels');
    console.log(`[conv-kernels] ${results.length} conv cases, worst ${Math.max(...results.map((r) => r.error)).toExponential(2)}`);
    expect(failures(results, 1e-4)).toEqual([]);
  });
  test('conv2d quadTiled (quadBroadcast of the image operand): the same cases; blocks from 1×1 to 16×8, filter gradient split over 1–4 quads', async () => {
    const quad = CONFIGS.flatMap(convCases).map((c): KernelCase => ({ ...c, label: `quad ${c.label}`, variant: 'quadTiled' }));
    const choices: { block: [number, number]; workgroupSize: number }[] = [
      { block: [1, 1], workgroupSize: 4 },
      { block: [3, 2], workgroupSize: 8 },
      { block: [16, 8], workgroupSize: 16 },
    ];
    const blocks = choices.flatMap((choice) =>
      [CONFIGS[2]!, CONFIGS[7]!].flatMap((cfg) =>
        convCases(cfg).map(
          (c): KernelCase => ({ ...c, label: `quad ${choice.block.join('×')}/${choice.workgroupSize} ${c.label}`, variant: 'quadTiled', quad: choice }),
        ),
      ),
    );
    const results = await runShareOfCases(page, [...quad, ...blocks], 'conv-kernels');
    console.log(`[conv-kernels] ${results.length} quadTiled conv cases, worst ${Math.max(...results.map((r) => r.error)).toExponential(2)}`);
    expect(failures(results, 1e-4)).toEqual([]);
  });
  test('pool2d: max and avg, forward and gradient (× an activation gradient)', async () => {
    const results = await runShareOfCases(page, POOL_CONFIGS.flatMap(poolCases), 'conv-kernels');
    console.log(`[conv-kernels] ${results.length} pool cases, worst ${Math.max(...results.map((r) => r.error)).toExponential(2)}`);
    expect(failures(results, 1e-4)).toEqual([]);
  });
});
