// The conv2d (implicit GEMM: forward, input gradient, filter gradient) and pool2d kernels on WebGPU
// against the float64 reference, at odd sizes: odd h and w, strides 1 and 2, both paddings, 1×1 and
// 3×3 windows, c = 1 and c = 3, views with wide rows (as inside a channel concat), every epilogue.
import type { Page } from 'puppeteer';
import { beforeAll, describe, expect, test } from 'vitest';
import type { KernelDesc } from '../../src/ir/kernel.js';
import { windowGeometry, type Padding } from '../../src/ir/ops/window.js';
import { Arena, STEP0, failures, runCases, type KernelCase } from './kernelCases.js';
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
}

const CONFIGS: Config[] = [
  { image: [2, 7, 5, 1], k: [3, 3], stride: 1, padding: 'same', cout: 5 },
  { image: [2, 7, 5, 3], k: [3, 3], stride: 2, padding: 'valid', cout: 6 },
  { image: [3, 9, 7, 3], k: [3, 3], stride: 2, padding: 'same', cout: 4 },
  { image: [2, 5, 7, 1], k: [1, 1], stride: 2, padding: 'valid', cout: 3 },
  { image: [1, 5, 5, 3], k: [1, 1], stride: 1, padding: 'same', cout: 9 },
  { image: [2, 6, 9, 2], k: [3, 2], stride: 1, padding: 'valid', cout: 7 },
];

function convCases(c: Config): KernelCase[] {
  const [n, h, w, cin] = c.image;
  const g = windowGeometry({ size: c.k, strides: [c.stride, c.stride], padding: c.padding }, c.image)!;
  const taps = c.k[0] * c.k[1] * cin;
  const label = `${c.image.join('×')} ${c.k.join('×')} s${c.stride} ${c.padding} → ${c.cout}`;
  const cases: KernelCase[] = [];
  const base = { geometry: g, inC: cin, outC: c.cout };
  {
    const arena = new Arena('arena');
    const params = new Arena('params');
    const x = arena.view(n * h * w, cin, { pad: 3 });
    const filter = params.view(taps, c.cout, { pad: 0 });
    const bias = params.view(1, c.cout, { pad: 0 });
    const out = arena.view(n * g.outH * g.outW, c.cout, { pad: 2 });
    const kernel: KernelDesc = { kind: 'conv2d', name: 'fwd', pass: 'forward', ...base, a: x, b: filter, bias, activation: 'relu', out };
    cases.push({
      label: `forward ${label}`,
      decls: { arena: arena.decl(), params: params.decl('params') },
      init: {},
      kernels: [kernel],
      steps: [STEP0],
      outputs: ['arena'],
    });
  }
  for (const accumulate of [false, true]) {
    const arena = new Arena('arena');
    const params = new Arena('params');
    const dy = arena.view(n * g.outH * g.outW, c.cout, { pad: 1 });
    const filter = params.view(taps, c.cout, { pad: 0 });
    const y = arena.view(n * h * w, cin, { pad: 0 });
    const out = arena.view(n * h * w, cin, { pad: 2 });
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
      decls: { arena: arena.decl(), params: params.decl('params') },
      init: {},
      kernels: [kernel],
      steps: [STEP0],
      outputs: ['arena'],
    });
  }
  for (const onesRow of [false, true]) {
    const arena = new Arena('arena');
    const grads = new Arena('grads');
    const x = arena.view(n * h * w, cin, { pad: 2 });
    const dy = arena.view(n * g.outH * g.outW, c.cout, { pad: 3 });
    const out = grads.view(taps + (onesRow ? 1 : 0), c.cout, { pad: 0 });
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
      decls: { arena: arena.decl(), grads: grads.decl('grads') },
      init: {},
      kernels: [kernel],
      steps: [STEP0],
      outputs: ['grads'],
    });
  }
  return cases;
}

function poolCases(c: Config): KernelCase[] {
  const [n, h, w, ch] = c.image;
  const size: [number, number] = c.k[0] === 1 ? [2, 2] : c.k;
  const g = windowGeometry({ size, strides: [c.stride, c.stride], padding: c.padding }, c.image)!;
  const cases: KernelCase[] = [];
  for (const mode of ['max', 'avg'] as const)
    for (const grad of [false, true]) {
      const arena = new Arena('arena');
      const x = arena.view(n * h * w, ch, { pad: 2 });
      const dy = arena.view(n * g.outH * g.outW, ch, { pad: 1 });
      const out = grad ? arena.view(n * h * w, ch, { pad: 3 }) : arena.view(n * g.outH * g.outW, ch, { pad: 3 });
      const kernel: KernelDesc = { kind: 'pool2d', name: 'pool', mode, geometry: g, channels: ch, x, ...(grad ? { dy } : {}), out };
      cases.push({
        label: `${mode}Pool ${grad ? 'grad ' : ''}${c.image.join('×')} ${size.join('×')} s${c.stride} ${c.padding}`,
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
    const results = await runCases(page, CONFIGS.flatMap(convCases));
    console.log(`[conv-kernels] ${results.length} conv cases, worst ${Math.max(...results.map((r) => r.error)).toExponential(2)}`);
    expect(failures(results, 1e-4)).toEqual([]);
  });
  test('pool2d: max and avg, forward and gradient', async () => {
    const results = await runCases(page, CONFIGS.flatMap(poolCases));
    expect(failures(results, 1e-4)).toEqual([]);
  });
});
