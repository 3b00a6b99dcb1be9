// Weight initialisers with TensorFlow.js names and defaults.

import { fail } from './errors.js';
import { createRandom, nextSeed, normal } from './random.js';

export type InitializerName =
  | 'glorotUniform'
  | 'glorotNormal'
  | 'heUniform'
  | 'heNormal'
  | 'leCunUniform'
  | 'leCunNormal'
  | 'varianceScaling'
  | 'zeros'
  | 'ones'
  | 'constant'
  | 'randomUniform'
  | 'randomNormal'
  | 'truncatedNormal'
  | 'orthogonal'
  | 'identity';

export const INITIALIZER_NAMES: readonly InitializerName[] = [
  'glorotUniform',
  'glorotNormal',
  'heUniform',
  'heNormal',
  'leCunUniform',
  'leCunNormal',
  'varianceScaling',
  'zeros',
  'ones',
  'constant',
  'randomUniform',
  'randomNormal',
  'truncatedNormal',
  'orthogonal',
  'identity',
];

export type FanMode = 'fanIn' | 'fanOut' | 'fanAvg';
/** 'normal' draws from a normal truncated at two standard deviations, as TensorFlow.js does. */
export type ScalingDistribution = 'normal' | 'uniform' | 'truncatedNormal' | 'untruncatedNormal';

export interface InitializerConfig {
  name: InitializerName;
  seed?: number;
  minval?: number;
  maxval?: number;
  mean?: number;
  stddev?: number;
  /** constant */
  value?: number;
  /** orthogonal and identity */
  gain?: number;
  /** varianceScaling */
  scale?: number;
  mode?: FanMode;
  distribution?: ScalingDistribution;
}

const SNAKE: Record<string, InitializerName> = {
  glorot_uniform: 'glorotUniform',
  glorot_normal: 'glorotNormal',
  he_uniform: 'heUniform',
  he_normal: 'heNormal',
  lecun_uniform: 'leCunUniform',
  lecun_normal: 'leCunNormal',
  variance_scaling: 'varianceScaling',
  random_uniform: 'randomUniform',
  random_normal: 'randomNormal',
  truncated_normal: 'truncatedNormal',
};

export function resolveInitializer(
  spec: InitializerName | string | InitializerConfig | undefined,
  fallback: InitializerName,
  seed: number | undefined,
  where: string,
): InitializerConfig {
  if (spec === undefined) return { name: fallback, ...(seed !== undefined ? { seed } : {}) };
  const config = typeof spec === 'string' ? { name: spec as InitializerName } : { ...spec };
  config.name = (SNAKE[config.name] ?? config.name) as InitializerName;
  if (!INITIALIZER_NAMES.includes(config.name)) fail(`${where}: unknown initializer '${config.name}'; use one of ${INITIALIZER_NAMES.join(', ')}`);
  if (config.mode !== undefined)
    config.mode = ({ fan_in: 'fanIn', fan_out: 'fanOut', fan_avg: 'fanAvg' } as Record<string, FanMode>)[config.mode] ?? config.mode;
  if (config.distribution !== undefined && config.distribution === ('truncated_normal' as string)) config.distribution = 'truncatedNormal';
  if (config.seed === undefined && seed !== undefined) config.seed = seed;
  return config;
}

/** Fans of a weight as TensorFlow.js computes them (conv kernels [kh, kw, cin, cout]: × kh·kw). */
export function fansOf(shape: number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  if (shape.length === 2) return { fanIn: shape[0]!, fanOut: shape[1]! };
  const receptiveField = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[shape.length - 2]! * receptiveField, fanOut: shape[shape.length - 1]! * receptiveField };
}

/** Scaling for the variance-scaling family (glorot, he, lecun are presets of it). */
function scalingOf(config: InitializerConfig): { scale: number; mode: FanMode; distribution: ScalingDistribution } {
  switch (config.name) {
    case 'glorotUniform':
      return { scale: 1, mode: 'fanAvg', distribution: 'uniform' };
    case 'glorotNormal':
      return { scale: 1, mode: 'fanAvg', distribution: 'normal' };
    case 'heUniform':
      return { scale: 2, mode: 'fanIn', distribution: 'uniform' };
    case 'heNormal':
      return { scale: 2, mode: 'fanIn', distribution: 'normal' };
    case 'leCunUniform':
      return { scale: 1, mode: 'fanIn', distribution: 'uniform' };
    case 'leCunNormal':
      return { scale: 1, mode: 'fanIn', distribution: 'normal' };
    default:
      return { scale: config.scale ?? 1, mode: config.mode ?? 'fanIn', distribution: config.distribution ?? 'normal' };
  }
}

