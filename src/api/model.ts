// The functional model: weft.model({inputs, outputs}), with compile / fit / evaluate / predict and
// weights in TensorFlow.js order and layout. The loops live in trainer.ts and evaluator.ts, the GPU
// side in the runtime's session (through sessionOwner.ts).

import { explainPlans, type ExplainResult } from '../ir/explainText.js';
import type { InputStorage, OptimizerState } from '../runtime/session.js';
import { CallbackList } from './callbackList.js';
import type { History } from './callbacks.js';
import { checkBatchSize, checkOptions, parseFitArgs, prepareData, prepareInputs, type EvaluateArgs, type FitArgs } from './callArgs.js';
import { resolveCompileArgs, type CompileArgs, type CompiledState } from './compileArgs.js';
import type { Optimizer } from './compileConfig.js';
import { normalizeTensors, sampleCount } from './data.js';
import { fail, WeftError } from './errors.js';
import { evaluateLoop, predictLoop } from './evaluator.js';
import { hostEvaluate, hostPredict } from './hostForward.js';
import { oneOrList, pendingTensors, weightTensors } from './lazyResults.js';
import { checkDataset, parseFitDatasetArgs, type FitDatasetArgs } from './datasetArgs.js';
import { datasetValidation, evaluateDatasetLoop, fitDatasetLoop } from './datasetTrainer.js';
import { Dataset } from './dataset/dataset.js';
import { saveModel, type SaveConfig } from './io/save.js';
import type { IOHandler, SaveResult } from './io/types.js';
import type { Layer, LayerWeight } from './layers/layer.js';
import { planSource } from './planSource.js';
import { SessionOwner } from './sessionOwner.js';
import { summarize } from './summary.js';
import type { SymbolicTensor } from './symbolic.js';
import { Tensor } from './tensor.js';
import { buildTopology, type Topology } from './topology.js';
import { fitLoop } from './trainer.js';

export type { CompileArgs } from './compileArgs.js';
export type { EvaluateArgs, FitArgs } from './callArgs.js';
export type { FitDatasetArgs } from './datasetArgs.js';
export type { ExplainResult } from '../ir/explainText.js';

export interface ModelArgs {
  inputs: SymbolicTensor | SymbolicTensor[];
  outputs: SymbolicTensor | SymbolicTensor[];
  name?: string;
}

let modelCount = 0;

export class LayersModel {
  readonly name: string;
  /** Set by callbacks (earlyStopping) to end fit after the current epoch. */
  stopTraining = false;
  private graph: { inputs: SymbolicTensor[]; outputs: SymbolicTensor[]; topology: Topology };
  private compiledState: CompiledState | null = null;
  private owner: SessionOwner;
  private disposed = false;
  /** The call running now (fit, evaluate, predict), which the GPU state belongs to; `idle` settles when it ends. */
  private busy: string | null = null;
  private idle: Promise<void> = Promise.resolve();
  /** fit is between passes, running callbacks: the weights may be read and replaced. */
  private atSafePoint = false;

  /** `args` null: a model whose graph comes later (weft.sequential adds layers one by one). */
  constructor(args: ModelArgs | null, name?: string) {
    if (args !== null && (!args || typeof args !== 'object')) fail('weft.model takes { inputs, outputs }');
    this.name = args?.name ?? name ?? (modelCount++ === 0 ? 'model' : `model_${modelCount - 1}`);
    this.graph = { inputs: [], outputs: [], topology: { layers: [], nodes: [] } };
    this.owner = new SessionOwner(() => this.weights, planSource(this, null));
    if (args === null) return;
    const inputs = Array.isArray(args.inputs) ? args.inputs : [args.inputs];
    const outputs = Array.isArray(args.outputs) ? args.outputs : [args.outputs];
    if (inputs.length === 0 || outputs.length === 0) fail('weft.model needs at least one input and one output');
    this.setGraph(inputs, outputs);
  }

  /** TensorFlow.js's class name: 'Model' here, 'Sequential' for weft.sequential. */
  getClassName(): string {
    return 'Model';
  }

  get inputs(): SymbolicTensor[] {
    return this.graph.inputs;
  }
  get outputs(): SymbolicTensor[] {
    return this.graph.outputs;
  }
  get topology(): Topology {
    return this.graph.topology;
  }
  /** Every layer in Keras/TensorFlow.js order (input layers included, as a functional model has them). */
  get layers(): Layer[] {
    return this.graph.topology.layers;
  }

