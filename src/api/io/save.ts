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
import { artifactsInfo, encodeWeights, LAYERS_MODEL_FORMAT, modelJsonFor, modelTopologyToJson, WEFT_VERSION, type SerializableModel } from './modelJson.js';
import { storageHandler } from './modelStore.js';
import type { IOHandler, ModelArtifacts, SaveResult } from './types.js';

/** What save needs of a LayersModel. */
export interface SavableModel extends SerializableModel {
  readonly weights: { name: string; shape: number[] }[];
  getWeights(): Tensor[];
}

/** The model as TensorFlow.js ModelArtifacts (topology JSON, weight specs, one weight buffer). */
export async function modelArtifacts(model: SavableModel): Promise<ModelArtifacts> {
  const tensors = model.getWeights();
  // data() waits for the GPU's values when the host copies are behind (a save during fit).
  const values = await Promise.all(tensors.map((t) => t.data()));
  const names = model.weights.map((w) => w.name);
  const { specs, data } = encodeWeights(tensors.map((t, i) => ({ name: names[i]!, shape: t.shape, values: values[i] as Float32Array })));
  return {
    modelTopology: modelTopologyToJson(model),
    format: LAYERS_MODEL_FORMAT,
    generatedBy: `weft ${WEFT_VERSION}`,
    convertedBy: null,
    weightSpecs: specs,
    weightData: data,
  };
}

export async function saveModel(model: SavableModel, handlerOrUrl: IOHandler | string): Promise<SaveResult> {
  const handler = typeof handlerOrUrl === 'string' ? handlerForUrl(handlerOrUrl) : handlerOrUrl;
  if (!handler || typeof handler !== 'object' || typeof handler.save !== 'function')
    fail(`save: expected a URL such as 'downloads://my-model' or an IOHandler with a save(artifacts) method, got ${describe(handlerOrUrl)}`);
  return handler.save(await modelArtifacts(model));
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
      return fileSchemeHandler(url) ?? fail(`save: '${url}': a browser cannot write files; in Node, import weft's Node entry (import * as weft from 'weft'), which saves to file:// paths`);
    case 'localstorage':
    case 'indexeddb':
      return storageHandler(url)!;
    default:
      return fail(`save: '${url}' names no place weft can save to; use 'downloads://name', 'indexeddb://name', 'localstorage://name', an http(s) URL, or a handler { save(artifacts) }`);
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
