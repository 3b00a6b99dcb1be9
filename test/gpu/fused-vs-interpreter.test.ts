// Every pass, numerically: one fused GPU training step equals the unfused float64 interpreter
// (forward outputs, loss and metrics, gradients through one optimizer step) on the article's four
// models and on graphs with odd sizes.
import type { Page } from 'puppeteer';
import { beforeAll, expect, test } from 'vitest';
import { inPage, openPage } from './harness.js';
import { thisRuntimesShare } from './runtimeShare.js';

let page: Page;
beforeAll(async () => {
  page = await openPage();
});

interface Case {
  name: string;
  features: number;
  units: [number, number];
  classes: number;
  kind: 'mlp' | 'wideDeep' | 'multiInput' | 'multiOutput';
  batch: number;
  optimizer: 'sgd' | 'adam' | 'momentum' | 'rmsprop' | 'adagrad';
  /** Sigmoid outputs with binaryCrossentropy and 0/1 targets of shape [n] (classes must be 1). */
  binary?: boolean;
  /** fit's classWeight (the same {class: weight} map for every output): weighted losses and gradients. */
  classWeight?: Record<number, number>;
  /** l1l2 kernelRegularizer on the hidden layers (penalty in fit's loss, its gradient in the optimizer). */
  regularizer?: { l1: number; l2: number };
}

const cases: Case[] = [
  { name: 'MLP', kind: 'mlp', features: 784, units: [30, 30], classes: 10, batch: 32, optimizer: 'sgd' },
  { name: 'wide & deep', kind: 'wideDeep', features: 784, units: [30, 30], classes: 10, batch: 32, optimizer: 'sgd' },
  { name: 'two inputs', kind: 'multiInput', features: 784, units: [30, 30], classes: 10, batch: 32, optimizer: 'sgd' },
  { name: 'two outputs', kind: 'multiOutput', features: 784, units: [30, 30], classes: 10, batch: 32, optimizer: 'adam' },
  { name: 'odd MLP', kind: 'mlp', features: 61, units: [13, 7], classes: 5, batch: 37, optimizer: 'momentum' },
  { name: 'odd wide & deep', kind: 'wideDeep', features: 37, units: [9, 3], classes: 3, batch: 19, optimizer: 'rmsprop' },
  { name: 'odd two outputs', kind: 'multiOutput', features: 30, units: [11, 5], classes: 7, batch: 13, optimizer: 'adagrad' },
  { name: 'binary MLP', kind: 'mlp', features: 23, units: [9, 5], classes: 1, batch: 16, optimizer: 'adam', binary: true },
  { name: 'binary two outputs', kind: 'multiOutput', features: 30, units: [11, 5], classes: 1, batch: 13, optimizer: 'sgd', binary: true },
  {
    name: 'class-weighted odd MLP',
    kind: 'mlp',
    features: 29,
    units: [13, 7],
    classes: 5,
    batch: 11,
    optimizer: 'adam',
    classWeight: { 0: 0.5, 1: 2, 2: 1, 3: 3.5, 4: 0.25 },
  },
  {
    name: 'class-weighted binary two outputs',
    kind: 'multiOutput',
    features: 30,
    units: [11, 5],
    classes: 1,
    batch: 13,
    optimizer: 'sgd',
    binary: true,
    classWeight: { 0: 0.3, 1: 2.5 },
  },
  { name: 'regularized odd MLP', kind: 'mlp', features: 29, units: [13, 7], classes: 5, batch: 11, optimizer: 'adam', regularizer: { l1: 0.01, l2: 0.05 } },
  {
    name: 'regularized two outputs, class-weighted',
    kind: 'multiOutput',
    features: 30,
    units: [11, 5],
    classes: 4,
    batch: 13,
    optimizer: 'momentum',
    regularizer: { l1: 0, l2: 0.1 },
    classWeight: { 0: 1, 1: 2, 2: 0.5, 3: 3 },
  },
];

