// A model's topology ↔ TensorFlow.js's layers-model JSON, and its weights ↔ a weights manifest with
// one little-endian binary.
//
// Topology: { class_name: 'Model', config: { name, layers: [{ name, class_name, config,
// inbound_nodes: [[[layer, node, tensor, {}], ...], ...] }], input_layers, output_layers },
// keras_version, backend }. Node indices count only the layer's applications that belong to the
// model (Keras's numbering), so a layer shared with another model serialises as it would in Keras.
// Reading accepts TensorFlow.js's and Keras's functional ('Model', 'Functional') and 'Sequential'
// topologies, Keras's `model_config` wrapper, and Keras 3 inbound nodes ({ args: [keras tensors] }).

import type { OptimizerEntry } from './optimizerWeights.js';
import { fail } from '../errors.js';
import { InputLayer } from '../layers/input.js';
import type { Layer, LayerWeight } from '../layers/layer.js';
import type { SymbolicTensor, LayerNode } from '../symbolic.js';
import type { Topology } from '../topology.js';
import { describeJson, isObject, own, type Json, type JsonObject } from './safeJson.js';
import { layerFromJson, layerToJson } from './serialize.js';
import type { ModelArtifacts, ModelArtifactsInfo, ModelJSON, WeightsManifestEntry } from './types.js';

export const WEFT_VERSION = '0.1.0';
export const LAYERS_MODEL_FORMAT = 'layers-model';

/** What saving needs of a model (LayersModel has all of it). */
export interface SerializableModel {
  readonly name: string;
  readonly inputs: SymbolicTensor[];
  readonly outputs: SymbolicTensor[];
  readonly layers: Layer[];
  readonly topology: Topology;
  getClassName(): string;
}

// ── topology → JSON ──

export function modelTopologyToJson(model: SerializableModel): Record<string, unknown> {
  if (model.getClassName() === 'Sequential') return sequentialToJson(model);
  const inModel = new Set<LayerNode>(model.topology.nodes);
  const nodeIndex = (layer: Layer, index: number): number => {
    const kept = layer.nodes.filter((n) => inModel.has(n));
    const i = kept.indexOf(layer.nodes[index]!);
    if (i < 0) throw new Error(`internal: node ${index} of layer '${layer.name}' is not part of model '${model.name}'`);
    return i;
  };
  const ref = (t: SymbolicTensor): [string, number, number] => [t.sourceLayer.name, nodeIndex(t.sourceLayer, t.nodeIndex), 0];
  const layers = model.layers.map((layer) => {
    const { class_name, config } = layerToJson(layer);
    const inbound = layer instanceof InputLayer ? [] : layer.nodes.filter((n) => inModel.has(n)).map((n) => n.inputs.map((t) => [...ref(t), {}]));
    return { name: layer.name, class_name, config, inbound_nodes: inbound };
  });
  return {
    class_name: 'Model',
    config: { name: model.name, layers, input_layers: model.inputs.map(ref), output_layers: model.outputs.map(ref) },
    keras_version: `weft ${WEFT_VERSION}`,
    backend: 'tensor_flow.js',
  };
}

/** A Sequential model as TensorFlow.js writes it: its layers in order, the first with batch_input_shape. */
function sequentialToJson(model: SerializableModel): Record<string, unknown> {
  const layers = model.layers.map((layer, i) => {
    const { class_name, config } = layerToJson(layer);
    return { class_name, config: i === 0 ? { batch_input_shape: model.inputs[0]!.shape, ...config } : config };
  });
  return { class_name: 'Sequential', config: { name: model.name, layers }, keras_version: `weft ${WEFT_VERSION}`, backend: 'tensor_flow.js' };
}

// ── JSON → topology ──

export interface ParsedTopology {
  name: string | undefined;
  inputs: SymbolicTensor[];
  outputs: SymbolicTensor[];
  /** A Sequential topology's layers in order (its input layer not included). */
  sequential?: Layer[];
}