  /**
   * Sets the model's graph. A model that had one (Sequential.add) drops its compiled state and its GPU
   * session: compile again before fit, as TensorFlow.js expects after adding layers.
   */
  protected setGraph(inputs: SymbolicTensor[], outputs: SymbolicTensor[]): void {
    const topology: Topology = outputs.length === 0 ? { layers: [], nodes: [] } : buildTopology(inputs, outputs);
    const hadGraph = this.graph.outputs.length > 0;
    this.graph = { inputs, outputs, topology };
    for (const layer of topology.layers) layer.owners.add(this);
    if (hadGraph) {
      this.owner.release();
      this.compiledState = null;
      this.owner = new SessionOwner(() => this.weights, planSource(this, null));
    }
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
    this.compiledState = resolveCompileArgs(args, this.outputs);
    this.owner.recompiled(planSource(this, this.compiledState));
    this.warmUp();
  }

  /**
   * Starts compiling the training pipelines in the background (batch 32, float inputs), so that the
   * first step of fit does not wait for them, where the device wants such a guess (on real GPUs; see
   * the runtime's warmUpWanted). A fit at that batch on float inputs finds them ready (pipelines are
   * cached by WGSL text); other batch sizes and byte-valued inputs compile plans of their own.
   */
  private warmUp(): void {
    if (typeof navigator === 'undefined' || !('gpu' in navigator) || !navigator.gpu) return;
    void this.owner
      .session()
      .then((session) => session.warmUp('train', 32, this.floatStorage()))
      .catch(() => {});
  }

  async fit(x: unknown, y: unknown, args: FitArgs = {}): Promise<History> {
    const state = this.requireCompiled('fit');
    const plan = parseFitArgs(this, state, x, y, args);
    return this.exclusive('fit', () => {
      const callbacks = new CallbackList(plan.callbacks, this, (body) => this.runAtSafePoint(body));
      return fitLoop({ model: this, owner: this.owner, state, callbacks }, plan);
    });
  }

  /** One gradient step on the whole batch (tf's trainOnBatch): that step's loss and metrics, metricsNames order. */
  async trainOnBatch(x: unknown, y: unknown): Promise<number | number[]> {
    const rows = sampleCount(normalizeTensors(x, this.inputNames, 'inputs', 'trainOnBatch'), this.inputNames, 'trainOnBatch');
    const history = await this.fit(x, y, { epochs: 1, batchSize: rows, shuffle: false, verbose: 0 });
    const values = this.metricsNames.map((n) => history.history[n]![0]!);
    return values.length === 1 ? values[0]! : values;
  }

  /** predict on one batch holding every sample (tf's predictOnBatch). */
  predictOnBatch(x: unknown): Tensor | Tensor[] {
    return this.predict(x, {
      batchSize: Math.max(1, sampleCount(normalizeTensors(x, this.inputNames, 'inputs', 'predictOnBatch'), this.inputNames, 'predictOnBatch')),
    });
  }

  /**
   * Trains on batches from a weft.data dataset (tf.data's fitDataset): each element { xs, ys } is one
   * batch; batches are streamed to the GPU while earlier ones train.
   */
  async fitDataset(dataset: Dataset, args: FitDatasetArgs = {}): Promise<History> {
    const state = this.requireCompiled('fitDataset');
    const { plan, callbacks: list } = parseFitDatasetArgs(dataset, args, this.outputNames, (epochData, batches) =>
      datasetValidation(this.owner, this, state, epochData, batches),
    );
    return this.exclusive('fit', () => {
      const callbacks = new CallbackList(list, this, (body) => this.runAtSafePoint(body));
      return fitDatasetLoop({ model: this, owner: this.owner, state, callbacks }, dataset, plan);
    });
  }

  /** Keras's numbers over every batch of a weft.data dataset, as Scalar tensors in metricsNames order (tf.evaluateDataset). */
  async evaluateDataset(dataset: Dataset, args: { batches?: number; verbose?: 0 | 1 } = {}): Promise<Tensor | Tensor[]> {
    const state = this.requireCompiled('evaluateDataset');
    checkOptions(args, 'evaluateDataset');
    checkDataset(dataset, 'evaluateDataset');
    const logs = await this.exclusive('evaluate', () => evaluateDatasetLoop(this.owner, this, state, dataset, args.batches));
    return oneOrList(state.metricsNames.map((n) => new Tensor(Float32Array.of(logs[n]!), [], 'float32')));
  }