/** Fills a weight of `shape` ([fanIn, fanOut] for kernels). */
export function initialize(config: InitializerConfig, shape: number[], where = 'initializer'): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  const random = createRandom(config.seed ?? nextSeed());
  const uniform = (limit: number): void => {
    for (let i = 0; i < size; i++) out[i] = (random() * 2 - 1) * limit;
  };
  const truncatedNormal = (mean: number, stddev: number): void => {
    for (let i = 0; i < size; i++) {
      let v: number;
      do v = normal(random);
      while (Math.abs(v) > 2);
      out[i] = mean + v * stddev;
    }
  };
  switch (config.name) {
    case 'zeros':
      break;
    case 'ones':
      out.fill(1);
      break;
    case 'constant':
      out.fill(config.value ?? 0);
      break;
    case 'glorotUniform':
    case 'glorotNormal':
    case 'heUniform':
    case 'heNormal':
    case 'leCunUniform':
    case 'leCunNormal':
    case 'varianceScaling': {
      const { scale, mode, distribution } = scalingOf(config);
      const { fanIn, fanOut } = fansOf(shape);
      const fan = mode === 'fanIn' ? fanIn : mode === 'fanOut' ? fanOut : (fanIn + fanOut) / 2;
      // Written so glorot/he limits round exactly as sqrt(6 / (fanIn + fanOut)) and sqrt(6 / fanIn).
      const variance = scale / Math.max(1, fan);
      switch (distribution) {
        case 'uniform':
          uniform(Math.sqrt((3 * scale) / Math.max(1, fan)));
          break;
        case 'normal':
        case 'truncatedNormal':
          // 0.8796… is the stddev of a unit normal truncated at ±2: the draws end up with the asked variance.
          truncatedNormal(0, Math.sqrt(variance) / 0.87962566103423978);
          break;
        case 'untruncatedNormal':
          for (let i = 0; i < size; i++) out[i] = normal(random) * Math.sqrt(variance);
          break;
        default:
          distribution satisfies never;
      }
      break;
    }
    case 'randomUniform': {
      const lo = config.minval ?? -0.05;
      const hi = config.maxval ?? 0.05;
      for (let i = 0; i < size; i++) out[i] = lo + random() * (hi - lo);
      break;
    }
    case 'randomNormal':
      for (let i = 0; i < size; i++) out[i] = (config.mean ?? 0) + normal(random) * (config.stddev ?? 0.05);
      break;
    case 'truncatedNormal':
      truncatedNormal(config.mean ?? 0, config.stddev ?? 0.05);
      break;
    case 'identity': {
      if (shape.length !== 2 || shape[0] !== shape[1]) fail(`${where}: the identity initializer needs a square 2-D weight, got [${shape.join(', ')}]`);
      for (let i = 0; i < shape[0]!; i++) out[i * shape[0]! + i] = config.gain ?? 1;
      break;
    }
    case 'orthogonal':
      orthogonal(out, shape, config.gain ?? 1, random, where);
      break;
    default:
      config.name satisfies never;
  }
  return out;
}

/**
 * Rows (or columns, whichever are fewer) orthonormal: Gram–Schmidt on a normal draw, as
 * TensorFlow.js's orthogonal (which uses QR of the same kind of draw).
 */
function orthogonal(out: Float32Array, shape: number[], gain: number, random: () => number, where: string): void {
  if (shape.length < 2) fail(`${where}: the orthogonal initializer needs a weight of rank 2 or more, got [${shape.join(', ')}]`);
  const cols = shape[shape.length - 1]!;
  const rows = out.length / cols;
  // Orthonormalise the shorter side: vectors of length `long`, `short` of them.
  const short = Math.min(rows, cols);
  const long = Math.max(rows, cols);
  const vectors: Float64Array[] = [];
  for (let k = 0; k < short; k++) {
    let v: Float64Array;
    let norm = 0;
    do {
      v = Float64Array.from({ length: long }, () => normal(random));
      for (const u of vectors) {
        let dot = 0;
        for (let i = 0; i < long; i++) dot += v[i]! * u[i]!;
        for (let i = 0; i < long; i++) v[i] = v[i]! - dot * u[i]!;
      }
      norm = Math.hypot(...v);
    } while (norm < 1e-6);
    for (let i = 0; i < long; i++) v[i] = v[i]! / norm;
    vectors.push(v);
  }
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = gain * (rows <= cols ? vectors[r]![c]! : vectors[c]![r]!);
}

const CLASS_NAMES: Record<InitializerName, string> = {
  glorotUniform: 'GlorotUniform',
  glorotNormal: 'GlorotNormal',
  heUniform: 'HeUniform',
  heNormal: 'HeNormal',
  leCunUniform: 'LeCunUniform',
  leCunNormal: 'LeCunNormal',
  varianceScaling: 'VarianceScaling',
  zeros: 'Zeros',
  ones: 'Ones',
  constant: 'Constant',
  randomUniform: 'RandomUniform',
  randomNormal: 'RandomNormal',
  truncatedNormal: 'TruncatedNormal',
  orthogonal: 'Orthogonal',
  identity: 'Identity',
};

const SNAKE_MODES: Record<FanMode, string> = { fanIn: 'fan_in', fanOut: 'fan_out', fanAvg: 'fan_avg' };

/** An initializer as the TensorFlow.js layers format writes it: `{ class_name, config }`. */
export function initializerJson(config: InitializerConfig): { class_name: string; config: Record<string, unknown> } {
  const c: Record<string, unknown> = {};
  for (const k of ['minval', 'maxval', 'mean', 'stddev', 'value', 'gain', 'scale'] as const) if (config[k] !== undefined) c[k] = config[k];
  if (config.name === 'varianceScaling') {
    const { scale, mode, distribution } = scalingOf(config);
    Object.assign(c, { scale, mode: SNAKE_MODES[mode], distribution: distribution === 'truncatedNormal' ? 'truncated_normal' : distribution });
  }
  if (config.name !== 'zeros' && config.name !== 'ones' && config.name !== 'constant' && config.name !== 'identity') c['seed'] = config.seed ?? null;
  return { class_name: CLASS_NAMES[config.name], config: c };
}
