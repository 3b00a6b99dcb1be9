// Every primitive's vector-Jacobian rule against central finite differences in the float64
// interpreter, on random inputs (never zeros) of odd sizes.
import { describe, expect, test } from 'vitest';
import { autodiff } from '../../src/ir/autodiff.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { IrGraph, ValueId } from '../../src/ir/graph.js';
import { interpret } from '../../src/ir/interpret.js';
import { matrixOf } from '../../src/ir/shape.js';

let seed = 99;
const random = (): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296) * 2 - 1;
const randomArray = (n: number, scale = 1): number[] => Array.from({ length: n }, () => (random() || 0.123) * scale);

interface Built {
  graph: IrGraph;
  params: number[][];
  inputs: number[][];
  targets: number[][];
}

/**
 * Builds a graph whose loss is mean_rows(Σ_j w_j · f(params)_j) (a fixed random projection, so
 * every output element matters), with params as the differentiated leaves.
 */
function build(batch: number, paramShapes: [number, number][], body: (b: GraphBuilder, p: ValueId[], x: ValueId) => ValueId, inputCols = 5): Built {
  const b = new GraphBuilder(batch);
  const p = paramShapes.map((shape, i) => b.leaf({ op: 'param', index: i, name: `p${i}` }, shape));
  const x = b.leaf({ op: 'input', index: 0, name: 'x' }, [batch, inputCols]);
  const out = body(b, p, x);
  const [rows, cols] = matrixOf(b.shapeOf(out));
  // Project to a per-row scalar: mse against a random target is a per-row loss of every element.
  const target = b.leaf({ op: 'target', index: 0, sparse: false, name: 't' }, [rows, cols]);
  const loss = b.add({ op: 'pointwiseLoss', loss: 'meanSquaredError', pred: out, target });
  const graph: IrGraph = {
    batchSize: rows,
    nodes: b.nodes,
    params: paramShapes.map((shape, i) => ({ name: `p${i}`, shape, trainable: true })),
    inputs: [{ name: 'x', cols: inputCols }],
    targets: [{ name: 't', cols, sparse: false }],
    outputs: [],
    accumulators: [],
    losses: [{ output: 0, value: loss, weight: 1 }],
  };
  return {
    graph,
    params: paramShapes.map((shape) => randomArray(shape.reduce((a, d) => a * d, 1))),
    inputs: [randomArray(batch * inputCols)],
    targets: [randomArray(rows * cols)],
  };
}

function totalLoss(built: Built, params: number[][]): number {
  const result = interpret(built.graph, { inputs: built.inputs, targets: built.targets, params });
  const loss = result.values[built.graph.losses[0]!.value]!;
  let s = 0;
  for (const v of loss.data) s += v;
  return (s * built.graph.losses[0]!.weight) / built.graph.batchSize;
}

function checkGradients(built: Built): void {
  const withGrads = autodiff(built.graph);
  const result = interpret(withGrads, { inputs: built.inputs, targets: built.targets, params: built.params });
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
    for (let i = 0; i < numeric.length; i++) expect(Math.abs(analytic[i]! - numeric[i]!) / scale, `param ${p}[${i}]`).toBeLessThan(1e-4);
  });
}

