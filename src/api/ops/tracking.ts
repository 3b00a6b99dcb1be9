// Which host tensors are alive, and the scopes of tidy(): TensorFlow.js programs wrap their data
// preparation in tf.tidy and check tf.memory().numTensors, so weft keeps the same bookkeeping.

export interface Tracked {
  readonly isDisposed: boolean;
  readonly size: number;
  readonly bytesPerElement: number;
  dispose(): void;
}

const live = new Set<Tracked>();
/** One list per open tidy() scope: the tensors made inside it. */
const scopes: Tracked[][] = [];
const kept = new WeakSet<Tracked>();

export function track(t: Tracked): void {
  live.add(t);
  scopes[scopes.length - 1]?.push(t);
}

export function untrack(t: Tracked): void {
  live.delete(t);
}

/** Marks a tensor made inside tidy() to outlive the scope, as tf.keep. */
export function keep<T extends Tracked>(t: T): T {
  kept.add(t);
  return t;
}

/** Tensors reachable from a tidy() result (a tensor, or arrays/objects of them). */
function collect(value: unknown, out: Set<Tracked>, depth = 0): void {
  if (depth > 8 || value === null || typeof value !== 'object') return;
  if (live.has(value as Tracked)) {
    out.add(value as Tracked);
    return;
  }
  if (Array.isArray(value)) for (const v of value) collect(v, out, depth + 1);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collect(v, out, depth + 1);
}

/**
 * Runs fn and disposes every tensor made inside it except those it returns and those kept, as tf.tidy.
 * fn must be synchronous (TensorFlow.js refuses a Promise too).
 */
export function tidy<T>(nameOrFn: string | (() => T), maybeFn?: () => T): T {
  const fn = typeof nameOrFn === 'function' ? nameOrFn : maybeFn;
  if (typeof fn !== 'function') throw new TypeError('tidy: pass a function, e.g. weft.tidy(() => x.add(y))');
  const scope: Tracked[] = [];
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  if (result instanceof Promise) throw new TypeError('tidy: the function returned a Promise; tidy only takes synchronous functions (as in TensorFlow.js)');
  const survivors = new Set<Tracked>();
  collect(result, survivors);
  const outer = scopes[scopes.length - 1];
  for (const t of scope) {
    if (survivors.has(t) || kept.has(t)) outer?.push(t);
    else t.dispose();
  }
  return result;
}

/** Disposes a tensor, or every tensor in an array or object of them, as tf.dispose. */
export function dispose(value: unknown): void {
  const found = new Set<Tracked>();
  collect(value, found);
  for (const t of found) t.dispose();
}

export interface HostMemory {
  /** Host tensors made and not disposed. */
  numTensors: number;
  numDataBuffers: number;
  /** Bytes held by those tensors. */
  numTensorBytes: number;
}

export function hostMemory(): HostMemory {
  let bytes = 0;
  for (const t of live) bytes += t.size * t.bytesPerElement;
  return { numTensors: live.size, numDataBuffers: live.size, numTensorBytes: bytes };
}
