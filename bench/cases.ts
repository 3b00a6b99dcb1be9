// The benchmark cases. Each task runs one case once for one library and returns its measurement;
// planTasks orders them so that weft and TensorFlow.js alternate on the same adapter, repeat by repeat.
import type * as Weft from '../src/index.js';
import type { MatmulKernel } from '../src/ir/kernel.js';
import {
  apiCounts,
  captureDispatches,
  installApiCounters,
  measurePeak,
  median,
  timeDispatches,
  timeStepReplay,
  type ApiCounts,
  type KernelTiming,
} from './gpu.js';
import { ALL_MODEL_IDS, BenchData, MODEL_IDS, MODELS, one, samplesFor, tfModel, weftModel, type ModelId, type Tf } from './models.js';
import { WASM_BACKEND, prepareWasmBackends, threadsInUse, type WasmLib } from './tfjsWasm.js';

export type Lib = 'weft' | 'tfjs-webgpu' | WasmLib;
export type MatmulLib =
  | 'weft-registerTiled'
  | 'weft-registerTiled8x8'
  | 'weft-quadTiled'
  | 'weft-quadTiled8x8'
  | 'weft-workgroupTiled'
  | 'tfjs-webgpu'
  | WasmLib;
/** The TF.js libraries that run the GPU-only cases (compile, step, predict, profile). */
type GpuLib = Exclude<Lib, WasmLib>;
const isWasm = (lib: string): lib is WasmLib => lib === 'tfjs-wasm' || lib === 'tfjs-wasm-threads';

export interface MatmulShape {
  id: string;
  label: string;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  /** op(A) ends in a row of ones (a weight gradient with its bias gradient riding along): A is K × (m − 1). */
  aOnesRow?: boolean;
}

export const MATMUL_SHAPES: MatmulShape[] = [
  { id: '256', label: '256³', m: 256, n: 256, k: 256, transA: false },
  { id: '1024', label: '1024³', m: 1024, n: 1024, k: 1024, transA: false },
  // Opt-in (matmulShapes): seconds per product on SwiftShader; bench/real-gpu.sh asks for it.
  { id: '4096', label: '4096³', m: 4096, n: 4096, k: 4096, transA: false },
  { id: 'mlpFwd32', label: 'MLP layer 1 fwd b32: [32×784]·[784×30]', m: 32, n: 30, k: 784, transA: false },
  { id: 'mlpFwd256', label: 'MLP layer 1 fwd b256: [256×784]·[784×30]', m: 256, n: 30, k: 784, transA: false },
  { id: 'mlpFwd1024', label: 'MLP layer 1 fwd b1024: [1024×784]·[784×30]', m: 1024, n: 30, k: 784, transA: false },
  { id: 'mlpGrad32', label: 'MLP layer 1 dW+db b32: [32×784 | 1]ᵀ·[32×30]', m: 785, n: 30, k: 32, transA: true, aOnesRow: true },
  { id: 'mlpGrad256', label: 'MLP layer 1 dW+db b256: [256×784 | 1]ᵀ·[256×30]', m: 785, n: 30, k: 256, transA: true, aOnesRow: true },
  { id: 'mlpGrad1024', label: 'MLP layer 1 dW b1024: [1024×784]ᵀ·[1024×30]', m: 784, n: 30, k: 1024, transA: true },
];

export type Task =
  | { kind: 'compile'; lib: GpuLib; model: ModelId; rep: number }
  | { kind: 'fit'; lib: Lib; model: ModelId; batch: number; samples: number; rep: number; calls: number }
  | { kind: 'step'; lib: GpuLib; model: ModelId; batch: number; count: number; rep: number }
  | { kind: 'predict'; lib: GpuLib; model: ModelId; batch: number; samples: number; rep: number }
  | { kind: 'matmul'; lib: MatmulLib; shape: string; seconds: number; rep: number }
  | { kind: 'peak'; seconds: number; rep: number }
  | { kind: 'profile'; lib: GpuLib; model: ModelId; batch: number; targetMs: number; steps: number };

export interface BenchOptions {
  quick: boolean;
  profile: boolean;
  repeats: number;
  /** Samples per timed fit call (the same for every library; a fixed count, not an epoch). */
  fitSamples: number;
  /**
   * Timed fit calls per weft fit case, and timed epochs per PyTorch run: each reports their median (a
   * b32 call is ~0.4 s, short enough for one burst of other work on the machine to move it 20–40%).
   */
  fitCalls: number;
  batches: number[];
  stepCount: number;
  predictSamples: number;
  predictBatch: number;
  matmulSeconds: number;
  models: ModelId[];
  /** Case kinds to run (default: all). */
  kinds: Task['kind'][];
  /** Libraries to run (default: all; the smoke test runs weft alone). */
  libs: Lib[];
  /** Ids of MATMUL_SHAPES to run (default: all but the opt-in 4096³). */
  matmulShapes: string[];
}

