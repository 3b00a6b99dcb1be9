// Weight initialisers with TensorFlow.js names and defaults.

import { fail } from './errors.js';
import { createRandom, nextSeed, normal } from './random.js';

export type InitializerName =
  | 'glorotUniform'
  | 'glorotNormal'
  | 'heUniform'
  | 'heNormal'
  | 'zeros'
  | 'ones'
  | 'randomUniform'
  | 'randomNormal';

export interface InitializerConfig {
  name: InitializerName;
  seed?: number;
  minval?: number;
  maxval?: number;
  mean?: number;
  stddev?: number;
}

const SNAKE: Record<string, InitializerName> = {
  glorot_uniform: 'glorotUniform',
  glorot_normal: 'glorotNormal',
  he_uniform: 'heUniform',
  he_normal: 'heNormal',
  random_uniform: 'randomUniform',
  random_normal: 'randomNormal',
};

export function resolveInitializer(spec: InitializerName | string | InitializerConfig | undefined, fallback: InitializerName, seed: number | undefined, where: string): InitializerConfig {
  if (spec === undefined) return { name: fallback, ...(seed !== undefined ? { seed } : {}) };
  const config = typeof spec === 'string' ? { name: spec as InitializerName } : { ...spec };
  config.name = (SNAKE[config.name] ?? config.name) as InitializerName;
  const known: InitializerName[] = ['glorotUniform', 'glorotNormal', 'heUniform', 'heNormal', 'zeros', 'ones', 'randomUniform', 'randomNormal'];
  if (!known.includes(config.name)) fail(`${where}: unknown initializer '${config.name}'; use one of ${known.join(', ')}`);
  if (config.seed === undefined && seed !== undefined) config.seed = seed;
  return config;
}

/** Fills a weight of `shape` ([fanIn, fanOut] for kernels). */
export function initialize(config: InitializerConfig, shape: number[]): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  const fanIn = shape.length >= 2 ? shape.slice(0, -1).reduce((a, b) => a * b, 1) : shape[0] ?? 1;
  const fanOut = shape.length >= 2 ? shape[shape.length - 1]! : shape[0] ?? 1;
  const random = createRandom(config.seed ?? nextSeed());
  const uniform = (limit: number): void => {
    for (let i = 0; i < size; i++) out[i] = (random() * 2 - 1) * limit;
  };
  const truncatedNormal = (stddev: number): void => {
    for (let i = 0; i < size; i++) {
      let v: number;
      do v = normal(random);
      while (Math.abs(v) > 2);
      out[i] = v * stddev;
    }
  };
  switch (config.name) {
    case 'zeros':
      break;
    case 'ones':
      out.fill(1);
      break;
    case 'glorotUniform':
      uniform(Math.sqrt(6 / (fanIn + fanOut)));
      break;
    case 'glorotNormal':
      truncatedNormal(Math.sqrt(2 / (fanIn + fanOut)) / 0.87962566103423978);
      break;
    case 'heUniform':
      uniform(Math.sqrt(6 / fanIn));
      break;
    case 'heNormal':
      truncatedNormal(Math.sqrt(2 / fanIn) / 0.87962566103423978);
      break;
    case 'randomUniform': {
      const lo = config.minval ?? -0.05;
      const hi = config.maxval ?? 0.05;
      for (let i = 0; i < size; i++) out[i] = lo + random() * (hi - lo);
      break;
    }
    case 'randomNormal':
      for (let i = 0; i < size; i++) out[i] = (config.mean ?? 0) + normal(random) * (config.stddev ?? 0.05);
      break;
    default:
      config.name satisfies never;
  }
  return out;
}
