// model.save(handlerOrUrl): the model's topology and weights as TensorFlow.js ModelArtifacts,
// handed to an IOHandler (any `{ save(artifacts) }`, e.g. tf.io.withSaveHandler's) or to the handler
// a URL names:
//   'downloads://name'        the browser downloads name.json and name.weights.bin (default 'model')
//   'http://…', 'https://…'   POST multipart/form-data: model.json and model.weights.bin (as tf.io.http)
//   'indexeddb://name', 'localstorage://name'   the browser's stores, as TensorFlow.js lays them out (./modelStore.ts)
// Files in node: see ./node.ts (saveModelToDirectory / fileSystem).

import { fileSchemeHandler } from './fileScheme.js';
import { fail } from '../errors.js';
import type { Tensor } from '../tensor.js';
import {
  artifactsInfo,
  concatBuffers,
  encodeWeights,
  LAYERS_MODEL_FORMAT,
  modelJsonFor,
  modelTopologyToJson,
  WEFT_VERSION,
  type SerializableModel,
} from './modelJson.js';
import { storageHandler } from './modelStore.js';
import { encodeOptimizerEntries, optimizerEntries, type FlatWeight } from './optimizerWeights.js';
import { trainingConfigOf } from './trainingConfig.js';
import type { IOHandler, ModelArtifacts, SaveResult } from './types.js';
import type { CompiledState } from '../compileArgs.js';
import type { OptimizerState } from '../../runtime/session.js';

/** What save needs of a LayersModel. */
export interface SavableModel extends SerializableModel {
  readonly weights: { name: string; shape: number[]; trainable: boolean }[];
  getWeights(): Tensor[];
  /** The compile configuration and the optimizer's state now (null before compile). */
  trainingState(): Promise<{ state: CompiledState; optimizer: OptimizerState | null } | null>;
}

/** TensorFlow.js's ModelSaveConfig. */
export interface SaveConfig {
  /** Also save the optimizer's state (group 'optimizer' in the weights manifest) and the training config. */
  includeOptimizer?: boolean;
}

/** The model as TensorFlow.js ModelArtifacts (topology JSON, weight specs, one weight buffer). */
export async function modelArtifacts(model: SavableModel, config: SaveConfig = {}): Promise<ModelArtifacts> {
  const tensors = model.getWeights();
  // data() waits for the GPU's values when the host copies are behind (a save during fit).
  const values = await Promise.all(tensors.map((t) => t.data()));
  const names = model.weights.map((w) => w.name);
  const { specs, data } = encodeWeights(tensors.map((t, i) => ({ name: names[i]!, shape: t.shape, values: values[i] as Float32Array })));
  const artifacts: ModelArtifacts = {
    modelTopology: modelTopologyToJson(model),
    format: LAYERS_MODEL_FORMAT,
    generatedBy: `weft ${WEFT_VERSION}`,
    convertedBy: null,
    weightSpecs: specs,
    weightData: data,
  };
  const training = config.includeOptimizer ? await model.trainingState() : null;
  if (training) {
    // As TF.js's LayersModel.save: the training config in model.json, the optimizer's weights after the model's.
    artifacts.trainingConfig = trainingConfigOf(training.state);
    let offset = 0;
    const flat: FlatWeight[] = model.weights.map((w) => {
      const entry = { name: w.name, shape: w.shape, trainable: w.trainable, offset };
      offset += w.shape.reduce((a, b) => a * b, 1);
      return entry;
    });
    const optimizer = encodeOptimizerEntries(
      optimizerEntries(training.state.optimizer.algorithm, flat, offset, training.optimizer ?? { step: 0, arrays: new Float32Array(0) }),
    );
    artifacts.weightSpecs = [...specs, ...optimizer.specs];
    artifacts.weightData = concatBuffers([data, optimizer.data]);
  }
  return artifacts;
}

export async function saveModel(model: SavableModel, handlerOrUrl: IOHandler | string, config: SaveConfig = {}): Promise<SaveResult> {
  const handler = typeof handlerOrUrl === 'string' ? handlerForUrl(handlerOrUrl) : handlerOrUrl;
  if (!handler || typeof handler !== 'object' || typeof handler.save !== 'function')
    fail(`save: expected a URL such as 'downloads://my-model' or an IOHandler with a save(artifacts) method, got ${describe(handlerOrUrl)}`);
  if (config !== undefined && (config === null || typeof config !== 'object'))
    fail(`save: the second argument must be { includeOptimizer?: boolean }, got ${config === null ? 'null' : typeof config}`);
  return handler.save(await modelArtifacts(model, config));
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'object') return 'an object without save()';
  return typeof v;
}

export function handlerForUrl(url: string): IOHandler {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'downloads':
      return browserDownloads(url.slice('downloads://'.length) || 'model');
    case 'http':
    case 'https':
      return httpSave(url);
    case 'file':
      return (
        fileSchemeHandler(url) ??
        fail(`save: '${url}': a browser cannot write files; in Node, import weft's Node entry (import * as weft from 'weft'), which saves to file:// paths`)
      );
    case 'localstorage':
    case 'indexeddb':
      return storageHandler(url)!;
    default:
      return fail(
        `save: '${url}' names no place weft can save to; use 'downloads://name', 'indexeddb://name', 'localstorage://name', an http(s) URL, or a handler { save(artifacts) }`,
      );
  }
}

function weightBlob(artifacts: ModelArtifacts): Blob {
  const data = artifacts.weightData;
  return new Blob(data === undefined ? [] : Array.isArray(data) ? data : [data], { type: 'application/octet-stream' });
}

/** Downloads name.json (with paths ['./name.weights.bin']) and name.weights.bin, as TensorFlow.js does. */
function browserDownloads(name: string): IOHandler {
  if (/[\\/]/.test(name)) fail(`save: 'downloads://${name}': the name must not contain slashes`);
  return {
    async save(artifacts: ModelArtifacts): Promise<SaveResult> {
      if (typeof document === 'undefined') fail(`save: 'downloads://${name}' needs a browser page (document); in node use saveModelToDirectory`);
      const weightsFile = `${name}.weights.bin`;
      const json = JSON.stringify(modelJsonFor(artifacts, [`./${weightsFile}`]));
      const urls = [URL.createObjectURL(new Blob([json], { type: 'application/json' })), URL.createObjectURL(weightBlob(artifacts))];
      [`${name}.json`, weightsFile].forEach((file, i) => {
        const a = document.createElement('a');
        a.download = file;
        a.href = urls[i]!;
        a.click();
      });
      setTimeout(() => urls.forEach((u) => URL.revokeObjectURL(u)), 60_000);
      return { modelArtifactsInfo: artifactsInfo(artifacts) };
    },
  };
}

/** POSTs model.json and model.weights.bin as multipart/form-data, as tf.io.http does. */
function httpSave(url: string): IOHandler {
  return {
    async save(artifacts: ModelArtifacts): Promise<SaveResult> {
      const form = new FormData();
      form.append('model.json', new Blob([JSON.stringify(modelJsonFor(artifacts, ['./model.weights.bin']))], { type: 'application/json' }), 'model.json');
      form.append('model.weights.bin', weightBlob(artifacts), 'model.weights.bin');
      const response = await fetch(url, { method: 'POST', body: form });
      if (!response.ok) fail(`save: POST ${url} answered ${response.status} ${response.statusText}`);
      return { modelArtifactsInfo: artifactsInfo(artifacts), responses: [response] };
    },
  };
}
