// TensorFlow.js 4.22 (CPU backend, in the same page) as an outside oracle for weft's functional API:
// the article's four models and random graphs (random widths and depths, concats of several tensors,
// several inputs and outputs, shared layers, every activation, mse/mae and both cross-entropies).
// For each model, with the same weights in both:
//   - weft's predict equals TensorFlow.js's within 1e-5 (relative; absolute below 1),
//   - evaluate's numbers (Keras order: total loss, each output's loss, each output's metrics) equal
//     the same quantities computed in float64 from TensorFlow.js's predictions,
//   - after 5 SGD steps and, from the same start, after 5 Adam steps on the same batches (one epoch,
//     shuffle off), the weights agree within 1e-4.
// The page side is test/gpu/oracle/page.ts, which also says which TensorFlow.js faults it works around.
import type { Page } from 'puppeteer';
import { beforeAll, describe, expect, test } from 'vitest';
import { inPage, openPage } from './harness.js';
import type { CaseOptions, CaseReport } from './oracle/page.js';
import { randomGraph, type Activation, type GraphSpec, type NodeSpec, type OutputSpec } from '../reference/randomGraphs.js';
import { thisRuntimesShare } from './runtimeShare.js';
import { loadOracle } from './tfjs.js';

const PREDICT_TOLERANCE = 1e-5;
const WEIGHT_TOLERANCE = 1e-4;
const EVALUATE_TOLERANCE = 1e-5;

let page: Page;
beforeAll(async () => {
  page = await openPage();
  await loadOracle(page);
});

function runCase(spec: GraphSpec, options: CaseOptions): Promise<CaseReport> {
  return inPage(page, ([s, o]) => window.weftOracle.runCase(s, o), [spec, options] as [GraphSpec, CaseOptions]);
}

function outputName(spec: GraphSpec, o: OutputSpec): string {
  return spec.nodes.find((n) => n.out === o.tensor)!.layer;
}

/** Keras's metricsNames for the description. */
function kerasMetricsNames(spec: GraphSpec): string[] {
  const multi = spec.outputs.length > 1;
  const names = ['loss'];
  if (multi) for (const o of spec.outputs) names.push(`${outputName(spec, o)}_loss`);
  for (const o of spec.outputs) for (const m of o.metrics) names.push(multi ? `${outputName(spec, o)}_${m}` : m);
  return names;
}

function summary(r: CaseReport): string {
  const e = (x: number) => x.toExponential(1);
  const evalErr = Math.max(0, ...r.evaluate.weft.map((v, i) => Math.abs(v - r.evaluate.oracle[i]!) / Math.max(1, Math.abs(r.evaluate.oracle[i]!))));
  return `predict ${e(r.predict.maxScaled)} · evaluate ${e(evalErr)} · sgd ${e(r.sgd.maxAbs)} (moved ${r.moved.sgd.toFixed(3)}) · adam ${e(r.adam.maxAbs)} (moved ${r.moved.adam.toFixed(3)}) · ${Math.round(r.ms)} ms`;
}

function check(spec: GraphSpec, r: CaseReport, label: string): void {
  console.log(`[weft] oracle ${label}: ${summary(r)}`);
  const context = `${label}\n${JSON.stringify(spec)}`;
  expect(r.weightNames.weft, `weight order, ${context}`).toEqual(r.weightNames.tf);
  expect(r.outputNames.weft, `output names, ${context}`).toEqual(r.outputNames.tf);
  expect(r.metricsNames, `metricsNames, ${context}`).toEqual(kerasMetricsNames(spec));
  expect(r.predict.maxScaled, `predict: ${r.predict.worst}; ${context}`).toBeLessThanOrEqual(PREDICT_TOLERANCE);
  expect(r.evaluate.weft.length, `evaluate length; ${context}`).toBe(r.evaluate.oracle.length);
  r.evaluate.weft.forEach((v, i) => {
    const want = r.evaluate.oracle[i]!;
    expect(Math.abs(v - want) / Math.max(1, Math.abs(want)), `evaluate ${r.metricsNames[i]}: weft ${v} vs ${want}; ${context}`).toBeLessThanOrEqual(
      EVALUATE_TOLERANCE,
    );
  });
  expect(r.sgd.maxAbs, `SGD weights: ${r.sgd.worst}; ${context}`).toBeLessThanOrEqual(WEIGHT_TOLERANCE);
  expect(r.adam.maxAbs, `Adam weights: ${r.adam.worst}; ${context}`).toBeLessThanOrEqual(WEIGHT_TOLERANCE);
  // and the weights really moved, by far more than they differ (two models that did not train would match too)
  expect(r.sgd.maxAbs, 'SGD: weights moved less than 100× their difference').toBeLessThanOrEqual(r.moved.sgd / 100);
  expect(r.adam.maxAbs, 'Adam: weights moved less than 100× their difference').toBeLessThanOrEqual(r.moved.adam / 100);
}

