// indexeddb://path: models in the browser's IndexedDB, laid out exactly as TensorFlow.js lays them out
// (tfjs-core/src/io/indexed_db.ts), so either library loads what the other saved:
//   database 'tensorflowjs' (version 1), object stores keyed by 'modelPath':
//     'models_store'     { modelPath, modelArtifacts, modelArtifactsInfo }   (weightData: one ArrayBuffer)
//     'model_info_store' { modelPath, modelArtifactsInfo }                    (what listModels reads)
// The info record is written first and removed again if the model record cannot be written.

import { fail, WeftError } from '../errors.js';
import { artifactsInfo, concatBuffers, isArrayBuffer } from './modelJson.js';
import type { IOHandler, ModelArtifacts, ModelArtifactsInfo, SaveResult } from './types.js';

export const INDEXED_DB_SCHEME = 'indexeddb://';
const DATABASE_NAME = 'tensorflowjs';
const DATABASE_VERSION = 1;
const MODEL_STORE = 'models_store';
const INFO_STORE = 'model_info_store';

function factory(what: string): IDBFactory {
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!idb)
    return fail(
      `${what}: there is no IndexedDB here (indexeddb:// needs a browser page or worker); in node, use saveModelToDirectory / loadLayersModelFromDirectory`,
    );
  return idb;
}

/** A request as a promise; its error (a DOMException) becomes a WeftError saying what failed. */
function done<T>(request: IDBRequest<T>, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(wrap(request.error, what));
  });
}

function wrap(error: unknown, what: string): Error {
  const e = error as { name?: string; message?: string } | null;
  const quota = e?.name === 'QuotaExceededError' ? " (the browser's storage quota for this origin is exceeded; remove models with weft.io.removeModel)" : '';
  return new WeftError(`${what}: IndexedDB refused: ${e?.name ?? 'error'}: ${e?.message ?? String(error)}${quota}`);
}

async function openDatabase(what: string): Promise<IDBDatabase> {
  const request = factory(what).open(DATABASE_NAME, DATABASE_VERSION);
  // A fresh database gets TensorFlow.js's two stores.
  request.onupgradeneeded = () => {
    const db = request.result;
    if (!db.objectStoreNames.contains(MODEL_STORE)) db.createObjectStore(MODEL_STORE, { keyPath: 'modelPath' });
    if (!db.objectStoreNames.contains(INFO_STORE)) db.createObjectStore(INFO_STORE, { keyPath: 'modelPath' });
  };
  return done(request, what);
}

/** Runs `body` on the database and closes it afterwards. */
async function withDatabase<T>(what: string, body: (db: IDBDatabase) => Promise<T>): Promise<T> {
  const db = await openDatabase(what);
  try {
    return await body(db);
  } finally {
    db.close();
  }
}

function store(db: IDBDatabase, name: string, mode: IDBTransactionMode): IDBObjectStore {
  return db.transaction(name, mode).objectStore(name);
}

function checkPath(path: string, what: string): void {
  if (!path) fail(`${what}: the model path is empty; use 'indexeddb://name'`);
}

/** The handler of indexeddb://`path` (TensorFlow.js's tf.io.browserIndexedDB). */
export function browserIndexedDB(path: string): IOHandler {
  return {
    async save(artifacts: ModelArtifacts): Promise<SaveResult> {
      const what = `save('${INDEXED_DB_SCHEME}${path}')`;
      checkPath(path, what);
      if (isArrayBuffer(artifacts.modelTopology)) fail(`${what}: a binary (GraphDef) topology cannot be stored; weft saves layers models`);
      const stored: ModelArtifacts = { ...artifacts, weightData: concatBuffers(artifacts.weightData) };
      const modelArtifactsInfo = artifactsInfo(stored);
      return withDatabase(what, async (db) => {
        await done(store(db, INFO_STORE, 'readwrite').put({ modelPath: path, modelArtifactsInfo }), what);
        try {
          await done(store(db, MODEL_STORE, 'readwrite').put({ modelPath: path, modelArtifacts: stored, modelArtifactsInfo }), what);
        } catch (e) {
          await done(store(db, INFO_STORE, 'readwrite').delete(path), what).catch(() => {});
          throw e;
        }
        return { modelArtifactsInfo };
      });
    },
    async load(): Promise<ModelArtifacts> {
      const what = `loadLayersModel('${INDEXED_DB_SCHEME}${path}')`;
      checkPath(path, what);
      return withDatabase(what, async (db) => {
        const record = (await done(store(db, MODEL_STORE, 'readonly').get(path), what)) as { modelArtifacts?: ModelArtifacts } | undefined;
        if (!record?.modelArtifacts) fail(`${what}: there is no model '${path}' in IndexedDB; weft.io.listModels() lists the stored ones`);
        return record.modelArtifacts;
      });
    },
  };
}

/** Every model in IndexedDB: path → info. */
export async function listIndexedDbModels(): Promise<Record<string, ModelArtifactsInfo>> {
  return withDatabase('listModels', async (db) => {
    const records = (await done(store(db, INFO_STORE, 'readonly').getAll(), 'listModels')) as { modelPath: string; modelArtifactsInfo: ModelArtifactsInfo }[];
    return Object.fromEntries(records.map((r) => [r.modelPath, r.modelArtifactsInfo]));
  });
}

/** Removes indexeddb://`path` (both records); returns its info. */
export async function removeIndexedDbModel(path: string): Promise<ModelArtifactsInfo> {
  const what = `removeModel('${INDEXED_DB_SCHEME}${path}')`;
  return withDatabase(what, async (db) => {
    const info = (await done(store(db, INFO_STORE, 'readonly').get(path), what)) as { modelArtifactsInfo: ModelArtifactsInfo } | undefined;
    if (!info) fail(`${what}: there is no model '${path}' in IndexedDB`);
    await done(store(db, INFO_STORE, 'readwrite').delete(path), what);
    await done(store(db, MODEL_STORE, 'readwrite').delete(path), what);
    return info.modelArtifactsInfo;
  });
}
