// Property-based: random, partly invalid graphs, compile settings, arrays and options (fast-check,
// generated in node, run in the page). Every call either works — and then predict and evaluate agree
// with a float64 forward pass on the host, and fit leaves finite weights — or throws a WeftError,
// with the weights untouched. Never a WebGPU validation error, a hang, another error class, or a
// GPU buffer left behind after dispose(). WEFT_FUZZ_SEED / WEFT_FUZZ_RUNS override the seed / runs
// (each runtime has its own: RUNS below).
import fc from 'fast-check';
import type { Page } from 'puppeteer';
import { beforeAll, expect, test } from 'vitest';
import { inPage, openPage } from './harness.js';
import { type GpuRuntime, gpuRuntime } from './runtimeShare.js';

let page: Page;

type LayerSpec =
  | { kind: 'dense'; from: number; units: number; activation: string }
  | { kind: 'concatenate'; from: number; other: number }
  | { kind: 'add'; from: number; other: number }
  | { kind: 'activation'; from: number; activation: string }
  | { kind: 'dropout'; from: number; rate: number }
  | { kind: 'flatten'; from: number };

/** At most one deliberate fault per scenario (shape mismatches also arise on their own). */
const FAULTS = [
  // graph
  'inputDim0',
  'inputDimFraction',
  'units0',
  'unitsNegative',
  'unknownActivation',
  'dropoutRate',
  // compile
  'unknownOptimizer',
  'unknownLoss',
  'crossEntropyOnLinear',
  'unknownMetric',
  'lossCount',
  'negativeLossWeight',
  'learningRate0',
  // data
  'features',
  'rank',
  'nan',
  'infinity',
  'labelRange',
  'labelFraction',
  'oneHotSum',
  'targetShape',
  'targetNaN',
  'noRows',
  'rowMismatch',
  'disposedTensor',
  'foreignTensor',
  'missingTarget',
  // options
  'batchSize0',
  'batchSizeNegative',
  'batchSizeFraction',
  'epochsNegative',
  'initialEpochPastEpochs',
  'validationSplit',
  'badHook',
  'optionsNull',
] as const;

interface Scenario {
  inputs: number[][];
  layers: LayerSpec[];
  extraOutput: number | null;
  optimizer: string;
  losses: string[];
  metrics: string[];
  rows: number;
  storage: string[];
  options: { batchSize: number; epochs: number; validationSplit?: number | undefined; shuffle: boolean; terminateOnNaN: boolean };
  calls: string[];
  fault: (typeof FAULTS)[number] | null;
  seed: number;
}

const ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'];
const few = <T>(...values: T[]) => fc.constantFrom(...values);
const layer: fc.Arbitrary<LayerSpec> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('dense' as const), from: fc.nat(9), units: few(2, 3), activation: few(...ACTIVATIONS) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('concatenate' as const), from: fc.nat(9), other: fc.nat(9) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('add' as const), from: fc.nat(9), other: fc.nat(9) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('activation' as const), from: fc.nat(9), activation: few(...ACTIVATIONS) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dropout' as const), from: fc.nat(9), rate: few(0, 0.3) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flatten' as const), from: fc.nat(9) }) },
);

const scenario: fc.Arbitrary<Scenario> = fc.record({
  inputs: fc.array(fc.oneof({ weight: 6, arbitrary: few([2], [3]) }, { weight: 1, arbitrary: fc.constant([2, 2] as number[]) }), {
    minLength: 1,
    maxLength: 2,
  }),
  layers: fc.array(layer, { minLength: 1, maxLength: 4 }),
  extraOutput: fc.option(fc.nat(9), { freq: 3 }),
  optimizer: few('sgd', 'adam', 'rmsprop', 'adagrad', 'momentum'),
  losses: fc.array(few('sparseCategoricalCrossentropy', 'categoricalCrossentropy', 'meanSquaredError', 'mae'), { minLength: 2, maxLength: 2 }),
  metrics: few([], ['accuracy'], ['mse']),
  rows: few(5, 8),
  storage: fc.array(few('f32', 'f32', 'u8', 'int32'), { minLength: 2, maxLength: 2 }),
  options: fc.record({
    batchSize: few(4, 8),
    epochs: few(1, 2),
    validationSplit: fc.option(fc.constant(0.4), { freq: 3, nil: undefined }),
    shuffle: fc.boolean(),
    terminateOnNaN: fc.boolean(),
  }),
  calls: few(['fit', 'evaluate', 'predict'], ['predict'], ['evaluate', 'fit'], ['predict', 'fit', 'predict']),
  fault: fc.option(few(...FAULTS), { freq: 2 }),
  seed: fc.nat(1000),
});

