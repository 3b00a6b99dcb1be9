// The process-wide GPUDevice: requested once with the adapter's real limits, remembered when lost.
import { WeftError } from './errors.js';
import { webGpuEntry } from './gpuProvider.js';

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  description: string;
}

export interface Gpu {
  device: GPUDevice;
  adapterInfo: AdapterInfo;
  /** Every numeric limit the device was created with (= the adapter's supported limits). */
  limits: Record<string, number>;
  /** Whether 'timestamp-query' was enabled. */
  timestampQuery: boolean;
  /** Whether 'subgroups' was enabled (kernels may then use subgroup and quad operations). */
  subgroups: boolean;
  /** Whether 'shader-f16' was enabled (the adapter has it): f16 storage for mixed precision. */
  shaderF16: boolean;
  /** A software / CPU adapter (SwiftShader, or one the browser flags as a fallback adapter). */
  cpuAdapter: boolean;
  /** Messages of uncaptured WebGPU errors since the device was made (also printed with console.error). */
  uncapturedErrors: string[];
  /** Set once the device is lost. */
  lost: { reason: string; message: string } | null;
}

export const NO_WEBGPU_MESSAGE =
  'WebGPU is not available in this browser: use a Chromium-based browser with WebGPU enabled, served from http://localhost or https';

let current: Promise<Gpu> | null = null;
let lostGpu: Gpu | null = null;

/** The shared GPU device (made on first call). Throws WeftError without WebGPU or after device loss. */
export function getGpu(): Promise<Gpu> {
  if (lostGpu) return Promise.reject(lostError(lostGpu));
  if (!current) {
    current = createGpu();
    current.catch(() => {
      current = null; // let a later call retry (e.g. after enabling WebGPU)
    });
  }
  return current;
}

/** Forgets the current device (destroying it unless already lost); the next getGpu() makes a new one. */
export function resetGpu(): void {
  const pending = current;
  current = null;
  lostGpu = null;
  pending?.then(
    (gpu) => {
      if (!gpu.lost) {
        gpu.lost = { reason: 'destroyed', message: 'resetGpu() was called' };
        gpu.device.destroy();
      }
    },
    () => {},
  );
}

function lostError(gpu: Gpu): WeftError {
  const l = gpu.lost!;
  return new WeftError(`GPU device was lost: ${l.reason}${l.message ? ` (${l.message})` : ''}; call resetGpu() to make a new device`);
}

/**
 * Whether `gpu` is lost, waiting up to `ms` for the loss to be reported: after device.destroy() or a
 * driver reset, the failure of a command can arrive before device.lost settles.
 */