/**
 * This runtime's share of a block's cases (test/gpu/runtimeShare.ts: the other GPU project runs the
 * rest), each with its index in the whole block (the seeds follow the index).
 */
function share<T>(entries: [string, T][]): [string, T, number][] {
  return thisRuntimesShare(
    entries.map(([label, value], i): [string, T, number] => [label, value, i]),
    ([label]) => label,
  );
}

const TRAIN: Omit<CaseOptions, 'seed'> = { batchSize: 8, steps: 5, sgd: 0.1, adam: 0.01 };

// ── the article's four models ──

const dense = (layer: string, units: number, activation: Activation, input: string, out = layer): NodeSpec => ({
  kind: 'dense',
  layer,
  units,
  activation,
  inputs: [input],
  out,
});
const sparseCE = (tensor: string, weight = 1): OutputSpec => ({ tensor, loss: 'sparseCategoricalCrossentropy', weight, metrics: ['accuracy'] });

const ARTICLE: Record<string, GraphSpec> = {
  'MLP 784→30 relu→30 relu→10 softmax': {
    inputs: [{ name: 'input', units: 784 }],
    nodes: [dense('hidden1', 30, 'relu', 'input'), dense('hidden2', 30, 'relu', 'hidden1'), dense('output', 10, 'softmax', 'hidden2')],
    outputs: [sparseCE('output')],
  },
  'wide & deep: concat(input, hidden2)→10 softmax': {
    inputs: [{ name: 'input', units: 784 }],
    nodes: [
      dense('hidden1', 30, 'relu', 'input'),
      dense('hidden2', 30, 'relu', 'hidden1'),
      { kind: 'concatenate', layer: 'concat', inputs: ['input', 'hidden2'], out: 'concat' },
      dense('output', 10, 'softmax', 'concat'),
    ],
    outputs: [sparseCE('output')],
  },
  'two inputs 392/392': {
    inputs: [
      { name: 'wide_input', units: 392 },
      { name: 'deep_input', units: 392 },
    ],
    nodes: [
      dense('hidden1', 30, 'relu', 'deep_input'),
      dense('hidden2', 30, 'relu', 'hidden1'),
      { kind: 'concatenate', layer: 'concat', inputs: ['wide_input', 'hidden2'], out: 'concat' },
      dense('output', 10, 'softmax', 'concat'),
    ],
    outputs: [sparseCE('output')],
  },
  'multi-output: main_output + aux_output on hidden2, lossWeights [0.7, 0.3]': {
    inputs: [
      { name: 'wide_input', units: 392 },
      { name: 'deep_input', units: 392 },
    ],
    nodes: [
      dense('hidden1', 30, 'relu', 'deep_input'),
      dense('hidden2', 30, 'relu', 'hidden1'),
      { kind: 'concatenate', layer: 'concat', inputs: ['wide_input', 'hidden2'], out: 'concat' },
      dense('main_output', 10, 'softmax', 'concat'),
      dense('aux_output', 10, 'softmax', 'hidden2'),
    ],
    outputs: [sparseCE('main_output', 0.7), sparseCE('aux_output', 0.3)],
  },
};

describe('the article models agree with TensorFlow.js', () => {
  share(Object.entries(ARTICLE)).forEach(([label, spec, i]) => {
    test(label, async () => {
      check(spec, await runCase(spec, { ...TRAIN, seed: 100 + i }), label);
    });
  });
});

// ── random graphs (test/reference/randomGraphs.ts) ──

