// How Dawn's Node binding waits for the GPU, and why weft slows that wait down on a software adapter.
// While any GPU promise is pending (mapAsync, onSubmittedWorkDone, pipeline creation) the binding
// processes Dawn's events and re-queues itself with the global `setImmediate`: a busy loop on one core.
// On SwiftShader the GPU is the CPU, so that loop takes a core from the shaders (a Node fit ran 1.3–1.5×
// slower than with the loop on a 1 ms timer, 2 cores). There weft routes the binding's callbacks, and only
// them, through `setTimeout(…, 0)` (Node clamps it to 1 ms): a finished GPU wait is noticed ≤ 1 ms later.

let throttled = false;

/** Whether `fn` is the binding's event-processing callback: a native function without a name (user
 * functions have source text; bound ones are named "bound …"). */
function isBindingCallback(fn: unknown): boolean {
  return typeof fn === 'function' && fn.name === '' && Function.prototype.toString.call(fn).includes('[native code]');
}

/** Routes Dawn's re-queued event processing through a 1 ms timer; other setImmediate calls are untouched. */
export function throttleDawnPolling(): void {
  if (throttled) return;
  throttled = true;
  const immediate = globalThis.setImmediate;
  const throttledImmediate = (callback: (...args: unknown[]) => void, ...args: unknown[]) =>
    isBindingCallback(callback) ? (setTimeout(callback, 0, ...args) as unknown as NodeJS.Immediate) : immediate(callback, ...args);
  globalThis.setImmediate = Object.assign(throttledImmediate, immediate) as typeof setImmediate;
}