  /** Keras's numbers (metricsNames order) as Scalar tensors at once, as TF.js: `await t.data()` or await the call. */
  evaluate(x: unknown, y: unknown, args: EvaluateArgs = {}): Tensor | Tensor[] {
    const state = this.requireCompiled('evaluate');
    checkOptions(args, 'evaluate');
    const batchSize = args.batchSize ?? 32;
    checkBatchSize(batchSize, 'evaluate');
    const xs = normalizeTensors(x, this.inputNames, 'inputs', 'evaluate');
    const ys = normalizeTensors(y, this.outputNames, 'targets', 'evaluate');
    const data = prepareData(this, state, xs, ys, 'evaluate');
    const onCpu = (): Float32Array[] => hostEvaluate(this, state, xs, ys, data.rows).map((v) => Float32Array.of(v));
    const shapes = state.metricsNames.map((): number[] => []);
    if (this.busy === 'fit') return oneOrList(pendingTensors(shapes, Promise.resolve(onCpu()), onCpu));
    const ready = this.exclusive('evaluate', () => evaluateLoop(this.owner, state, data, batchSize)).then((values) => values.map((v) => Float32Array.of(v)));
    return oneOrList(pendingTensors(shapes, ready, onCpu));
  }

  /**
   * One tensor per output (`[rows, ...outputShape]`), returned at once as TensorFlow.js does: read with
   * `await t.data()` (or `dataSync()`), or await the call. Inside fit's callbacks it runs on the CPU.
   */
  predict(x: unknown, args: { batchSize?: number } = {}): Tensor | Tensor[] {
    this.assertUsable('predict');
    checkOptions(args, 'predict');
    const batchSize = args.batchSize ?? 32;
    checkBatchSize(batchSize, 'predict');
    const xs = normalizeTensors(x, this.inputNames, 'inputs', 'predict');
    const data = prepareInputs(this, xs);
    const outputs = this.outputs.map((o, i) => ({ name: this.outputNames[i]!, shape: o.shape.slice(1) as number[] }));
    const shapes = outputs.map((o) => [data.rows, ...o.shape]);
    const onCpu = (): Float32Array[] => hostPredict(this, xs, data.rows);
    if (this.busy === 'fit') return oneOrList(pendingTensors(shapes, Promise.resolve(onCpu()), onCpu));
    const ready = this.exclusive('predict', () => predictLoop(this.owner, outputs, data, batchSize));
    return oneOrList(pendingTensors(shapes, ready, onCpu));
  }

  /**
   * Weights as tensors, TensorFlow.js order and layout, returned at once (awaiting works too). During
   * fit they are the last completed epoch's; read them from onEpochEnd for the newest.
   */
  getWeights(): Tensor[] {
    this.assertUsable('getWeights');
    return weightTensors(this.weights, this.isHostCurrent, () => this.syncHost());
  }

  /** Whether the layers' host copies of the weights hold what the GPU holds. */
  get isHostCurrent(): boolean {
    return !this.owner.hostStale;
  }

  setWeights(tensors: Tensor[]): void {
    this.assertUsable('setWeights');
    const weights = this.weights;
    if (!Array.isArray(tensors) || tensors.length !== weights.length)
      fail(
        `setWeights: the model has ${weights.length} weight tensors (${weights.map((w) => w.name).join(', ')}), got ${Array.isArray(tensors) ? tensors.length : 'no array'}`,
      );
    tensors.forEach((t, i) => {
      const w = weights[i]!;
      if (!(t instanceof Tensor) || t.shape.length !== w.shape.length || t.shape.some((d, j) => d !== w.shape[j]))
        fail(
          `setWeights: weight ${i} ('${w.name}') must have shape [${w.shape.join(', ')}], got ${t instanceof Tensor ? `[${t.shape.join(', ')}]` : 'a non-tensor'}`,
        );
      if (t.isDisposed) fail(`setWeights: the tensor for weight ${i} ('${w.name}') was disposed`);
      const data = t.dataSync();
      for (let j = 0; j < data.length; j++) if (!Number.isFinite(data[j]!)) fail(`setWeights: weight '${w.name}' holds ${data[j]}; weights must be finite`);
    });
    if (this.busy && !this.atSafePoint) fail(`setWeights: the model is busy with ${this.busy}; await it first`);
    tensors.forEach((t, i) => (weights[i]!.values = Float32Array.from(t.dataSync())));
    this.owner.pushHost();
  }