describe('random graphs agree with TensorFlow.js', () => {
  const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];
  for (const seed of thisRuntimesShare(SEEDS, (s) => `seed ${s}`)) {
    const spec = randomGraph(seed);
    const shared = spec.nodes.length - new Set(spec.nodes.map((n) => n.layer)).size;
    // even seeds: the last of the 5 training batches is partial (Keras averages it over its own rows)
    const lastBatch = seed % 2 === 0 ? 1 + (seed % 7) : undefined;
    const label = `seed ${seed}: ${spec.inputs.length} in, ${spec.nodes.length} nodes${shared ? ` (${shared} shared)` : ''}, ${spec.outputs.map((o) => o.loss.replace(/Crossentropy|Error/, '')).join('/')}${lastBatch ? `, last batch ${lastBatch} rows` : ''}`;
    test(label, async () => {
      // predict/evaluate in one batch (the article models cover their partial last batch)
      const rows = TRAIN.batchSize * (TRAIN.steps - 1) + (lastBatch ?? TRAIN.batchSize);
      check(spec, await runCase(spec, { ...TRAIN, seed: 1000 + seed, evalBatchSize: rows, ...(lastBatch ? { lastBatch } : {}) }), label);
    });
  }

  test('the generator covers what it should', () => {
    const specs = SEEDS.map(randomGraph);
    const kinds = new Set(specs.flatMap((s) => s.nodes.map((n) => n.kind)));
    expect([...kinds].sort()).toEqual(['activation', 'concatenate', 'dense']);
    expect(
      specs.some((s) => s.nodes.length > new Set(s.nodes.map((n) => n.layer)).size),
      'a shared layer',
    ).toBe(true);
    expect(
      specs.some((s) => s.inputs.length > 1),
      'several inputs',
    ).toBe(true);
    expect(
      specs.some((s) => s.outputs.length > 1),
      'several outputs',
    ).toBe(true);
    expect(
      specs.some((s) => s.nodes.some((n) => n.kind === 'concatenate' && n.inputs.length > 2)),
      'a concat of 3+',
    ).toBe(true);
    const losses = new Set(specs.flatMap((s) => s.outputs.map((o) => o.loss)));
    expect(losses.size).toBe(4);
    const activations = new Set(specs.flatMap((s) => s.nodes.flatMap((n) => (n.kind === 'dense' || n.kind === 'activation' ? [n.activation] : []))));
    expect(activations.size).toBe(5);
  });
});

describe('binary classification agrees with TensorFlow.js', () => {
  // Sigmoid outputs with binary cross-entropy (fused on the logits in weft, from clipped
  // probabilities in TensorFlow.js): one unit with 'accuracy' (binary accuracy), three units
  // (multi-label) beside a softmax output, and binary cross-entropy on a softmax's probabilities.
  const BINARY: Record<string, GraphSpec> = {
    'one sigmoid unit': {
      inputs: [{ name: 'x', units: 12 }],
      nodes: [dense('hidden', 7, 'relu', 'x'), dense('output', 1, 'sigmoid', 'hidden')],
      outputs: [{ tensor: 'output', loss: 'binaryCrossentropy', weight: 1, metrics: ['accuracy'] }],
    },
    'three sigmoid units beside a softmax output': {
      inputs: [{ name: 'x', units: 9 }],
      nodes: [dense('hidden', 6, 'tanh', 'x'), dense('tags', 3, 'sigmoid', 'hidden'), dense('kind', 4, 'softmax', 'hidden')],
      outputs: [
        { tensor: 'tags', loss: 'binaryCrossentropy', weight: 0.6, metrics: ['accuracy'] },
        { tensor: 'kind', loss: 'sparseCategoricalCrossentropy', weight: 1, metrics: ['accuracy'] },
      ],
    },
    'binary cross-entropy on softmax probabilities': {
      inputs: [{ name: 'x', units: 5 }],
      nodes: [dense('output', 3, 'softmax', 'x')],
      outputs: [{ tensor: 'output', loss: 'binaryCrossentropy', weight: 1, metrics: ['binaryAccuracy'] }],
    },
  };
  share(Object.entries(BINARY)).forEach(([label, spec, i]) => {
    test(label, async () => {
      check(spec, await runCase(spec, { ...TRAIN, seed: 300 + i }), label);
    });
  });
});

