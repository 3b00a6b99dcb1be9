// Datasets kept on the GPU between calls: a dataset whose arrays all carry a cache key (the tensors
// they came from) is uploaded on first use and found again by the next fit / evaluate / predict on
// the same tensors, with its bind groups. Entries go when a tensor they hold is disposed, when the
// session is, or, oldest first, when GPU memory runs short (or the cache's byte budget is reached).

import type { PlacedDataset } from './placedDataset.js';

export interface CachedDataset {
  readonly key: string;
  readonly placed: PlacedDataset;
  /** What frees it (one tag per source tensor). */
  readonly tags: readonly string[];
  /** Passes using it now: it is not evicted or freed under them. */
  users: number;
  /** Freed when the last user lets go (its tensor was disposed while in use). */
  doomed: boolean;
}

/** Most bytes of cached datasets one session keeps before evicting the oldest (default: no cap but GPU memory). */
let budgetBytes = Number.POSITIVE_INFINITY;

/** Sets the byte budget of every session's dataset cache (tests; apps that share the GPU). */
export function setDatasetCacheBudget(bytes: number): void {
  budgetBytes = bytes > 0 ? bytes : Number.POSITIVE_INFINITY;
}

export class DatasetCache {
  /** Insertion order is use order: the first entry is the least recently used. */
  private readonly entries = new Map<string, CachedDataset>();

  constructor(private readonly free: (placed: PlacedDataset) => void) {}

  /** The entry for `key`, marked in use and most recently used; null when absent. */
  acquire(key: string): CachedDataset | null {
    const entry = this.entries.get(key);
    if (!entry) return null;
    this.entries.delete(key);
    this.entries.set(key, entry);
    entry.users++;
    return entry;
  }

  /** Adds a freshly uploaded dataset, in use by its caller; evicts the oldest idle ones over budget. */
  add(key: string, placed: PlacedDataset, tags: readonly string[]): CachedDataset {
    const entry: CachedDataset = { key, placed, tags, users: 1, doomed: false };
    this.entries.set(key, entry);
    while (this.bytes > budgetBytes && this.evictOldest()) {}
    return entry;
  }

  /** A pass is done with `placed`; true when it belongs to the cache (then the cache frees it, not the caller). */
  release(placed: PlacedDataset): boolean {
    for (const entry of this.entries.values()) {
      if (entry.placed !== placed) continue;
      entry.users = Math.max(0, entry.users - 1);
      if (entry.doomed && entry.users === 0) this.drop(entry);
      return true;
    }
    return false;
  }

  /** Frees every entry holding data tagged `tag` (at once, or when its passes finish). */
  forget(tag: string): void {
    for (const entry of [...this.entries.values()]) {
      if (!entry.tags.includes(tag)) continue;
      if (entry.users > 0) entry.doomed = true;
      else this.drop(entry);
    }
  }

  /** Frees the least recently used idle entry; false when none is idle. */
  evictOldest(): boolean {
    for (const entry of this.entries.values()) {
      if (entry.users > 0) continue;
      this.drop(entry);
      return true;
    }
    return false;
  }

  get bytes(): number {
    let n = 0;
    for (const entry of this.entries.values()) n += entry.placed.memory.bytes;
    return n;
  }

  get size(): number {
    return this.entries.size;
  }

  private drop(entry: CachedDataset): void {
    this.entries.delete(entry.key);
    this.free(entry.placed);
  }

  clear(): void {
    this.entries.clear();
  }
}
