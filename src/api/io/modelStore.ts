// weft.io: the browser's model stores, as tf.io has them. indexeddb:// and localstorage:// URLs are
// routed to their handlers (save and loadLayersModel use storageHandler); listModels / removeModel
// work on both stores, with URLs that carry the scheme ('indexeddb://fashion').

import { fail } from '../errors.js';
import { browserIndexedDB, INDEXED_DB_SCHEME, listIndexedDbModels, removeIndexedDbModel } from './indexedDb.js';
import { browserLocalStorage, listLocalStorageModels, LOCAL_STORAGE_SCHEME, removeLocalStorageModel } from './localStorage.js';
import type { IOHandler, ModelArtifactsInfo } from './types.js';

export { browserIndexedDB, browserLocalStorage };
export type { IOHandler, ModelArtifacts, ModelArtifactsInfo, SaveResult } from './types.js';

type Store = 'indexeddb' | 'localstorage';

function storeOf(url: string): { store: Store; path: string } | undefined {
  const lower = url.toLowerCase();
  if (lower.startsWith(INDEXED_DB_SCHEME)) return { store: 'indexeddb', path: url.slice(INDEXED_DB_SCHEME.length) };
  if (lower.startsWith(LOCAL_STORAGE_SCHEME)) return { store: 'localstorage', path: url.slice(LOCAL_STORAGE_SCHEME.length) };
  return undefined;
}

/** The handler for an indexeddb:// or localstorage:// URL, or undefined for any other URL. */
export function storageHandler(url: string): IOHandler | undefined {
  const at = storeOf(url);
  if (!at) return undefined;
  switch (at.store) {
    case 'indexeddb':
      return browserIndexedDB(at.path);
    case 'localstorage':
      return browserLocalStorage(at.path);
    default:
      return at.store satisfies never;
  }
}

/** Every stored model, keyed by URL ('indexeddb://name', 'localstorage://name'), with its info. */
export async function listModels(): Promise<Record<string, ModelArtifactsInfo>> {
  const out: Record<string, ModelArtifactsInfo> = {};
  for (const [path, info] of Object.entries(listLocalStorageModels())) out[`${LOCAL_STORAGE_SCHEME}${path}`] = info;
  for (const [path, info] of Object.entries(await listIndexedDbModels())) out[`${INDEXED_DB_SCHEME}${path}`] = info;
  return out;
}

/** Removes a stored model by URL; returns its info. */
export async function removeModel(url: string): Promise<ModelArtifactsInfo> {
  const at = typeof url === 'string' ? storeOf(url) : undefined;
  if (!at)
    return fail(`removeModel: expected a URL such as 'indexeddb://name' or 'localstorage://name', got ${typeof url === 'string' ? `'${url}'` : typeof url}`);
  switch (at.store) {
    case 'indexeddb':
      return removeIndexedDbModel(at.path);
    case 'localstorage':
      return removeLocalStorageModel(at.path);
    default:
      return at.store satisfies never;
  }
}
