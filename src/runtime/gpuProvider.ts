// Where the WebGPU entry point (a `GPU`, what navigator.gpu is) comes from: navigator.gpu wherever
// it exists (browsers, or a host that installed one), else the source a host's entry registered.
// The Node entry (src/node/index.ts → dist/weft.node.js) registers Dawn from the `webgpu` package;
// the browser bundle registers nothing, so it never pulls in node code.

/** Makes (or returns the already made) GPU entry point; throws a WeftError saying what is missing. */
export type GpuSource = () => Promise<GPU>;

let registered: GpuSource | null = null;

/** Registers the source used where navigator.gpu is missing (the last registration wins). */
export function setGpuSource(source: GpuSource | null): void {
  registered = source;
}

/** navigator.gpu, else the registered source's GPU, else null (no WebGPU here). */
export async function webGpuEntry(): Promise<GPU | null> {
  const nav = (globalThis as { navigator?: Navigator }).navigator;
  if (nav?.gpu) return nav.gpu;
  return registered ? registered() : null;
}
