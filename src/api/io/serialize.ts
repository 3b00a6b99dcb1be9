// Layer configs ↔ weft layers, one table entry per Keras/TensorFlow.js class name.
//
// Saving uses each layer's own getConfig() (TensorFlow.js's snake_case config) and className.
// Loading looks the class name up in LAYER_CLASSES (a Map: names like `constructor` or `__proto__`
// are just unknown classes) and builds the layer from the config through a ConfigReader, which reads
// only the keys an entry asks for, checks their types, and names the layer and the key in every error.
// A new layer class plugs in with one entry below.

import { fail, WeftError } from '../errors.js';
import type { FanMode, InitializerConfig, InitializerName, ScalingDistribution } from '../initializers.js';
import { Activation } from '../layers/activation.js';
import { Add } from '../layers/add.js';
import { BatchNormalization } from '../layers/batchNormalization.js';
import { Concatenate } from '../layers/concatenate.js';
import { Dense } from '../layers/dense.js';
import { Dropout } from '../layers/dropout.js';
import { InputLayer } from '../layers/input.js';
import type { Layer, LayerArgs } from '../layers/layer.js';
import { Flatten, Reshape } from '../layers/reshape.js';
import { regularizerFromJson, type Regularizer } from '../regularizers.js';
import { WINDOW_LAYER_CLASSES } from './serializeWindowLayers.js';
import { describeJson, isObject, own, type Json, type JsonObject } from './safeJson.js';

/** The largest size a model file may give any dimension (2^24); larger ones are refused before allocating. */
export const MAX_DIMENSION = 2 ** 24;

/** Reads a layer's config: typed getters that name the layer and the key when a value is wrong. */
export class ConfigReader {
  constructor(
    readonly config: JsonObject,
    /** e.g. "layer 'dense_1' (Dense)" */
    readonly where: string,
  ) {}

  get(key: string): Json | undefined {
    return own(this.config, key);
  }

  private bad(key: string, expected: string): never {
    return fail(`${this.where}: config.${key} must be ${expected}, got ${describeJson(this.get(key))}`);
  }

  has(key: string): boolean {
    const v = this.get(key);
    return v !== undefined && v !== null;
  }

  number(key: string, fallback?: number): number {
    const v = this.get(key);
    if ((v === undefined || v === null) && fallback !== undefined) return fallback;
    if (typeof v !== 'number') return this.bad(key, 'a number');
    return v;
  }

  int(key: string, options: { fallback?: number; min?: number } = {}): number {
    const v = this.get(key);
    if ((v === undefined || v === null) && options.fallback !== undefined) return options.fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || (options.min !== undefined && v < options.min))
      return this.bad(key, options.min !== undefined ? `an integer ≥ ${options.min}` : 'an integer');
    if (Math.abs(v) > MAX_DIMENSION) return this.bad(key, `at most ${MAX_DIMENSION} (a larger size cannot be a real model)`);
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.get(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') return this.bad(key, 'true or false');
    return v;
  }

  string(key: string, fallback?: string): string {
    const v = this.get(key);
    if ((v === undefined || v === null) && fallback !== undefined) return fallback;
    if (typeof v !== 'string') return this.bad(key, 'a string');
    return v;
  }

  /** A list of integers (null allowed where `nullable`), e.g. a shape. */
  ints(key: string, options: { nullable?: boolean } = {}): (number | null)[] {
    const v = this.get(key);
    if (!Array.isArray(v) || !v.every((d) => (d === null && options.nullable) || (typeof d === 'number' && Number.isInteger(d))))
      return this.bad(key, options.nullable ? 'a list of integers or nulls' : 'a list of integers');
    if (v.some((d) => typeof d === 'number' && Math.abs(d) > MAX_DIMENSION))
      return this.bad(key, `a list of sizes of at most ${MAX_DIMENSION} each (a larger size cannot be a real model)`);
    return v as (number | null)[];
  }

  /** Keys weft does not implement: absent or null, or one of the `allowed` values. */
  unsupported(keys: string[], allowed: Record<string, Json[]> = {}): void {
    for (const key of keys) {
      const v = this.get(key);
      if (v === undefined || v === null) continue;
      const ok = Object.prototype.hasOwnProperty.call(allowed, key) && allowed[key]!.some((a) => JSON.stringify(a) === JSON.stringify(v));
      if (!ok) fail(`${this.where}: config.${key} = ${describeJson(v)} is not supported by weft`);
    }
  }

  /** A regularizer config { class_name: 'L1L2', config: { l1, l2 } } (undefined when absent or null). */
  regularizer(key: string): Regularizer | undefined {
    return regularizerFromJson(this.get(key), `${this.where}: config.${key}`);
  }

  /** An activation name (resolved and checked by the layer itself). */
  activation(key = 'activation'): string {
    const v = this.get(key);
    if (v === undefined || v === null) return 'linear';
    if (typeof v !== 'string') return this.bad(key, 'an activation name such as "relu"');
    return v;
  }

