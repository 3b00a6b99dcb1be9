// Results → tables: medians over repeats, ratios weft/TensorFlow.js paired by repeat with their
// spread, the issue's targets (reported, not asserted), and the per-kernel profile.
import { MATMUL_SHAPES, type BenchOptions, type Task, type TaskResult } from './cases.js';
import { median } from './gpu.js';
import { MODELS, samplesFor, type ModelId } from './models.js';
import { wasmLabel, type WasmLib } from './tfjsWasm.js';

export interface Section {
  title: string;
  notes: string[];
  headers: string[];
  rows: string[][];
}

export interface Target {
  name: string;
  goal: string;
  measured: string;
  met: boolean | null;
}

export interface Summary {
  header: string[];
  sections: Section[];
  targets: Target[];
  failures: string[];
}

export interface EnvInfo {
  adapter: string;
  timestampQuery: boolean;
  /** Whether weft's device has 'shader-f16' (mixed_float16 runs in f16 only then). */
  shaderF16?: boolean;
  userAgent: string;
  tfjs: string | null;
  wasm: string | null;
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
  /** The matmul variant weft's planner picks on this adapter. */
  matmulVariant?: 'registerTiled' | 'workgroupTiled' | 'quadTiled';
  /** Whether weft's device has the subgroups feature (quadTiled needs it). */
  subgroups?: boolean;
  limits?: Record<string, number>;
}

type Stats = { median: number; min: number; max: number; n: number; values: number[] };

function stats(values: number[]): Stats | null {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return null;
  return { median: median(v), min: Math.min(...v), max: Math.max(...v), n: v.length, values: v };
}

const group = (r: TaskResult): string => {
  const t = r.task as Task & Record<string, unknown>;
  return [t.kind, t.lib ?? '', t.model ?? '', t.batch ?? '', t.shape ?? ''].join('|');
};

/** Formats a number with 3 significant digits (thousands separated), or '—'. */
export function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a === 0 || Number.isInteger(x)) return String(x);
  const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(a)));
  return x
    .toFixed(Math.min(decimals, 4))
    .replace(/(\.\d*?)0+$/, '$1')
    .replace(/\.$/, '');
}

function fmtStats(s: Stats | null): string {
  if (!s) return '—';
  return s.n > 1 ? `${fmt(s.median)} [${fmt(s.min)}–${fmt(s.max)}]` : fmt(s.median);
}

function ratioStats(a: TaskResult[], b: TaskResult[], invert = false): Stats | null {
  const byRep = new Map<number, number>();
  for (const r of b) if (r.ok) byRep.set((r.task as { rep?: number }).rep ?? 0, r.value);
  const ratios: number[] = [];
  for (const r of a) {
    const other = byRep.get((r.task as { rep?: number }).rep ?? 0);
    if (r.ok && other !== undefined && other > 0 && r.value > 0) ratios.push(invert ? other / r.value : r.value / other);
  }
  return stats(ratios);
}

const fmtRatio = (s: Stats | null): string => (s ? (s.n > 1 ? `${fmt(s.median)}× [${fmt(s.min)}–${fmt(s.max)}]` : `${fmt(s.median)}×`) : '—');
const mb = (bytes: unknown): string => (typeof bytes === 'number' ? `${fmt(bytes / 1048576)} MiB` : '—');

