// Initialisers: TensorFlow.js names and fans (conv kernels count kh·kw), the statistics each draw
// should have, and the layers format both ways (TF.js builds the same initializer from weft's JSON).
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, test } from 'vitest';
import { fansOf, initialize, resolveInitializer, type InitializerName } from '../../src/api/initializers.js';
import * as weft from '../../src/index.js';

function stats(v: Float32Array): { mean: number; variance: number; maxAbs: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
  return { mean, variance, maxAbs: Math.max(...Array.from(v, Math.abs)) };
}

describe('initializers', () => {
  test('fans as TensorFlow.js computes them', () => {
    expect(fansOf([784, 30])).toEqual({ fanIn: 784, fanOut: 30 });
    expect(fansOf([3, 3, 16, 32])).toEqual({ fanIn: 144, fanOut: 288 });
    expect(fansOf([10])).toEqual({ fanIn: 10, fanOut: 10 });
  });

  const shape = [300, 200];
  const expectedVariance: [InitializerName, number][] = [
    ['glorotUniform', 2 / 500],
    ['glorotNormal', 2 / 500],
    ['heUniform', 2 / 300],
    ['heNormal', 2 / 300],
    ['leCunUniform', 1 / 300],
    ['leCunNormal', 1 / 300],
  ];
  for (const [name, variance] of expectedVariance)
    test(`${name} draws with variance ${variance.toExponential(2)}`, () => {
      const s = stats(initialize(resolveInitializer(name, 'zeros', 3, 'test'), shape));
      expect(Math.abs(s.mean)).toBeLessThan(0.002);
      expect(s.variance / variance).toBeGreaterThan(0.95);
      expect(s.variance / variance).toBeLessThan(1.05);
    });

  test('varianceScaling, truncatedNormal, constant, identity, orthogonal', () => {
    const vs = stats(initialize(resolveInitializer({ name: 'varianceScaling', scale: 3, mode: 'fanOut', distribution: 'uniform' }, 'zeros', 1, 't'), shape));
    expect(vs.variance / (3 / 200)).toBeCloseTo(1, 1);
    const tn = stats(initialize(resolveInitializer({ name: 'truncatedNormal', mean: 1, stddev: 0.5 }, 'zeros', 1, 't'), shape));
    expect(tn.mean).toBeCloseTo(1, 2);
    expect(tn.maxAbs).toBeLessThanOrEqual(2.0000001);
    expect(Array.from(initialize({ name: 'constant', value: 0.25 }, [3]))).toEqual([0.25, 0.25, 0.25]);
    expect(Array.from(initialize({ name: 'identity', gain: 2 }, [2, 2]))).toEqual([2, 0, 0, 2]);
    const q = initialize({ name: 'orthogonal', seed: 5 }, [6, 4]);
    for (let a = 0; a < 4; a++)
      for (let b = 0; b < 4; b++) {
        let dot = 0;
        for (let r = 0; r < 6; r++) dot += q[r * 4 + a]! * q[r * 4 + b]!;
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 5);
      }
    expect(() => initialize({ name: 'identity' }, [2, 3], "dense 'd'")).toThrow(/square/);
    expect(() => weft.layers.dense({ units: 2, kernelInitializer: 'nope' as never })).toThrow(/unknown initializer 'nope'.*leCunNormal/);
  });

  test('snake_case names and TF.js classes round-trip through the layers format', async () => {
    const specs = ['lecun_normal', 'he_uniform', 'truncated_normal', 'variance_scaling', 'orthogonal', 'leCunUniform'] as const;
    const x = weft.input({ shape: [4] });
    let h = x;
    for (const [i, spec] of specs.entries()) h = weft.layers.dense({ units: 4, kernelInitializer: spec, name: `d${i}`, seed: i }).apply(h);
    const model = weft.model({ inputs: x, outputs: h });
    let artifacts: any;
    await model.save({ save: async (a: any) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }) } as never);
    const loaded = await tfl.loadLayersModel({ load: async () => artifacts } as never);
    // TF.js reports the glorot/he/lecun presets as VarianceScaling with their scale, mode and distribution.
    const described = loaded.layers.slice(1).map((l: any) => {
      const c = l.kernelInitializer.getConfig();
      return [l.kernelInitializer.getClassName(), c.scale, c.mode, c.distribution];
    });
    expect(described).toEqual([
      ['VarianceScaling', 1, 'fanIn', 'normal'],
      ['VarianceScaling', 2, 'fanIn', 'uniform'],
      ['TruncatedNormal', undefined, undefined, undefined],
      ['VarianceScaling', 1, 'fanIn', 'normal'],
      ['Orthogonal', undefined, undefined, undefined],
      ['VarianceScaling', 1, 'fanIn', 'uniform'],
    ]);
    const back = weft.model({ inputs: x, outputs: h }).layers.map((l) => l.name);
    expect(back.length).toBe(specs.length + 1);
    const again = await weft.loadLayersModel({ load: async () => artifacts } as never);
    expect(again.layers.length).toBe(specs.length + 1);
  });
});