beforeAll(async () => {
  page = await openPage();
  await inPage(
    page,
    () => {
      const weft = window.weft;
      const TIMEOUT_MS = 60_000;

      // ── float64 reference of the forward pass and the losses ──
      // `inner`: the last axis of a rank > 2 value (dense, concatenate and softmax work along it);
      // absent: the whole row is one last axis.
      type Mat = { rows: number; cols: number; v: Float64Array; inner?: number };
      const lastAxis = (m: Mat): number => m.inner ?? m.cols;
      const act = (m: Mat, a: string): Mat => {
        const v = new Float64Array(m.v.length);
        for (let i = 0; i < v.length; i++) {
          const x = m.v[i]!;
          v[i] = a === 'relu' ? Math.max(0, x) : a === 'sigmoid' ? 1 / (1 + Math.exp(-x)) : a === 'tanh' ? Math.tanh(x) : x;
        }
        const k = lastAxis(m);
        if (a === 'softmax')
          for (let at = 0; at < m.v.length; at += k) {
            let max = -Infinity;
            for (let c = 0; c < k; c++) max = Math.max(max, m.v[at + c]!);
            let sum = 0;
            for (let c = 0; c < k; c++) sum += v[at + c] = Math.exp(m.v[at + c]! - max);
            for (let c = 0; c < k; c++) v[at + c]! /= sum;
          }
        return { ...m, v };
      };
      const lossOf = (kind: string, p: Mat, target: Float32Array | Int32Array): number => {
        let total = 0;
        for (let r = 0; r < p.rows; r++) {
          let s = 0;
          for (let c = 0; c < p.cols; c++) {
            const q = p.v[r * p.cols + c]!;
            if (kind === 'sparse') s += c === target[r] ? -Math.log(q) : 0;
            else if (kind === 'categorical') s += -target[r * p.cols + c]! * Math.log(q);
            else if (kind === 'mse') s += (q - target[r * p.cols + c]!) ** 2 / p.cols;
            else s += Math.abs(q - target[r * p.cols + c]!) / p.cols;
          }
          total += s;
        }
        return total / p.rows;
      };
      const close = (a: number, b: number, tol = 2e-3) => Math.abs(a - b) <= tol * (1 + Math.abs(b));
      const bits = async (model: any) => {
        const ws = await model.getWeights();
        return ws.map((w: any) => Array.from(new Uint32Array(Float32Array.from(w.dataSync()).buffer)).join(',')).join(';');
      };
      const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

      window.fuzzRun = async (sc: any) => {
        const gpu = await weft.getGpu();
        const uncapturedBefore = gpu.uncapturedErrors.length;
        await settle();
        const memoryStart = weft.memory();
        const log: string[] = [];
        const problems: string[] = [];
        const random = window.weftTesting.lcg(sc.seed + 1);
        // A step that may throw: a WeftError is an outcome, anything else a problem.
        const attempt = async <T>(what: string, f: () => T | Promise<T>): Promise<{ ok: true; value: T } | { ok: false; message: string }> => {
          let timer: any;
          try {
            const value = await Promise.race([
              Promise.resolve().then(f),
              new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`HANG: ${what} took over ${TIMEOUT_MS} ms`)), TIMEOUT_MS))),
            ]);
            log.push(`${what}: ok`);
            return { ok: true, value };
          } catch (e: any) {
            const message = `${e?.name}: ${e?.message}`;
            log.push(`${what}: ${message}`);
            if (!(e instanceof weft.WeftError)) problems.push(`${what} threw a non-WeftError: ${message}`);
            return { ok: false, message };
          } finally {
            clearTimeout(timer);
          }
        };

        // ── the graph, recorded for the reference as it is built ──
        const fault: string | null = sc.fault;
        // uses: the model inputs a tensor depends on; softmax: whether it is a softmax's output.
        type Node = { tensor: any; ref: (env: Mat[], weights: Map<any, Float32Array[]>) => Mat; layer?: any; uses: number[]; softmax?: boolean };
        const nodes: Node[] = [];
        const inputs: any[] = [];
        for (const [i, declared] of sc.inputs.entries()) {
          const shape = i === 0 && fault === 'inputDim0' ? [0] : i === 0 && fault === 'inputDimFraction' ? [1.5] : declared;
          const r = await attempt(`input ${JSON.stringify(shape)}`, () => weft.input({ shape, name: `in${i}` }));
          if (!r.ok) return { log, problems };
          inputs.push(r.value);
          nodes.push({ tensor: r.value, ref: (env) => env[i]!, uses: [i] });
        }
        for (const [index, spec] of sc.layers.entries()) {
          const a = nodes[spec.from % nodes.length]!;
          const b = nodes[((spec.other ?? 0) + 1) % nodes.length]!;
          const last = index === sc.layers.length - 1;
          const r = await attempt(`${spec.kind} ${JSON.stringify(spec)}`, () => {
            switch (spec.kind) {
              case 'dense': {
                const units = last && fault === 'units0' ? 0 : last && fault === 'unitsNegative' ? -2 : spec.units;
                const activation = last && fault === 'unknownActivation' ? 'swish' : spec.activation;
                const l = weft.layers.dense({ units, activation, seed: Math.floor(random() * 1e6) });
                const t = l.apply(a.tensor);
                return {
                  tensor: t,
                  layer: l,
                  uses: a.uses,
                  softmax: activation === 'softmax',
                  ref: (env: Mat[], w: Map<any, Float32Array[]>) => {
                    // Along the last axis: each of a rank > 2 value's positions is a row of its own.
                    const x = a.ref(env, w);
                    const [k, bias] = w.get(l)!;
                    const inner = lastAxis(x);
                    const positions = (x.rows * x.cols) / inner;
                    const v = new Float64Array(positions * units);
                    for (let r = 0; r < positions; r++)
                      for (let c = 0; c < units; c++) {
                        let sum = bias![c]!;
                        for (let j = 0; j < inner; j++) sum += x.v[r * inner + j]! * k![j * units + c]!;
                        v[r * units + c] = sum;
                      }
                    const cols = (positions / x.rows) * units;
                    return act({ rows: x.rows, cols, v, ...(x.inner !== undefined ? { inner: units } : {}) }, activation);
                  },
                };
              }
              case 'concatenate': {
                const t = weft.layers.concatenate().apply([a.tensor, b.tensor]);
                return {
                  tensor: t,
                  uses: [...a.uses, ...b.uses],
                  ref: (env: Mat[], w: Map<any, Float32Array[]>) => {
                    // Along the last axis: position by position for rank > 2 values.
                    const x = a.ref(env, w);
                    const y = b.ref(env, w);
                    const [kx, ky] = [lastAxis(x), lastAxis(y)];
                    const positions = (x.rows * x.cols) / kx;
                    const cols = x.cols + y.cols;
                    const v = new Float64Array(x.rows * cols);
                    for (let p = 0; p < positions; p++) {
                      v.set(x.v.subarray(p * kx, (p + 1) * kx), p * (kx + ky));
                      v.set(y.v.subarray(p * ky, (p + 1) * ky), p * (kx + ky) + kx);
                    }
                    return { rows: x.rows, cols, v, ...(x.inner !== undefined ? { inner: kx + ky } : {}) };
                  },
                };
              }
              case 'add': {
                const t = weft.layers.add().apply([a.tensor, b.tensor]);
                return {
                  tensor: t,
                  uses: [...a.uses, ...b.uses],
                  ref: (env: Mat[], w: Map<any, Float32Array[]>) => {
                    const x = a.ref(env, w);
                    const y = b.ref(env, w);
                    return { ...x, v: x.v.map((q, i) => q + y.v[i]!) };
                  },
                };
              }
              case 'activation': {
                const t = weft.layers.activation({ activation: spec.activation }).apply(a.tensor);
                return {
                  tensor: t,
                  uses: a.uses,
                  softmax: spec.activation === 'softmax' || (spec.activation === 'linear' && a.softmax),
                  ref: (env: Mat[], w: Map<any, Float32Array[]>) => act(a.ref(env, w), spec.activation),
                };
              }
              case 'dropout': {
                const rate = last && fault === 'dropoutRate' ? 1 : spec.rate;
                return { tensor: weft.layers.dropout({ rate, seed: 5 }).apply(a.tensor), uses: a.uses, ref: a.ref };
              }
              case 'flatten':
                return {
                  tensor: weft.layers.flatten().apply(a.tensor),
                  uses: a.uses,
                  softmax: a.softmax,
                  ref: (env: Mat[], w: Map<any, Float32Array[]>) => {
                    const { inner: _inner, ...flat } = a.ref(env, w);
                    return flat;
                  },
                };
            }
            throw new Error(`unknown layer spec ${spec.kind}`);
          });
          if (!r.ok) return { log, problems };
          nodes.push(r.value as Node);
        }
        const outputs = [nodes[nodes.length - 1]!];
        if (sc.extraOutput !== null && nodes[sc.extraOutput % nodes.length] !== outputs[0]) outputs.push(nodes[sc.extraOutput % nodes.length]!);
        // Inputs no output uses are joined in by a last dense layer (an unused input is a fault of its own).
        const unused = inputs.map((_, i) => i).filter((i) => !outputs.some((o) => o.uses.includes(i)));
        if (unused.length) {
          const r = await attempt('join unused inputs', () => {
            const parts = [outputs[0]!, ...unused.map((i) => nodes[i]!)];
            const flat = parts.map((p) => (p.tensor.shape.length > 2 ? { ...p, tensor: weft.layers.flatten().apply(p.tensor) } : p));
            const joined = weft.layers.concatenate().apply(flat.map((p) => p.tensor));
            const l = weft.layers.dense({ units: 3, activation: 'softmax', seed: 99 });
            const t = l.apply(joined);
            const node: Node = {
              tensor: t,
              layer: l,
              uses: inputs.map((_, i) => i),
              softmax: true,
              ref: (env, w) => {
                const xs = flat.map((p) => p.ref(env, w));
                const cols = xs.reduce((c, x) => c + x.cols, 0);
                const [k, bias] = w.get(l)!;
                const v = new Float64Array(xs[0]!.rows * 3);
                for (let r = 0; r < xs[0]!.rows; r++) {
                  const row: number[] = [];
                  for (const x of xs) for (let j = 0; j < x.cols; j++) row.push(x.v[r * x.cols + j]!);
                  for (let c = 0; c < 3; c++) {
                    let sum = bias![c]!;
                    for (let j = 0; j < cols; j++) sum += row[j]! * k![j * 3 + c]!;
                    v[r * 3 + c] = sum;
                  }
                }
                return act({ rows: xs[0]!.rows, cols: 3, v }, 'softmax');
              },
            };
            return node;
          });
          if (!r.ok) return { log, problems };
          nodes.push(r.value);
          outputs[0] = r.value;
        }
        const built = await attempt('model', () => weft.model({ inputs, outputs: outputs.map((o) => o.tensor) }));
        if (!built.ok) return { log, problems };
        const model = built.value as any;
        // Cross-entropy needs a softmax output: other outputs get a pointwise loss (but for the fault).
        const lossNames = outputs.map((o, i) =>
          o.softmax || (i === 0 && fault === 'crossEntropyOnLinear')
            ? sc.losses[i]
            : sc.losses[i] === 'categoricalCrossentropy'
              ? 'meanSquaredError'
              : sc.losses[i] === 'sparseCategoricalCrossentropy'
                ? 'mae'
                : sc.losses[i],
        );
        if (fault === 'crossEntropyOnLinear' && !outputs[0]!.softmax) lossNames[0] = 'categoricalCrossentropy';
        const optimizer =
          fault === 'unknownOptimizer'
            ? 'adamw'
            : fault === 'learningRate0'
              ? () => weft.train.sgd(0)
              : sc.optimizer === 'momentum'
                ? weft.train.sgd(0.01, { momentum: 0.9 })
                : sc.optimizer;
        const compileArgs = {
          optimizer,
          loss: fault === 'unknownLoss' ? ['hinge', ...lossNames.slice(1)] : fault === 'lossCount' ? [...lossNames, 'mse'] : lossNames,
          metrics: fault === 'unknownMetric' ? ['f1'] : sc.metrics,
          ...(fault === 'negativeLossWeight' ? { lossWeights: lossNames.map(() => -1) } : {}),
        };
        await attempt('compile', () => model.compile({ ...compileArgs, optimizer: typeof optimizer === 'function' ? optimizer() : optimizer }));

        // ── data: valid arrays, then the scenario's fault ──
        const n = fault === 'noRows' ? 0 : sc.rows;
        const xs: any[] = inputs.map((t: any, i: number) => {
          const shape = [n, ...t.shape.slice(1)];
          const size = shape.reduce((p: number, q: number) => p * q, 1);
          const storage = sc.storage[i];
          if (storage === 'u8')
            return weft.tensor(
              Uint8Array.from({ length: size }, () => Math.floor(random() * 4)),
              shape,
            );
          if (storage === 'int32')
            return weft.tensor(
              Int32Array.from({ length: size }, () => Math.floor(random() * 5) - 2),
              shape,
            );
          const v = Float32Array.from({ length: size }, () => random() * 2 - 1);
          if (i === 0 && fault === 'nan' && size > 0) v[size - 1] = NaN;
          if (i === 0 && fault === 'infinity' && size > 0) v[0] = -Infinity;
          if (i === 0 && fault === 'features') return weft.tensor(new Float32Array(n * 7), [n, 7]);
          if (i === 0 && fault === 'rank') return weft.tensor(v, [...shape, 1]);
          return weft.tensor(v, shape);
        });
        if (fault === 'disposedTensor') xs[0].dispose();
        if (fault === 'foreignTensor') xs[0] = window.weftTesting.weft.tensor(xs[0].dataSync(), xs[0].shape);
        const units = outputs.map((o) => o.tensor.shape.slice(1).reduce((p: number, q: number) => p * q, 1));
        const ys: any[] = outputs.map((_, i) => {
          const u = units[i]!;
          const loss = lossNames[i];
          const rows = i === 0 && fault === 'rowMismatch' ? n + 1 : n;
          const first = i === 0;
          if (loss === 'sparseCategoricalCrossentropy') {
            const labels = Float32Array.from({ length: rows }, () => Math.floor(random() * u));
            if (first && fault === 'labelRange' && rows > 0) labels[0] = u;
            if (first && fault === 'labelFraction' && rows > 0) labels[0] = 0.5;
            if (first && fault === 'targetNaN' && rows > 0) labels[0] = NaN;
            return weft.tensor(labels, first && fault === 'targetShape' ? [rows, 1, 1] : [rows]);
          }
          const v = new Float32Array(rows * u);
          if (loss === 'categoricalCrossentropy') for (let r = 0; r < rows; r++) v[r * u + Math.floor(random() * u)] = 1;
          else for (let j = 0; j < v.length; j++) v[j] = random() * 2 - 1;
          if (first && fault === 'oneHotSum' && rows > 0) v[0] = v[0]! + 0.5;
          if (first && fault === 'targetNaN' && rows > 0) v[0] = NaN;
          if (first && fault === 'targetShape') return weft.tensor(new Float32Array(rows * (u + 1)), [rows, u + 1]);
          return weft.tensor(v, [rows, u]);
        });
        const callbacks = fault === 'badHook' ? { onEpochEnd: 'later' } : sc.options.terminateOnNaN ? [weft.callbacks.terminateOnNaN()] : undefined;
        const batchSize = fault === 'batchSize0' ? 0 : fault === 'batchSizeNegative' ? -3 : fault === 'batchSizeFraction' ? 2.5 : sc.options.batchSize;
        const fitOptions =
          fault === 'optionsNull'
            ? null
            : {
                batchSize,
                epochs: fault === 'epochsNegative' ? -1 : fault === 'initialEpochPastEpochs' ? 1 : sc.options.epochs,
                ...(fault === 'initialEpochPastEpochs' ? { initialEpoch: 2 } : {}),
                ...(fault === 'validationSplit' ? { validationSplit: 1.5 } : sc.options.validationSplit ? { validationSplit: sc.options.validationSplit } : {}),
                shuffle: sc.options.shuffle,
                callbacks,
                verbose: 0,
                seed: sc.seed,
              };
        const targets = fault === 'missingTarget' ? undefined : ys;

        // ── the calls, each checked ──
        const reference = async (): Promise<Mat[]> => {
          const weights = new Map<any, Float32Array[]>();
          for (const node of nodes)
            if (node.layer)
              weights.set(
                node.layer,
                (await node.layer.getWeights()).map((t: any) => Float32Array.from(t.dataSync())),
              );
          const env = xs.map((x: any, i: number) => {
            const declared = sc.inputs[i]!;
            const rank3 = declared.length > 1 ? { inner: declared[declared.length - 1]! } : {};
            return { rows: n, cols: x.size / Math.max(1, n), v: Float64Array.from(x.dataSync()), ...rank3 };
          });
          return outputs.map((o) => o.ref(env, weights));
        };
        const lossKind = (name: string) =>
          name === 'sparseCategoricalCrossentropy'
            ? 'sparse'
            : name === 'categoricalCrossentropy'
              ? 'categorical'
              : name === 'meanSquaredError'
                ? 'mse'
                : 'mae';
        for (const call of sc.calls) {
          const before = await bits(model);
          const r = await attempt(call, () =>
            call === 'fit'
              ? model.fit(xs, targets, fitOptions)
              : call === 'evaluate'
                ? model.evaluate(xs, targets, { batchSize })
                : model.predict(xs, { batchSize }),
          );
          const after = await bits(model);
          if (!r.ok) {
            if (before !== after && !/diverged|terminateOnNaN/.test(r.message)) problems.push(`${call} failed but changed the weights`);
            continue;
          }
          if (call === 'predict') {
            const got = (Array.isArray(r.value) ? r.value : [r.value]) as any[];
            const want = await reference();
            want.forEach((w, i) => {
              const g = got[i].dataSync();
              if (got[i].shape[0] !== n || g.length !== w.v.length) problems.push(`predict output ${i}: shape [${got[i].shape}] for ${n} rows × ${w.cols}`);
              else
                for (let j = 0; j < g.length; j++)
                  if (!close(g[j], w.v[j]!)) {
                    problems.push(`predict output ${i}[${j}] = ${g[j]}, the reference says ${w.v[j]}`);
                    break;
                  }
            });
          } else if (call === 'evaluate') {
            const values = [r.value as any].flat().map((t: any) => t.dataSync()[0]);
            const want = await reference();
            const total = want.reduce((sum, p, i) => sum + lossOf(lossKind(lossNames[i]), p, ys[i].dataSync()), 0);
            if (!close(values[0], total)) problems.push(`evaluate loss ${values[0]}, the reference says ${total}`);
          } else {
            const history = r.value as any;
            const weightsFinite = (await model.getWeights()).every((t: any) => Array.from(t.dataSync() as Float32Array).every(Number.isFinite));
            if (!weightsFinite) problems.push('fit resolved with non-finite weights');
            const losses: number[] = history.history.loss ?? [];
            if (losses.some((l) => !Number.isFinite(l)) && !sc.options.terminateOnNaN) problems.push(`fit resolved with losses ${losses}`);
          }
        }
        model.dispose();
        await settle();
        const memoryEnd = weft.memory();
        if (memoryEnd.numBuffers !== memoryStart.numBuffers || memoryEnd.numBytes !== memoryStart.numBytes)
          problems.push(`GPU memory after dispose: ${JSON.stringify(memoryEnd)}, before: ${JSON.stringify(memoryStart)}`);
        const uncaptured = gpu.uncapturedErrors.slice(uncapturedBefore);
        if (uncaptured.length) problems.push(`WebGPU errors: ${uncaptured.join(' | ')}`);
        return { log, problems };
      };
    },
    undefined,
  );
});