export function defaultOptions(overrides: Partial<BenchOptions> = {}): BenchOptions {
  const quick = overrides.quick ?? false;
  return {
    quick,
    profile: false,
    repeats: quick ? 1 : 3,
    fitSamples: quick ? 2048 : 8192,
    fitCalls: quick ? 1 : 3,
    batches: [32, 256],
    stepCount: quick ? 10 : 30,
    predictSamples: quick ? 2048 : 4096,
    predictBatch: 1024,
    matmulSeconds: quick ? 0.25 : 0.75,
    models: [...MODEL_IDS],
    kinds: ['compile', 'fit', 'step', 'predict', 'peak', 'matmul'],
    libs: ['weft', 'tfjs-webgpu', 'tfjs-wasm', 'tfjs-wasm-threads'],
    matmulShapes: MATMUL_SHAPES.map((s) => s.id).filter((id) => id !== '4096'),
    ...overrides,
  };
}

/**
 * Every task, in run order: within a repeat, each case runs weft, then TF.js WebGPU (then WASM) — except
 * fit, where all of weft's cases come first (run.mjs runs PyTorch right after each) and the other libraries'
 * after them, so TF.js's long fits do not load the machine between weft's and PyTorch's.
 */
export function planTasks(o: BenchOptions): Task[] {
  const tasks: Task[] = [];
  for (const m of o.models) if (!ALL_MODEL_IDS.includes(m)) throw new Error(`bench: unknown model '${m}'; choose from ${ALL_MODEL_IDS.join(', ')}`);
  const kinds = new Set(o.kinds);
  const libs = new Set(o.libs);
  const gpuLibs = (['weft', 'tfjs-webgpu'] as const).filter((l) => libs.has(l));
  for (let rep = 0; rep < o.repeats; rep++) {
    // compile first, so that the first repeat measures each library's pipelines cold in this session
    if (kinds.has('compile')) for (const model of o.models) for (const lib of gpuLibs) tasks.push({ kind: 'compile', lib, model, rep });
    if (kinds.has('fit'))
      for (const lib of o.libs)
        for (const model of o.models)
          for (const batch of o.batches)
            if (!(isWasm(lib) && MODELS[model].tfjsWasmCannotFit))
              tasks.push({ kind: 'fit', lib, model, batch, samples: samplesFor(model, o.fitSamples, batch), rep, calls: lib === 'weft' ? o.fitCalls : 1 });
    if (kinds.has('step'))
      for (const model of o.models) for (const lib of gpuLibs) tasks.push({ kind: 'step', lib, model, batch: 32, count: o.stepCount, rep });
    if (kinds.has('predict'))
      for (const model of o.models)
        for (const lib of gpuLibs)
          tasks.push({ kind: 'predict', lib, model, batch: o.predictBatch, samples: samplesFor(model, o.predictSamples, o.predictBatch), rep });
    // The peak runs right before the 1024³ products (item 2 of issue 14 divides one by the other within a
    // repeat: seconds apart, not a whole shape's worth), quadTiled first among weft's variants there.
    const shapes = kinds.has('matmul') ? MATMUL_SHAPES.filter((s) => o.matmulShapes.includes(s.id)) : [];
    const peakBefore = shapes.some((s) => s.id === '1024') ? '1024' : shapes[0]?.id;
    const peak = (): void => {
      if (kinds.has('peak') && libs.has('weft')) tasks.push({ kind: 'peak', seconds: o.matmulSeconds, rep });
    };
    if (peakBefore === undefined) peak();
    if (kinds.has('matmul'))
      for (const shape of shapes) {
        if (shape.id === peakBefore) peak();
        const mm: MatmulLib[] = [];
        if (libs.has('weft')) mm.push('weft-quadTiled', 'weft-quadTiled8x8', 'weft-registerTiled', 'weft-registerTiled8x8', 'weft-workgroupTiled');
        if (libs.has('tfjs-webgpu')) mm.push('tfjs-webgpu');
        if (libs.has('tfjs-wasm')) mm.push('tfjs-wasm');
        if (libs.has('tfjs-wasm-threads')) mm.push('tfjs-wasm-threads');
        for (const lib of mm) tasks.push({ kind: 'matmul', lib, shape: shape.id, seconds: o.matmulSeconds, rep });
      }
  }
  if (o.profile || kinds.has('profile')) {
    const targetMs = o.quick ? 8 : 25;
    // weft's measured step: a fit over the fit case's sample count (at least 32 steps), so that a call's
    // fixed cost (~11 ms here) adds ~0.04 ms to a b32 step, not the 0.34 ms it added over 32 steps.
    const steps = (model: ModelId, batch: number): number => Math.max(32, Math.floor(samplesFor(model, o.fitSamples, batch) / batch));
    if (libs.has('weft'))
      for (const model of o.models)
        for (const batch of o.batches) tasks.push({ kind: 'profile', lib: 'weft', model, batch, targetMs, steps: steps(model, batch) });
    if (libs.has('tfjs-webgpu') && o.models.includes('mlp')) tasks.push({ kind: 'profile', lib: 'tfjs-webgpu', model: 'mlp', batch: 32, targetMs, steps: 5 });
  }
  return tasks;
}

