// The benchmark module (bundled to dist/weft-bench.js by scripts/build.mjs). It takes weft, its
// testing bundle and TensorFlow.js from the page (bench/index.html loads all three), so the same
// code runs in a user's browser, under bench/run.mjs, and in the smoke test.
import { benchData, defaultOptions, planTasks, runTask, useBackend, type BenchEnv, type BenchOptions, type TaskResult } from './cases.js';
import { apiCounts, installApiCounters } from './gpu.js';
import { threadsInUse, wasmLabel } from './tfjsWasm.js';
import { describeTask, formatHtml, formatText, summarize, type EnvInfo, type Summary } from './report.js';

export { benchData, defaultOptions, planTasks, runTask, summarize, formatText, formatHtml, describeTask, apiCounts, installApiCounters };
export type { BenchEnv, BenchOptions, TaskResult, EnvInfo, Summary };
export { MODELS, MODEL_IDS } from './models.js';
export { MATMUL_SHAPES } from './cases.js';
export { measurePeak, peakKernelWgsl } from './gpu.js';
export { precisionCheck, PRECISION_CHECK_DEFAULTS, type PrecisionCheck } from './precisionCheck.js';

/** What the page runs on: adapter, browser, TF.js version and its WASM backend's threads/SIMD. */
export async function environment(env: BenchEnv): Promise<EnvInfo> {
  const gpu = await env.weft.getGpu();
  const a = gpu.adapterInfo;
  const adapter =
    [a.vendor && `vendor=${a.vendor}`, a.architecture && `architecture=${a.architecture}`, a.description && `"${a.description}"`].filter(Boolean).join(' ') ||
    '(no adapter info)';
  let tfjs: string | null = null;
  let wasm: string | null = null;
  const tf = env.tf;
  if (tf) {
    tfjs = `${tf.version?.tfjs ?? '?'} (backends: ${Object.keys(tf.engine().registryFactory ?? {}).join(', ')})`;
    wasm = await describeWasm(env);
  }
  const testingGpu = await env.weftTesting?.runtime?.getGpu?.();
  const variant = env.weftTesting?.runtime?.preferredMatmulVariant?.(testingGpu);
  return {
    ...(variant ? { matmulVariant: variant } : {}),
    adapter,
    timestampQuery: gpu.timestampQuery,
    subgroups: !!testingGpu?.subgroups,
    shaderF16: gpu.shaderF16,
    // Node has no navigator (before v21): name the runtime instead.
    userAgent: globalThis.navigator?.userAgent ?? `Node ${globalThis.process?.version ?? '?'}, Dawn (webgpu package)`,
    tfjs,
    wasm,
    crossOriginIsolated: globalThis.crossOriginIsolated ?? false,
    hardwareConcurrency: globalThis.navigator?.hardwareConcurrency ?? 0,
    limits: {
      maxComputeInvocationsPerWorkgroup: gpu.limits.maxComputeInvocationsPerWorkgroup!,
      maxStorageBufferBindingSize: gpu.limits.maxStorageBufferBindingSize!,
    },
  };
}

/** Starts both WASM backends once (1 thread; all cores) and says what each got: threads, SIMD, isolation. */
async function describeWasm(env: BenchEnv): Promise<string> {
  const tf = env.tf!;
  const previous = tf.getBackend();
  const parts: string[] = [];
  try {
    for (const lib of ['tfjs-wasm', 'tfjs-wasm-threads'] as const) {
      try {
        await useBackend(env, lib);
        parts.push(`${wasmLabel(lib, threadsInUse(tf))}`);
      } catch (e) {
        parts.push(`${lib} failed: ${(e as Error).message}`);
      }
    }
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    parts.push(`SIMD ${simd ? 'on' : 'off'}`, `multithread support ${threads ? 'on' : 'off'} (crossOriginIsolated ${globalThis.crossOriginIsolated ?? false})`);
  } finally {
    if (previous && previous !== tf.getBackend()) await tf.setBackend(previous);
  }
  return parts.join(', ');
}

/** Runs every task in order in this page (the page's Run button); `onResult` sees each as it ends. */
export async function runAll(
  env: BenchEnv,
  options: BenchOptions,
  onResult?: (r: TaskResult, index: number, total: number) => void,
): Promise<{ env: EnvInfo; results: TaskResult[]; summary: Summary }> {
  installApiCounters();
  const info = await environment(env);
  await benchData(env);
  const tasks = planTasks(options);
  const results: TaskResult[] = [];
  for (let i = 0; i < tasks.length; i++) {
    const r = await runTask(env, tasks[i]!);
    results.push(r);
    onResult?.(r, i, tasks.length);
  }
  return { env: info, results, summary: summarize(results, options, info) };
}