export async function isLost(gpu: Gpu, ms = 200): Promise<boolean> {
  if (gpu.lost) return true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([gpu.device.lost, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
  await Promise.resolve(); // let the device.lost handler (createGpu) record the loss first
  return gpu.lost !== null;
}

/**
 * The matmul code generation strategy for this adapter: register blocking without workgroup
 * memory on CPU adapters (SwiftShader: barriers and workgroup memory are expensive there), shared
 * by quads through quad operations where the device has subgroups (a quad swap is one shuffle where
 * a load is a gather); tiles through workgroup memory on real GPUs.
 */
export function preferredMatmulVariant(gpu: Pick<Gpu, 'cpuAdapter' | 'subgroups'>): 'registerTiled' | 'workgroupTiled' | 'quadTiled' {
  if (!gpu.cpuAdapter) return 'workgroupTiled';
  return gpu.subgroups ? 'quadTiled' : 'registerTiled';
}

/**
 * Whether loss heads sum in one quad with subgroupAdd (GenerateOptions.quadReduction): on CPU adapters
 * with subgroups, where one workgroup runs on one core whatever its size and a workgroup barrier
 * costs ~12 µs; on GPUs 64 invocations share the rows.
 */
export function quadReductionWanted(gpu: Pick<Gpu, 'cpuAdapter' | 'subgroups'>): boolean {
  return gpu.cpuAdapter && gpu.subgroups;
}

/**
 * Whether plans apply the optimizer inside the weight-gradient kernels (MatmulKernel.update) rather
 * than in one optimizer dispatch after them. Off on CPU adapters: on SwiftShader the fused epilogue's
 * per-element parameter and state accesses cost more than the separate, four-wide optimizer kernel
 * (the article MLP's first-layer gradient + Adam 1.68 ms fused against 0.65 + 0.48 ms apart; bench/README.md).
 * On for real GPUs (one dispatch and the gradient's store and reload fewer per step).
 * WEFT_FUSED_UPDATES=1 or 0 (Node's environment, or globalThis in a page) overrides either way.
 */
export function fusedUpdatesWanted(gpu: Pick<Gpu, 'cpuAdapter'>): boolean {
  return forcedSwitch('WEFT_FUSED_UPDATES') ?? !gpu.cpuAdapter;
}

/**
 * Whether compile() starts compiling a guessed training plan (float inputs, batch 32) before fit asks
 * for one: on real GPUs, where a pipeline compiles in milliseconds off the page's thread. Not on CPU
 * adapters: there each of the plan's big modules takes 1–2 s of the same two cores the first fit
 * needs, and the guess is wrong for images stored as bytes (k/255 pixels: every big module reads them
 * differently) and for other batch sizes — the article MLP's first fit on Fashion-MNIST compiled both
 * plans, 4.6 s in Chromium (bench/README.md). WEFT_WARM_UP=1 or 0 overrides either way.
 */
export function warmUpWanted(gpu: Pick<Gpu, 'cpuAdapter'>): boolean {
  return forcedSwitch('WEFT_WARM_UP') ?? !gpu.cpuAdapter;
}

/**
 * Whether runs of small kernels share one single-workgroup dispatch (plan/dispatchGroups.ts
 * chainDispatches): on for real GPUs and for CPU adapters with subgroups. On SwiftShader with subgroups,
 * where a chain's matmuls take small blocks (wgsl chainQuadBlock), the MLP's b32 step, its gather folded,
 * runs 8 → 4 dispatches and fit measured 1.12× (bench/README.md); a chain compiles as one function on one
 * core, which costs the test suite's many tiny models time (scripts/test.mjs runs the Chromium and Node
 * projects side by side to pay for it). Off on CPU adapters without subgroups, whose 64-wide loss head
 * with its barriers made chains slower (0.78×). WEFT_CHAINS=1 or 0 (Node's environment, or globalThis
 * in a page) overrides either way.
 */
export function chainsWanted(gpu: Pick<Gpu, 'cpuAdapter' | 'subgroups'>): boolean {
  return forcedSwitch('WEFT_CHAINS') ?? (!gpu.cpuAdapter || gpu.subgroups);
}

/**
 * Whether a chain and the products before it run as row parts (plan/rowParts.ts), one workgroup per
 * block of rows the products had, each carrying its rows through the chain: on CPU adapters where
 * chains are on (a chain's single workgroup is one core there; a GPU's dispatch of a few workgroups
 * would leave it nearly idle). Training plans then run weight gradients last (plan option
 * weightGradientsLast) so that they can leave the chain. WEFT_ROW_PARTS=1 or 0 overrides.
 */
export function rowPartsWanted(gpu: Pick<Gpu, 'cpuAdapter' | 'subgroups'>): boolean {
  return forcedSwitch('WEFT_ROW_PARTS') ?? (gpu.cpuAdapter && chainsWanted(gpu) && preferredMatmulVariant(gpu) === 'quadTiled');
}

/**
 * Whether plans let the matmuls that read a model input take its rows from the dataset through the
 * sample indices (plan option gatheredProducts, plan/foldGather.ts): where matmuls are quadTiled, the
 * only variant that generates such reads. The article MLP's step loses its gather dispatch and its
 * first layer reads u8 pixels; wide & deep's too, its output layer's products split at the input's
 * columns (7 → 4 dispatches with chains; fit 1.02–1.10× in Node, paired, bench/README.md).
 * WEFT_GATHERED_PRODUCTS=0 turns it off (1 cannot force it on another variant).
 */
export function gatheredProductsWanted(gpu: Pick<Gpu, 'cpuAdapter' | 'subgroups'>): boolean {
  return preferredMatmulVariant(gpu) === 'quadTiled' && forcedSwitch('WEFT_GATHERED_PRODUCTS') !== false;
}

/**
 * Whether a pass's short last batch runs on the plan made for its full batches, padded, where the plan
 * takes it (plan/paddedBatches.ts): one plan to compile per pass and batch size instead of two — on
 * SwiftShader a plan's pipelines take seconds to compile. WEFT_PADDED_BATCHES=0 compiles a plan for the
 * short batch instead (to compare the two).
 */
export function paddedBatchesWanted(): boolean {
  return forcedSwitch('WEFT_PADDED_BATCHES') !== false;
}

/** A plan switch set by hand (globalThis in a page, else Node's environment): true, false, or undefined when unset. */
function forcedSwitch(name: string): boolean | undefined {
  const g = globalThis as Record<string, unknown> & { process?: { env?: Record<string, string | undefined> } };
  const forced = g[name] ?? g.process?.env?.[name];
  if (forced === undefined || forced === '') return undefined;
  return forced === true || forced === 1 || forced === '1';
}

/** WebGPU's default maxStorageBufferBindingSize (128 MiB), for a device that does not report it. */
const DEFAULT_STORAGE_BINDING_BYTES = 134217728;

/** The most bytes one storage binding may cover: every buffer bound whole to a kernel must fit. */
export function storageBindingLimit(gpu: Gpu): number {
  return gpu.limits.maxStorageBufferBindingSize ?? DEFAULT_STORAGE_BINDING_BYTES;
}

/** Throws the device-lost error if `gpu` was lost. */
export function assertAlive(gpu: Gpu): void {
  if (gpu.lost) throw lostError(gpu);
}

/** Whether the environment asks weft not to use subgroups (to run and test the fallback kernels). */
function subgroupsRefused(): boolean {
  const g = globalThis as { WEFT_NO_SUBGROUPS?: unknown; process?: { env?: Record<string, string | undefined> } };
  return !!g.WEFT_NO_SUBGROUPS || !!g.process?.env?.WEFT_NO_SUBGROUPS;
}

async function createGpu(): Promise<Gpu> {
  const entry = await webGpuEntry();
  if (!entry) throw new WeftError(NO_WEBGPU_MESSAGE);
  let adapter: GPUAdapter | null;
  try {
    adapter = await entry.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    throw new WeftError(`WebGPU adapter request failed: ${(e as Error)?.message ?? e}`, { cause: e });
  }
  if (!adapter) {
    throw new WeftError(
      'WebGPU is present but no GPU adapter is available (navigator.gpu.requestAdapter() returned null): the GPU may be blocklisted or disabled',
    );
  }
  const limits: Record<string, number> = {};
  for (const key in adapter.limits) {
    const value = (adapter.limits as unknown as Record<string, unknown>)[key];
    if (typeof value === 'number') limits[key] = value;
  }
  const timestampQuery = adapter.features.has('timestamp-query');
  // WEFT_NO_SUBGROUPS (Node) or window.WEFT_NO_SUBGROUPS (a page) leaves subgroups off: the fallback kernels' path, on the same adapter.
  const subgroups = adapter.features.has('subgroups' as GPUFeatureName) && !subgroupsRefused();
  const shaderF16 = adapter.features.has('shader-f16');
  const requiredFeatures: GPUFeatureName[] = [
    ...(timestampQuery ? (['timestamp-query'] as GPUFeatureName[]) : []),
    ...(subgroups ? (['subgroups'] as GPUFeatureName[]) : []),
    ...(shaderF16 ? (['shader-f16'] as GPUFeatureName[]) : []),
  ];
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits: limits, requiredFeatures, label: 'weft' });
  } catch (first) {
    // A browser may list limits it does not accept back; retry with the ones weft relies on.
    const essential = [
      'maxStorageBufferBindingSize',
      'maxBufferSize',
      'maxStorageBuffersPerShaderStage',
      'maxComputeWorkgroupStorageSize',
      'maxComputeInvocationsPerWorkgroup',
      'maxComputeWorkgroupSizeX',
      'maxComputeWorkgroupsPerDimension',
    ];
    const fallback: Record<string, number> = {};
    for (const k of essential) if (k in limits) fallback[k] = limits[k]!;
    try {
      device = await adapter.requestDevice({ requiredLimits: fallback, requiredFeatures, label: 'weft' });
    } catch (e) {
      throw new WeftError(`WebGPU device request failed: ${(e as Error)?.message ?? e} (first attempt: ${(first as Error)?.message ?? first})`, { cause: e });
    }
  }
  const deviceLimits: Record<string, number> = {};
  for (const key in device.limits) {
    const value = (device.limits as unknown as Record<string, unknown>)[key];
    if (typeof value === 'number') deviceLimits[key] = value;
  }
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  const adapterInfo: AdapterInfo = {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    description: info?.description ?? '',
  };
  const fallback = !!(info as (GPUAdapterInfo & { isFallbackAdapter?: boolean }) | undefined)?.isFallbackAdapter;
  const cpuAdapter =
    fallback || /swiftshader|llvmpipe|lavapipe|warp|software|cpu/i.test(`${adapterInfo.vendor} ${adapterInfo.architecture} ${adapterInfo.description}`);
  const gpu: Gpu = {
    device,
    adapterInfo,
    limits: deviceLimits,
    timestampQuery,
    subgroups: subgroups && device.features.has('subgroups' as GPUFeatureName),
    shaderF16: device.features.has('shader-f16'),
    cpuAdapter,
    uncapturedErrors: [],
    lost: null,
  };
  device.lost.then((l) => {
    if (gpu.lost) return; // destroyed on purpose by resetGpu()
    gpu.lost = { reason: l.reason ?? 'unknown', message: l.message ?? '' };
    console.error(`[weft] GPU device was lost: ${gpu.lost.reason} ${gpu.lost.message}`);
    if (current) {
      current.then(
        (g) => {
          if (g === gpu) lostGpu = gpu;
        },
        () => {},
      );
    }
  });
  device.addEventListener('uncapturederror', (event) => {
    const message = (event as GPUUncapturedErrorEvent).error?.message ?? String(event);
    gpu.uncapturedErrors.push(message);
    console.error(`[weft] uncaptured WebGPU error: ${message}`);
  });
  return gpu;
}