  /** dtype: absent, 'float32', or a Keras 3 DTypePolicy of float32. */
  float32(key = 'dtype'): void {
    const v = this.get(key);
    if (v === undefined || v === null || v === 'float32') return;
    if (isObject(v)) {
      const c = own(v, 'config');
      if (isObject(c) && own(c, 'name') === 'float32') return;
    }
    fail(`${this.where}: config.${key} = ${describeJson(v)} is not supported; weft computes in float32`);
  }

  /**
   * An initializer config `{ class_name, config }` → weft's, when weft has it; otherwise undefined
   * (the layer's default: only matters when a file has no weights for the layer).
   */
  initializer(key: string): InitializerConfig | undefined {
    const v = this.get(key);
    if (!isObject(v)) return undefined;
    const className = own(v, 'class_name');
    const c = own(v, 'config');
    const config = isObject(c) ? c : (Object.create(null) as JsonObject);
    const num = (k: string): number | undefined => {
      const x = own(config, k);
      return typeof x === 'number' ? x : undefined;
    };
    const seed = num('seed');
    let name: InitializerName | undefined;
    if (typeof className === 'string' && INITIALIZERS.has(className)) name = INITIALIZERS.get(className);
    else if (className === 'VarianceScaling') {
      const mode = own(config, 'mode');
      const distribution = own(config, 'distribution');
      const scale = num('scale') ?? 1;
      const normal = distribution === 'normal' || distribution === 'truncated_normal';
      if (scale === 1 && mode === 'fan_avg') name = normal ? 'glorotNormal' : distribution === 'uniform' ? 'glorotUniform' : undefined;
      else if (scale === 2 && mode === 'fan_in') name = normal ? 'heNormal' : distribution === 'uniform' ? 'heUniform' : undefined;
      const modes: Record<string, FanMode> = { fan_in: 'fanIn', fan_out: 'fanOut', fan_avg: 'fanAvg', fanIn: 'fanIn', fanOut: 'fanOut', fanAvg: 'fanAvg' };
      const distributions: Record<string, ScalingDistribution> = {
        normal: 'normal',
        uniform: 'uniform',
        truncated_normal: 'truncatedNormal',
        untruncated_normal: 'untruncatedNormal',
      };
      if (!name && typeof mode === 'string' && modes[mode] && typeof distribution === 'string' && distributions[distribution])
        return { name: 'varianceScaling', scale, mode: modes[mode]!, distribution: distributions[distribution]!, ...(seed !== undefined ? { seed } : {}) };
    }
    if (!name) return undefined;
    const out: InitializerConfig = { name };
    if (seed !== undefined) out.seed = seed;
    for (const k of ['minval', 'maxval', 'mean', 'stddev', 'value', 'gain'] as const) {
      const x = num(k);
      if (x !== undefined) out[k] = x;
    }
    return out;
  }
}

const INITIALIZERS = new Map<string, InitializerName>([
  ['GlorotUniform', 'glorotUniform'],
  ['GlorotNormal', 'glorotNormal'],
  ['HeUniform', 'heUniform'],
  ['HeNormal', 'heNormal'],
  ['Zeros', 'zeros'],
  ['Ones', 'ones'],
  ['RandomUniform', 'randomUniform'],
  ['RandomNormal', 'randomNormal'],
  ['TruncatedNormal', 'truncatedNormal'],
  ['LeCunUniform', 'leCunUniform'],
  ['LeCunNormal', 'leCunNormal'],
  ['Constant', 'constant'],
  ['Orthogonal', 'orthogonal'],
  ['Identity', 'identity'],
]);

const REGULARIZERS_AND_CONSTRAINTS = ['activity_regularizer', 'kernel_constraint', 'bias_constraint'];

/** How to build a weft layer of one class from its config. `base` holds name and trainable. */
export interface LayerClassEntry {
  fromConfig(c: ConfigReader, base: LayerArgs): Layer;
}