describe('classWeight agrees with TensorFlow.js', () => {
  // TensorFlow.js weighs each sample's loss by its class (the label, the one-hot argmax, or a binary
  // target's 0/1) and averages over the batch; metrics and evaluate stay unweighted.
  const CASES: Record<string, [GraphSpec, Record<number, number>[]]> = {
    'softmax, sparse labels': [ARTICLE['MLP 784→30 relu→30 relu→10 softmax']!, [{ 0: 1, 1: 3, 2: 0.5, 3: 2, 4: 1, 5: 0.25, 6: 4, 7: 1, 8: 1.5, 9: 0.75 }]],
    'one sigmoid unit': [
      {
        inputs: [{ name: 'x', units: 12 }],
        nodes: [dense('hidden', 7, 'relu', 'x'), dense('output', 1, 'sigmoid', 'hidden')],
        outputs: [{ tensor: 'output', loss: 'binaryCrossentropy', weight: 1, metrics: ['accuracy'] }],
      },
      [{ 0: 0.2, 1: 5 }],
    ],
    'two outputs, one-hot targets on one': [
      {
        inputs: [{ name: 'x', units: 9 }],
        nodes: [dense('hidden', 6, 'tanh', 'x'), dense('kind', 4, 'softmax', 'hidden'), dense('grade', 3, 'softmax', 'hidden')],
        outputs: [
          { tensor: 'kind', loss: 'sparseCategoricalCrossentropy', weight: 1, metrics: ['accuracy'] },
          { tensor: 'grade', loss: 'categoricalCrossentropy', weight: 1, metrics: ['accuracy'] },
        ],
      },
      [
        { 0: 2, 1: 0.5, 2: 1, 3: 3 },
        { 0: 0.1, 1: 1, 2: 6 },
      ],
    ],
  };
  share(Object.entries(CASES)).forEach(([label, [spec, classWeight], i]) => {
    test(label, async () => {
      const r = await runCase(spec, { ...TRAIN, steps: 4, lastBatch: 5, seed: 400 + i, classWeight });
      check(spec, r, `classWeight ${label}`);
      for (const [name, [weft, tf]] of Object.entries(r.fitLoss))
        expect(Math.abs(weft - tf), `${name} fit loss weft ${weft} vs tf ${tf}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(tf)));
    });
  });
});

describe('regularizers agree with TensorFlow.js', () => {
  // kernelRegularizer / biasRegularizer: the penalty joins the gradient (weights after SGD and Adam)
  // and fit's reported loss; evaluate leaves it out (TensorFlow.js's test function does).
  const reg = (node: NodeSpec, kernel?: { l1: number; l2: number }, bias?: { l1: number; l2: number }): NodeSpec =>
    node.kind === 'dense' ? { ...node, ...(kernel ? { kernelRegularizer: kernel } : {}), ...(bias ? { biasRegularizer: bias } : {}) } : node;
  const CASES: Record<string, GraphSpec> = {
    'jena-weather-like MLP: l2 on the hidden kernel, mse': {
      inputs: [{ name: 'x', units: 14 }],
      nodes: [reg(dense('hidden', 32, 'relu', 'x'), { l1: 0, l2: 0.05 }), dense('out', 1, 'linear', 'hidden')],
      outputs: [{ tensor: 'out', loss: 'meanSquaredError', weight: 1, metrics: ['mae'] }],
    },
    'l1 and l1l2 on kernels and biases, softmax': {
      inputs: [{ name: 'x', units: 9 }],
      nodes: [
        reg(dense('h1', 7, 'tanh', 'x'), { l1: 0.02, l2: 0 }, { l1: 0.01, l2: 0.03 }),
        reg(dense('h2', 6, 'sigmoid', 'h1'), { l1: 0.01, l2: 0.02 }),
        dense('out', 4, 'softmax', 'h2'),
      ],
      outputs: [{ tensor: 'out', loss: 'sparseCategoricalCrossentropy', weight: 1, metrics: ['accuracy'] }],
    },
  };
  share(Object.entries(CASES)).forEach(([label, spec, i]) => {
    test(label, async () => {
      const r = await runCase(spec, { ...TRAIN, steps: 4, lastBatch: 3, seed: 500 + i });
      check(spec, r, `regularizers ${label}`);
      for (const [name, [weft, tf]] of Object.entries(r.fitLoss))
        expect(Math.abs(weft - tf), `${name} fit loss weft ${weft} vs tf ${tf}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(tf)));
    });
  });
});

