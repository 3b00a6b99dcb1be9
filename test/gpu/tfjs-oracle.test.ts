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
import type { Activation, CaseOptions, CaseReport, GraphSpec, LossName, NodeSpec, OutputSpec } from './oracle/page.js';
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
  return inPage(page, ([s, o]) => (window as any).weftOracle.runCase(s, o), [spec, options] as [GraphSpec, CaseOptions]);
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
    expect(Math.abs(v - want) / Math.max(1, Math.abs(want)), `evaluate ${r.metricsNames[i]}: weft ${v} vs ${want}; ${context}`).toBeLessThanOrEqual(EVALUATE_TOLERANCE);
  });
  expect(r.sgd.maxAbs, `SGD weights: ${r.sgd.worst}; ${context}`).toBeLessThanOrEqual(WEIGHT_TOLERANCE);
  expect(r.adam.maxAbs, `Adam weights: ${r.adam.worst}; ${context}`).toBeLessThanOrEqual(WEIGHT_TOLERANCE);
  // and the weights really moved, by far more than they differ (two models that did not train would match too)
  expect(r.sgd.maxAbs, 'SGD: weights moved less than 100× their difference').toBeLessThanOrEqual(r.moved.sgd / 100);
  expect(r.adam.maxAbs, 'Adam: weights moved less than 100× their difference').toBeLessThanOrEqual(r.moved.adam / 100);
}

const TRAIN: Omit<CaseOptions, 'seed'> = { batchSize: 8, steps: 5, sgd: 0.1, adam: 0.01 };

// ── the article's four models ──

const dense = (layer: string, units: number, activation: Activation, input: string, out = layer): NodeSpec => ({ kind: 'dense', layer, units, activation, inputs: [input], out });
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
  Object.entries(ARTICLE).forEach(([label, spec], i) => {
    test(label, async () => {
      check(spec, await runCase(spec, { ...TRAIN, seed: 100 + i }), label);
    });
  });
});

// ── random graphs ──

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ACTIVATIONS: Activation[] = ['relu', 'sigmoid', 'tanh', 'linear', 'softmax'];

/**
 * A random functional model: 1–3 inputs, 2–6 hidden layer applications (dense with any activation,
 * with or without bias; concatenations of 2–4 tensors, repeats allowed; activation layers; dense layers
 * applied a second time to another tensor of the same width), then 1–3 output heads reading one
 * tensor or a concatenation, each with its loss (both cross-entropies behind a softmax — in the dense
 * layer or in a separate activation layer — or mse/mae behind any activation) and loss weight.
 */