describe('vector-Jacobian rules match finite differences', () => {
  for (const [transA, transB] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const)
    test(`matmul transA=${transA} transB=${transB}`, () => {
      const [m, k, n] = [7, 5, 3];
      checkGradients(build(m, [transA ? [k, m] : [m, k], transB ? [n, k] : [k, n]], (b, [a, bb]) => b.add({ op: 'matmul', a: a!, b: bb!, transA, transB })));
    });
  test('matmul of an input by a param', () => {
    checkGradients(build(6, [[5, 4]], (b, [w], x) => b.add({ op: 'matmul', a: x, b: w!, transA: false, transB: false })));
  });
  test('biasAdd', () => {
    checkGradients(
      build(
        6,
        [
          [6, 4],
          [1, 4],
        ],
        (b, [x, bias]) => b.add({ op: 'biasAdd', x: x!, bias: bias! }),
      ),
    );
  });
  for (const activation of ['relu', 'sigmoid', 'tanh', 'linear', 'softmax'] as const)
    test(`activation ${activation}`, () => {
      checkGradients(build(5, [[5, 7]], (b, [x]) => b.add({ op: 'activation', x: x!, activation })));
    });
  test('concat', () => {
    checkGradients(
      build(
        4,
        [
          [4, 3],
          [4, 2],
          [4, 5],
        ],
        (b, p) => b.add({ op: 'concat', xs: p }),
      ),
    );
  });
  test('column slice', () => {
    checkGradients(build(4, [[4, 9]], (b, [x]) => b.add({ op: 'slice', x: x!, axis: 1, start: 2, size: 4 })));
  });
  test('add, mul, scale', () => {
    checkGradients(
      build(
        3,
        [
          [3, 4],
          [3, 4],
        ],
        (b, [x, y]) => {
          const s = b.add({ op: 'add', a: x!, b: y! });
          const m = b.add({ op: 'mul', a: s, b: y! });
          return b.add({ op: 'scale', x: m, factor: -1.7 });
        },
      ),
    );
  });
  test('softmaxCrossEntropy (dense targets)', () => {
    const b = new GraphBuilder(5);
    const z = b.leaf({ op: 'param', index: 0, name: 'z' }, [5, 4]);
    const t = b.leaf({ op: 'target', index: 0, sparse: false, name: 't' }, [5, 4]);
    const loss = b.add({ op: 'softmaxCrossEntropy', logits: z, target: t, sparse: false });
    const targets = Array.from({ length: 5 }, () => {
      const row = randomArray(4).map((v) => Math.abs(v) + 0.1);
      const s = row.reduce((a, c) => a + c, 0);
      return row.map((v) => v / s);
    }).flat();
    checkGradients({
      graph: {
        batchSize: 5,
        nodes: b.nodes,
        params: [{ name: 'z', shape: [5, 4], trainable: true }],
        inputs: [],
        targets: [{ name: 't', cols: 4, sparse: false }],
        outputs: [],
        accumulators: [],
        losses: [{ output: 0, value: loss, weight: 0.7 }],
      },
      params: [randomArray(20, 3)],
      inputs: [],
      targets: [targets],
    });
  });
  test('crossEntropy on probabilities, sparse targets', () => {
    const b = new GraphBuilder(6);
    const z = b.leaf({ op: 'param', index: 0, name: 'z' }, [6, 3]);
    const p = b.add({ op: 'activation', x: z, activation: 'sigmoid' });
    const t = b.leaf({ op: 'target', index: 0, sparse: true, name: 't' }, [6, 1]);
    const loss = b.add({ op: 'crossEntropy', probs: p, target: t, sparse: true });
    checkGradients({
      graph: {
        batchSize: 6,
        nodes: b.nodes,
        params: [{ name: 'z', shape: [6, 3], trainable: true }],
        inputs: [],
        targets: [{ name: 't', cols: 1, sparse: true }],
        outputs: [],
        accumulators: [],
        losses: [{ output: 0, value: loss, weight: 1 }],
      },
      params: [randomArray(18)],
      inputs: [],
      targets: [[0, 2, 1, 1, 0, 2]],
    });
  });
  test('sigmoidCrossEntropy on logits (up to ±8), soft targets', () => {
    const b = new GraphBuilder(5);
    const z = b.leaf({ op: 'param', index: 0, name: 'z' }, [5, 3]);
    const t = b.leaf({ op: 'target', index: 0, sparse: false, name: 't' }, [5, 3]);
    const loss = b.add({ op: 'sigmoidCrossEntropy', logits: z, target: t });
    checkGradients({
      graph: {
        batchSize: 5,
        nodes: b.nodes,
        params: [{ name: 'z', shape: [5, 3], trainable: true }],
        inputs: [],
        targets: [{ name: 't', cols: 3, sparse: false }],
        outputs: [],
        accumulators: [],
        losses: [{ output: 0, value: loss, weight: 0.6 }],
      },
      params: [randomArray(15, 8)],
      inputs: [],
      targets: [randomArray(15).map((v) => Math.abs(v))],
    });
  });
  test('binaryCrossEntropy on probabilities (a sigmoid, unfused)', () => {
    const b = new GraphBuilder(6);
    const z = b.leaf({ op: 'param', index: 0, name: 'z' }, [6, 2]);
    const p = b.add({ op: 'activation', x: z, activation: 'sigmoid' });
    const t = b.leaf({ op: 'target', index: 0, sparse: false, name: 't' }, [6, 2]);
    const loss = b.add({ op: 'pointwiseLoss', loss: 'binaryCrossEntropy', pred: p, target: t });
    checkGradients({
      graph: {
        batchSize: 6,
        nodes: b.nodes,
        params: [{ name: 'z', shape: [6, 2], trainable: true }],
        inputs: [],
        targets: [{ name: 't', cols: 2, sparse: false }],
        outputs: [],
        accumulators: [],
        losses: [{ output: 0, value: loss, weight: 1 }],
      },
      params: [randomArray(12, 3)],
      inputs: [],
      targets: [[0, 1, 1, 0, 1, 1, 0, 0, 0.3, 0.8, 1, 0]],
    });
  });
  test('meanAbsoluteError', () => {
    const b = new GraphBuilder(4);
    const z = b.leaf({ op: 'param', index: 0, name: 'z' }, [4, 3]);
    const t = b.leaf({ op: 'target', index: 0, sparse: false, name: 't' }, [4, 3]);
    const loss = b.add({ op: 'pointwiseLoss', loss: 'meanAbsoluteError', pred: z, target: t });
    checkGradients({
      graph: {
        batchSize: 4,
        nodes: b.nodes,
        params: [{ name: 'z', shape: [4, 3], trainable: true }],
        inputs: [],
        targets: [{ name: 't', cols: 3, sparse: false }],
        outputs: [],
        accumulators: [],
        losses: [{ output: 0, value: loss, weight: 1 }],
      },
      params: [randomArray(12)],
      inputs: [],
      targets: [randomArray(12)],
    });
  });
  test('columnSum, broadcastRows, mulRow, rsqrt (batch-norm pieces)', () => {
    checkGradients(
      build(
        5,
        [
          [5, 4],
          [1, 4],
        ],
        (b, [x, g]) => {
          const mean = b.add({ op: 'scale', x: b.add({ op: 'columnSum', x: x! }), factor: 0.2 });
          const centered = b.add({ op: 'add', a: x!, b: b.add({ op: 'scale', x: b.add({ op: 'broadcastRows', x: mean, rows: 5 }), factor: -1 }) });
          const variance = b.add({ op: 'scale', x: b.add({ op: 'columnSum', x: b.add({ op: 'mul', a: centered, b: centered }) }), factor: 0.2 });
          const normalized = b.add({ op: 'mulRow', x: centered, row: b.add({ op: 'rsqrt', x: variance, epsilon: 1e-3 }) });
          return b.add({ op: 'mulRow', x: normalized, row: g! });
        },
      ),
    );
  });
  test('a value used twice accumulates both gradients', () => {
    checkGradients(
      build(
        4,
        [
          [4, 3],
          [3, 3],
        ],
        (b, [x, w]) => {
          const h = b.add({ op: 'matmul', a: x!, b: w!, transA: false, transB: false });
          const h2 = b.add({ op: 'matmul', a: h, b: w!, transA: false, transB: false });
          return b.add({ op: 'add', a: h2, b: h });
        },
      ),
    );
  });
});
