// The functional model: weft.model({inputs, outputs}), with compile / fit / evaluate / predict and
// weights in TensorFlow.js order and layout.

import { createRandom, nextSeed, shuffledIndices } from './random.js';
import { Callback, History, TerminateOnNaN, type CallbackHooks, type Logs } from './callbacks.js';
import { resolveLoss, resolveMetric, resolveOptimizer, type Optimizer } from './compileConfig.js';
import { inputArray, normalizeTensors, sampleCount, sliceRows, targetArray } from './data.js';
import { Engine, type InputStorage, type ResidentData } from './engine.js';
import { fail, WeftError } from './errors.js';
import type { Layer, LayerWeight } from './layers/layer.js';
import { slotLayout, type OutputSpec } from './lowerModel.js';
import type { SymbolicTensor } from './symbolic.js';
import { Tensor } from './tensor.js';
import { buildTopology, type Topology } from './topology.js';
import { summarize } from './summary.js';
import type { StepRecord } from '../runtime/stepProgram.js';
import { isLost } from '../runtime/device.js';
import { dumpPlan } from '../ir/plan.js';
import type { KernelDesc } from '../ir/kernel.js';
import { saveModel } from './io/save.js';
import type { IOHandler, SaveResult } from './io/types.js';

export interface ModelArgs {
  inputs: SymbolicTensor | SymbolicTensor[];
  outputs: SymbolicTensor | SymbolicTensor[];
  name?: string;
}

export interface CompileArgs {
  optimizer: string | Optimizer;
  loss: string | string[] | Record<string, string>;
  metrics?: string | string[] | Record<string, string | string[]>;
  lossWeights?: number[] | Record<string, number>;
}

export interface FitArgs {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  validationData?: [unknown, unknown];
  validationSplit?: number;
  initialEpoch?: number;
  verbose?: 0 | 1;
  callbacks?: CallbackHooks | (CallbackHooks | Callback)[] | Callback;
  /** Seed of the shuffling (weft addition; default: random). */
  seed?: number;
  /** How many progress readbacks per epoch feed onBatchEnd (default 10). */
  progressUpdates?: number;
}

export interface EvaluateArgs {
  batchSize?: number;
  verbose?: 0 | 1;
}

export interface ExplainResult {
  /** IR dumps: lowered, after autodiff, after each pass, and the plan. */
  stages: { name: string; dump: string }[];
  kernels: { name: string; kind: string; fusedOps: string; wgsl: string; workgroups: [number, number, number] }[];
  dispatchesPerTrainStep: number;
  dispatchesPerPredictBatch: number;
  plannedBytes: { train: number; predict: number };
  toString(): string;
}

interface CompiledState {
  optimizer: Optimizer;
  outputs: OutputSpec[];
  metricsNames: string[];
}

let modelCount = 0;

export class LayersModel {
  readonly name: string;
  readonly inputs: SymbolicTensor[];
  readonly outputs: SymbolicTensor[];
  readonly layers: Layer[];
  readonly topology: Topology;
  /** Set by callbacks (earlyStopping) to end fit after the current epoch. */
  stopTraining = false;
  private compiledState: CompiledState | null = null;
  private enginePromise: Promise<Engine> | null = null;
  /** The engine `enginePromise` resolved to (null until it has, and once dropped). */
  private currentEngine: Engine | null = null;
  /** True when the GPU holds newer weights than the layers' host copies. */
  private hostStale = false;
  private disposed = false;
  private busy: string | null = null;

  constructor(args: ModelArgs) {
    if (!args || typeof args !== 'object') fail('weft.model takes { inputs, outputs }');
    this.inputs = Array.isArray(args.inputs) ? args.inputs : [args.inputs];
    this.outputs = Array.isArray(args.outputs) ? args.outputs : [args.outputs];
    if (this.inputs.length === 0 || this.outputs.length === 0) fail('weft.model needs at least one input and one output');
    this.name = args.name ?? (modelCount++ === 0 ? 'model' : `model_${modelCount - 1}`);
    this.topology = buildTopology(this.inputs, this.outputs);
    this.layers = this.topology.layers;
    for (const layer of this.layers) layer.owners.add(this);
  }

