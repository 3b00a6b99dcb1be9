// A model's link to its runtime session: made on first use from the layers' host weights, made
// again after the device is lost, and the host copies of the weights kept in step with the GPU.

import { ModelSession, type PlanSource } from '../runtime/session.js';
import type { LayerWeight } from './layers/layer.js';

export class SessionOwner {
  private pending: Promise<ModelSession> | null = null;
  /** The session `pending` resolved to (null until it has, and once dropped). */
  private current: ModelSession | null = null;
  /** True when the GPU holds newer weights than the layers' host copies. */
  hostStale = false;

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
      );
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

  /** A new compile(): the session (now or when made) compiles plans from `source`. */
  recompiled(source: PlanSource): void {
    this.source = source;
    if (this.pending) void this.pending.then((s) => s.recompiled(source)).catch(() => {});
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
    if (pending) void pending.then((s) => s.dispose(), () => {});
  }
}

/** Every weight in the flat parameter layout (one zero for a model without weights: buffers are never empty). */
function flatten(weights: LayerWeight[]): Float32Array {
  const flat = new Float32Array(Math.max(1, weights.reduce((n, w) => n + w.values.length, 0)));
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