export interface TaskResult {
  task: Task;
  ok: boolean;
  error?: string;
  /** The case's main number (samples/s, ms, GFLOP/s; see `unit`). */
  value: number;
  unit: string;
  details: Record<string, unknown>;
  wallMs: number;
}

export interface BenchEnv {
  weft: typeof Weft;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  weftTesting: any;
  /** TensorFlow.js (the page's global `tf` with the webgpu and wasm backends), or null. */
  tf: Tf | null;
  /** Directory of the Fashion-MNIST .gz files. */
  dataUrl: string;
  /** Directory of tfjs-backend-wasm's .wasm files. */
  wasmPath: string;
  /** weft's compile precision in every case (default 'float32'; `--precision mixed_float16`). */
  precision?: 'float32' | 'mixed_float16';
  log?: (line: string) => void;
}

let dataPromise: Promise<BenchData> | null = null;

/** Loads Fashion-MNIST once per page. */
export function benchData(env: BenchEnv): Promise<BenchData> {
  if (!dataPromise) {
    dataPromise = env.weft.datasets.loadFashionMnist({ baseUrl: env.dataUrl }).then((d) => new BenchData(d.train, d.test));
    dataPromise.catch(() => (dataPromise = null));
  }
  return dataPromise;
}

export async function useBackend(env: BenchEnv, lib: Exclude<Lib, 'weft'>): Promise<Tf> {
  const tf = env.tf;
  if (!tf) throw new Error('TensorFlow.js is not loaded in this page');
  if (isWasm(lib)) prepareWasmBackends(tf, env.wasmPath);
  const name = isWasm(lib) ? WASM_BACKEND[lib] : 'webgpu';
  if (tf.getBackend() !== name) {
    const ok = await tf.setBackend(name);
    if (!ok) throw new Error(`TensorFlow.js could not start its ${name} backend`);
  }
  await tf.ready();
  return tf;
}

const now = () => performance.now();

function perStep(before: Record<string, number>, after: Record<string, number>, steps: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(after)) out[k] = (after[k]! - (before[k] ?? 0)) / steps;
  return out;
}

function weftCounters(weft: typeof Weft): Record<string, number> {
  return { ...weft.snapshotCounters() } as unknown as Record<string, number>;
}
function api(): Record<string, number> {
  return { ...apiCounts() } as unknown as Record<string, number>;
}

/** Runs one task; failures come back as { ok: false, error } so one broken case does not stop the run. */
export async function runTask(env: BenchEnv, task: Task): Promise<TaskResult> {
  installApiCounters();
  const t0 = now();
  try {
    const r = await dispatch(env, task);
    return { task, ok: true, ...r, wallMs: now() - t0 };
  } catch (e) {
    const err = e as Error;
    return { task, ok: false, error: String(err?.stack ?? err?.message ?? e), value: NaN, unit: '', details: {}, wallMs: now() - t0 };
  }
}

type Measured = Pick<TaskResult, 'value' | 'unit' | 'details'>;

async function dispatch(env: BenchEnv, task: Task): Promise<Measured> {
  switch (task.kind) {
    case 'fit':
      return task.lib === 'weft' ? fitWeft(env, task) : fitTf(env, task);
    case 'step':
      return task.lib === 'weft' ? stepWeft(env, task) : stepTf(env, task);
    case 'predict':
      return task.lib === 'weft' ? predictWeft(env, task) : predictTf(env, task);
    case 'compile':
      return task.lib === 'weft' ? compileWeft(env, task) : compileTf(env, task);
    case 'matmul':
      return task.lib.startsWith('weft') ? matmulWeft(env, task) : matmulTf(env, task);
    case 'peak':
      return peak(env, task);
    case 'profile':
      return task.lib === 'weft' ? profileWeft(env, task) : profileTf(env, task);
    default:
      return task satisfies never;
  }
}