  /** Every weight in order (TensorFlow.js's model.weights order). */
  get weights(): LayerWeight[] {
    return this.layers.flatMap((l) => l.weights);
  }
  get inputNames(): string[] {
    return this.inputs.map((t) => t.sourceLayer.name);
  }
  get outputNames(): string[] {
    return this.outputs.map((t) => t.sourceLayer.name);
  }
  get metricsNames(): string[] {
    return this.compiledState?.metricsNames ?? [];
  }
  get optimizer(): Optimizer | undefined {
    return this.compiledState?.optimizer;
  }

  getLayer(name: string): Layer {
    const layer = this.layers.find((l) => l.name === name);
    if (!layer) fail(`getLayer: no layer named '${name}'; the model's layers are ${this.layers.map((l) => l.name).join(', ')}`);
    return layer;
  }

  countParams(): number {
    return this.weights.reduce((n, w) => n + w.values.length, 0);
  }

  /**
   * Keras's summary table (layers, output shapes, parameter counts, connections). Each line goes to
   * `printFn` (default console.log); the whole table is returned as well.
   */
  summary(lineLength?: number, positions?: number[], printFn: (message?: unknown) => void = console.log): string {
    const text = summarize(this, lineLength, positions);
    for (const line of text.split('\n')) printFn(line);
    return text;
  }