// Both GPU projects run this file; each runs its share of the cases (test/gpu/runtimeShare.ts).
test.each(thisRuntimesShare(cases, (c) => c.name))('$name ($optimizer, batch $batch)', async (c) => {
  const r = await inPage(
    page,
    async (c: Case) => {
      const T = window.weftTesting;
      const weft = T.weft;
      const random = window.weftTesting.lcg(12345);
      const rows = c.batch * 2 + 3; // two full batches and a partial one
      const half = Math.floor(c.features / 2);
      // Build the model.
      const inputs: any[] = [];
      let deep: any;
      let wide: any;
      if (c.kind === 'multiInput' || c.kind === 'multiOutput') {
        wide = weft.input({ shape: [half], name: 'wide_input' });
        deep = weft.input({ shape: [c.features - half], name: 'deep_input' });
        inputs.push(wide, deep);
      } else {
        deep = wide = weft.input({ shape: [c.features] });
        inputs.push(deep);
      }
      const reg = c.regularizer ? { kernelRegularizer: weft.regularizers.l1l2(c.regularizer) } : {};
      const h1 = weft.layers.dense({ units: c.units[0], activation: 'relu', seed: 1, ...reg }).apply(deep);
      const h2 = weft.layers.dense({ units: c.units[1], activation: c.kind === 'mlp' ? 'tanh' : 'relu', seed: 2, ...reg }).apply(h1);
      const outputs: any[] = [];
      const head = c.binary ? 'sigmoid' : 'softmax';
      const lossName = c.binary ? 'binaryCrossentropy' : 'sparseCategoricalCrossentropy';
      if (c.kind === 'mlp') outputs.push(weft.layers.dense({ units: c.classes, activation: head, seed: 3, name: 'main_output' }).apply(h2));
      else {
        const concat = weft.layers.concatenate().apply([wide, h2]);
        outputs.push(weft.layers.dense({ units: c.classes, activation: head, seed: 3, name: 'main_output' }).apply(concat));
      }
      if (c.kind === 'multiOutput') outputs.push(weft.layers.dense({ units: c.classes, activation: head, seed: 4, name: 'aux_output' }).apply(h2));
      const model = weft.model({ inputs, outputs });
      const optimizer =
        c.optimizer === 'sgd'
          ? weft.train.sgd(0.1)
          : c.optimizer === 'adam'
            ? weft.train.adam(0.01)
            : c.optimizer === 'momentum'
              ? weft.train.sgd(0.05, { momentum: 0.9, nesterov: true })
              : c.optimizer === 'rmsprop'
                ? weft.train.rmsprop(0.01)
                : weft.train.adagrad(0.1);
      const lossWeights = outputs.length === 2 ? [0.7, 0.3] : [1];
      model.compile({ optimizer, loss: lossName, metrics: ['accuracy'], lossWeights });
      // Data: random features (never zeros), labels.
      const xs = inputs.map((inp: any) => {
        const cols = inp.shape[1];
        return Float64Array.from({ length: rows * cols }, () => random() * 2 - 1);
      });
      const labels = Int32Array.from({ length: rows }, () => Math.floor(random() * (c.binary ? 2 : c.classes)));
      const xTensors = xs.map((x: Float64Array, i: number) => weft.tensor(Float32Array.from(x), [rows, inputs[i].shape[1]]));
      // Binary targets as TensorFlow.js programs give them: 0/1 floats of shape [n] for one unit.
      const yTensors = outputs.map(() => (c.binary ? weft.tensor(Float32Array.from(labels), [rows]) : weft.tensor(labels, [rows])));
      const initial = (await model.getWeights()).map((w: any) => Float64Array.from(w.dataSync()));
      const f32 = (a: ArrayLike<number>) => Float64Array.from(Float32Array.from(a));
      const xs32 = xs.map(f32);

      // Reference: the unfused float64 graph, step by step over the same batches.
      const specs = outputs.map((o: any, i: number) => {
        const loss = T.resolveLoss(lossName, o.sourceLayer.name);
        return {
          name: o.sourceLayer.name,
          units: c.classes,
          loss,
          weight: lossWeights[i]!,
          metrics: [T.resolveMetric('accuracy', loss, c.classes, o.sourceLayer.name)],
        };
      });
      const lowerable = { inputs, outputs, topology: model.topology, weights: model.weights };
      const params = initial.map((w: Float64Array) => Float64Array.from(w));
      const slots = params.map((p: Float64Array): [Float64Array, Float64Array] => [
        new Float64Array(p.length).fill(c.optimizer === 'adagrad' ? 0.1 : 0),
        new Float64Array(p.length),
      ]);
      const lossSums = new Map<number, number>();
      const sizes = [c.batch, c.batch, rows - 2 * c.batch];
      let start = 0;
      sizes.forEach((b, step) => {
        const weighted = c.classWeight ? outputs.map((_: unknown, i: number) => i) : [];
        const graph = T.ir.unfusedGraph(T.lowerModel(lowerable, b, 'train', specs, weighted), 'train');
        const batchLabels = Array.from(labels.subarray(start, start + b));
        const env = {
          inputs: xs32.map((x: Float64Array, i: number) => x.subarray(start * inputs[i].shape[1], (start + b) * inputs[i].shape[1])),
          targets: outputs.map(() => batchLabels),
          sampleWeights: outputs.map(() => (c.classWeight ? batchLabels.map((l) => Math.fround(c.classWeight![l]!)) : undefined)),
          params,
        };
        const result = T.ir.interpret(graph, env);
        for (const [slot, v] of result.slots) lossSums.set(slot, (lossSums.get(slot) ?? 0) + v);
        const t = step + 1;
        graph.paramGrads!.forEach((g: number | null, p: number) => {
          if (g === null) return;
          const data = result.values[g]!.data;
          const w = params[p]!;
          // The penalty's gradient (TensorFlow.js's: l1 times its gradient of abs, −1 at 0).
          const r = model.weights[p]!.regularizer;
          const grad = r ? data.map((d: number, i: number) => d + 2 * r.l2 * w[i]! + r.l1 * (w[i]! > 0 ? 1 : -1)) : data;
          const [s0, s1] = slots[p]!;
          for (let i = 0; i < w.length; i++) {
            const gi = grad[i]!;
            switch (c.optimizer) {
              case 'sgd':
                w[i]! -= 0.1 * gi;
                break;
              case 'momentum':
                s0[i] = 0.9 * s0[i]! + gi;
                w[i]! -= 0.05 * (gi + 0.9 * s0[i]!);
                break;
              case 'adam': {
                s0[i] = 0.9 * s0[i]! + 0.1 * gi;
                s1[i] = 0.999 * s1[i]! + 0.001 * gi * gi;
                w[i]! -= (0.01 * (s0[i]! / (1 - 0.9 ** t))) / (Math.sqrt(s1[i]! / (1 - 0.999 ** t)) + 1e-7);
                break;
              }
              case 'rmsprop':
                s0[i] = 0.9 * s0[i]! + 0.1 * gi * gi;
                s1[i] = 0 * s1[i]! + (0.01 * gi) / Math.sqrt(s0[i]! + 1e-7);
                w[i]! -= s1[i]!;
                break;
              case 'adagrad':
                s0[i]! += gi * gi;
                w[i]! -= (0.1 * gi) / Math.sqrt(s0[i]! + 1e-7);
                break;
            }
          }
        });
        start += b;
      });

      // GPU: evaluate and predict before training, then one epoch (3 steps, no shuffle).
      const before = T.lowerModel(lowerable, rows, 'evaluate', specs);
      const refEval = T.ir.interpret(T.ir.unfusedGraph(before, 'evaluate'), { inputs: xs32, targets: outputs.map(() => Array.from(labels)), params: initial });
      const gpuEval = await model.evaluate(xTensors.length === 1 ? xTensors[0] : xTensors, yTensors.length === 1 ? yTensors[0] : yTensors, {
        batchSize: c.batch,
      });
      const predictGraph = T.lowerModel(lowerable, rows, 'predict', specs);
      const refPredict = T.ir.interpret(predictGraph, { inputs: xs32, targets: [], params: initial });
      const gpuPredict = await model.predict(xTensors.length === 1 ? xTensors[0] : xTensors, { batchSize: c.batch });
      const predictions = (Array.isArray(gpuPredict) ? gpuPredict : [gpuPredict]).map((t: any) => Array.from(t.dataSync() as Float32Array));
      const history = await model.fit(xTensors.length === 1 ? xTensors[0] : xTensors, yTensors.length === 1 ? yTensors[0] : yTensors, {
        epochs: 1,
        batchSize: c.batch,
        shuffle: false,
        verbose: 0,
        ...(c.classWeight ? { classWeight: outputs.length === 1 ? c.classWeight : ['main_output', 'aux_output'].map(() => c.classWeight!) } : {}),
      });
      const after = (await model.getWeights()).map((w: any) => Array.from(w.dataSync() as Float32Array));
      const explain = await model.explain(c.batch);
      return {
        after,
        expected: params.map((p: Float64Array) => Array.from(p)),
        gpuEval: [gpuEval].flat().map((t) => t.dataSync()[0]!),
        refEvalSlots: Object.fromEntries(refEval.slots),
        rows,
        lossWeights,
        predictions,
        refPredictions: predictGraph.outputs.map((o: number) => Array.from(refPredict.values[o]!.data)),
        trainLoss: history.history.loss![0],
        refTrainSlots: Object.fromEntries(lossSums),
        penaltySlot: c.regularizer ? T.slotLayout(specs).penaltySlot : -1,
        dispatches: explain.dispatchesPerTrainStep,
      };
    },
    c,
  );
  const relErr = (a: number[], b: number[]) => {
    let num = 0;
    let den = 0;
    for (let i = 0; i < a.length; i++) {
      num = Math.max(num, Math.abs(a[i]! - b[i]!));
      den = Math.max(den, Math.abs(b[i]!));
    }
    return num / Math.max(den, 1e-6);
  };
  r.predictions.forEach((p, i) => expect(relErr(p, r.refPredictions[i]!)).toBeLessThan(1e-4));
  const outs = r.lossWeights.length;
  const refLosses = r.lossWeights.map((_, i) => r.refEvalSlots[i]! / r.rows);
  const refTotal = refLosses.reduce((s, l, i) => s + l * r.lossWeights[i]!, 0);
  expect(r.gpuEval[0]).toBeCloseTo(refTotal, 4);
  if (outs > 1) refLosses.forEach((l, i) => expect(r.gpuEval[1 + i]).toBeCloseTo(l, 4));
  for (let i = 0; i < outs; i++) expect(r.gpuEval[r.gpuEval.length - outs + i]).toBeCloseTo(r.refEvalSlots[outs + i]! / r.rows, 6);
  const penalty = r.penaltySlot >= 0 ? r.refTrainSlots[r.penaltySlot]! / r.rows : 0;
  expect(r.trainLoss).toBeCloseTo(r.lossWeights.reduce((s, w, i) => s + (w * r.refTrainSlots[i]!) / r.rows, 0) + penalty, 4);
  r.after.forEach((w: number[], i: number) => expect(relErr(w, r.expected[i]!), `weight ${i}`).toBeLessThan(1e-4));
  console.log(`dispatches per train step: ${r.dispatches}`);
});
