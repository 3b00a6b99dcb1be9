// localstorage://path: models in the browser's localStorage, under TensorFlow.js's keys
// (tfjs-core/src/io/local_storage.ts), so either library loads what the other saved:
//   tensorflowjs_models/<path>/info            JSON ModelArtifactsInfo
//   tensorflowjs_models/<path>/model_topology  JSON topology
//   tensorflowjs_models/<path>/weight_specs    JSON weight specs
//   tensorflowjs_models/<path>/weight_data     the weights, base64
//   tensorflowjs_models/<path>/model_metadata  JSON { format, generatedBy, convertedBy, userDefinedMetadata?, trainingConfig? }
// localStorage holds a few MB per origin: a model that does not fit is refused (and nothing of it is
// left behind) with a message that says how big it is and to use indexeddb:// instead.

import { fail } from '../errors.js';
import { artifactsInfo, concatBuffers, isArrayBuffer } from './modelJson.js';
import { parseJson } from './safeJson.js';
import type { IOHandler, ModelArtifacts, ModelArtifactsInfo, SaveResult } from './types.js';

export const LOCAL_STORAGE_SCHEME = 'localstorage://';
const PREFIX = 'tensorflowjs_models/';
const INFO = 'info';

function keysOf(path: string) {
  const key = (suffix: string) => `${PREFIX}${path}/${suffix}`;
  return {
    info: key(INFO),
    topology: key('model_topology'),
    weightSpecs: key('weight_specs'),
    weightData: key('weight_data'),
    metadata: key('model_metadata'),
  };
}

function storage(what: string): Storage {
  let ls: Storage | undefined;
  try {
    ls = (globalThis as { localStorage?: Storage }).localStorage;
  } catch {
    ls = undefined; // a sandboxed page throws on access
  }
  if (!ls)
    return fail(
      `${what}: there is no localStorage here (localstorage:// needs a browser page); in node, use saveModelToDirectory / loadLayersModelFromDirectory`,
    );
  return ls;
}

function checkPath(path: string, what: string): void {
  if (!path) fail(`${what}: the model path is empty; use 'localstorage://name'`);
}

export function toBase64(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function fromBase64(text: string, what: string): ArrayBuffer {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    return fail(`${what}: the stored weight data is not base64`);
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

/** The handler of localstorage://`path` (TensorFlow.js's tf.io.browserLocalStorage). */
export function browserLocalStorage(path: string): IOHandler {
  const keys = keysOf(path);
  return {
    async save(artifacts: ModelArtifacts): Promise<SaveResult> {
      const what = `save('${LOCAL_STORAGE_SCHEME}${path}')`;
      checkPath(path, what);
      const ls = storage(what);
      if (isArrayBuffer(artifacts.modelTopology)) fail(`${what}: a binary (GraphDef) topology cannot be stored; weft saves layers models`);
      const modelArtifactsInfo = artifactsInfo(artifacts);
      const weights = toBase64(concatBuffers(artifacts.weightData));
      const metadata = {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        userDefinedMetadata: artifacts.userDefinedMetadata ?? undefined,
        trainingConfig: artifacts.trainingConfig ?? undefined,
      };
      try {
        ls.setItem(keys.info, JSON.stringify(modelArtifactsInfo));
        ls.setItem(keys.topology, JSON.stringify(artifacts.modelTopology));
        ls.setItem(keys.weightSpecs, JSON.stringify(artifacts.weightSpecs));
        ls.setItem(keys.weightData, weights);
        ls.setItem(keys.metadata, JSON.stringify(metadata));
      } catch (e) {
        for (const key of Object.values(keys)) ls.removeItem(key);
        const quota =
          (e as { name?: string })?.name === 'QuotaExceededError' ? "exceeds localStorage's quota" : `could not be stored (${(e as Error)?.message ?? e})`;
        fail(
          `${what}: the model (${mb(modelArtifactsInfo.weightDataBytes ?? 0)} MB of weights, ${mb(weights.length)} MB as base64 text) ${quota}; ` +
            `browsers give localStorage about 5 MB per origin: save it to 'indexeddb://${path}' instead`,
        );
      }
      return { modelArtifactsInfo };
    },
    async load(): Promise<ModelArtifacts> {
      const what = `loadLayersModel('${LOCAL_STORAGE_SCHEME}${path}')`;
      checkPath(path, what);
      const ls = storage(what);
      const item = (key: string, name: string): string => {
        const v = ls.getItem(key);
        if (v === null) fail(`${what}: the model's ${name} is missing from localStorage (key '${key}')`);
        return v;
      };
      if (ls.getItem(keys.info) === null) fail(`${what}: there is no model '${path}' in localStorage; weft.io.listModels() lists the stored ones`);
      const info = parseJson(item(keys.info, 'info'), `${what}: info`) as { modelTopologyType?: unknown } | null;
      if (info?.modelTopologyType !== 'JSON') fail(`${what}: the stored topology is not JSON (a graph model); weft loads layers models`);
      const artifacts: ModelArtifacts = {
        modelTopology: parseJson(item(keys.topology, 'topology'), `${what}: topology`) as object,
        weightSpecs: parseJson(item(keys.weightSpecs, 'weight specs'), `${what}: weight specs`) as never,
        weightData: fromBase64(item(keys.weightData, 'weight data'), what),
      };
      const metadataText = ls.getItem(keys.metadata);
      if (metadataText !== null) {
        const m = parseJson(metadataText, `${what}: metadata`) as Record<string, unknown> | null;
        if (m && typeof m === 'object') {
          if (typeof m.format === 'string') artifacts.format = m.format;
          if (typeof m.generatedBy === 'string') artifacts.generatedBy = m.generatedBy;
          if (typeof m.convertedBy === 'string' || m.convertedBy === null) artifacts.convertedBy = m.convertedBy as string | null;
          if (m.userDefinedMetadata && typeof m.userDefinedMetadata === 'object')
            artifacts.userDefinedMetadata = m.userDefinedMetadata as Record<string, object>;
          if (m.trainingConfig && typeof m.trainingConfig === 'object') artifacts.trainingConfig = m.trainingConfig as object;
        }
      }
      return artifacts;
    },
  };
}

/** Every model in localStorage: path → info. */
export function listLocalStorageModels(): Record<string, ModelArtifactsInfo> {
  const ls = storage('listModels');
  const out: Record<string, ModelArtifactsInfo> = {};
  for (let i = 0; i < ls.length; i++) {
    const key = ls.key(i);
    if (!key?.startsWith(PREFIX) || !key.endsWith(`/${INFO}`)) continue;
    const path = key.slice(PREFIX.length, -INFO.length - 1);
    if (!path) continue;
    out[path] = parseInfo(ls.getItem(key) ?? 'null', `listModels: '${key}'`);
  }
  return out;
}

/** Removes localstorage://`path` (all five keys); returns its info. */
export function removeLocalStorageModel(path: string): ModelArtifactsInfo {
  const what = `removeModel('${LOCAL_STORAGE_SCHEME}${path}')`;
  const ls = storage(what);
  const keys = keysOf(path);
  const info = ls.getItem(keys.info);
  if (info === null) fail(`${what}: there is no model '${path}' in localStorage`);
  for (const key of Object.values(keys)) ls.removeItem(key);
  return parseInfo(info, `${what}: info`);
}

/** Info as plain data for the caller (as TensorFlow.js returns it: dateSaved is the saved string). */
function parseInfo(text: string, what: string): ModelArtifactsInfo {
  try {
    return JSON.parse(text) as ModelArtifactsInfo;
  } catch (e) {
    return fail(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}