// ── fit ──

async function fitWeft(env: BenchEnv, task: Extract<Task, { kind: 'fit' }>): Promise<Measured> {
  const { weft } = env;
  const data = await benchData(env);
  const model = weftModel(weft, task.model, env.precision);
  try {
    const warm = data.weft(weft, task.model, 'train', task.batch * 2);
    await model.fit(one(warm.x), one(warm.y), { epochs: 1, batchSize: task.batch, verbose: 0, seed: 1 });
    const { x, y } = data.weft(weft, task.model, 'train', task.samples);
    const steps = Math.ceil(task.samples / task.batch);
    // The first fit on these tensors also checks, packs and uploads them (kept on the GPU for later
    // calls): reported apart, as PyTorch's timed epochs start from tensors already in memory.
    const f0 = now();
    await model.fit(one(x), one(y), { epochs: 1, batchSize: task.batch, verbose: 0, seed: 3 });
    const firstFitMs = now() - f0;
    const c0 = weftCounters(weft);
    const a0 = api();
    const times: number[] = [];
    let history: Awaited<ReturnType<typeof model.fit>> | undefined;
    for (let call = 0; call < task.calls; call++) {
      const t0 = now();
      history = await model.fit(one(x), one(y), { epochs: 1, batchSize: task.batch, verbose: 0, seed: 2 + call });
      times.push(now() - t0);
    }
    const ms = median(times);
    const counters = perStep(c0, weftCounters(weft), steps * times.length);
    const apiPerStep = perStep(a0, api(), steps * times.length);
    const explain = await model.explain(task.batch);
    const h = history!.history as Record<string, number[]>;
    return {
      value: (task.samples * 1000) / ms,
      unit: 'samples/s',
      details: {
        ms,
        steps,
        msPerStep: ms / steps,
        firstFitSamplesPerSecond: (task.samples * 1000) / firstFitMs,
        stepFlops: explain.kernels.reduce((sum, k) => sum + matmulFlops(k.wgsl), 0),
        perStep: counters,
        apiPerStep,
        plannedBytes: explain.plannedBytes,
        dispatchesPerTrainStep: explain.dispatchesPerTrainStep,
        loss: h.loss?.[0],
        accuracy: h.accuracy?.[0] ?? h.main_output_accuracy?.[0],
      },
    };
  } finally {
    model.dispose();
  }
}

async function fitTf(env: BenchEnv, task: Extract<Task, { kind: 'fit' }>): Promise<Measured> {
  const tf = await useBackend(env, task.lib as Exclude<Lib, 'weft'>);
  const data = await benchData(env);
  const model = tfModel(tf, task.model);
  const warm = data.tf(tf, task.model, 'train', task.batch * 2);
  const d = data.tf(tf, task.model, 'train', task.samples);
  try {
    await model.fit(one(warm.x), one(warm.y), { epochs: 1, batchSize: task.batch, verbose: 0 });
    await onBackend(tf, [...d.x, ...d.y]);
    const steps = Math.ceil(task.samples / task.batch);
    const a0 = api();
    const t0 = now();
    const history = await model.fit(one(d.x), one(d.y), { epochs: 1, batchSize: task.batch, verbose: 0, shuffle: true });
    const ms = now() - t0;
    const h = history!.history as Record<string, number[]>;
    return {
      value: (task.samples * 1000) / ms,
      unit: 'samples/s',
      details: {
        ms,
        steps,
        msPerStep: ms / steps,
        apiPerStep: task.lib === 'tfjs-webgpu' ? perStep(a0, api(), steps) : undefined,
        loss: h.loss?.[0],
        accuracy: h.acc?.[0] ?? h.accuracy?.[0] ?? h.main_output_acc?.[0],
        ...(isWasm(task.lib) ? { wasmThreads: threadsInUse(tf) } : {}),
      },
    };
  } finally {
    warm.dispose();
    d.dispose();
    disposeTfModel(model);
  }
}

/**
 * Moves tensors' data onto the backend before the timed fit, as weft's first fit does for its own:
 * any kernel on a tensor uploads all of it (WebGPU keeps the GPU copy; WASM already holds it).
 */
async function onBackend(tf: Tf, tensors: Tf[]): Promise<void> {
  for (const t of tensors) {
    const row = tf.gather(t, [0]);
    await row.data();
    row.dispose();
  }
}

function disposeTfModel(model: Tf): void {
  const optimizer = model.optimizer;
  model.dispose();
  optimizer?.dispose?.();
}

// ── one training step ──

