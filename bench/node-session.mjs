// `npm run bench -- --node`: the bench page's module (dist/weft-bench.js, plain ESM that runs in
// Node too) with weft's Node bundles, in this process on Dawn. Returns what bench/run.mjs needs of a
// browser session: a `page` whose evaluate(fn, ...args) runs fn here with window.weftBench set, the
// adapter (as scripts/browser.mjs's describeAdapter gives it), the runtime's name, and close().
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DATASET_DIR } from '../scripts/browser.mjs';

export async function nodeBenchSession(root) {
  const load = (file) => import(pathToFileURL(join(root, file)).href);
  const [weft, weftTesting, bench] = await Promise.all([load('dist/weft.node.js'), load('dist/weft-testing.node.js'), load('dist/weft-bench.js')]);
  const gpu = await weft.getGpu(); // also installs WebGPU's globals (GPUDevice, …), which bench/gpu.ts patches
  const env = {
    weft,
    weftTesting,
    tf: null,
    dataUrl: process.env.WEFT_DATASET_DIR || DATASET_DIR,
    wasmPath: '',
    log: (line) => console.error(`[bench] ${line}`),
  };
  const window = { weftBench: { bench, env } };
  const page = {
    async evaluate(fn, ...args) {
      globalThis.window = window;
      return await fn(...args);
    },
  };
  const a = gpu.adapterInfo;
  return {
    page,
    adapter: { vendor: a.vendor, architecture: a.architecture, description: a.description, isFallback: gpu.cpuAdapter },
    runtime: `Node ${process.version}, Dawn (webgpu package)`,
    async close() {
      weft.resetGpu();
      weftTesting.weft?.resetGpu?.();
    },
  };
}
