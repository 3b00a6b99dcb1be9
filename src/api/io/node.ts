// Node only (node:fs, node:path; not part of the browser bundle, not exported by src/index.ts):
// model.json + weights.bin in a directory.
//
//   import { saveModelToDirectory, loadLayersModelFromDirectory, fileSystem } from 'weft/src/api/io/node.js';
//   await saveModelToDirectory(model, 'out/my-model');            // out/my-model/model.json, weights.bin
//   const again = await loadLayersModelFromDirectory('out/my-model'); // or the path of a model.json
//   await model.save(fileSystem('out/my-model'));                   // the same, as an IOHandler
//
// Weight files named in model.json must lie in model.json's directory or below it.

import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { fail } from '../errors.js';
import type { LayersModel } from '../model.js';
import { modelFromArtifacts } from './load.js';
import { artifactsInfo, concatBuffers, LAYERS_MODEL_FORMAT, modelJsonFor, readModelJson } from './modelJson.js';
import { parseJson } from './safeJson.js';
import type { IOHandler, LoadOptions, ModelArtifacts, SaveResult } from './types.js';

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

/** An IOHandler on a directory (save: writes model.json and weights.bin; load: reads them back). */
export function fileSystem(path: string): IOHandler {
  return {
    async save(artifacts: ModelArtifacts): Promise<SaveResult> {
      const dir = resolve(path);
      await mkdir(dir, { recursive: true });
      const json = JSON.stringify(modelJsonFor(artifacts, [WEIGHTS_BIN]), null, 1);
      const weights = new Uint8Array(concatBuffers(artifacts.weightData));
      await writeFile(join(dir, WEIGHTS_BIN), weights);
      await writeFile(join(dir, MODEL_JSON), json);
      return { modelArtifactsInfo: artifactsInfo(artifacts) };
    },
    async load(): Promise<ModelArtifacts> {
      let jsonPath = resolve(path);
      if ((await stat(jsonPath).catch(() => null))?.isDirectory()) jsonPath = join(jsonPath, MODEL_JSON);
      const what = `loadLayersModel('${jsonPath}')`;
      const text = await readFile(jsonPath, 'utf8').catch((e: Error) => fail(`${what}: cannot read ${jsonPath}: ${e.message}`));
      const { topology, groups, trainingConfig } = readModelJson(parseJson(text, `${what}: model.json`), what);
      const dir = dirname(jsonPath);
      const buffers: ArrayBuffer[] = [];
      for (const group of groups)
        for (const p of group.paths) {
          const file = resolve(dir, p);
          if (!file.startsWith(dir + sep)) fail(`${what}: weight file '${p}' lies outside ${dir}`);
          const bytes = await readFile(file).catch((e: Error) => fail(`${what}: cannot read weight file ${file}: ${e.message}`));
          buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
        }
      return {
        modelTopology: topology,
        weightSpecs: groups.flatMap((g) => g.weights) as never,
        weightData: concatBuffers(buffers),
        format: LAYERS_MODEL_FORMAT,
        ...(trainingConfig ? { trainingConfig } : {}),
      };
    },
  };
}

/** Writes `dir`/model.json and `dir`/weights.bin (the directory is created if needed). */
export function saveModelToDirectory(model: LayersModel, dir: string): Promise<SaveResult> {
  return model.save(fileSystem(dir));
}

/** Reads a model saved as `dir`/model.json (or the model.json at `path`) and its weight files. */
export async function loadLayersModelFromDirectory(path: string, options: LoadOptions = {}): Promise<LayersModel> {
  const handler = fileSystem(path);
  return modelFromArtifacts(await handler.load!(), options, `loadLayersModel('${path}')`);
}