async function stepWeft(env: BenchEnv, task: Extract<Task, { kind: 'step' }>): Promise<Measured> {
  const { weft } = env;
  const data = await benchData(env);
  const model = weftModel(weft, task.model, env.precision);
  try {
    const { x, y } = data.weft(weft, task.model, 'train', task.batch);
    const call = () => model.fit(one(x), one(y), { epochs: 1, batchSize: task.batch, verbose: 0, shuffle: false });
    for (let i = 0; i < 3; i++) await call();
    const c0 = weftCounters(weft);
    const a0 = api();
    const times: number[] = [];
    for (let i = 0; i < task.count; i++) {
      const t0 = now();
      await call();
      times.push(now() - t0);
    }
    return {
      value: median(times),
      unit: 'ms',
      details: {
        times,
        min: Math.min(...times),
        perCall: perStep(c0, weftCounters(weft), task.count),
        apiPerCall: perStep(a0, api(), task.count),
        how: 'model.fit on one batch, awaited',
      },
    };
  } finally {
    model.dispose();
  }
}

async function stepTf(env: BenchEnv, task: Extract<Task, { kind: 'step' }>): Promise<Measured> {
  const tf = await useBackend(env, 'tfjs-webgpu');
  const data = await benchData(env);
  const model = tfModel(tf, task.model);
  const d = data.tf(tf, task.model, 'train', task.batch);
  try {
    const call = () => model.trainOnBatch(one(d.x), one(d.y));
    for (let i = 0; i < 3; i++) await call();
    const a0 = api();
    const times: number[] = [];
    for (let i = 0; i < task.count; i++) {
      const t0 = now();
      await call();
      times.push(now() - t0);
    }
    return {
      value: median(times),
      unit: 'ms',
      details: { times, min: Math.min(...times), apiPerCall: perStep(a0, api(), task.count), how: 'model.trainOnBatch, awaited' },
    };
  } finally {
    d.dispose();
    disposeTfModel(model);
  }
}

// ── predict ──

async function predictWeft(env: BenchEnv, task: Extract<Task, { kind: 'predict' }>): Promise<Measured> {
  const { weft } = env;
  const data = await benchData(env);
  const model = weftModel(weft, task.model, env.precision);
  try {
    const { x } = data.weft(weft, task.model, 'test', task.samples);
    const warm = data.weft(weft, task.model, 'test', Math.min(task.batch, task.samples)).x;
    const call = async (input: Weft.Tensor[]) => {
      const p = await model.predict(one(input), { batchSize: task.batch });
      for (const t of Array.isArray(p) ? p : [p]) await t.data();
    };
    await call(warm);
    const c0 = weftCounters(weft);
    const t0 = now();
    await call(x);
    const ms = now() - t0;
    return { value: (task.samples * 1000) / ms, unit: 'samples/s', details: { ms, perCall: perStep(c0, weftCounters(weft), 1) } };
  } finally {
    model.dispose();
  }
}

async function predictTf(env: BenchEnv, task: Extract<Task, { kind: 'predict' }>): Promise<Measured> {
  const tf = await useBackend(env, 'tfjs-webgpu');
  const data = await benchData(env);
  const model = tfModel(tf, task.model);
  const d = data.tf(tf, task.model, 'test', task.samples);
  const warm = data.tf(tf, task.model, 'test', Math.min(task.batch, task.samples));
  try {
    const call = async (input: Tf[]) => {
      const p = model.predict(one(input), { batchSize: task.batch });
      const list = Array.isArray(p) ? p : [p];
      await Promise.all(list.map((t: Tf) => t.data()));
      for (const t of list) t.dispose();
    };
    await call(warm.x);
    const a0 = api();
    const t0 = now();
    await call(d.x);
    const ms = now() - t0;
    return { value: (task.samples * 1000) / ms, unit: 'samples/s', details: { ms, apiPerCall: perStep(a0, api(), 1) } };
  } finally {
    d.dispose();
    warm.dispose();
    disposeTfModel(model);
  }
}

// ── compile to first step ──

async function compileWeft(env: BenchEnv, task: Extract<Task, { kind: 'compile' }>): Promise<Measured> {
  const { weft } = env;
  const data = await benchData(env);
  const { x, y } = data.weft(weft, task.model, 'train', 32);
  const c0 = weftCounters(weft);
  const a0 = api();
  const t0 = now();
  const model = weftModel(weft, task.model, env.precision);
  const t1 = now();
  try {
    await model.fit(one(x), one(y), { epochs: 1, batchSize: 32, verbose: 0 });
    const t2 = now();
    const c = perStep(c0, weftCounters(weft), 1);
    const a = perStep(a0, api(), 1);
    return {
      value: t2 - t0,
      unit: 'ms',
      details: {
        buildAndCompileMs: t1 - t0,
        firstFitMs: t2 - t1,
        pipelines: c.pipelineCreations,
        pipelineMs: a.pipelineMs,
        how: 'weft.model + compile + fit(32 samples, batch 32)',
      },
    };
  } finally {
    model.dispose();
  }
}

