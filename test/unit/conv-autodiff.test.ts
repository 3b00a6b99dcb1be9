// The vector-Jacobian rules of conv2d and pool2d against central finite differences in the float64
// interpreter, at odd sizes: odd h and w, strides 1 and 2, both paddings, 1×1 and 3×3 windows, c = 1 and 3.
import { describe, expect, test } from 'vitest';
import { autodiff } from '../../src/ir/autodiff.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { IrGraph, ValueId } from '../../src/ir/graph.js';
import { interpret } from '../../src/ir/interpret.js';
import type { Padding, Window2d } from '../../src/ir/ops/window.js';
import { matrixOf, sizeOf } from '../../src/ir/shape.js';

let seed = 7;
const random = (): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296) * 2 - 1;
const randomArray = (n: number): number[] => Array.from({ length: n }, () => random() || 0.123);

interface Built {
  graph: IrGraph;
  params: number[][];
  targets: number[][];
}

/** The image itself is param 0 (as [n, h·w·c], reshaped), so the input gradient is checked too. */
function build(image: [number, number, number, number], paramShapes: [number, number][], body: (b: GraphBuilder, x: ValueId, p: ValueId[]) => ValueId): Built {
  const [n, h, w, c] = image;
  const b = new GraphBuilder(n);
  const shapes: [number, number][] = [[n, h * w * c], ...paramShapes];
  const p = shapes.map((shape, i) => b.leaf({ op: 'param', index: i, name: `p${i}` }, shape));
  const x = b.add({ op: 'reshape', x: p[0]!, to: image });
  const out = body(b, x, p.slice(1));
  const [rows, cols] = matrixOf(b.shapeOf(out));
  const flat = b.add({ op: 'reshape', x: out, to: [n, (rows * cols) / n] });
  const target = b.leaf({ op: 'target', index: 0, sparse: false, name: 't' }, [n, (rows * cols) / n]);
  const loss = b.add({ op: 'pointwiseLoss', loss: 'meanSquaredError', pred: flat, target });
  const graph: IrGraph = {
    batchSize: n,
    nodes: b.nodes,
    params: shapes.map((shape, i) => ({ name: `p${i}`, shape, trainable: true })),
    inputs: [],
    targets: [{ name: 't', cols: (rows * cols) / n, sparse: false }],
    outputs: [],
    accumulators: [],
    losses: [{ output: 0, value: loss, weight: 1 }],
  };
  return { graph, params: shapes.map((s) => randomArray(sizeOf(s))), targets: [randomArray(rows * cols)] };
}

function totalLoss(built: Built, params: number[][]): number {
  const result = interpret(built.graph, { inputs: [], targets: built.targets, params });
  let s = 0;
  for (const v of result.values[built.graph.losses[0]!.value]!.data) s += v;
  return s / built.graph.batchSize;
}

function checkGradients(built: Built): void {
  const withGrads = autodiff(built.graph);
  const result = interpret(withGrads, { inputs: [], targets: built.targets, params: built.params });
  const h = 1e-6;
  withGrads.paramGrads!.forEach((g, p) => {
    expect(g, `param ${p} has a gradient`).not.toBeNull();
    const analytic = result.values[g!]!.data;
    const numeric = built.params[p]!.map((_, i) => {
      const plus = built.params.map((a) => [...a]);
      const minus = built.params.map((a) => [...a]);
      plus[p]![i]! += h;
      minus[p]![i]! -= h;
      return (totalLoss(built, plus) - totalLoss(built, minus)) / (2 * h);
    });
    const scale = Math.max(1e-3, ...numeric.map(Math.abs));
    for (let i = 0; i < numeric.length; i++) expect(Math.abs(analytic[i]! - numeric[i]!) / scale, `param ${p}[${i}]`).toBeLessThan(1e-5);
  });
}

const cases: { image: [number, number, number, number]; k: number; stride: number; padding: Padding; cout: number }[] = [
  { image: [2, 5, 7, 1], k: 3, stride: 1, padding: 'valid', cout: 2 },
  { image: [2, 5, 7, 3], k: 3, stride: 2, padding: 'same', cout: 2 },
  { image: [1, 7, 5, 3], k: 3, stride: 2, padding: 'valid', cout: 3 },
  { image: [2, 5, 5, 1], k: 1, stride: 2, padding: 'same', cout: 3 },
  { image: [1, 6, 5, 3], k: 3, stride: 1, padding: 'same', cout: 1 },
  { image: [2, 3, 5, 2], k: 1, stride: 1, padding: 'valid', cout: 2 },
];

describe('conv2d and pool2d gradients match finite differences', () => {
  for (const { image, k, stride, padding, cout } of cases) {
    const window: Window2d = { size: [k, k], strides: [stride, stride], padding };
    const label = `${image.join('×')} ${k}×${k} stride ${stride} ${padding}`;
    test(`conv2d ${label} → ${cout}`, () => {
      checkGradients(build(image, [[k * k * image[3], cout]], (b, x, [filter]) => b.add({ op: 'conv2d', x, filter: filter!, window })));
    });
    for (const mode of ['max', 'avg'] as const)
      test(`${mode}Pool2d ${label}`, () => {
        const pool: Window2d = { size: [k === 1 ? 2 : 3, 2], strides: [stride, stride], padding };
        checkGradients(build(image, [], (b, x) => b.add({ op: 'pool2d', x, mode, window: pool })));
      });
  }
  test('conv2d → maxPool2d → conv2d, with bias and relu between', () => {
    const image: [number, number, number, number] = [2, 7, 5, 2];
    checkGradients(
      build(
        image,
        [
          [9 * 2, 3],
          [1, 3],
          [4 * 3, 2],
        ],
        (b, x, [f1, bias, f2]) => {
          const c1 = b.add({ op: 'conv2d', x, filter: f1!, window: { size: [3, 3], strides: [1, 1], padding: 'same' } });
          const r = b.add({ op: 'activation', x: b.add({ op: 'biasAdd', x: c1, bias: bias! }), activation: 'tanh' });
          const p = b.add({ op: 'pool2d', x: r, mode: 'max', window: { size: [2, 2], strides: [2, 2], padding: 'same' } });
          return b.add({ op: 'conv2d', x: p, filter: f2!, window: { size: [2, 2], strides: [1, 1], padding: 'valid' } });
        },
      ),
    );
  });
});
