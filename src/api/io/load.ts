// weft.loadLayersModel(urlOrHandler): a TensorFlow.js layers model (model.json + binary weights)
// as a weft LayersModel, uncompiled, with the file's weights.
//   - a URL (absolute, or relative to the page): fetches model.json, then every weight file its
//     weightsManifest names, relative to model.json (same origin only);
//   - 'indexeddb://name' or 'localstorage://name': the browser's stores (./modelStore.ts);
//   - an IOHandler `{ load() }` returning ModelArtifacts (e.g. tf.io.fromMemory, or your own);
//   - files in node: see ./node.ts (loadLayersModelFromDirectory / fileSystem).
// The file is data only: parsed defensively (./safeJson.ts), layer classes looked up in a table
// (./serialize.ts); unsupported classes, wrong shapes and weight data of the wrong length are
// rejected with errors naming the layer or weight.

import { fileSchemeHandler } from './fileScheme.js';
import { fail } from '../errors.js';
import { model, type LayersModel } from '../model.js';
import { Tensor } from '../tensor.js';
import { concatBuffers, decodeWeights, isArrayBuffer, LAYERS_MODEL_FORMAT, matchWeights, readModelJson, topologyFromJson } from './modelJson.js';
import { describeJson, parseJson, toJson } from './safeJson.js';
import { storageHandler } from './modelStore.js';
import { stateFromEntries, type OptimizerEntry } from './optimizerWeights.js';
import { isObject } from './safeJson.js';
import { compileArgsFromTrainingConfig } from './trainingConfig.js';
import type { IOHandler, LoadOptions, ModelArtifacts } from './types.js';
import { Sequential } from '../sequential.js';

export type { IOHandler, LoadOptions, ModelArtifacts, SaveResult, ModelJSON, WeightsManifestEntry } from './types.js';

export async function loadLayersModel(pathOrHandler: string | IOHandler, options: LoadOptions = {}): Promise<LayersModel> {
  const what = `loadLayersModel(${typeof pathOrHandler === 'string' ? `'${pathOrHandler}'` : 'handler'})`;
  let artifacts: ModelArtifacts;
  const stored = typeof pathOrHandler === 'string' ? storageHandler(pathOrHandler) : undefined;
  if (stored) artifacts = await stored.load!();
  else if (typeof pathOrHandler === 'string') artifacts = await fetchArtifacts(pathOrHandler, options, what);
  else if (pathOrHandler && typeof pathOrHandler === 'object' && typeof pathOrHandler.load === 'function') artifacts = await pathOrHandler.load();
  else
    return fail(
      `loadLayersModel: expected the URL of a model.json or an IOHandler with a load() method, got ${pathOrHandler === null ? 'null' : typeof pathOrHandler}`,
    );
  return modelFromArtifacts(artifacts, options, what);
}

/** ModelArtifacts → a weft model with the artifacts' weights. */
export function modelFromArtifacts(artifacts: ModelArtifacts, options: LoadOptions = {}, what = 'loadLayersModel'): LayersModel {
  if (!artifacts || typeof artifacts !== 'object')
    fail(`${what}: the handler's load() returned ${describeJson(artifacts === null ? null : typeof artifacts)} instead of model artifacts`);
  if (isArrayBuffer(artifacts.modelTopology)) fail(`${what}: the topology is a binary GraphDef (a TensorFlow.js graph model); weft loads layers models`);
  const format = artifacts.format;
  if (format !== undefined && format !== null && format !== LAYERS_MODEL_FORMAT)
    fail(`${what}: format is '${String(format)}'; weft loads '${LAYERS_MODEL_FORMAT}' models`);
  const topology = toJson(artifacts.modelTopology, `${what}: modelTopology`);
  const parsed = topologyFromJson(topology, what);
  const result = parsed.sequential
    ? Sequential.fromStack(parsed.sequential, parsed.inputs[0]!, parsed.outputs[0]!, parsed.name)
    : model({ inputs: parsed.inputs, outputs: parsed.outputs, ...(parsed.name !== undefined ? { name: parsed.name } : {}) });
  const hasWeights = artifacts.weightSpecs !== undefined && artifacts.weightSpecs !== null;
  if (!hasWeights) {
    if (concatBuffers(artifacts.weightData).byteLength > 0) fail(`${what}: there is weight data but no weight specs to say what it holds`);
    return result; // topology only: the layers keep their initial weights (as TensorFlow.js)
  }
  const optimizerWeights: OptimizerEntry[] = [];
  const fileWeights = decodeWeights(toJson(artifacts.weightSpecs, `${what}: weightSpecs`), concatBuffers(artifacts.weightData), what, optimizerWeights);
  const values = matchWeights(result.weights, fileWeights, options.strict ?? true, what);
  const weights = result.weights;
  values.forEach((v, i) => {
    if (!v) return;
    for (let j = 0; j < v.length; j++)
      if (!Number.isFinite(v[j]!)) fail(`${what}: weight '${weights[i]!.name}' holds ${v[j]} at index ${j}; weights must be finite`);
  });
  result.setWeights(weights.map((w, i) => new Tensor(values[i] ?? w.values.slice(), [...w.shape], 'float32')));
  resumeTraining(result, artifacts, optimizerWeights, what);
  return result;
}