/** Keras/TensorFlow.js class name → weft layer. One entry per supported class. */
export const LAYER_CLASSES: ReadonlyMap<string, LayerClassEntry> = new Map<string, LayerClassEntry>([
  [
    'InputLayer',
    {
      fromConfig(c, base) {
        c.float32();
        c.unsupported(['sparse', 'ragged'], { sparse: [false], ragged: [false] });
        const key = c.has('batch_input_shape') ? 'batch_input_shape' : 'batch_shape';
        return new InputLayer({ batchShape: c.ints(key, { nullable: true }), ...(base.name !== undefined ? { name: base.name } : {}) });
      },
    },
  ],
  [
    'Dense',
    {
      fromConfig(c, base) {
        c.float32();
        c.unsupported(REGULARIZERS_AND_CONSTRAINTS);
        const kernelInitializer = c.initializer('kernel_initializer');
        const biasInitializer = c.initializer('bias_initializer');
        const kernelRegularizer = c.regularizer('kernel_regularizer');
        const biasRegularizer = c.regularizer('bias_regularizer');
        return new Dense({
          ...(kernelRegularizer ? { kernelRegularizer } : {}),
          ...(biasRegularizer ? { biasRegularizer } : {}),
          ...base,
          units: c.int('units', { min: 1 }),
          activation: c.activation(),
          useBias: c.bool('use_bias', true),
          ...(kernelInitializer ? { kernelInitializer } : {}),
          ...(biasInitializer ? { biasInitializer } : {}),
        });
      },
    },
  ],
  ['Concatenate', { fromConfig: (c, base) => (c.float32(), new Concatenate({ ...base, axis: c.int('axis', { fallback: -1 }) })) }],
  ['Activation', { fromConfig: (c, base) => (c.float32(), new Activation({ ...base, activation: c.activation() })) }],
  [
    'Dropout',
    {
      fromConfig(c, base) {
        c.float32();
        c.unsupported(['noise_shape']);
        const seed = c.has('seed') ? c.int('seed') : undefined;
        return new Dropout({ ...base, rate: c.number('rate'), ...(seed !== undefined ? { seed } : {}) });
      },
    },
  ],
  ['Flatten', { fromConfig: (c, base) => (c.float32(), c.unsupported(['data_format'], { data_format: ['channels_last'] }), new Flatten(base)) }],
  ['Reshape', { fromConfig: (c, base) => (c.float32(), new Reshape({ ...base, targetShape: c.ints('target_shape') as number[] })) }],
  ['Add', { fromConfig: (c, base) => (c.float32(), new Add(base)) }],
  [
    'BatchNormalization',
    {
      fromConfig(c, base) {
        c.float32();
        c.unsupported(['beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint', 'renorm', 'synchronized'], {
          renorm: [false],
          synchronized: [false],
        });
        const axis = c.get('axis');
        // Keras writes the axis as a number, or a one-element list.
        const axisValue = Array.isArray(axis) && axis.length === 1 ? axis[0] : axis;
        if (axisValue !== undefined && axisValue !== null && typeof axisValue !== 'number')
          fail(`${c.where}: config.axis must be an integer, got ${describeJson(axis)}`);
        const initializers = {
          betaInitializer: c.initializer('beta_initializer'),
          gammaInitializer: c.initializer('gamma_initializer'),
          movingMeanInitializer: c.initializer('moving_mean_initializer'),
          movingVarianceInitializer: c.initializer('moving_variance_initializer'),
        };
        return new BatchNormalization({
          ...base,
          ...(typeof axisValue === 'number' ? { axis: axisValue } : {}),
          momentum: c.number('momentum', 0.99),
          epsilon: c.number('epsilon', 1e-3),
          center: c.bool('center', true),
          scale: c.bool('scale', true),
          ...Object.fromEntries(Object.entries(initializers).filter(([, v]) => v !== undefined)),
        });
      },
    },
  ],
  ...WINDOW_LAYER_CLASSES,
]);

/** The supported class names, for error messages. */
export function supportedClasses(): string[] {
  return [...LAYER_CLASSES.keys()];
}

/** A weft layer as `{ class_name, config }` (TensorFlow.js's serialisation of a layer). */
export function layerToJson(layer: Layer): { class_name: string; config: Record<string, unknown> } {
  return { class_name: layer.className, config: layer.getConfig() };
}

/**
 * Builds a layer from its class name and config. `name` is the layer's name in the file. Errors
 * name the layer and its class; an unknown class is rejected before anything is built.
 */
export function layerFromJson(className: Json | undefined, config: Json | undefined, name: string, what: string): Layer {
  if (typeof className !== 'string') fail(`${what}: layer '${name}' has no class_name (got ${describeJson(className)})`);
  const entry = LAYER_CLASSES.get(className);
  if (!entry)
    fail(`${what}: layer '${name}' has class '${className}', which weft does not support; supported layer classes are ${supportedClasses().join(', ')}`);
  const where = `${what}: layer '${name}' (${className})`;
  if (config !== undefined && !isObject(config)) fail(`${where}: config must be an object, got ${describeJson(config)}`);
  const c = new ConfigReader(config ?? (Object.create(null) as JsonObject), where);
  const configName = c.get('name');
  if (configName !== undefined && configName !== name) fail(`${where}: config.name is ${describeJson(configName)} but the layer is listed as '${name}'`);
  const base: LayerArgs = { name, trainable: c.bool('trainable', true) };
  try {
    return entry.fromConfig(c, base);
  } catch (e) {
    if (e instanceof WeftError && !e.message.startsWith(what)) throw new WeftError(`${where}: ${e.message}`);
    throw e;
  }
}