  compile(args: CompileArgs): void {
    this.assertUsable('compile');
    if (!args || typeof args !== 'object') fail('compile takes { optimizer, loss, metrics? }');
    const names = this.outputNames;
    const pick = <T>(value: unknown, what: string, fallback?: T): T[] => {
      if (value === undefined) {
        if (fallback === undefined) fail(`compile: ${what} is required`);
        return names.map(() => fallback);
      }
      if (Array.isArray(value)) {
        if (value.length !== names.length) fail(`compile: ${what} has ${value.length} entries but the model has ${names.length} outputs (${names.join(', ')})`);
        return value as T[];
      }
      if (value !== null && typeof value === 'object' && isPlainRecord(value)) {
        const record = value as Record<string, T>;
        for (const key of Object.keys(record)) if (!names.includes(key)) fail(`compile: ${what} names unknown output '${key}'; outputs are ${names.join(', ')}`);
        return names.map((n) => {
          if (Object.prototype.hasOwnProperty.call(record, n)) return record[n]!;
          if (fallback === undefined) fail(`compile: ${what} has no entry for output '${n}'`);
          return fallback;
        });
      }
      return names.map(() => value as T);
    };
    const optimizer = resolveOptimizer(args.optimizer);
    const losses = pick<string>(args.loss, 'loss').map((l, i) => resolveLoss(l, names[i]!));
    const weights = pick<number>(args.lossWeights, 'lossWeights', 1);
    weights.forEach((w, i) => {
      if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) fail(`compile: lossWeights for output '${names[i]}' must be a non-negative number, got ${w}`);
    });
    let metricLists: (string | string[])[];
    if (args.metrics === undefined) metricLists = names.map(() => []);
    else if (typeof args.metrics === 'string') metricLists = names.map(() => [args.metrics as string]);
    else if (Array.isArray(args.metrics)) metricLists = names.map(() => args.metrics as string[]);
    else metricLists = pick<string | string[]>(args.metrics, 'metrics', []);
    const outputs: OutputSpec[] = names.map((name, i) => {
      const units = this.outputs[i]!.featureSize;
      const loss = losses[i]!;
      const list = Array.isArray(metricLists[i]) ? (metricLists[i] as string[]) : [metricLists[i] as string];
      return { name, units, loss, weight: weights[i]!, metrics: list.map((m) => resolveMetric(m, loss, units, name)) };
    });
    outputs.forEach((o, i) => {
      const activation = (this.outputs[i]!.sourceLayer as { activation?: unknown }).activation;
      if (o.loss.kind === 'crossEntropy' && typeof activation === 'string' && activation !== 'softmax')
        fail(
          `compile: ${o.loss.name} on output '${o.name}' needs a softmax activation on that output layer (weft fuses the loss with the softmax), but its activation is '${activation}'; use activation: 'softmax', or a loss such as meanSquaredError`,
        );
    });
    const multi = outputs.length > 1;
    const metricsNames = ['loss'];
    if (multi) for (const o of outputs) metricsNames.push(`${o.name}_loss`);
    for (const o of outputs) for (const m of o.metrics) metricsNames.push(multi ? `${o.name}_${m.displayName}` : m.displayName);
    this.compiledState = { optimizer, outputs, metricsNames };
    if (this.enginePromise) void this.enginePromise.then((e) => e.recompiled()).catch(() => {});
    this.warmUp();
  }

  /**
   * Starts compiling the training pipelines in the background (batch 32, float inputs), so that the
   * first step of fit does not wait for them; other batch sizes or byte-sized inputs reuse every
   * pipeline but the gather's (pipelines are cached by WGSL text).
   */
  private warmUp(): void {
    if (typeof navigator === 'undefined' || !('gpu' in navigator) || !navigator.gpu) return;
    const state = this.compiledState!;
    const storage: InputStorage = this.inputs.map(() => ({ elementType: 'f32', scale: 1 }));
    void this.engine()
      .then((engine) => engine.runnerFor('train', 32, storage, state.outputs, state.optimizer))
      .catch(() => {});
  }

  async fit(x: unknown, y: unknown, args: FitArgs = {}): Promise<History> {
    const state = this.requireCompiled('fit');
    const call = 'fit';
    checkOptions(args, call);
    const epochs = args.epochs ?? 1;
    const batchSize = args.batchSize ?? 32;
    const initialEpoch = args.initialEpoch ?? 0;
    checkBatchSize(batchSize, call);
    if (!Number.isInteger(epochs) || epochs < 0) fail(`fit: epochs must be a non-negative integer, got ${epochs}`);
    if (!Number.isInteger(initialEpoch) || initialEpoch < 0) fail(`fit: initialEpoch must be a non-negative integer, got ${initialEpoch}`);
    if (epochs < initialEpoch) fail(`fit: epochs (${epochs}) is smaller than initialEpoch (${initialEpoch}); epochs is the index of the last epoch, as in Keras`);
    let xs = normalizeTensors(x, this.inputNames, 'inputs', call);
    let ys = normalizeTensors(y, this.outputNames, 'targets', call);
    let validation: [Tensor[], Tensor[]] | null = null;
    if (args.validationData) {
      if (!Array.isArray(args.validationData) || args.validationData.length < 2) fail('fit: validationData must be [x, y]');
      validation = [
        normalizeTensors(args.validationData[0], this.inputNames, 'inputs', 'fit (validationData)'),
        normalizeTensors(args.validationData[1], this.outputNames, 'targets', 'fit (validationData)'),
      ];
    } else if (args.validationSplit !== undefined) {
      const split = args.validationSplit;
      if (!(split > 0 && split < 1)) fail(`fit: validationSplit must be between 0 and 1, got ${split}`);
      const n = sampleCount([...xs, ...ys], [...this.inputNames, ...this.outputNames], call);
      const cut = Math.floor(n * (1 - split));
      if (cut <= 0 || cut >= n) fail(`fit: validationSplit ${split} of ${n} samples leaves no training or no validation samples`);
      validation = [xs.map((t) => sliceRows(t, cut, n)), ys.map((t) => sliceRows(t, cut, n))];
      xs = xs.map((t) => sliceRows(t, 0, cut));
      ys = ys.map((t) => sliceRows(t, 0, cut));
    }
    const prepared = this.prepareData(xs, ys, call);
    const validationPrepared = validation ? this.prepareData(validation[0], validation[1], 'fit (validationData)') : null;
    const callbackList = checkCallbacks(args.callbacks);
    if (args.seed !== undefined && !Number.isFinite(args.seed)) fail(`fit: seed must be a number, got ${args.seed}`);

    return this.exclusive(call, async () => {
      const engine = await this.engine();
      // The host copies are fit's safe point (after divergence or device loss): bring them up to date.
      await this.syncHost();
      const steps = Math.ceil(prepared.rows / batchSize);
      const data = engine.resident(prepared.rows, prepared.arrays, prepared.storage, steps);
      let valData: ResidentData | null = null;
      let epoch = initialEpoch;
      let lastCompleted = -1;
      let lost = false;
      try {
        valData = validationPrepared ? engine.resident(validationPrepared.rows, validationPrepared.arrays, validationPrepared.storage, Math.ceil(validationPrepared.rows / batchSize)) : null;
        const history = new History();
        history.params = { epochs, initialEpoch, samples: prepared.rows, steps, batchSize, verbose: args.verbose ?? 1, doValidation: !!valData, metrics: this.metricsNames };
        const hooks = this.collectCallbacks(callbackList);
        const stopOnNaN = hooks.some((h) => h instanceof TerminateOnNaN);
        const random = createRandom(args.seed ?? nextSeed());
        this.stopTraining = false;
        for (const h of hooks) await h.onTrainBegin?.();
        const updates = Math.max(0, args.progressUpdates ?? 10);
        for (; epoch < epochs && !this.stopTraining; epoch++) {
          for (const h of hooks) await h.onEpochBegin?.(epoch);
          engine.writeIndices(data, args.shuffle === false ? identity(prepared.rows) : shuffledIndices(prepared.rows, random));
          engine.writeRecords(data, this.trainRecords(engine, state.optimizer, prepared.rows, batchSize, random));
          const started = performance.now();
          const onProgress = hooks.some((h) => h.onBatchEnd)
            ? (stepsDone: number, sums: Float32Array) => {
                const logs = this.logsFromSums(sums, Math.min(stepsDone * batchSize, prepared.rows));
                for (const h of hooks) void h.onBatchEnd?.(stepsDone - 1, logs);
              }
            : undefined;
          const { sums } = await engine.pass('train', data, batchSize, state.outputs, state.optimizer, {
            progressEvery: updates > 0 ? Math.max(1, Math.ceil(steps / updates)) : 0,
            ...(onProgress ? { onProgress } : {}),
          });
          engine.optimizerStep += steps;
          this.hostStale = true;
          const logs = this.logsFromSums(sums, prepared.rows);
          // One readback per epoch (through a staging buffer made once): the parameters become the
          // host copy, which is what fit falls back to when training diverges or the device is lost.
          const params = Object.values(logs).every(Number.isFinite) ? await engine.device.readParams() : null;
          if (!params || !params.every(Number.isFinite)) {
            // Diverged: back to the last finite weights (the host copy), with fresh optimizer state.
            engine.uploadWeights();
            engine.resetOptimizerState();
            this.hostStale = false;
            const kept = lastCompleted >= 0 ? `the weights of epoch ${lastCompleted + 1}` : 'the weights from before this fit';
            const what = params ? `the weights became non-finite (NaN or Infinity) in epoch ${epoch + 1}` : `the loss became ${logs.loss} in epoch ${epoch + 1}`;
            if (!stopOnNaN)
              throw new WeftError(`fit: ${what}; training diverged (lower the learning rate, or check the data). The model keeps ${kept}.`);
            if (args.verbose !== 0 && typeof console !== 'undefined') console.log(`[weft] terminateOnNaN: ${what}; training stopped, the model keeps ${kept}`);
            if (params) logs.loss = NaN;
            history.record(epoch, logs);
            this.stopTraining = true;
            for (const h of hooks) await h.onEpochEnd?.(epoch, logs);
            break;
          }
          engine.setHostWeights(params);
          this.hostStale = false;
          lastCompleted = epoch;
          if (valData) {
            const valSums = await this.evaluatePass(engine, valData, batchSize);
            const valLogs = this.logsFromSums(valSums, valData.dataset.rows);
            for (const [k, v] of Object.entries(valLogs)) logs[`val_${k}`] = v;
          }
          history.record(epoch, logs);
          if (args.verbose !== 0 && typeof console !== 'undefined')
            console.log(`[weft] Epoch ${epoch + 1}/${epochs} - ${((performance.now() - started) / 1000).toFixed(1)}s - ${Object.entries(logs).map(([k, v]) => `${k}: ${v.toFixed(4)}`).join(' - ')}`);
          for (const h of hooks) await h.onEpochEnd?.(epoch, logs);
        }
        for (const h of hooks) await h.onTrainEnd?.();
        return history;
      } catch (e) {
        if (engine.lost || (await isLost(engine.gpu, 50))) {
          lost = true;
          const l = engine.gpu.lost;
          const kept = lastCompleted >= 0 ? `the weights of epoch ${lastCompleted + 1}, the last completed one` : 'the weights it had before this fit';
          throw new WeftError(
            `fit: the GPU device was lost during epoch ${epoch + 1} (${l?.reason ?? 'unknown'}${l?.message ? `: ${l.message}` : ''}); the model keeps ${kept}. Call weft.resetGpu() and fit again to continue from there.`,
            { cause: e },
          );
        }
        throw e;
      } finally {
        engine.releaseResident(data);
        if (valData) engine.releaseResident(valData);
        if (lost) this.dropEngine(engine);
      }
    });
  }

  async evaluate(x: unknown, y: unknown, args: EvaluateArgs = {}): Promise<number | number[]> {
    this.requireCompiled('evaluate');
    checkOptions(args, 'evaluate');
    const batchSize = args.batchSize ?? 32;
    checkBatchSize(batchSize, 'evaluate');
    const xs = normalizeTensors(x, this.inputNames, 'inputs', 'evaluate');
    const ys = normalizeTensors(y, this.outputNames, 'targets', 'evaluate');
    const prepared = this.prepareData(xs, ys, 'evaluate');
    return this.exclusive('evaluate', async () => {
      const engine = await this.engine();
      const data = engine.resident(prepared.rows, prepared.arrays, prepared.storage, Math.ceil(prepared.rows / batchSize));
      try {
        const sums = await this.evaluatePass(engine, data, batchSize);
        const logs = this.logsFromSums(sums, prepared.rows);
        const values = this.metricsNames.map((n) => logs[n]!);
        return values.length === 1 ? values[0]! : values;
      } finally {
        engine.releaseResident(data);
      }
    });
  }

  async predict(x: unknown, args: { batchSize?: number } = {}): Promise<Tensor | Tensor[]> {
    this.assertUsable('predict');
    checkOptions(args, 'predict');
    const batchSize = args.batchSize ?? 32;
    checkBatchSize(batchSize, 'predict');
    const xs = normalizeTensors(x, this.inputNames, 'inputs', 'predict');
    const rows = sampleCount(xs, this.inputNames, 'predict');
    const inputs = xs.map((t, i) => inputArray(t, this.inputs[i]!, i, 'predict'));
    return this.exclusive('predict', async () => {
      const engine = await this.engine();
      const data = engine.resident(
        rows,
        inputs.map((i) => i.array),
        inputs.map((i) => i.storage),
        Math.ceil(rows / batchSize),
      );
      const units = this.outputs.map((o) => o.featureSize);
      const buffers: GPUBuffer[] = [];
      try {
        units.forEach((u, i) => buffers.push(engine.makeOutputBuffer(rows * u * 4, `the ${rows} predictions of output '${this.outputNames[i]}'`)));
        engine.writeIndices(data, identity(rows));
        engine.writeRecords(data, evalRecords(rows, batchSize));
        await engine.pass('predict', data, batchSize, [], undefined, { predictions: buffers });
        const results = await Promise.all(buffers.map((b, i) => engine.read(b, rows * units[i]! * 4)));
        const tensors = results.map((r, i) => new Tensor(r, [rows, ...(this.outputs[i]!.shape.slice(1) as number[])], 'float32'));
        return tensors.length === 1 ? tensors[0]! : tensors;
      } finally {
        for (const b of buffers) b.destroy();
        engine.releaseResident(data);
      }
    });
  }

  /** Weights as tensors, TensorFlow.js order and layout. */
  async getWeights(): Promise<Tensor[]> {
    this.assertUsable('getWeights');
    await this.syncHost();
    return this.weights.map((w) => new Tensor(w.values.slice(), [...w.shape], 'float32'));
  }

  setWeights(tensors: Tensor[]): void {
    this.assertUsable('setWeights');
    const weights = this.weights;
    if (!Array.isArray(tensors) || tensors.length !== weights.length)
      fail(`setWeights: the model has ${weights.length} weight tensors (${weights.map((w) => w.name).join(', ')}), got ${Array.isArray(tensors) ? tensors.length : 'no array'}`);
    tensors.forEach((t, i) => {
      const w = weights[i]!;
      if (!(t instanceof Tensor) || t.shape.length !== w.shape.length || t.shape.some((d, j) => d !== w.shape[j]))
        fail(`setWeights: weight ${i} ('${w.name}') must have shape [${w.shape.join(', ')}], got ${t instanceof Tensor ? `[${t.shape.join(', ')}]` : 'a non-tensor'}`);
      if (t.isDisposed) fail(`setWeights: the tensor for weight ${i} ('${w.name}') was disposed`);
      const data = t.dataSync();
      for (let j = 0; j < data.length; j++) if (!Number.isFinite(data[j]!)) fail(`setWeights: weight '${w.name}' holds ${data[j]}; weights must be finite`);
    });
    if (this.busy) fail(`setWeights: the model is busy with ${this.busy}; await it first`);
    tensors.forEach((t, i) => (weights[i]!.values = Float32Array.from(t.dataSync())));
    this.hostStale = false;
    if (this.enginePromise) void this.enginePromise.then((e) => e.uploadWeights()).catch(() => {});
  }

  /** Brings the layers' host copies of the weights up to date with the GPU. */
  async syncHost(): Promise<void> {
    if (!this.hostStale || !this.enginePromise) return;
    const engine = await this.enginePromise;
    try {
      if (!engine.lost) {
        await engine.downloadWeights();
        this.hostStale = false;
        return;
      }
    } catch (e) {
      if (!(await isLost(engine.gpu, 50))) throw e;
    }
    // The device was lost: the host copies (kept at every epoch end) are all there is.
    this.dropEngine(engine);
  }

  /** Writes some weights' host values to the GPU (after a layer's setWeights); others are untouched. */
  pushHostWeights(weights: LayerWeight[]): void {
    if (this.enginePromise) void this.enginePromise.then((e) => e.uploadWeights(weights)).catch(() => {});
  }

  /**
   * Saves the topology and weights in TensorFlow.js's layers-model format (src/api/io/save.ts):
   * to 'downloads://name', an http(s) URL (POST), or an IOHandler { save(artifacts) }.
   */
  async save(handlerOrUrl: IOHandler | string): Promise<SaveResult> {
    this.assertUsable('save');
    return saveModel(this, handlerOrUrl);
  }

  async explain(batchSize = 32): Promise<ExplainResult> {
    const state = this.requireCompiled('explain');
    const engine = await this.engine();
    const storage: InputStorage = this.inputs.map(() => ({ elementType: 'f32', scale: 1 }));
    const train = await engine.runnerFor('train', batchSize, storage, state.outputs, state.optimizer);
    const predict = await engine.runnerFor('predict', batchSize, storage, [], undefined);
    // One entry per dispatch; a group of independent kernels lists what each of its parts fuses.
    const kernels = train.runner.kernels.map((k, i) => {
      const descs = train.runner.groups[i]!.map((j) => train.compiled.plan.kernels[j]!);
      return {
        name: k.name,
        kind: descs.length > 1 ? `group(${descs.map((d) => d.kind).join(', ')})` : descs[0]!.kind,
        fusedOps: descs.map(describeFused).join(' | '),
        wgsl: k.wgsl,
        workgroups: k.workgroups,
      };
    });
    const result: ExplainResult = {
      stages: [...train.compiled.stages, { name: 'predict plan', dump: dumpPlan(predict.compiled.plan) }],
      kernels,
      dispatchesPerTrainStep: train.runner.dispatchesPerStep,
      dispatchesPerPredictBatch: predict.runner.dispatchesPerStep,
      plannedBytes: { train: train.compiled.plan.plannedBytes, predict: predict.compiled.plan.plannedBytes },
      toString() {
        return [
          ...this.stages.map((s) => s.dump),
          `dispatches per training step: ${this.dispatchesPerTrainStep}; per predict batch: ${this.dispatchesPerPredictBatch}`,
          ...this.kernels.map((k) => `// ── ${k.name} [${k.fusedOps}] ──\n${k.wgsl}`),
        ].join('\n\n');
      },
    };
    return result;
  }

  /**
   * Frees every GPU buffer the model made. A fit running now stops after its current epoch and
   * frees them when it returns.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.stopTraining = true;
    if (!this.busy) this.releaseEngine();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  // ── internals ──

  private engine(): Promise<Engine> {
    // An engine on a lost device is dead: a new one is built from the host weights (on the device
    // getGpu() gives after weft.resetGpu(); before that, getGpu() rejects with the loss).
    if (this.currentEngine?.lost) this.dropEngine(this.currentEngine);
    if (!this.enginePromise) {
      const pending = Engine.create({ inputs: this.inputs, outputs: this.outputs, topology: this.topology, weights: this.weights });
      this.enginePromise = pending;
      pending.then(
        (e) => {
          if (this.enginePromise === pending) this.currentEngine = e;
        },
        () => {
          if (this.enginePromise === pending) this.enginePromise = null;
        },
      );
    }
    return this.enginePromise;
  }

  /** Forgets an engine whose device was lost; the host copies of the weights become the truth. */
  private dropEngine(engine: Engine): void {
    engine.dispose();
    if (this.currentEngine !== engine) return;
    this.currentEngine = null;
    this.enginePromise = null;
    this.hostStale = false;
  }

  /** Disposes the engine (now, or when it is made). */
  private releaseEngine(): void {
    const pending = this.enginePromise;
    this.currentEngine?.dispose();
    this.currentEngine = null;
    this.enginePromise = null;
    if (pending) void pending.then((e) => e.dispose(), () => {});
  }

  private async exclusive<T>(what: string, body: () => Promise<T>): Promise<T> {
    this.assertUsable(what);
    if (this.busy) fail(`${what}: the model is already running ${this.busy}; await it before calling ${what}`);
    this.busy = what;
    try {
      return await body();
    } catch (e) {
      // evaluate/predict on a device lost under them: say so, and drop the dead engine.
      const engine = this.currentEngine;
      if (what !== 'fit' && engine && (engine.lost || (await isLost(engine.gpu, 50)))) {
        this.dropEngine(engine);
        throw new WeftError(`${what}: the GPU device was lost (${engine.gpu.lost?.reason ?? 'unknown'}); call weft.resetGpu() and ${what} again (the model keeps its weights)`, { cause: e });
      }
      throw e;
    } finally {
      this.busy = null;
      if (this.disposed) this.releaseEngine();
    }
  }

  private assertUsable(what: string): void {
    if (this.disposed) fail(`${what}: this model was disposed; build a new one`);
  }

  private requireCompiled(what: string): CompiledState {
    this.assertUsable(what);
    if (!this.compiledState) fail(`${what}: call model.compile({ optimizer, loss, metrics }) first`);
    return this.compiledState;
  }

  private prepareData(xs: Tensor[], ys: Tensor[], call: string) {
    const state = this.requireCompiled(call);
    const rows = sampleCount([...xs, ...ys], [...this.inputNames, ...this.outputNames], call);
    const inputs = xs.map((t, i) => inputArray(t, this.inputs[i]!, i, call));
    const targets = ys.map((t, i) => targetArray(t, i, state.outputs[i]!.name, state.outputs[i]!.units, state.outputs[i]!.loss, call));
    return { rows, arrays: [...inputs.map((i) => i.array), ...targets], storage: inputs.map((i) => i.storage) };
  }

  private async evaluatePass(engine: Engine, data: ResidentData, batchSize: number): Promise<Float32Array> {
    const state = this.compiledState!;
    if (data.writtenForBatch !== batchSize) {
      engine.writeIndices(data, identity(data.dataset.rows));
      engine.writeRecords(data, evalRecords(data.dataset.rows, batchSize));
      data.writtenForBatch = batchSize;
    }
    const { sums } = await engine.pass('evaluate', data, batchSize, state.outputs, undefined);
    return sums;
  }

  private trainRecords(engine: Engine, optimizer: Optimizer, rows: number, batchSize: number, random: () => number): StepRecord[] {
    const steps = Math.ceil(rows / batchSize);
    const records: StepRecord[] = [];
    const algorithm = optimizer.algorithm;
    for (let s = 0; s < steps; s++) {
      const t = engine.optimizerStep + s + 1;
      records.push({
        rowBase: s * batchSize,
        t,
        learningRate: optimizer.learningRate,
        beta1Power: algorithm.kind === 'adam' ? algorithm.beta1 ** t : 0,
        beta2Power: algorithm.kind === 'adam' ? algorithm.beta2 ** t : 0,
        seed: Math.floor(random() * 0xffffffff),
      });
    }
    return records;
  }

  /** Metric sums over `count` samples → Keras logs (loss = Σ weight × output loss). */
  private logsFromSums(sums: Float32Array, count: number): Logs {
    const state = this.compiledState!;
    const slots = slotLayout(state.outputs);
    const multi = state.outputs.length > 1;
    const logs: Logs = {};
    let total = 0;
    state.outputs.forEach((o, i) => (total += o.weight * (sums[slots.lossSlots[i]!]! / count)));
    logs.loss = total;
    if (multi) state.outputs.forEach((o, i) => (logs[`${o.name}_loss`] = sums[slots.lossSlots[i]!]! / count));
    state.outputs.forEach((o, i) => o.metrics.forEach((m, j) => (logs[multi ? `${o.name}_${m.displayName}` : m.displayName] = sums[slots.metricSlots[i]![j]!]! / count)));
    return logs;
  }

  private collectCallbacks(list: (CallbackHooks | Callback)[]): CallbackHooks[] {
    return list.map((c) => {
      if (c instanceof Callback) {
        c.setModel(this);
        const withRestore = c as Callback & { snapshot?: unknown; restore?: unknown; restoreBestWeights?: boolean };
        if (withRestore.restoreBestWeights) {
          // The host copies are current at every epoch end (before onEpochEnd): no readback needed.
          let saved: Float32Array[] | null = null;
          withRestore.snapshot = async () => void (saved = this.weights.map((w) => w.values.slice()));
          withRestore.restore = async () => {
            if (!saved) return;
            this.weights.forEach((w, i) => (w.values = saved![i]!.slice()));
            this.hostStale = false;
            this.currentEngine?.uploadWeights();
          };
        }
      }
      return c as CallbackHooks;
    });
  }
}