type Ref = { layer: string; node: number; tensor: number };

/** Builds the layers and applies them as the topology says; returns the model's inputs and outputs. */
export function topologyFromJson(topology: Json | undefined, what: string): ParsedTopology {
  if (!isObject(topology)) fail(`${what}: modelTopology must be an object, got ${describeJson(topology)}`);
  const wrapped = own(topology, 'model_config');
  const top = isObject(wrapped) ? wrapped : topology;
  const className = own(top, 'class_name');
  const config = own(top, 'config');
  if (className === 'Sequential') return sequentialFromJson(config, what);
  if (className !== 'Model' && className !== 'Functional')
    fail(`${what}: modelTopology.class_name is ${describeJson(className)}; weft loads functional ('Model', 'Functional') and 'Sequential' layers models`);
  if (!isObject(config)) fail(`${what}: modelTopology.config must be an object, got ${describeJson(config)}`);
  const layerList = own(config, 'layers');
  if (!Array.isArray(layerList) || layerList.length === 0) fail(`${what}: modelTopology.config.layers must be a non-empty list`);

  const layers = new Map<string, Layer>();
  const pending: { layer: Layer; nodes: Ref[][]; done: number }[] = [];
  const outputs = new Map<string, SymbolicTensor[]>();
  layerList.forEach((entry, i) => {
    if (!isObject(entry)) fail(`${what}: modelTopology.config.layers[${i}] must be an object, got ${describeJson(entry)}`);
    const entryConfig = own(entry, 'config');
    const name = own(entry, 'name') ?? (isObject(entryConfig) ? own(entryConfig, 'name') : undefined);
    if (typeof name !== 'string' || name === '') fail(`${what}: modelTopology.config.layers[${i}] has no name`);
    if (layers.has(name)) fail(`${what}: two layers are named '${name}'`);
    const layer = layerFromJson(own(entry, 'class_name'), entryConfig, name, what);
    layers.set(name, layer);
    if (layer instanceof InputLayer) {
      outputs.set(name, [layer.output]);
      return;
    }
    const inbound = own(entry, 'inbound_nodes') ?? [];
    if (!Array.isArray(inbound)) fail(`${what}: layer '${name}': inbound_nodes must be a list, got ${describeJson(inbound)}`);
    pending.push({ layer, nodes: inbound.map((node, k) => inboundRefs(node, `${what}: layer '${name}', inbound node ${k}`)), done: 0 });
    outputs.set(name, []);
  });

  const tensorOf = (ref: Ref, where: string): SymbolicTensor | undefined => {
    if (!layers.has(ref.layer)) fail(`${where}: refers to layer '${ref.layer}', which is not in the model`);
    if (ref.tensor !== 0) fail(`${where}: refers to output ${ref.tensor} of layer '${ref.layer}'; weft layers have one output`);
    return outputs.get(ref.layer)![ref.node];
  };
  // Apply nodes whose inputs exist, a layer's nodes in order, until all are applied (Keras's loop).
  for (let progress = true; progress; ) {
    progress = false;
    for (const p of pending) {
      while (p.done < p.nodes.length) {
        const where = `${what}: layer '${p.layer.name}', inbound node ${p.done}`;
        const inputs = p.nodes[p.done]!.map((r) => tensorOf(r, where));
        if (inputs.some((t) => t === undefined)) break;
        const list = inputs as SymbolicTensor[];
        outputs.get(p.layer.name)!.push(p.layer.apply(list.length === 1 ? list[0]! : list));
        p.done++;
        progress = true;
      }
    }
  }
  const stuck = pending.find((p) => p.done < p.nodes.length);
  if (stuck) {
    const missing = stuck.nodes[stuck.done]!.filter((r) => outputs.get(r.layer)![r.node] === undefined).map((r) => `'${r.layer}' node ${r.node}`);
    fail(`${what}: layer '${stuck.layer.name}' cannot be applied: its input ${missing.join(', ')} is never produced (a cycle, or a missing node)`);
  }

  const ends = (key: string): SymbolicTensor[] => {
    const list = own(config, key);
    if (!Array.isArray(list) || list.length === 0) fail(`${what}: modelTopology.config.${key} must be a non-empty list`);
    return list.map((r, i) => {
      const where = `${what}: ${key}[${i}]`;
      const t = tensorOf(refOf(r, where), where);
      if (!t) fail(`${where}: ${describeJson(r)} is never produced`);
      return t;
    });
  };
  const name = own(config, 'name');
  return { name: typeof name === 'string' ? name : undefined, inputs: ends('input_layers'), outputs: ends('output_layers') };
}

