// The TensorFlow.js layers-model format's types (tf.io), so that handlers written for TensorFlow.js
// (`{ save(artifacts) }`, `{ load() }`, tf.io.withSaveHandler, tf.io.fromMemory) work with weft too.

/** One weight in a weights manifest: its name (`layer/kernel`), shape and dtype. */
export interface WeightsManifestEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | 'string' | 'complex64';
  /** 'optimizer' for optimizer state (skipped by weft's loader). */
  group?: 'model' | 'optimizer';
  quantization?: { scale?: number; min?: number; dtype: 'uint16' | 'uint8' | 'float16' };
}

/** A group of weights stored in consecutive binary files ("shards"), relative to model.json. */
export interface WeightsManifestGroupConfig {
  paths: string[];
  weights: WeightsManifestEntry[];
}

/** What a save handler receives and a load handler returns. */
export interface ModelArtifacts {
  /** The model's topology: `{ class_name, config, keras_version, backend }`. */
  modelTopology?: object | ArrayBuffer;
  trainingConfig?: object;
  weightSpecs?: WeightsManifestEntry[];
  /** All weights, in weightSpecs order, little-endian (one buffer, or several to concatenate). */
  weightData?: ArrayBuffer | ArrayBuffer[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  userDefinedMetadata?: Record<string, object>;
}

/** The content of model.json. */
export interface ModelJSON {
  modelTopology: object;
  weightsManifest: WeightsManifestGroupConfig[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  trainingConfig?: object;
  userDefinedMetadata?: Record<string, object>;
}

export interface ModelArtifactsInfo {
  dateSaved: Date;
  modelTopologyType: 'JSON' | 'GraphDef';
  modelTopologyBytes?: number;
  weightSpecsBytes?: number;
  weightDataBytes?: number;
}

export interface SaveResult {
  modelArtifactsInfo: ModelArtifactsInfo;
  responses?: Response[];
  errors?: Array<object | string>;
}

/** A TensorFlow.js IOHandler: an object with `save` and/or `load`. */
export interface IOHandler {
  save?: (artifacts: ModelArtifacts) => Promise<SaveResult>;
  load?: () => Promise<ModelArtifacts>;
}

export interface LoadOptions {
  /** Passed to fetch() for model.json and the weight files. */
  requestInit?: RequestInit;
  /** fetch() to use (default: the global one). */
  fetchFunc?: typeof fetch;
  /** Every weight of the model must be in the file and every model weight in the file must be used (default true). */
  strict?: boolean;
  /** Where the weight files are, instead of next to model.json (same origin only). */
  weightPathPrefix?: string;
}