export function summarize(results: TaskResult[], options: BenchOptions, env: EnvInfo | null, extraHeader: string[] = []): Summary {
  const groups = new Map<string, TaskResult[]>();
  for (const r of results) {
    const key = group(r);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(r);
  }
  const get = (kind: string, lib: string, model = '', batch: number | '' = '', shape = ''): TaskResult[] =>
    groups.get([kind, lib, model, batch, shape].join('|')) ?? [];
  const ok = (rs: TaskResult[]) => rs.filter((r) => r.ok);
  const values = (rs: TaskResult[]) => stats(ok(rs).map((r) => r.value));
  /** Whole step: matmul FLOPs per step × steps/s, as GFLOP/s and % of peak. */
  const stepPeak = (rs: TaskResult[]): string => {
    const gflops = ok(rs)
      .map((r) =>
        typeof r.details.stepFlops === 'number' && typeof r.details.msPerStep === 'number' ? r.details.stepFlops / (r.details.msPerStep * 1e6) : NaN,
      )
      .filter(Number.isFinite);
    if (!gflops.length) return '—';
    const m = median(gflops);
    return `${fmt(m)} (${ofPeak(m)})`;
  };
  const detail = (rs: TaskResult[], path: string): number | undefined => {
    const vals = ok(rs)
      .map((r) => path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), r.details))
      .filter((v): v is number => typeof v === 'number');
    return vals.length ? median(vals) : undefined;
  };
  const sections: Section[] = [];
  const targets: Target[] = [];
  const failures = results.filter((r) => !r.ok).map((r) => `${describeTask(r.task)}: ${(r.error ?? '').split('\n')[0]}`);
  const models = options.models;
  // The thread count each WASM column ran with, as its backend reported it (for the column labels).
  const threadsOf = (lib: WasmLib): number | undefined => {
    const n = ok(results.filter((r) => (r.task as { lib?: string }).lib === lib))
      .map((r) => r.details.wasmThreads)
      .filter((v): v is number => typeof v === 'number');
    return n.length ? Math.max(...n) : undefined;
  };
  const wasm1Label = wasmLabel('tfjs-wasm', threadsOf('tfjs-wasm'));
  const wasmNLabel = wasmLabel('tfjs-wasm-threads', threadsOf('tfjs-wasm-threads'));
  const spread = options.repeats > 1 ? `median [min–max] of ${options.repeats} repeats` : 'one run (use more repeats for a spread)';

  // The adapter's multiply-add peak (GFLOP/s), when the run measured it: dense kernels and whole steps are reported as fractions of it.
  const peak = values(get('peak', ''));
  const ofPeak = (gflops: number | undefined | null): string =>
    gflops !== undefined && gflops !== null && peak ? `${fmt((100 * gflops) / peak.median)}%` : '—';

  // fit
  const fitRows: string[][] = [];
  const detailRows: string[][] = [];
  for (const model of models)
    for (const batch of options.batches) {
      const w = get('fit', 'weft', model, batch);
      const g = get('fit', 'tfjs-webgpu', model, batch);
      const c = get('fit', 'tfjs-wasm', model, batch);
      const ct = get('fit', 'tfjs-wasm-threads', model, batch);
      if (w.length + g.length + c.length + ct.length === 0) continue;
      const rg = ratioStats(w, g);
      const rc = ratioStats(w, c);
      const rct = ratioStats(w, ct);
      const goal = batch <= 32 ? 20 : 10;
      fitRows.push([
        `${MODELS[model].label} b${batch}`,
        fmtStats(values(w)),
        fmtStats(
          stats(
            ok(w)
              .map((r) => r.details.firstFitSamplesPerSecond)
              .filter((v): v is number => typeof v === 'number'),
          ),
        ),
        fmtStats(values(g)),
        fmtStats(values(c)),
        fmtStats(values(ct)),
        fmtRatio(rg),
        fmtRatio(rc),
        fmtRatio(rct),
        fmt(detail(w, 'msPerStep')),
        fmt(detail(g, 'msPerStep')),
        stepPeak(w),
      ]);
      if (w.length && g.length)
        targets.push({
          name: `fit ${MODELS[model].label} b${batch} vs TF.js WebGPU`,
          goal: `≥ ${goal}×`,
          measured: fmtRatio(rg),
          met: rg ? rg.median >= goal : null,
        });
      if (w.length && c.length)
        targets.push({ name: `fit ${MODELS[model].label} b${batch} vs ${wasm1Label}`, goal: '≥ 1×', measured: fmtRatio(rc), met: rc ? rc.median >= 1 : null });
      if (w.length && ct.length)
        targets.push({
          name: `fit ${MODELS[model].label} b${batch} vs ${wasmNLabel}`,
          goal: '≥ 1×',
          measured: fmtRatio(rct),
          met: rct ? rct.median >= 1 : null,
        });
      if (w.length) {
        const planned = ok(w)[0]?.details.plannedBytes as { train?: number } | undefined;
        detailRows.push([
          `${MODELS[model].label} b${batch}`,
          fmt(detail(w, 'dispatchesPerTrainStep')),
          fmt(detail(w, 'perStep.dispatches')),
          fmt(detail(w, 'perStep.submits')),
          fmt(detail(w, 'perStep.readbacks')),
          fmt(detail(w, 'perStep.writes')),
          fmt(detail(w, 'perStep.bindGroupCreations')),
          mb(planned?.train),
          fmt(detail(g, 'apiPerStep.dispatches')),
          fmt(detail(g, 'apiPerStep.submits')),
          fmt(detail(g, 'apiPerStep.maps')),
        ]);
      }
    }
  if (fitRows.length)
    sections.push({
      title: 'fit: samples/s',
      notes: [
        `model.fit(x, y, { epochs: 1, batchSize }) on ${options.fitSamples.toLocaleString('en-US')} Fashion-MNIST training samples per call — a fixed sample count, not the full 55,000-sample epoch — after a 2-batch warm-up fit; Adam 1e-3, sparse categorical cross-entropy, accuracy.`,
        "The timed fit starts from data already on the device, as PyTorch's timed epochs start from tensors in memory and as every epoch after a fit's first does: weft's 'first fit' column times the fit before it, the first on those fresh tensors (it also checks, packs and uploads them); TF.js's tensors are moved to its backend (one gather) before its timed fit.",
        `weft's value in a repeat is the median of ${options.fitCalls} timed fit call(s) on the same model (PyTorch's of as many timed epochs); TF.js's is one timed call.`,

        ...models
          .filter((m) => MODELS[m].sampleFraction !== 1)
          .map(
            (m) =>
              `${MODELS[m].label}: ${samplesFor(m, options.fitSamples, Math.max(...options.batches)).toLocaleString('en-US')} samples per call at batch ${Math.max(...options.batches)} (${MODELS[m].sampleFraction} of the count, at least two batches), images as [n, ${MODELS[m].image?.join(', ')}].`,
          ),
        ...models.filter((m) => MODELS[m].tfjsWasmCannotFit).map((m) => `${MODELS[m].label}: no TF.js WASM column (${MODELS[m].tfjsWasmCannotFit}).`),
        `Each value: ${spread}; ratios are paired within a repeat (a repeat runs weft's fit cases, then TF.js's). ms/step = fit time / steps.`,
        `weft step GFLOP/s = the step's matmul FLOPs (2·M·N·K over its dense and convolution kernels, forward and backward; a convolution as its implicit GEMM) × steps/s, and its % of the adapter's multiply-add peak${peak ? ` (${fmt(peak.median)} GFLOP/s)` : ' (not measured in this run: add --cases peak)'}.`,
        "TF.js Layers ignores lossWeights, so its two-output model uses weighted categorical cross-entropy losses on one-hot targets (same arithmetic as weft's weighted sparse loss).",
      ],
      headers: [
        'model, batch',
        'weft',
        'weft first fit',
        'TF.js WebGPU',
        wasm1Label,
        wasmNLabel,
        'weft / WebGPU',
        `weft / ${wasm1Label.replace('TF.js ', '')}`,
        `weft / ${wasmNLabel.replace('TF.js ', '')}`,
        'weft ms/step',
        'WebGPU ms/step',
        'weft step GFLOP/s (% peak)',
      ],
      rows: fitRows,
    });
  if (detailRows.length)
    sections.push({
      title: 'fit: work per training step',
      notes: [
        'weft columns from weft.snapshotCounters() over the timed fit, divided by its steps (readbacks and submits are shared by many steps); planned = GPU bytes planned for training at that batch (model.explain()).',
        'TF.js columns count WebGPU API calls (dispatchWorkgroups, queue.submit, mapAsync) over its timed fit, divided by steps.',
      ],
      headers: [
        'model, batch',
        'weft kernels',
        'dispatches',
        'submits',
        'readbacks',
        'writes',
        'bind groups',
        'planned',
        'TF.js dispatches',
        'TF.js submits',
        'TF.js maps',
      ],
      rows: detailRows,
    });

  // one step
  const stepRows: string[][] = [];
  for (const model of models) {
    const w = get('step', 'weft', model, 32);
    const g = get('step', 'tfjs-webgpu', model, 32);
    if (!w.length && !g.length) continue;
    stepRows.push([
      `${MODELS[model].label} b32`,
      fmtStats(values(w)),
      fmtStats(values(g)),
      fmtRatio(ratioStats(w, g, true)),
      fmt(detail(w, 'perCall.submits')),
      fmt(detail(w, 'perCall.readbacks')),
      fmt(detail(g, 'apiPerCall.submits')),
      fmt(detail(g, 'apiPerCall.maps')),
    ]);
  }
  if (stepRows.length)
    sections.push({
      title: 'one training step: ms (median of many, after warm-up)',
      notes: [
        `weft: model.fit on exactly one batch, awaited (upload, one step, metric and weight readbacks); TF.js: model.trainOnBatch, awaited. Median of ${options.stepCount} calls after 3 warm-up calls; ${spread} of those medians.`,
        'speed-up = TF.js ms / weft ms. Steady-state per-step time inside fit is the ms/step column of the fit table.',
      ],
      headers: ['model', 'weft ms', 'TF.js WebGPU ms', 'speed-up', 'weft submits', 'weft readbacks', 'TF.js submits', 'TF.js maps'],
      rows: stepRows,
    });

  // predict
  const predictRows: string[][] = [];
  for (const model of models) {
    const w = get('predict', 'weft', model, options.predictBatch);
    const g = get('predict', 'tfjs-webgpu', model, options.predictBatch);
    if (!w.length && !g.length) continue;
    predictRows.push([MODELS[model].label, fmtStats(values(w)), fmtStats(values(g)), fmtRatio(ratioStats(w, g))]);
  }
  if (predictRows.length)
    sections.push({
      title: `predict: samples/s at batch ${options.predictBatch}`,
      notes: [
        `model.predict on ${options.predictSamples.toLocaleString('en-US')} test images, results read to the CPU, after a one-batch warm-up call; ${spread}.`,
      ],
      headers: ['model', 'weft', 'TF.js WebGPU', 'weft / WebGPU'],
      rows: predictRows,
    });

  // matmul + peak
  const pct = (s: Stats | null) => ofPeak(s?.median);
  const mmRows: string[][] = [];
  for (const shape of MATMUL_SHAPES) {
    const reg = get('matmul', 'weft-registerTiled', '', '', shape.id);
    const reg8 = get('matmul', 'weft-registerTiled8x8', '', '', shape.id);
    const quad = get('matmul', 'weft-quadTiled', '', '', shape.id);
    const quad8 = get('matmul', 'weft-quadTiled8x8', '', '', shape.id);
    const wg = get('matmul', 'weft-workgroupTiled', '', '', shape.id);
    const g = get('matmul', 'tfjs-webgpu', '', '', shape.id);
    const c = get('matmul', 'tfjs-wasm', '', '', shape.id);
    const ct = get('matmul', 'tfjs-wasm-threads', '', '', shape.id);
    if (!reg.length && !quad.length && !wg.length && !g.length && !c.length && !ct.length) continue;
    const variant = pickedVariant(env);
    const picked = variant === 'registerTiled' ? reg : variant === 'quadTiled' ? quad : wg;
    const r = ratioStats(picked, g);
    mmRows.push([
      shape.label,
      fmtStats(values(reg)),
      fmtStats(values(reg8)),
      fmtStats(values(quad8)),
      fmtStats(values(quad)),
      fmtStats(values(wg)),
      fmtStats(values(g)),
      fmtStats(values(c)),
      fmtStats(values(ct)),
      fmtRatio(r),
      pct(values(reg)),
      pct(values(quad8)),
      pct(values(quad)),
      pct(values(picked)),
      pct(values(g)),
    ]);
    if (shape.id === '1024' && picked.length && peak) {
      // Judged per repeat (the kernel ÷ the peak measured in the same repeat), as the peak itself moves
      // ±20% between repeats on a busy CPU adapter; the ratio of medians is shown beside it.
      const paired = ratioStats(picked, get('peak', ''));
      const asPct = (x: number): string => `${fmt(100 * x)}%`;
      targets.push({
        name: `matmul 1024³ fraction of the multiply-add peak (weft ${variant}; per repeat, median [min–max])`,
        goal: '≥ 60%',
        measured: paired
          ? `${asPct(paired.median)}${paired.n > 1 ? ` [${asPct(paired.min)}–${asPct(paired.max)}]` : ''} (of medians ${pct(values(picked))})`
          : pct(values(picked)),
        met: paired ? paired.median >= 0.6 : values(picked) ? values(picked)!.median / peak.median >= 0.6 : null,
      });
    }
    if (shape.id === '1024' && picked.length && g.length)
      targets.push({ name: `matmul 1024³ vs TF.js WebGPU (weft ${pickedVariant(env)})`, goal: '≥ 10×', measured: fmtRatio(r), met: r ? r.median >= 10 : null });
  }
  if (mmRows.length || peak)
    sections.push({
      title: 'matmul: GFLOP/s',
      notes: [
        'weft: its matmul kernel generated from a KernelDesc (weftTesting.wgsl.generateKernel) and run through its runtime (StepProgram), many dispatches per submit, waited with onSubmittedWorkDone. TF.js: tf.matMul repeated, then await data() of the last result. Warm-up first; each value is the best of three timed runs, as the peak is.',
        `weft's planner picks ${pickedVariant(env)} on this adapter (subgroups: ${env?.subgroups === undefined ? '?' : env.subgroups ? 'yes' : 'no'}); the ratio and "weft % of peak" use the planner's choice. registerTiled: 4×4 outputs per invocation (the 8×8 column is the larger register block); quadTiled: blocks shared by quads of invocations through quad swaps, up to 32×32 per quad (needs subgroups; the '8×8 bcast' column is its earlier choice, 8×32 per quad through quadBroadcast); workgroupTiled: 64×64 tiles through workgroup memory (real GPUs). Peak (register-bound multiply-add kernel, 8 vec4 chains per invocation): ${peak ? `${fmtStats(peak)} GFLOP/s` : 'not measured'}.`,
        'dW+db shapes: the weight gradient Xᵀ·dY with the bias gradient as one more output row (a row of ones in Xᵀ), as the planner fuses them.',
      ],
      headers: [
        'shape',
        'weft registerTiled',
        'weft registerTiled 8×8',
        'weft quadTiled 8×8 bcast',
        'weft quadTiled',
        'weft workgroupTiled',
        'TF.js WebGPU',
        wasm1Label,
        wasmNLabel,
        'weft / WebGPU',
        'registerTiled % of peak',
        'quadTiled 8×8 bcast % of peak',
        'quadTiled % of peak',
        'weft % of peak',
        'TF.js % of peak',
      ],
      rows: mmRows,
    });

  // compile
  const compileRows: string[][] = [];
  for (const model of models) {
    const w = get('compile', 'weft', model);
    const g = get('compile', 'tfjs-webgpu', model);
    if (!w.length && !g.length) continue;
    const first = (rs: TaskResult[]) => ok(rs).find((r) => (r.task as { rep: number }).rep === 0);
    const later = (rs: TaskResult[]) =>
      stats(
        ok(rs)
          .filter((r) => (r.task as { rep: number }).rep > 0)
          .map((r) => r.value),
      );
    const wf = first(w);
    const gf = first(g);
    const pipes = (r: TaskResult | undefined) => (r ? `${fmt(r.details.pipelines as number)} / ${fmt(r.details.pipelineMs as number)} ms` : '—');
    compileRows.push([
      MODELS[model].label,
      fmt(wf?.value),
      wf ? `${fmt(wf.details.buildAndCompileMs as number)} + ${fmt(wf.details.firstFitMs as number)}` : '—',
      pipes(wf),
      fmtStats(later(w)),
      fmt(gf?.value),
      pipes(gf),
      fmtStats(later(g)),
    ]);
    if (wf)
      targets.push({
        name: `compile → first step, ${MODELS[model].label}`,
        goal: '< 500 ms',
        measured: `${fmt(wf.value)} ms (first in session)`,
        met: wf.value < 500,
      });
  }
  if (compileRows.length)
    sections.push({
      title: 'compile to first step: ms',
      notes: [
        'model built + compile() + fit on one batch of 32, awaited. "first" = the first such call for that model in this browser session (the compile cases run first, so each library compiles its pipelines then; later models may share some); "again" = later repeats, with pipelines cached.',
        'pipelines = compute pipelines created / wall time during which at least one pipeline or shader module was being created (weft creates them asynchronously, all at once, at the first fit).',
      ],
      headers: ['model', 'weft first', '= build+compile + fit', 'weft pipelines', 'weft again', 'TF.js WebGPU first', 'TF.js pipelines', 'TF.js again'],
      rows: compileRows,
    });

  // profile
  const profiles = results.filter((r) => r.ok && r.task.kind === 'profile');
  if (profiles.length) {
    const rows = profiles.map((p) => {
      const t = p.task as Extract<Task, { kind: 'profile' }>;
      const d = p.details as {
        kernels: { label: string; gpuMs: number | null; wallMs: number; flops?: number }[];
        gpuTotalMs: number | null;
        wallTotalMs: number;
        replayStepMs?: number | null;
        stepMs: number;
      };
      const basis = (k: { gpuMs: number | null; wallMs: number }) => (d.gpuTotalMs !== null ? (k.gpuMs ?? 0) : k.wallMs);
      const total = d.gpuTotalMs ?? d.wallTotalMs;
      const top = [...d.kernels].sort((a, b) => basis(b) - basis(a)).slice(0, 2);
      const flops = d.kernels.reduce((a, k) => a + (k.flops ?? 0), 0);
      const stepGflops = flops > 0 ? flops / (d.stepMs * 1e6) : null;
      return [
        `${t.lib === 'weft' ? 'weft' : 'TF.js WebGPU'} ${MODELS[t.model as ModelId].label} b${t.batch}`,
        fmt(d.stepMs),
        fmt(d.gpuTotalMs),
        fmt(d.wallTotalMs),
        fmt(d.replayStepMs),
        fmt(d.stepMs - total),
        String(d.kernels.length),
        flops > 0 ? fmt(flops / 1e6) : '—',
        stepGflops !== null ? `${fmt(stepGflops)} (${ofPeak(stepGflops)})` : '—',
        flops > 0 ? ofPeak(flops / (total * 1e6)) : '—',
        top.map((k) => `${k.label.replace(/ \(%\d+\)$/, '')} ${fmt((100 * basis(k)) / total)}%`).join('; '),
      ];
    });
    sections.push({
      title: "profile summary: where a training step's time goes",
      notes: [
        "step ms = measured per step (weft: inside fit; TF.js: trainOnBatch); kernels GPU ms = sum of the kernels' timestamp-query times; kernels wall ms = sum of their CPU-timed replays (with per-dispatch overhead); replayed step ms = the step's dispatches replayed in order, many steps in one pass (CPU-timed: the kernels back to back, without the caller's JavaScript, submits and waits; above kernels wall ms by what running different kernels in sequence costs); gap = step − kernels (the GPU sum where measured): submission, synchronisation, JavaScript, and the sequence's own cost.",
        `MFLOP = the step's matmul work (2·M·N·K over its dense and convolution kernels); step GFLOP/s = MFLOP / step ms, with its % of the multiply-add peak${peak ? ` (${fmt(peak.median)} GFLOP/s)` : ' (not measured: add --cases peak)'}; kernels % of peak = the same FLOPs over the kernels' time alone.`,
      ],
      headers: [
        'case',
        'step ms',
        'kernels GPU ms',
        'kernels wall ms',
        'replayed step ms',
        'gap ms',
        'dispatches',
        'MFLOP',
        'step GFLOP/s (% peak)',
        'kernels % peak',
        'largest kernels (share of kernel time)',
      ],
      rows,
    });
  }
  for (const p of profiles) {
    const t = p.task as Extract<Task, { kind: 'profile' }>;
    const d = p.details as {
      kernels: { label: string; fusedOps?: string; workgroups: number[]; gpuMs: number | null; wallMs: number; flops?: number }[];
      gpuTotalMs: number | null;
      wallTotalMs: number;
      replayStepMs?: number | null;
      stepMs: number;
      stepHow: string;
      timestampQuery: boolean | null;
    };
    const useGpu = d.gpuTotalMs !== null;
    const total = useGpu ? d.gpuTotalMs! : d.wallTotalMs;
    const merged = new Map<string, { label: string; ops: string; wg: string; count: number; gpu: number; wall: number; flops: number }>();
    for (const k of d.kernels) {
      const key = t.lib === 'weft' ? `${k.label}#${merged.size}` : k.label;
      const e = merged.get(key) ?? { label: k.label, ops: k.fusedOps ?? '', wg: k.workgroups.join('×'), count: 0, gpu: 0, wall: 0, flops: 0 };
      e.count++;
      e.flops += k.flops ?? 0;
      e.gpu += k.gpuMs ?? 0;
      e.wall += k.wallMs;
      if (t.lib !== 'weft' && e.wg !== k.workgroups.join('×')) e.wg = 'various';
      merged.set(key, e);
    }
    const list = [...merged.values()].sort((a, b) => (useGpu ? b.gpu - a.gpu : b.wall - a.wall));
    const shown = t.lib === 'weft' ? list : list.slice(0, 15);
    const rows = shown.map((e) => [
      e.label + (e.ops ? ` [${e.ops}]` : ''),
      String(e.count),
      e.wg,
      useGpu ? fmt(e.gpu) : '—',
      fmt(e.wall),
      `${fmt((100 * (useGpu ? e.gpu : e.wall)) / total)}%`,
      e.flops > 0 ? fmt(e.flops / 1e6) : '—',
      e.flops > 0 ? ofPeak(e.flops / ((useGpu ? e.gpu : e.wall) * 1e6)) : '—',
    ]);
    if (shown.length < list.length) {
      const rest = list.slice(shown.length);
      rows.push([
        `(${rest.length} more kernels)`,
        String(rest.reduce((a, e) => a + e.count, 0)),
        '',
        useGpu ? fmt(rest.reduce((a, e) => a + e.gpu, 0)) : '—',
        fmt(rest.reduce((a, e) => a + e.wall, 0)),
        '',
        '',
        '',
      ]);
    }
    const flops = d.kernels.reduce((a, k) => a + (k.flops ?? 0), 0);
    const mf = flops > 0 ? fmt(flops / 1e6) : '—';
    rows.push([
      'sum of kernels',
      String(d.kernels.length),
      '',
      useGpu ? fmt(d.gpuTotalMs) : '—',
      fmt(d.wallTotalMs),
      '',
      mf,
      flops > 0 ? ofPeak(flops / (total * 1e6)) : '—',
    ]);
    if (d.replayStepMs != null)
      rows.push([
        'the step replayed (its dispatches in order, many steps in one pass)',
        String(d.kernels.length),
        '',
        '—',
        fmt(d.replayStepMs),
        '',
        mf,
        flops > 0 ? ofPeak(flops / (d.replayStepMs * 1e6)) : '—',
      ]);
    rows.push([`measured step (${d.stepHow})`, '', '', '', fmt(d.stepMs), '', mf, flops > 0 ? ofPeak(flops / (d.stepMs * 1e6)) : '—']);
    sections.push({
      title: `profile: ${t.lib === 'weft' ? 'weft' : 'TF.js WebGPU'} ${MODELS[t.model as ModelId].label} b${t.batch}, one training step per kernel`,
      notes: [
        useGpu
          ? 'GPU ms: timestamp queries around each kernel replayed in its own compute pass (median of up to 64 replays).'
          : `No timestamp queries on this device (timestamp-query ${d.timestampQuery === false ? 'not offered by the adapter' : 'unavailable'}): GPU ms is not measured.`,
        'wall ms (CPU-side fallback, always shown): the kernel replayed n times in one pass, submitted and waited for, minus an empty submit; includes per-dispatch overhead.',
        'The step is captured at the WebGPU API (pipelines, bind groups, workgroup counts, uniform contents) and each dispatch replayed alone on the same buffers.',
        "MFLOP: the dispatch's matmul work (2·M·N·K; a convolution as its implicit GEMM); % of peak: MFLOP / its time over the multiply-add peak (elementwise, loss-head and optimizer kernels count no FLOPs).",
      ],
      headers: ['kernel [fused ops]', 'n', 'workgroups', 'GPU ms', 'wall ms', 'share', 'MFLOP', '% of peak'],
      rows,
    });
  }

  const header = [
    ...(env
      ? [
          `adapter: ${env.adapter}; timestamp-query: ${env.timestampQuery ? 'yes' : 'no'}; shader-f16: ${env.shaderF16 ? 'yes' : 'no'}`,
          `browser: ${env.userAgent}; cross-origin isolated: ${env.crossOriginIsolated}; ${env.hardwareConcurrency} logical CPUs`,
          `TensorFlow.js: ${env.tfjs ?? 'not loaded'}${env.wasm ? `; WASM backend: ${env.wasm}` : ''}`,
        ]
      : []),
    `mode: ${options.quick ? 'quick' : 'full'}; ${options.repeats} repeat(s); fit: ${options.fitSamples.toLocaleString('en-US')} samples per call (not a full epoch)`,
    ...extraHeader,
  ];
  return { header, sections, targets, failures };
}