  /** Brings the layers' host copies of the weights up to date with the GPU. */
  syncHost(): Promise<void> {
    return this.owner.syncHost();
  }

  /** Writes some weights' host values to the GPU (after a layer's setWeights); others are untouched. */
  pushHostWeights(weights: LayerWeight[]): void {
    this.owner.pushHost(weights);
  }

  /**
   * Saves the topology and weights in TensorFlow.js's layers-model format (src/api/io/save.ts):
   * to 'downloads://name', an http(s) URL (POST), or an IOHandler { save(artifacts) }. With
   * `{ includeOptimizer: true }`, also the optimizer's state and the training config (TF.js's format).
   */
  async save(handlerOrUrl: IOHandler | string, config?: SaveConfig): Promise<SaveResult> {
    this.assertUsable('save');
    return saveModel(this, handlerOrUrl, config);
  }

  /** The compile configuration and the optimizer's state now (for save with includeOptimizer). */
  async trainingState(): Promise<{ state: CompiledState; optimizer: OptimizerState | null } | null> {
    if (!this.compiledState) return null;
    return { state: this.compiledState, optimizer: await this.owner.optimizerState() };
  }

  /** Optimizer state to continue training from (a loaded model's); the next fit starts from it. */
  resumeOptimizer(state: OptimizerState): void {
    this.requireCompiled('resumeOptimizer');
    if (this.busy) fail(`resumeOptimizer: the model is busy with ${this.busy}; await it first`);
    this.owner.setOptimizerState(state);
  }

  /**
   * The compiled plans (training and predict, at `batchSize`, float inputs): IR dumps, kernels, WGSL
   * as this device would run them. Describes only: nothing is compiled into pipelines for it.
   */
  async explain(batchSize = 32): Promise<ExplainResult> {
    this.requireCompiled('explain');
    checkBatchSize(batchSize, 'explain', 'explain takes the batch size itself, e.g. explain(32)');
    const session = await this.owner.session();
    const train = await session.describe('train', batchSize, this.floatStorage());
    const predict = await session.describe('predict', batchSize, this.floatStorage());
    return explainPlans(train, predict);
  }

  /**
   * Frees every GPU buffer the model made. A fit running now stops after its current epoch and
   * frees them when it returns.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.stopTraining = true;
    if (!this.busy) this.owner.release();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  // ── internals ──

  private floatStorage(): InputStorage {
    return this.inputs.map(() => ({ elementType: 'f32', scale: 1 }));
  }

  private async runAtSafePoint(body: () => Promise<void>): Promise<void> {
    this.atSafePoint = true;
    try {
      await body();
    } finally {
      this.atSafePoint = false;
    }
  }

  /** One GPU call at a time: fit during fit is refused; others wait for a running predict/evaluate (not awaited by TF.js programs). */
  private async exclusive<T>(what: string, body: () => Promise<T>): Promise<T> {
    this.assertUsable(what);
    while (this.busy && this.busy !== 'fit') await this.idle.catch(() => {});
    if (this.busy) fail(`${what}: the model is already running ${this.busy}; await it before calling ${what}`);
    this.busy = what;
    let done = (): void => {};
    this.idle = new Promise((resolve) => (done = resolve));
    try {
      return await body();
    } catch (e) {
      // evaluate/predict on a device lost under them: say so, and drop the dead session (fit says more itself).
      const session = this.owner.live;
      const loss = what !== 'fit' && session ? await session.deviceLoss(50) : null;
      if (session && loss) {
        this.owner.drop(session);
        throw new WeftError(
          `${what}: the GPU device was lost (${loss.reason ?? 'unknown'}); call weft.resetGpu() and ${what} again (the model keeps its weights)`,
          { cause: e },
        );
      }
      throw e;
    } finally {
      this.busy = null;
      done();
      if (this.disposed) this.owner.release();
    }
  }

  private assertUsable(what: string): void {
    if (this.disposed) fail(`${what}: this model was disposed; build a new one`);
    if (this.graph.outputs.length === 0) fail(`${what}: the model has no layers yet; add one with model.add(layer), the first with an inputShape`);
  }

  private requireCompiled(what: string): CompiledState {
    this.assertUsable(what);
    if (!this.compiledState) fail(`${what}: call model.compile({ optimizer, loss, metrics }) first`);
    return this.compiledState;
  }
}

export function model(args: ModelArgs): LayersModel {
  return new LayersModel(args);
}