/** [layer, node, tensor, kwargs?] */
function refOf(r: Json, where: string): Ref {
  if (!Array.isArray(r) || r.length < 3 || r.length > 4 || typeof r[0] !== 'string' || !isIndex(r[1]) || !isIndex(r[2]) || (r.length === 4 && !isObject(r[3])))
    fail(`${where}: expected [layer name, node index, tensor index, {kwargs}], got ${describeJson(r)}`);
  return { layer: r[0], node: r[1] as number, tensor: r[2] as number };
}

function isIndex(v: Json | undefined): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/** One inbound node: a list of refs (Keras 2, TensorFlow.js) or { args, kwargs } with Keras 3 tensors. */
function inboundRefs(node: Json, where: string): Ref[] {
  if (Array.isArray(node)) {
    if (node.length === 0) fail(`${where}: an inbound node needs at least one input`);
    return node.map((r) => refOf(r, where));
  }
  if (isObject(node)) {
    const args = own(node, 'args');
    if (!Array.isArray(args) || args.length !== 1) fail(`${where}: expected { args: [tensor or list of tensors] }, got ${describeJson(node)}`);
    const first = args[0]!;
    const tensors = Array.isArray(first) ? first : [first];
    return tensors.map((t) => {
      const c = isObject(t) ? own(t, 'config') : undefined;
      const history = isObject(c) ? own(c, 'keras_history') : undefined;
      if (!isObject(t) || own(t, 'class_name') !== '__keras_tensor__' || history === undefined)
        fail(`${where}: expected a Keras tensor with keras_history, got ${describeJson(t)}`);
      return refOf(history, where);
    });
  }
  return fail(`${where}: expected a list of [layer, node, tensor, {}] references, got ${describeJson(node)}`);
}

function sequentialFromJson(config: Json | undefined, what: string): ParsedTopology {
  const list = Array.isArray(config) ? config : isObject(config) ? own(config, 'layers') : undefined;
  if (!Array.isArray(list) || list.length === 0) fail(`${what}: a Sequential modelTopology needs config.layers, a non-empty list`);
  const name = isObject(config) ? own(config, 'name') : undefined;
  const names = new Set<string>();
  let current: SymbolicTensor | undefined;
  let input: SymbolicTensor | undefined;
  const stack: Layer[] = [];
  list.forEach((entry, i) => {
    if (!isObject(entry)) fail(`${what}: modelTopology.config.layers[${i}] must be an object, got ${describeJson(entry)}`);
    const c = own(entry, 'config');
    const layerName = own(entry, 'name') ?? (isObject(c) ? own(c, 'name') : undefined);
    if (typeof layerName !== 'string' || layerName === '') fail(`${what}: modelTopology.config.layers[${i}] has no name`);
    if (names.has(layerName)) fail(`${what}: two layers are named '${layerName}'`);
    names.add(layerName);
    const layer = layerFromJson(own(entry, 'class_name'), c, layerName, what);
    if (layer instanceof InputLayer) {
      if (i !== 0) fail(`${what}: layer '${layerName}' is an InputLayer but not the first layer of the Sequential model`);
      input = current = layer.output;
      return;
    }
    if (!current) {
      const shape = isObject(c) ? (own(c, 'batch_input_shape') ?? own(c, 'batch_shape')) : undefined;
      if (!Array.isArray(shape)) fail(`${what}: the first layer of the Sequential model ('${layerName}') has no batch_input_shape`);
      const inputLayer = layerFromJson(
        'InputLayer',
        Object.freeze(Object.assign(Object.create(null), { batch_input_shape: shape })) as JsonObject,
        `${layerName}_input`,
        what,
      );
      input = current = (inputLayer as InputLayer).output;
    }
    current = layer.apply(current);
    stack.push(layer);
  });
  if (!input || !current || current === input) fail(`${what}: the Sequential model has no layers after its input`);
  return { name: typeof name === 'string' ? name : undefined, inputs: [input], outputs: [current], sequential: stack };
}