function pickedVariant(env: EnvInfo | null): 'registerTiled' | 'workgroupTiled' | 'quadTiled' {
  if (env?.matmulVariant) return env.matmulVariant;
  // weft's rule: register tiles on CPU-backed adapters (shared by quads with subgroups), workgroup tiles elsewhere.
  const a = (env?.adapter ?? '').toLowerCase();
  const cpu = a.includes('swiftshader') || a.includes('llvmpipe') || a.includes('cpu');
  return cpu ? (env?.subgroups ? 'quadTiled' : 'registerTiled') : 'workgroupTiled';
}

export function describeTask(t: Task): string {
  const parts: string[] = [t.kind];
  const r = t as Record<string, unknown>;
  if (r.lib) parts.push(String(r.lib));
  if (r.model) parts.push(MODELS[r.model as ModelId]?.label ?? String(r.model));
  if (r.batch) parts.push(`b${r.batch}`);
  if (r.shape) parts.push(MATMUL_SHAPES.find((s) => s.id === r.shape)?.label ?? String(r.shape));
  if (typeof r.rep === 'number') parts.push(`rep ${r.rep + 1}`);
  return parts.join(' ');
}

/** Plain-text tables (what the runner prints). */
export function formatText(s: Summary): string {
  const out: string[] = [];
  out.push(...s.header, '');
  for (const section of s.sections) {
    out.push(`== ${section.title} ==`);
    for (const n of section.notes) out.push(`  ${n}`);
    out.push(textTable(section.headers, section.rows), '');
  }
  if (s.targets.length) {
    out.push('== targets (reported, not asserted) ==');
    out.push(
      textTable(
        ['target', 'goal', 'measured', ''],
        s.targets.map((t) => [t.name, t.goal, t.measured, t.met === null ? '?' : t.met ? 'met' : 'MISSED']),
      ),
    );
    const met = s.targets.filter((t) => t.met).length;
    out.push(`  ${met} of ${s.targets.length} met`, '');
  }
  if (s.failures.length) {
    out.push('== failed cases ==');
    for (const f of s.failures) out.push(`  ${f}`);
    out.push('');
  }
  return out.join('\n');
}

function textTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map((_, i) => i > 0 && rows.every((r) => /^[\d,.—×%\s[\]–+-]*(ms|MiB)?( \(.*\))?$/.test(r[i] ?? '')));
  const line = (cells: string[]) =>
    '  ' +
    cells
      .map((c, i) => (numeric[i] ? (c ?? '').padStart(widths[i]!) : (c ?? '').padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), '  ' + widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The same tables as HTML (what the page shows). */
export function formatHtml(s: Summary): string {
  const esc = (x: string) => x.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const table = (headers: string[], rows: string[][]) =>
    `<table><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
      .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
      .join('')}</tbody></table>`;
  const parts = [`<div class="header">${s.header.map((h) => `<div>${esc(h)}</div>`).join('')}</div>`];
  for (const section of s.sections)
    parts.push(`<h2>${esc(section.title)}</h2>${section.notes.map((n) => `<p class="note">${esc(n)}</p>`).join('')}${table(section.headers, section.rows)}`);
  if (s.targets.length)
    parts.push(
      `<h2>targets (reported, not asserted)</h2>${table(
        ['target', 'goal', 'measured', ''],
        s.targets.map((t) => [t.name, t.goal, t.measured, t.met === null ? '?' : t.met ? 'met' : 'MISSED']),
      )}`,
    );
  if (s.failures.length) parts.push(`<h2>failed cases</h2><pre>${esc(s.failures.join('\n'))}</pre>`);
  return parts.join('\n');
}