async function compileTf(env: BenchEnv, task: Extract<Task, { kind: 'compile' }>): Promise<Measured> {
  const tf = await useBackend(env, 'tfjs-webgpu');
  const data = await benchData(env);
  const d = data.tf(tf, task.model, 'train', 32);
  const a0 = api();
  const t0 = now();
  const model = tfModel(tf, task.model);
  const t1 = now();
  try {
    await model.fit(one(d.x), one(d.y), { epochs: 1, batchSize: 32, verbose: 0 });
    const t2 = now();
    const a = perStep(a0, api(), 1);
    return {
      value: t2 - t0,
      unit: 'ms',
      details: {
        buildAndCompileMs: t1 - t0,
        firstFitMs: t2 - t1,
        pipelines: a.pipelines,
        pipelineMs: a.pipelineMs,
        how: 'tf.model + compile + fit(32 samples, batch 32)',
      },
    };
  } finally {
    d.dispose();
    disposeTfModel(model);
  }
}

// ── matmul ──

function matmulDesc(s: MatmulShape): MatmulKernel {
  const { n, k, transA } = s;
  const m = s.aOnesRow ? s.m - 1 : s.m; // rows of A
  return {
    kind: 'matmul',
    name: `bench matmul ${s.id}`,
    m,
    n,
    k,
    transA,
    transB: false,
    a: transA ? { buffer: 'a', offset: 0, rowStride: m, rows: k, cols: m } : { buffer: 'a', offset: 0, rowStride: k, rows: m, cols: k },
    b: { buffer: 'b', offset: 0, rowStride: n, rows: k, cols: n },
    out: { buffer: 'out', offset: 0, rowStride: n, rows: s.m, cols: n },
    ...(s.aOnesRow ? { m: s.m, aOnesRow: true } : {}),
  };
}

function shapeOf(id: string): MatmulShape {
  const s = MATMUL_SHAPES.find((x) => x.id === id);
  if (!s) throw new Error(`unknown matmul shape ${id}`);
  return s;
}

function random(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() * 2 - 1;
  return a;
}

/**
 * Times `run(reps)`: one warm-up, one estimate, then three timed runs of enough repetitions for a third of
 * `seconds` each, and keeps the best — as measurePeak does for the peak, so that a matmul's fraction of the
 * peak compares like with like (a busy host only ever makes a run slower). `runsMs`: the three, per repetition.
 */
async function timeReps(
  run: (reps: number) => Promise<number>,
  seconds: number,
  maxReps = 5000,
): Promise<{ msEach: number; reps: number; firstMs: number; runsMs: number[] }> {
  const firstMs = await run(1);
  const estimate = await run(1);
  const reps = Math.max(1, Math.min(maxReps, Math.round((seconds * 1000) / 3 / Math.max(estimate, 0.01))));
  // with one repetition per run the estimate is already a timed run
  const runsMs = reps <= 1 ? [estimate] : [];
  while (runsMs.length < 3) runsMs.push((await run(reps)) / reps);
  return { msEach: Math.min(...runsMs), reps, firstMs, runsMs };
}