describe('rank-3 dense and concatenate agree with TensorFlow.js', () => {
  // The tf.layers.concatenate doc example joins [null, 2, 3] and [null, 2, 4] on the last axis; dense
  // on [null, t, f] applies to the last axis (weft: views of [batch·t, f] rows, no kernel of their own).
  const CASES: Record<string, GraphSpec> = {
    'concatenate [null, 2, 3] + [null, 2, 4] → dense on the last axis → flatten → softmax': {
      inputs: [
        { name: 'a', units: 6, shape: [2, 3] },
        { name: 'b', units: 8, shape: [2, 4] },
      ],
      nodes: [
        { kind: 'concatenate', layer: 'join', inputs: ['a', 'b'], out: 'join' },
        dense('per_step', 5, 'relu', 'join'),
        { kind: 'flatten', layer: 'flat', inputs: ['per_step'], out: 'flat' },
        dense('out', 3, 'softmax', 'flat'),
      ],
      outputs: [{ tensor: 'out', loss: 'sparseCategoricalCrossentropy', weight: 1, metrics: ['accuracy'] }],
    },
    'dense on [null, 7, 5] twice (odd sizes), concat with its input, mse': {
      inputs: [{ name: 'seq', units: 35, shape: [7, 5] }],
      nodes: [
        dense('d1', 9, 'tanh', 'seq'),
        dense('d2', 4, 'sigmoid', 'd1'),
        { kind: 'concatenate', layer: 'cat', inputs: ['seq', 'd2'], out: 'cat' },
        dense('d3', 3, 'linear', 'cat'),
        { kind: 'flatten', layer: 'flat', inputs: ['d3'], out: 'flat' },
        dense('out', 2, 'linear', 'flat'),
      ],
      outputs: [{ tensor: 'out', loss: 'meanSquaredError', weight: 1, metrics: ['mae'] }],
    },
  };
  share(Object.entries(CASES)).forEach(([label, spec, i]) => {
    test(label, async () => {
      check(spec, await runCase(spec, { ...TRAIN, steps: 4, lastBatch: 5, seed: 600 + i }), `rank 3 ${label}`);
    });
  });
});

describe('evaluate with dense targets', () => {
  // The smallest model where weft's evaluate read its (gathered) mse / one-hot targets wrongly:
  // the numbers must not depend on the batch size, and must equal TensorFlow.js's.
  const spec: GraphSpec = {
    inputs: [{ name: 'x', units: 6 }],
    nodes: [dense('mse_out', 3, 'sigmoid', 'x'), dense('ce_out', 4, 'softmax', 'x')],
    outputs: [
      { tensor: 'mse_out', loss: 'meanSquaredError', weight: 1, metrics: ['mae'] },
      { tensor: 'ce_out', loss: 'categoricalCrossentropy', weight: 0.5, metrics: ['accuracy'] },
    ],
  };
  test('mse and categorical cross-entropy at batch sizes 40, 32, 8 and 1', async () => {
    const r = await inPage(
      page,
      async (s: GraphSpec) => {
        const O = window.weftOracle;
        const weft = window.weft;
        const tf = window.tf;
        const rows = 40;
        const data = O.makeData(s, rows, 7);
        const m = O.buildWeft(s, 7);
        const t = O.buildTf(s);
        const weights = await m.getWeights();
        t.setWeights(weights.map((w: any) => tf.tensor(w.dataSync(), w.shape)));
        const oracle = O.evaluateFromPredictions(
          s,
          t.predict(tf.tensor2d(data.xs[0], [rows, 6])).map((p: any) => p.dataSync()),
          data,
        );
        m.compile({
          optimizer: 'sgd',
          loss: s.outputs.map((o) => o.loss),
          lossWeights: s.outputs.map((o) => o.weight),
          metrics: { mse_out: ['mae'], ce_out: ['accuracy'] },
        });
        const x = weft.tensor(data.xs[0], [rows, 6]);
        const ys = [weft.tensor(data.ys[0].weft, [rows, 3]), weft.tensor(data.ys[1].weft, [rows, 4])];
        const byBatch: Record<string, number[]> = {};
        for (const b of [40, 32, 8, 1]) byBatch[b] = [await m.evaluate(x, ys, { batchSize: b })].flat().map((t) => t.dataSync()[0]!);
        return { oracle, byBatch, names: m.metricsNames };
      },
      spec,
    );
    expect(r.names).toEqual(['loss', 'mse_out_loss', 'ce_out_loss', 'mse_out_mae', 'ce_out_accuracy']);
    const wrong: string[] = [];
    for (const [b, values] of Object.entries(r.byBatch))
      values.forEach((v, i) => {
        if (!(Math.abs(v - r.oracle[i]!) <= EVALUATE_TOLERANCE * Math.max(1, Math.abs(r.oracle[i]!))))
          wrong.push(`batch ${b}, ${r.names[i]}: weft ${v} vs ${r.oracle[i]}`);
      });
    expect(wrong).toEqual([]);
  });
});
