// tf.util helpers and nextFrame, which Layers programs use around training loops.

/** Shuffles an array in place (Fisher–Yates with Math.random), as tf.util.shuffle. */
export function shuffle<T>(array: T[] | Float32Array | Int32Array | Uint8Array): void {
  const a = array as unknown as { [i: number]: unknown; length: number };
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

/** Throws an Error with msg() when expr is false, as tf.util.assert. */
export function assert(expr: boolean, msg: () => string): asserts expr {
  if (!expr) throw new Error(typeof msg === 'string' ? msg : msg());
}

export function sizeFromShape(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function flatten(array: unknown[]): unknown[] {
  return (array as unknown[]).flat(Infinity);
}

/** Resolves on the next animation frame in a page, on the next macrotask elsewhere (Node, workers). */
export function nextFrame(): Promise<void> {
  return new Promise((resolve) => {
    const raf = (globalThis as { requestAnimationFrame?: (cb: () => void) => unknown }).requestAnimationFrame;
    if (typeof raf === 'function' && typeof document !== 'undefined' && document.visibilityState === 'visible') raf(() => resolve());
    else setTimeout(resolve, 0);
  });
}