async function matmulWeft(env: BenchEnv, task: Extract<Task, { kind: 'matmul' }>): Promise<Measured> {
  const { wgsl, runtime } = env.weftTesting;
  const gpu = await runtime.getGpu();
  const device: GPUDevice = gpu.device;
  const shape = shapeOf(task.shape);
  const desc = matmulDesc(shape);
  const variant =
    task.lib === 'weft-workgroupTiled' ? 'workgroupTiled' : task.lib === 'weft-quadTiled' || task.lib === 'weft-quadTiled8x8' ? 'quadTiled' : 'registerTiled';
  // quadTiled's choice before issue 14's second round (8 × 8 per lane, A by quadBroadcast), beside today's
  const quad =
    task.lib === 'weft-quadTiled8x8'
      ? { block: [Math.min(8, shape.m), Math.min(8, Math.ceil(shape.n / 4))], workgroupSize: 4, sharing: 'broadcast' }
      : undefined;
  if (variant === 'quadTiled' && !gpu.subgroups) throw new Error('quadTiled needs the subgroups feature, which this device does not have');
  // registerTiled's default is 4×4 outputs per invocation; the 8×8 column shows the larger block
  const registerBlock: [number, number] | undefined = task.lib === 'weft-registerTiled8x8' ? [8, 8] : undefined;
  const sizes: Record<string, number> = { a: desc.a.rows * desc.a.cols, b: shape.k * shape.n, out: shape.m * shape.n };
  const decls: Record<string, unknown> = {};
  const buffers = new Map<string, GPUBuffer>();
  for (const [name, size] of Object.entries(sizes)) {
    decls[name] = { name, elementType: 'f32', size, role: 'arena' };
    const buffer = runtime.createBuffer(gpu, {
      size: size * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
      label: `bench ${name}`,
    });
    runtime.writeBuffer(gpu, buffer, 0, random(size));
    buffers.set(name, buffer);
  }
  const steps = runtime.createBuffer(gpu, { size: 256, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'bench steps' });
  try {
    const kernel = wgsl.generateKernel(desc, decls, { variant, ...(registerBlock ? { registerBlock } : {}), ...(quad ? { quad } : {}) });
    const program = await runtime.StepProgram.create(gpu, [kernel], buffers, steps);
    const run = async (reps: number): Promise<number> => {
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      for (let i = 0; i < reps; i++) program.encode(pass, 0);
      pass.end();
      const t0 = now();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      return now() - t0;
    };
    const t = await timeReps(run, task.seconds);
    const flop = 2 * shape.m * shape.n * shape.k;
    return {
      value: flop / (t.msEach * 1e6),
      unit: 'GFLOP/s',
      details: { ...t, variant, registerBlock: registerBlock ?? null, quad: quad ?? null, workgroups: kernel.workgroups, flop },
    };
  } finally {
    for (const b of buffers.values()) b.destroy();
    steps.destroy();
  }
}

async function matmulTf(env: BenchEnv, task: Extract<Task, { kind: 'matmul' }>): Promise<Measured> {
  const tf = await useBackend(env, task.lib as Exclude<Lib, 'weft'>);
  const shape = shapeOf(task.shape);
  const a = tf.tensor2d(random(shape.m * shape.k), shape.transA ? [shape.k, shape.m] : [shape.m, shape.k]);
  const b = tf.tensor2d(random(shape.k * shape.n), [shape.k, shape.n]);
  try {
    // make sure the operands are on the device before timing
    await tf.add(a, 0).data();
    const run = async (reps: number): Promise<number> => {
      const t0 = now();
      let c: Tf = null;
      for (let i = 0; i < reps; i++) {
        const next = tf.matMul(a, b, shape.transA, false);
        c?.dispose();
        c = next;
      }
      await c.data();
      const ms = now() - t0;
      c.dispose();
      return ms;
    };
    const t = await timeReps(run, task.seconds, 2000);
    const flop = 2 * shape.m * shape.n * shape.k;
    const threads = isWasm(task.lib) ? { wasmThreads: threadsInUse(tf) } : {};
    return { value: flop / (t.msEach * 1e6), unit: 'GFLOP/s', details: { ...t, flop, ...threads, how: 'tf.matMul × reps, then await data() of the last' } };
  } finally {
    a.dispose();
    b.dispose();
  }
}

async function peak(env: BenchEnv, task: Extract<Task, { kind: 'peak' }>): Promise<Measured> {
  const gpu = await env.weftTesting.runtime.getGpu();
  const r = await measurePeak(gpu.device, task.seconds);
  return { value: r.gflops, unit: 'GFLOP/s', details: r };
}

// ── profile: GPU time per kernel of one training step ──

export interface ProfileKernel extends KernelTiming {
  fusedOps?: string;
  /** Multiply-add FLOPs (2·M·N·K) of the matmuls in this dispatch, from its kernels' summary lines. */
  flops?: number;
}

/**
 * 2·M·N·K summed over the matmul and conv2d summaries in a kernel's WGSL comments ("matmul M×N×K (M×N×K)",
 * "conv2d …; product M×N×K (M×N×K)": a convolution's implicit GEMM); a kernel computing several products
 * over one op(A) lists each in its one summary line ("products sharing op(A) …: matmul …; matmul …"). A
 * dispatch of row parts ("(P row parts)" in its header) runs its kernels, generated for one part's rows, P times.
 */
export function matmulFlops(wgsl: string): number {
  let flops = 0;
  const lines = wgsl.split('\n').filter((l) => l.startsWith('// '));
  for (const line of lines)
    for (const m of line.matchAll(/(?:\/\/ |: |; )(?:matmul |conv2d .*?; product )(\d+)×(\d+)×(\d+) \(M×N×K\)/g))
      flops += 2 * Number(m[1]) * Number(m[2]) * Number(m[3]);
  const parts = lines.find((l) => l.startsWith('// weft kernel group: '))?.match(/\((\d+) row parts\)$/);
  return parts ? flops * Number(parts[1]) : flops;
}