function randomGraph(seed: number): GraphSpec {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  type Ref = { ref: string; units: number; deps: Set<string> };
  const inputs = Array.from({ length: int(1, 3) }, (_, i) => ({ name: `in${i}`, units: int(2, 9) }));
  const pool: Ref[] = inputs.map((i) => ({ ref: i.name, units: i.units, deps: new Set([i.name]) }));
  const nodes: NodeSpec[] = [];
  const denseLayers: { layer: string; inUnits: number; units: number; activation: Activation; useBias: boolean; applied: Set<string> }[] = [];
  let count = 0;
  const fresh = (prefix: string) => `${prefix}${count++}`;
  const add = (node: NodeSpec, units: number, deps: Set<string>): Ref => {
    nodes.push(node);
    const ref = { ref: node.out, units, deps };
    pool.push(ref);
    return ref;
  };
  const union = (refs: Ref[]) => new Set(refs.flatMap((x) => [...x.deps]));
  const concat = (refs: Ref[]): Ref =>
    refs.length === 1
      ? refs[0]!
      : add({ kind: 'concatenate', layer: fresh('concat'), inputs: refs.map((x) => x.ref), out: fresh('t') }, refs.reduce((s, x) => s + x.units, 0), union(refs));
  const applyDense = (src: Ref, units: number, activation: Activation, useBias: boolean): Ref => {
    const layer = fresh('dense');
    denseLayers.push({ layer, inUnits: src.units, units, activation, useBias, applied: new Set([src.ref]) });
    return add({ kind: 'dense', layer, units, activation, useBias, inputs: [src.ref], out: fresh('t') }, units, src.deps);
  };

  const hidden = int(2, 6);
  for (let k = 0; k < hidden; k++) {
    const op = r();
    if (op < 0.35) {
      const src = pick(pool);
      // sometimes as wide as the input, so that it can be shared later
      applyDense(src, r() < 0.4 ? src.units : int(2, 10), pick(ACTIVATIONS), r() > 0.2);
    } else if (op < 0.6) {
      concat(Array.from({ length: int(2, 4) }, () => pick(pool)));
    } else if (op < 0.85) {
      const candidates = denseLayers.flatMap((l) => pool.filter((t) => t.units === l.inUnits && !l.applied.has(t.ref)).map((t) => [l, t] as const));
      if (candidates.length === 0) {
        const src = pick(pool);
        applyDense(src, src.units, pick(ACTIVATIONS), r() > 0.2);
        continue;
      }
      const [l, src] = pick(candidates);
      l.applied.add(src.ref);
      add({ kind: 'dense', layer: l.layer, units: l.units, activation: l.activation, useBias: l.useBias, inputs: [src.ref], out: fresh('t') }, l.units, src.deps);
    } else {
      const src = pick(pool);
      add({ kind: 'activation', layer: fresh('act'), activation: pick(ACTIVATIONS), inputs: [src.ref], out: fresh('t') }, src.units, src.deps);
    }
  }

  const heads = Array.from({ length: int(1, 3) }, () => {
    const hiddenRefs = pool.filter((t) => !inputs.some((i) => i.name === t.ref));
    return Array.from({ length: int(1, 3) }, () => (hiddenRefs.length > 0 && r() < 0.8 ? pick(hiddenRefs) : pick(pool)));
  });
  const reached = union(heads.flat());
  for (const i of pool.slice(0, inputs.length)) if (!reached.has(i.ref)) heads[0]!.push(i);
  const outputs: OutputSpec[] = heads.map((sources) => {
    const src = concat(sources);
    const loss: LossName = pick(['sparseCategoricalCrossentropy', 'categoricalCrossentropy', 'meanSquaredError', 'meanSquaredError', 'meanAbsoluteError']);
    const weight = pick([1, 1, 0.7, 0.3, 2]);
    const units = int(2, 6);
    if (loss === 'sparseCategoricalCrossentropy' || loss === 'categoricalCrossentropy') {
      const separate = r() < 0.3;
      const head = applyDense(src, units, separate ? 'linear' : 'softmax', true);
      const out = separate ? add({ kind: 'activation', layer: fresh('softmax'), activation: 'softmax', inputs: [head.ref], out: fresh('t') }, units, head.deps) : head;
      return { tensor: out.ref, loss, weight, metrics: ['accuracy'] };
    }
    const out = applyDense(src, units, pick(ACTIVATIONS), true);
    return { tensor: out.ref, loss, weight, metrics: pick([['mse'], ['mae'], [], ['mse', 'mae']]) };
  });
  return { inputs, nodes, outputs };
}

describe('random graphs agree with TensorFlow.js', () => {
  const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];
  for (const seed of SEEDS) {
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
    expect(specs.some((s) => s.nodes.length > new Set(s.nodes.map((n) => n.layer)).size), 'a shared layer').toBe(true);
    expect(specs.some((s) => s.inputs.length > 1), 'several inputs').toBe(true);
    expect(specs.some((s) => s.outputs.length > 1), 'several outputs').toBe(true);
    expect(specs.some((s) => s.nodes.some((n) => n.kind === 'concatenate' && n.inputs.length > 2)), 'a concat of 3+').toBe(true);
    const losses = new Set(specs.flatMap((s) => s.outputs.map((o) => o.loss)));
    expect(losses.size).toBe(4);
    const activations = new Set(specs.flatMap((s) => s.nodes.flatMap((n) => (n.kind === 'concatenate' ? [] : [n.activation]))));
    expect(activations.size).toBe(5);
  });
});