// Each runtime fuzzes its own scenarios: Node on Dawn, where a scenario costs a third of Chromium's
// (12 s against 35 s for the same 40 in one `npm test`), runs 40, Chromium 12 others (another seed), so
// that the two together see 52 different scenarios in about a third less time than 40 twice.
const RUNS: Record<GpuRuntime, { seed: number; numRuns: number }> = {
  node: { seed: 20251129, numRuns: 40 },
  chromium: { seed: 20261202, numRuns: 12 },
};

test('random, partly invalid graphs and calls: each works (and is right) or throws a WeftError', async () => {
  const runs = RUNS[gpuRuntime()];
  const seed = Number(process.env.WEFT_FUZZ_SEED ?? runs.seed);
  const numRuns = Number(process.env.WEFT_FUZZ_RUNS ?? runs.numRuns);
  const outcomes = new Map<string, number>();
  const t0 = Date.now();
  await fc.assert(
    fc.asyncProperty(scenario, async (sc) => {
      const r = await inPage(page, (s: Scenario) => window.fuzzRun(s), sc);
      for (const line of r.log) {
        const [what, ...rest] = line.split(': ');
        const outcome = rest.join(': ');
        const kind = `${what!.split(' ')[0]} → ${outcome === 'ok' ? 'ok' : outcome.replace(/^(\w+: [^'"(]{0,60}).*$/s, '$1')}`;
        outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
      }
      if (r.problems.length) throw new Error(`${r.problems.join('\n')}\n-- log --\n${r.log.join('\n')}`);
    }),
    { seed, numRuns, endOnFailure: true },
  );
  console.log(`${numRuns} scenarios in ${((Date.now() - t0) / 1000).toFixed(1)} s (seed ${seed}); outcomes:`);
  for (const [kind, count] of [...outcomes].sort((a, b) => b[1] - a[1])) console.log(`  ${count} × ${kind}`);
  for (const call of ['fit', 'evaluate', 'predict']) expect(outcomes.get(`${call} → ok`) ?? 0, call).toBeGreaterThan(0);
});