// ── weights ──

export interface NamedWeight {
  name: string;
  shape: number[];
  values: Float32Array;
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Weights → manifest entries and one buffer (float32, little-endian, in order). */
export function encodeWeights(weights: NamedWeight[]): { specs: WeightsManifestEntry[]; data: ArrayBuffer } {
  const total = weights.reduce((n, w) => n + w.values.length, 0);
  const data = new ArrayBuffer(total * 4);
  const view = new DataView(data);
  const floats = new Float32Array(data);
  let offset = 0;
  for (const w of weights) {
    if (littleEndian) floats.set(w.values, offset);
    else w.values.forEach((v, i) => view.setFloat32((offset + i) * 4, v, true));
    offset += w.values.length;
  }
  return { specs: weights.map((w) => ({ name: w.name, shape: [...w.shape], dtype: 'float32' })), data };
}

/** instanceof ArrayBuffer, also for buffers made in another realm (a worker, node's vm). */
export function isArrayBuffer(v: unknown): v is ArrayBuffer {
  return Object.prototype.toString.call(v) === '[object ArrayBuffer]';
}

const DTYPE_BYTES = new Map<string, number>([
  ['float32', 4],
  ['int32', 4],
  ['bool', 1],
  ['complex64', 8],
]);
const QUANTIZED_BYTES = new Map<string, number>([
  ['uint8', 1],
  ['uint16', 2],
  ['float16', 2],
]);

/** One buffer from one or several. */
export function concatBuffers(data: ArrayBuffer | ArrayBuffer[] | undefined): ArrayBuffer {
  if (data === undefined || data === null) return new ArrayBuffer(0);
  if (isArrayBuffer(data)) return data;
  if (!Array.isArray(data) || !data.every(isArrayBuffer)) fail('weightData must be an ArrayBuffer or a list of ArrayBuffers');
  const out = new Uint8Array(data.reduce((n, b) => n + b.byteLength, 0));
  let offset = 0;
  for (const b of data) {
    out.set(new Uint8Array(b), offset);
    offset += b.byteLength;
  }
  return out.buffer;
}

/**
 * Manifest entries + their bytes → the model weights in them (float32; entries of the 'optimizer'
 * group go to `optimizerOut` when given, else are skipped). The byte length must be exactly what the entries describe.
 */
export function decodeWeights(specs: Json | undefined, data: ArrayBuffer, what: string, optimizerOut?: OptimizerEntry[]): NamedWeight[] {
  if (!Array.isArray(specs)) fail(`${what}: the weights manifest must be a list of weight entries, got ${describeJson(specs)}`);
  const entries = specs.map((s, i) => {
    const where = `${what}: weight entry ${i}`;
    if (!isObject(s)) fail(`${where} must be an object, got ${describeJson(s)}`);
    const name = own(s, 'name');
    const shape = own(s, 'shape');
    const dtype = own(s, 'dtype');
    const group = own(s, 'group');
    const quantization = own(s, 'quantization');
    if (typeof name !== 'string' || name === '') fail(`${where} has no name`);
    if (!Array.isArray(shape) || !shape.every(isIndex))
      fail(`${what}: weight '${name}': shape must be a list of non-negative integers, got ${describeJson(shape)}`);
    if (typeof dtype !== 'string' || !DTYPE_BYTES.has(dtype))
      fail(`${what}: weight '${name}': dtype ${describeJson(dtype)} is not supported (float32, int32, bool or complex64)`);
    let bytes = DTYPE_BYTES.get(dtype)!;
    if (quantization !== undefined && quantization !== null) {
      const q = isObject(quantization) ? own(quantization, 'dtype') : undefined;
      if (typeof q !== 'string' || !QUANTIZED_BYTES.has(q)) fail(`${what}: weight '${name}': quantization ${describeJson(quantization)} is not understood`);
      bytes = QUANTIZED_BYTES.get(q)!;
    }
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    return { name, shape: shape as number[], dtype, group, quantized: quantization !== undefined && quantization !== null, count, bytes: count * bytes };
  });
  const expected = entries.reduce((n, e) => n + e.bytes, 0);
  if (expected !== data.byteLength)
    fail(
      `${what}: the weights manifest describes ${expected} bytes (${entries.length} weights) but the weight data holds ${data.byteLength} bytes; the weight files do not belong to this model.json, or are truncated`,
    );
  const view = new DataView(data);
  const out: NamedWeight[] = [];
  const seen = new Set<string>();
  let offset = 0;
  for (const e of entries) {
    const start = offset;
    offset += e.bytes;
    if (e.group === 'optimizer') {
      // The optimizer's state (save with includeOptimizer): float32 arrays and the int32 step count.
      if (optimizerOut && !e.quantized && (e.dtype === 'float32' || e.dtype === 'int32'))
        optimizerOut.push({
          name: e.name,
          shape: e.shape,
          dtype: e.dtype,
          values:
            e.dtype === 'int32'
              ? Int32Array.from({ length: e.count }, (_, i) => view.getInt32(start + i * 4, true))
              : Float32Array.from({ length: e.count }, (_, i) => view.getFloat32(start + i * 4, true)),
        });
      continue;
    }
    if (seen.has(e.name)) fail(`${what}: weight '${e.name}' appears twice in the manifest`);
    seen.add(e.name);
    if (e.quantized) fail(`${what}: weight '${e.name}' is quantized; weft loads float32 weights only (save the model without quantization)`);
    if (e.dtype !== 'float32') fail(`${what}: weight '${e.name}' has dtype ${e.dtype}; weft's layers hold float32 weights`);
    const values = littleEndian
      ? new Float32Array(data.slice(start, start + e.bytes))
      : Float32Array.from({ length: e.count }, (_, i) => view.getFloat32(start + i * 4, true));
    out.push({ name: e.name, shape: e.shape, values });
  }
  return out;
}

/**
 * Matches the file's weights to the model's (by name, as TensorFlow.js: `layer/kernel`, also
 * accepting an extra scope `outer/layer/kernel`), checking shapes. Strict: every model weight must be
 * in the file and every weight of the file must be used. Returns the new values, null = keep.
 */
export function matchWeights(modelWeights: LayerWeight[], fileWeights: NamedWeight[], strict: boolean, what: string): (Float32Array | null)[] {
  const index = new Map(modelWeights.map((w, i) => [w.name, i]));
  const values: (Float32Array | null)[] = modelWeights.map(() => null);
  for (const w of fileWeights) {
    let i = index.get(w.name);
    if (i === undefined) {
      const tokens = w.name.split('/');
      if (tokens.length > 2) i = index.get([...tokens.slice(0, -2), tokens[tokens.length - 1]].join('/')) ?? index.get(tokens.slice(-2).join('/'));
    }
    if (i === undefined) {
      if (strict)
        fail(`${what}: the file has weight '${w.name}', which no layer of the model has (the model's weights: ${modelWeights.map((x) => x.name).join(', ')})`);
      continue;
    }
    const target = modelWeights[i]!;
    if (values[i]) fail(`${what}: weight '${target.name}' is given twice in the file`);
    if (w.shape.length !== target.shape.length || w.shape.some((d, k) => d !== target.shape[k]))
      fail(
        `${what}: weight '${w.name}' has shape [${w.shape.join(', ')}] in the file, but the model's '${target.name}' has shape [${target.shape.join(', ')}]`,
      );
    values[i] = w.values;
  }
  if (strict) {
    const missing = modelWeights.filter((_, i) => !values[i]).map((w) => w.name);
    if (missing.length > 0) fail(`${what}: ${missing.length} of ${modelWeights.length} weights are not in the file: ${missing.join(', ')}`);
  }
  return values;
}

// ── artifacts and model.json ──

export function artifactsInfo(artifacts: ModelArtifacts): ModelArtifactsInfo {
  const bytes = (v: unknown) => (v === undefined ? 0 : new TextEncoder().encode(JSON.stringify(v)).length);
  return {
    dateSaved: new Date(),
    modelTopologyType: 'JSON',
    modelTopologyBytes: bytes(artifacts.modelTopology),
    weightSpecsBytes: bytes(artifacts.weightSpecs),
    weightDataBytes: concatBuffers(artifacts.weightData).byteLength,
  };
}

/** model.json's content for artifacts whose weights are stored in `paths` (relative to model.json). */
export function modelJsonFor(artifacts: ModelArtifacts, paths: string[]): ModelJSON {
  if (artifacts.modelTopology === undefined || isArrayBuffer(artifacts.modelTopology)) fail('save: the artifacts have no JSON modelTopology');
  return {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format ?? LAYERS_MODEL_FORMAT,
    generatedBy: artifacts.generatedBy ?? `weft ${WEFT_VERSION}`,
    convertedBy: artifacts.convertedBy ?? null,
    ...(artifacts.trainingConfig !== undefined ? { trainingConfig: artifacts.trainingConfig } : {}),
    ...(artifacts.userDefinedMetadata !== undefined ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
    weightsManifest: [{ paths, weights: artifacts.weightSpecs ?? [] }],
  };
}

/** Checks a parsed model.json and returns its topology and manifest groups. */
export function readModelJson(
  json: Json,
  what: string,
): { topology: JsonObject; groups: { paths: string[]; weights: Json[] }[]; trainingConfig: JsonObject | undefined } {
  if (!isObject(json)) fail(`${what}: model.json must hold a JSON object, got ${describeJson(json)}`);
  const topology = own(json, 'modelTopology');
  if (!isObject(topology)) fail(`${what}: model.json has no modelTopology object`);
  const format = own(json, 'format');
  if (format !== undefined && format !== null && format !== LAYERS_MODEL_FORMAT)
    fail(
      `${what}: model.json's format is ${describeJson(format)}; weft loads '${LAYERS_MODEL_FORMAT}' models (a 'graph-model' is a converted TensorFlow graph, not a layers model)`,
    );
  const manifest = own(json, 'weightsManifest') ?? [];
  if (!Array.isArray(manifest)) fail(`${what}: model.json's weightsManifest must be a list, got ${describeJson(manifest)}`);
  const groups = manifest.map((g, i) => {
    if (!isObject(g)) fail(`${what}: weightsManifest[${i}] must be an object`);
    const paths = own(g, 'paths');
    const weights = own(g, 'weights');
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string' && p !== ''))
      fail(`${what}: weightsManifest[${i}].paths must be a list of file names`);
    if (!Array.isArray(weights)) fail(`${what}: weightsManifest[${i}].weights must be a list`);
    return { paths: paths as string[], weights };
  });
  const trainingConfig = own(json, 'trainingConfig');
  return { topology, groups, trainingConfig: isObject(trainingConfig) ? trainingConfig : undefined };
}
