// The GPU source of the Node entry: Dawn from the `webgpu` package (loaded lazily, on first use),
// with a Vulkan driver found by ./vulkan.ts on Linux. Prints the adapter once.
import { WeftError } from '../runtime/errors.js';
import { throttleDawnPolling } from './dawnPolling.js';
import { chooseDriver, ensureVulkanLoader, findSwiftShader, useDriverFiles, type DriverChoice } from './vulkan.js';

type WebGpuModule = { create(options: string[]): GPU; globals: Record<string, unknown> };

const INSTALL_DRIVER =
  "install a Vulkan driver: on a machine without a GPU, Debian's chromium (its SwiftShader, /usr/lib/chromium/vk_swiftshader_icd.json) " +
  "or mesa-vulkan-drivers; with a GPU, its vendor's driver; or name a driver manifest with WEFT_VK_ICD=/path/to/icd.json";

// One per process, shared by every weft bundle loaded in it (dist/weft.node.js, the testing bundle).
const MADE = Symbol.for('weft.dawnGpu');
const shared = globalThis as { [MADE]?: Promise<GPU> | null };

/** Dawn's GPU, made once per process. */
export function dawnGpu(): Promise<GPU> {
  let made = shared[MADE];
  if (!made) {
    made = shared[MADE] = makeDawnGpu();
    made.catch(() => (shared[MADE] = null)); // a later call may succeed (e.g. after installing a driver)
  }
  return made;
}

async function loadWebGpu(): Promise<WebGpuModule> {
  try {
    return (await import('webgpu')) as unknown as WebGpuModule;
  } catch (e) {
    throw new WeftError(
      `WebGPU in Node needs the \`webgpu\` package (Dawn), which could not be loaded: ${(e as Error)?.message ?? e}; run \`npm install webgpu\``,
      { cause: e },
    );
  }
}

/** The WebGPU constants a browser has as globals (GPUBufferUsage, GPUMapMode, …), where missing. */
function installGlobals(globals: Record<string, unknown>): void {
  const g = globalThis as Record<string, unknown>;
  for (const [name, value] of Object.entries(globals)) if (!(name in g)) g[name] = value;
}

function describeDriver(d: DriverChoice): string {
  switch (d.kind) {
    case 'named':
      return `${d.variable}=${d.files}`;
    case 'system':
      return `system Vulkan drivers (${d.manifests.join(', ')})`;
    case 'swiftshader':
      return `SwiftShader (${d.icd})`;
    case 'none':
      return 'no Vulkan driver';
    default:
      return d satisfies never;
  }
}

async function requestWith(webgpu: WebGpuModule): Promise<{ gpu: GPU; adapter: GPUAdapter | null }> {
  const gpu = webgpu.create([]);
  return { gpu, adapter: await gpu.requestAdapter({ powerPreference: 'high-performance' }) };
}

async function makeDawnGpu(): Promise<GPU> {
  const linux = process.platform === 'linux';
  let driver: DriverChoice = { kind: 'none' };
  if (linux) {
    driver = chooseDriver();
    if (driver.kind === 'named') useDriverFiles(driver.files);
    if (driver.kind === 'swiftshader') useDriverFiles(driver.icd);
    if (driver.kind === 'none') throw new WeftError(`no WebGPU adapter for Node: no Vulkan driver found; ${INSTALL_DRIVER}`);
    if (!ensureVulkanLoader()) {
      throw new WeftError(
        "no WebGPU adapter for Node: the Vulkan loader libvulkan.so.1 is missing; install it (Debian/Ubuntu: apt-get install libvulkan1) or Debian's chromium, which ships one",
      );
    }
  }
  const webgpu = await loadWebGpu();
  installGlobals(webgpu.globals);
  let { gpu, adapter } = await requestWith(webgpu);
  // The system's drivers may all be for hardware this machine lacks: fall back to SwiftShader.
  const swiftshader = findSwiftShader();
  if (!adapter && linux && driver.kind === 'system' && swiftshader) {
    driver = { kind: 'swiftshader', icd: swiftshader };
    useDriverFiles(swiftshader);
    ({ gpu, adapter } = await requestWith(webgpu));
  }
  if (!adapter) {
    throw new WeftError(`no WebGPU adapter for Node: Dawn found none with ${describeDriver(driver)}; ${INSTALL_DRIVER}`);
  }
  const info = adapter.info;
  // A software adapter runs shaders on the CPU cores Dawn's busy wait would take (src/node/dawnPolling.ts);
  // WEFT_DAWN_POLL=busy keeps the binding's own loop (to compare).
  const software = info.isFallbackAdapter || driver.kind === 'swiftshader';
  if (software && process.env.WEFT_DAWN_POLL !== 'busy') throttleDawnPolling();
  const name = [info.description, info.vendor && info.architecture ? `(${info.vendor}, ${info.architecture})` : info.vendor].filter(Boolean).join(' ');
  console.log(
    `[weft] WebGPU adapter: ${name || 'unnamed adapter'}${info.isFallbackAdapter ? ' [software]' : ''} | Node ${process.version}, Dawn (webgpu package) | ${describeDriver(driver)}`,
  );
  return gpu;
}