async function profileWeft(env: BenchEnv, task: Extract<Task, { kind: 'profile' }>): Promise<Measured> {
  const { weft } = env;
  const data = await benchData(env);
  const model = weftModel(weft, task.model, env.precision);
  try {
    const steps = task.steps;
    const many = data.weft(weft, task.model, 'train', task.batch * steps);
    await model.fit(one(many.x), one(many.y), { epochs: 1, batchSize: task.batch, verbose: 0 });
    const t0 = now();
    await model.fit(one(many.x), one(many.y), { epochs: 1, batchSize: task.batch, verbose: 0 });
    const fitMsPerStep = (now() - t0) / steps;
    const single = data.weft(weft, task.model, 'train', task.batch);
    const captured = await captureDispatches(async () => {
      await model.fit(one(single.x), one(single.y), { epochs: 1, batchSize: task.batch, verbose: 0 });
    });
    let kernels: ProfileKernel[];
    let replayStepMs: number | null;
    try {
      kernels = await timeDispatches(captured.dispatches, { targetMs: task.targetMs, maxCopies: 400 });
      replayStepMs = await timeStepReplay(captured.dispatches, { targetMs: 8 * task.targetMs, maxCopies: 1000 });
    } finally {
      captured.release();
    }
    const explain = await model.explain(task.batch);
    // Pipelines are cached by WGSL text, so a captured label can be another model's kernel name (an
    // earlier case's "dense" for this model's "dense_3"): match the step's dispatches in order when
    // their counts agree, by name otherwise.
    const byName = new Map(explain.kernels.map((k) => [k.name, k]));
    const inOrder = explain.kernels.length === kernels.length;
    for (const [i, k] of kernels.entries()) {
      const e = inOrder ? explain.kernels[i] : byName.get(k.label);
      if (e && inOrder) k.label = e.name;
      if (e?.fusedOps) k.fusedOps = e.fusedOps;
      if (e) k.flops = matmulFlops(e.wgsl);
    }
    return profileResult(
      kernels,
      fitMsPerStep,
      `model.fit over ${steps} steps, per step`,
      weft.getGpu ? (await weft.getGpu()).timestampQuery : null,
      replayStepMs,
    );
  } finally {
    model.dispose();
  }
}

async function profileTf(env: BenchEnv, task: Extract<Task, { kind: 'profile' }>): Promise<Measured> {
  const tf = await useBackend(env, 'tfjs-webgpu');
  const data = await benchData(env);
  const model = tfModel(tf, task.model);
  const d = data.tf(tf, task.model, 'train', task.batch);
  try {
    const call = () => model.trainOnBatch(one(d.x), one(d.y));
    for (let i = 0; i < 3; i++) await call();
    const times: number[] = [];
    for (let i = 0; i < task.steps; i++) {
      const t0 = now();
      await call();
      times.push(now() - t0);
    }
    const captured = await captureDispatches(async () => {
      await call();
    });
    let kernels: ProfileKernel[];
    let replayStepMs: number | null;
    try {
      kernels = await timeDispatches(captured.dispatches, { targetMs: task.targetMs, maxCopies: 400 });
      replayStepMs = await timeStepReplay(captured.dispatches, { targetMs: 8 * task.targetMs, maxCopies: 1000 });
    } finally {
      captured.release();
    }
    const device: GPUDevice | undefined = tf.backend()?.device;
    return profileResult(
      kernels,
      median(times),
      `model.trainOnBatch, median of ${task.steps}`,
      device ? device.features.has('timestamp-query') : null,
      replayStepMs,
    );
  } finally {
    d.dispose();
    disposeTfModel(model);
  }
}

function profileResult(kernels: ProfileKernel[], stepMs: number, stepHow: string, timestampQuery: boolean | null, replayStepMs: number | null): Measured {
  const gpuValues = kernels.map((k) => k.gpuMs);
  const gpuTotal = gpuValues.every((v) => v !== null) ? gpuValues.reduce((a, b) => a + (b ?? 0), 0) : null;
  const wallTotal = kernels.reduce((a, k) => a + k.wallMs, 0);
  return {
    value: gpuTotal ?? wallTotal,
    unit: gpuTotal !== null ? 'GPU ms/step (timestamps)' : 'ms/step (CPU-timed replay)',
    details: { kernels, gpuTotalMs: gpuTotal, wallTotalMs: wallTotal, replayStepMs, stepMs, stepHow, timestampQuery, dispatches: kernels.length },
  };
}

export type { ApiCounts };