/**
 * A file with a trainingConfig (saved with includeOptimizer) gives a compiled model, as TF.js's
 * loader does, that continues from the saved optimizer state (Adam's moments and step).
 */
function resumeTraining(result: LayersModel, artifacts: ModelArtifacts, optimizerWeights: OptimizerEntry[], what: string): void {
  if (artifacts.trainingConfig === undefined || artifacts.trainingConfig === null) return;
  const config = toJson(artifacts.trainingConfig, `${what}: trainingConfig`);
  if (!isObject(config)) fail(`${what}: trainingConfig must be an object`);
  result.compile(compileArgsFromTrainingConfig(config, what));
  if (optimizerWeights.length === 0) return;
  const optimizer = result.optimizer!;
  let offset = 0;
  const flat = result.weights.map((w) => {
    const entry = { name: w.name, shape: w.shape, trainable: w.trainable, offset };
    offset += w.values.length;
    return entry;
  });
  result.resumeOptimizer(stateFromEntries(optimizer.algorithm, optimizer.initialStateValue, flat, offset, optimizerWeights, what));
}

const UNSUPPORTED_SCHEMES = new Map([
  ['downloads', 'downloads:// is for saving; load the downloaded files from a URL, or pass a handler { load() }'],
  ['file', "a browser cannot read files; in Node, import weft's Node entry (import * as weft from 'weft'), which loads file:// paths"],
]);

/** Fetches model.json and its weight files. */
export async function fetchArtifacts(url: string, options: LoadOptions, what: string): Promise<ModelArtifacts> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'file') {
    const handler = fileSchemeHandler(url);
    if (handler) return handler.load!();
  }
  if (scheme && UNSUPPORTED_SCHEMES.has(scheme)) fail(`${what}: ${UNSUPPORTED_SCHEMES.get(scheme)}`);
  const fetchFunc = options.fetchFunc ?? (typeof fetch === 'function' ? fetch.bind(globalThis) : undefined);
  if (!fetchFunc) fail(`${what}: there is no fetch() here; pass options.fetchFunc or a handler { load() }`);
  let modelUrl: URL;
  try {
    modelUrl = new URL(url, typeof location !== 'undefined' ? location.href : undefined);
  } catch {
    return fail(`${what}: '${url}' is not a URL (relative URLs need a page to be relative to)`);
  }
  if (modelUrl.protocol !== 'http:' && modelUrl.protocol !== 'https:' && modelUrl.protocol !== 'blob:' && modelUrl.protocol !== 'data:')
    fail(`${what}: weft loads model.json over http(s), not ${modelUrl.protocol}`);
  const get = async (u: URL, kind: string): Promise<Response> => {
    let response: Response;
    try {
      response = await fetchFunc(u.href, options.requestInit);
    } catch (e) {
      return fail(`${what}: fetching ${kind} ${u.href} failed: ${(e as Error).message}`);
    }
    if (!response.ok) fail(`${what}: fetching ${kind} ${u.href} answered ${response.status} ${response.statusText}`);
    return response;
  };
  const json = parseJson(await (await get(modelUrl, 'model.json')).text(), `${what}: model.json`);
  const { topology, groups, trainingConfig } = readModelJson(json, what);
  let base = modelUrl;
  if (options.weightPathPrefix !== undefined) {
    const prefix = options.weightPathPrefix.endsWith('/') ? options.weightPathPrefix : `${options.weightPathPrefix}/`;
    base = new URL(prefix, modelUrl);
    if (base.origin !== modelUrl.origin) fail(`${what}: weightPathPrefix '${options.weightPathPrefix}' is on another origin than model.json`);
  }
  const buffers: ArrayBuffer[] = [];
  for (const group of groups)
    for (const path of group.paths) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('/') || path.startsWith('\\'))
        fail(`${what}: weight file '${path}' must be a path relative to model.json`);
      const u = new URL(path, base);
      if (u.origin !== modelUrl.origin) fail(`${what}: weight file '${path}' resolves to another origin (${u.origin})`);
      buffers.push(await (await get(u, 'weight file')).arrayBuffer());
    }
  return {
    modelTopology: topology,
    weightSpecs: groups.flatMap((g) => g.weights) as never,
    weightData: concatBuffers(buffers),
    format: LAYERS_MODEL_FORMAT,
    ...(trainingConfig ? { trainingConfig } : {}),
  };
}
