// TensorFlow.js's WASM backend twice in one page: 'wasm' pinned to one thread, and 'wasm-threads'
// with one XNNPACK thread per logical core. Threads need SharedArrayBuffer, i.e. a cross-origin
// isolated page (scripts/browser.mjs serves COOP same-origin + COEP require-corp); tfjs-backend-wasm
// then loads tfjs-backend-wasm-threaded-simd.wasm. The thread count is read when a backend instance
// is made (setThreadsCount before its first setBackend), and its kernels are registered per backend
// name, so the second backend reuses the first one's factory and kernel table under its own name;
// each holds its own WASM module. The engine re-runs the kernels' setup on every setBackend, so the
// module-level kernel bindings follow the backend in use.
//
// tfjs-backend-wasm 4.22 caps its thread pool at navigator.hardwareConcurrency / 2 (its backend.cc
// assumes two hyper-threads per core), read once when the module starts: one thread on a 2-vCPU
// machine whatever setThreadsCount asks. To give the threaded column every core, the page shows
// the module 2 × cores while it starts, then the real value again.
import type { Tf } from './models.js';

export type WasmLib = 'tfjs-wasm' | 'tfjs-wasm-threads';

export const WASM_BACKEND: Record<WasmLib, string> = { 'tfjs-wasm': 'wasm', 'tfjs-wasm-threads': 'wasm-threads' };

/** Threads the multi-threaded column asks for: every logical core the page sees. */
export function threadsWanted(): number {
  return Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 1);
}

let prepared: Tf | null = null;

/** Sets the .wasm path, pins 'wasm' to one thread and registers 'wasm-threads' (once per page). */
export function prepareWasmBackends(tf: Tf, wasmPath: string): void {
  if (prepared === tf) return;
  tf.wasm.setWasmPaths(wasmPath);
  tf.wasm.setThreadsCount(1);
  const base = tf.engine().registryFactory.wasm;
  if (!base) throw new Error("TensorFlow.js has no 'wasm' backend registered (is tf-backend-wasm loaded?)");
  if (!tf.engine().registryFactory[WASM_BACKEND['tfjs-wasm-threads']]) {
    const threads = threadsWanted();
    tf.registerBackend(
      WASM_BACKEND['tfjs-wasm-threads'],
      async () => {
        tf.wasm.setThreadsCount(threads);
        const restore = presentCores(2 * threads);
        try {
          return await base.factory();
        } finally {
          restore();
          tf.wasm.setThreadsCount(1); // 'wasm', if made later, stays single-threaded
        }
      },
      0, // lowest priority: never picked by tf.ready() on its own
    );
    for (const kernel of tf.getKernelsForBackend('wasm')) tf.registerKernel({ ...kernel, backendName: WASM_BACKEND['tfjs-wasm-threads'] });
  }
  prepared = tf;
}

/** Makes navigator.hardwareConcurrency read `n` until the returned function is called. */
function presentCores(n: number): () => void {
  const nav = globalThis.navigator as Navigator | undefined;
  if (!nav) return () => {};
  const own = Object.getOwnPropertyDescriptor(nav, 'hardwareConcurrency');
  Object.defineProperty(nav, 'hardwareConcurrency', { value: n, configurable: true });
  return () => {
    if (own) Object.defineProperty(nav, 'hardwareConcurrency', own);
    else delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency;
  };
}

/** XNNPACK threads of the backend now in use (read from its own module, not the shared global). */
export function threadsInUse(tf: Tf): number | undefined {
  const n = tf.backend()?.wasm?.tfjs?.getThreadsCount?.();
  return typeof n === 'number' ? n : undefined;
}

/** Column label, e.g. 'TF.js WASM (2 threads)'. */
export function wasmLabel(lib: WasmLib, threads: number | undefined): string {
  const n = threads ?? (lib === 'tfjs-wasm' ? 1 : undefined);
  return `TF.js WASM (${n === undefined ? 'all' : n} thread${n === 1 ? '' : 's'})`;
}