function isPlainRecord(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The options argument of fit/evaluate/predict must be an object (or left out). */
function checkOptions(args: unknown, call: string): void {
  if (args === null || typeof args !== 'object' || Array.isArray(args))
    fail(`${call}: options must be an object such as { batchSize: 32${call === 'fit' ? ', epochs: 10' : ''} }, got ${args === null ? 'null' : Array.isArray(args) ? 'an array' : typeof args}`);
}

const HOOKS = ['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchEnd'] as const;

/** fit's callbacks: one object or an array of them, each hook a function. */
function checkCallbacks(spec: unknown): (CallbackHooks | Callback)[] {
  const list = spec === undefined || spec === null ? [] : Array.isArray(spec) ? spec : [spec];
  list.forEach((c, i) => {
    const where = Array.isArray(spec) ? `callbacks[${i}]` : 'callbacks';
    if (c === null || typeof c !== 'object') fail(`fit: ${where} must be an object of hooks such as { onEpochEnd: (epoch, logs) => {} } or a weft.callbacks.* callback, got ${c === null ? 'null' : typeof c}`);
    for (const hook of HOOKS) {
      const f = (c as Record<string, unknown>)[hook];
      if (f !== undefined && typeof f !== 'function') fail(`fit: ${where}.${hook} must be a function, got ${typeof f}`);
    }
  });
  return list as (CallbackHooks | Callback)[];
}

function checkBatchSize(batchSize: number, call: string): void {
  if (!Number.isInteger(batchSize) || batchSize <= 0) fail(`${call}: batchSize must be a positive integer, got ${typeof batchSize === 'string' ? JSON.stringify(batchSize) : batchSize}`);
}

function identity(n: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

function evalRecords(rows: number, batchSize: number): StepRecord[] {
  return Array.from({ length: Math.ceil(rows / batchSize) }, (_, s) => ({ rowBase: s * batchSize, t: 0, learningRate: 0, beta1Power: 0, beta2Power: 0, seed: 0 }));
}

function describeFused(kernel: KernelDesc): string {
  switch (kernel.kind) {
    case 'matmul': {
      const parts = ['matmul'];
      if (kernel.aOnesRow) parts.push('bias gradient (ones row)');
      if (kernel.bias) parts.push('biasAdd');
      if (kernel.activation) parts.push(kernel.activation);
      if (kernel.gradMask) parts.push(`${kernel.gradMask.activation} gradient`);
      return parts.join(' + ');
    }
    case 'lossHead':
      return [kernel.loss, ...(kernel.gradOut ? ['its gradient'] : []), ...kernel.metrics.map((m) => m.kind)].join(' + ');
    case 'gather':
      return `gather ${kernel.sources.length} array(s)`;
    case 'optimizer':
      return `${kernel.algorithm.kind} update of ${kernel.count} parameters`;
    case 'elementwise':
    case 'softmaxRows':
    case 'columnSum':
      return kernel.kind;
    default:
      return kernel satisfies never;
  }
}

export function model(args: ModelArgs): LayersModel {
  return new LayersModel(args);
}
