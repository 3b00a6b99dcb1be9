// A model's link to its runtime session: made on first use from the layers' host weights, made
// again after the device is lost, and the host copies of the weights kept in step with the GPU.

import { ModelSession, type DatasetHandle, type OptimizerState, type PlanSource } from '../runtime/session.js';
import type { PreparedData } from './callArgs.js';
import { cacheTag } from './data.js';
import type { LayerWeight } from './layers/layer.js';
import { whenDisposed, type Tensor } from './tensor.js';

export class SessionOwner {
  private pending: Promise<ModelSession> | null = null;
  /** The session `pending` resolved to (null until it has, and once dropped). */
  private current: ModelSession | null = null;
  /** True when the GPU holds newer weights than the layers' host copies. */
  hostStale = false;
  /**
   * The host copy of the optimizer state (kept at each epoch end, or loaded from a file): a session
   * made after device loss, or for a loaded model, resumes from it. Null: fresh state.
   */
  optimizerHost: OptimizerState | null = null;
  /** Tensors whose dispose() already frees their GPU copies in this model's sessions. */
  private readonly hooked = new WeakSet<Tensor>();

  constructor(
    private readonly weights: () => LayerWeight[],
    private source: PlanSource,
  ) {}

  /** The session made so far, if any (a fit or a pass is using it). */
  get live(): ModelSession | null {
    return this.current;
  }

  session(): Promise<ModelSession> {
    // A session on a lost device is dead: a new one is built from the host weights (on the device
    // the next device, after weft.resetGpu(); before that, making it rejects with the loss).
    if (this.current?.lost) this.drop(this.current);
    if (!this.pending) {
      const weights = this.weights();
      const pending = ModelSession.create(
        weights.reduce((n, w) => n + w.values.length, 0),
        flatten(weights),
        this.source,
      ).then((s) => {
        if (this.optimizerHost) s.writeOptimizerState(this.optimizerHost);
        return s;
      });
      this.pending = pending;
      pending.then(
        (s) => {
          if (this.pending === pending) this.current = s;
        },
        () => {
          if (this.pending === pending) this.pending = null;
        },
      );
    }
    return this.pending;
  }

  /**
   * The GPU copy of `data` for a pass over it: the one an earlier call uploaded from the same tensors,
   * or a new upload, kept until a tensor is disposed (or the model is, or GPU memory runs short).
   * Tensors made only for this call (already disposed: validationSplit's slices) are not kept.
   */
  async dataset(session: ModelSession, data: PreparedData, maxBatches: number): Promise<DatasetHandle> {
    const keep = data.tensors.every((t) => !t.isDisposed);
    const arrays = keep ? data.arrays : data.arrays.map(({ cache: _, ...a }) => a);
    const handle = await session.acquireDataset(data.rows, arrays, data.storage, maxBatches);
    if (keep)
      for (const t of data.tensors) {
        if (this.hooked.has(t)) continue;
        this.hooked.add(t);
        const tag = cacheTag(t);
        whenDisposed(t, () => this.current?.forgetCached(tag));
      }
    return handle;
  }

  /** A new compile(): the session (now or when made) compiles plans from `source`. */
  recompiled(source: PlanSource): void {
    this.source = source;
    this.optimizerHost = null;
    if (this.pending) void this.pending.then((s) => s.recompiled(source)).catch(() => {});
  }

  /** Optimizer state to resume from (a loaded model's): written to the session now or when made. */
  setOptimizerState(state: OptimizerState): void {
    this.optimizerHost = state;
    if (this.current && !this.current.lost) return this.current.writeOptimizerState(state);
    if (this.pending) void this.pending.then((s) => s.writeOptimizerState(state)).catch(() => {});
  }

  /** The optimizer state now: the GPU's when a session is live, else the host copy. */
  async optimizerState(): Promise<OptimizerState | null> {
    const session = this.current;
    if (session && !session.lost) {
      const state = await session.readOptimizerState();
      return state.arrays.length > 0 || state.step > 0 ? state : this.optimizerHost;
    }
    return this.optimizerHost;
  }

  /** Brings the layers' host copies of the weights up to date with the GPU. */
  async syncHost(): Promise<void> {
    if (!this.hostStale || !this.pending) return;
    const session = await this.pending;
    try {
      if (!session.lost) {
        this.pullHost(await session.readParams());
        return;
      }
    } catch (e) {
      if (!(await session.deviceLoss(50))) throw e;
    }
    // The device was lost: the host copies (kept at every epoch end) are all there is.
    this.drop(session);
  }

  /** The GPU parameters (flat layout) become the host copies. */
  pullHost(flat: Float32Array): void {
    let offset = 0;
    for (const w of this.weights()) {
      w.values = flat.slice(offset, offset + w.values.length);
      offset += w.values.length;
    }
    this.hostStale = false;
  }

  /** Host copies → GPU: all weights, or only `only` (a layer's setWeights); others are untouched. */
  pushHost(only?: LayerWeight[]): void {
    // Only a write of every weight makes the host copies the truth; a layer's leaves others stale.
    if (!only) this.hostStale = false;
    // A live session is written at once, so the next pass (even in this fit) trains from them.
    if (this.current && !this.current.lost) return write(this.current, this.weights(), only);
    if (this.pending) void this.pending.then((s) => write(s, this.weights(), only)).catch(() => {});
  }

  /** Forgets a session whose device was lost; the host copies of the weights become the truth. */
  drop(session: ModelSession): void {
    session.dispose();
    if (this.current !== session) return;
    this.current = null;
    this.pending = null;
    this.hostStale = false;
  }

  /** Disposes the session (now, or when it is made). */
  release(): void {
    const pending = this.pending;
    this.current?.dispose();
    this.current = null;
    this.pending = null;
    if (pending)
      void pending.then(
        (s) => s.dispose(),
        () => {},
      );
  }
}

/** Every weight in the flat parameter layout (one zero for a model without weights: buffers are never empty). */
function flatten(weights: LayerWeight[]): Float32Array {
  const flat = new Float32Array(
    Math.max(
      1,
      weights.reduce((n, w) => n + w.values.length, 0),
    ),
  );
  let offset = 0;
  for (const w of weights) {
    flat.set(w.values, offset);
    offset += w.values.length;
  }
  return flat;
}

function write(session: ModelSession, weights: LayerWeight[], only?: LayerWeight[]): void {
  if (!only) return session.writeParams(flatten(weights));
  let offset = 0;
  for (const w of weights) {
    if (only.includes(w)) session.writeParams(w.values, offset);
    offset += w.values.length;
  }
}
