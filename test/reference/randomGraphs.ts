// Model descriptions shared by the TensorFlow.js oracle tests: a small JSON description of a
// functional model (inputs, layer applications, outputs with losses), a builder that makes it with
// either library's functional API (weft's or TensorFlow.js's: the same calls), and a seeded random
// generator of such descriptions. Pure TypeScript: used in node and bundled into the GPU test page
// (test/gpu/oracle/page.ts).

export type Activation = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax';
// binaryCrossentropy is never picked by randomGraph (its graphs stay as they were); hand-written specs use it.
export type LossName = 'sparseCategoricalCrossentropy' | 'categoricalCrossentropy' | 'binaryCrossentropy' | 'meanSquaredError' | 'meanAbsoluteError';

/** One layer application; `layer` names the layer (a name seen before = the same layer, applied again). */
export type NodeSpec =
  | {
      kind: 'dense';
      layer: string;
      units: number;
      activation: Activation;
      useBias?: boolean;
      inputs: [string];
      out: string;
      /** Weight penalties (regularizers.l1l2 in both libraries). */
      kernelRegularizer?: { l1: number; l2: number };
      biasRegularizer?: { l1: number; l2: number };
    }
  | { kind: 'concatenate'; layer: string; inputs: string[]; out: string }
  | { kind: 'activation'; layer: string; activation: Activation; inputs: [string]; out: string }
  | {
      kind: 'conv2d';
      layer: string;
      filters: number;
      kernelSize: number;
      strides: number;
      padding: 'valid' | 'same';
      activation: Activation;
      inputs: [string];
      out: string;
    }
  | { kind: 'maxPooling2d' | 'averagePooling2d'; layer: string; poolSize: number; strides: number; padding: 'valid' | 'same'; inputs: [string]; out: string }
  | { kind: 'globalAveragePooling2d' | 'globalMaxPooling2d' | 'flatten'; layer: string; inputs: [string]; out: string };

export interface OutputSpec {
  /** The tensor (an `out` of a node) that is the output; its layer's name is the output's name. */
  tensor: string;
  loss: LossName;
  weight: number;
  metrics: string[];
}

export interface GraphSpec {
  /** `units` values per sample; `shape` (an image [h, w, c], units = h·w·c) when not a flat row. */
  inputs: { name: string; units: number; shape?: number[] }[];
  nodes: NodeSpec[];
  outputs: OutputSpec[];
}

/** Builds the description with `api` (weft or TensorFlow.js: the same functional API). */
export function buildModel<M>(api: any, spec: GraphSpec, seed: number | undefined, name: string): M {
  const tensors = new Map<string, any>();
  const inputs = spec.inputs.map((i) => {
    const t = api.input({ shape: i.shape ?? [i.units], name: i.name });
    tensors.set(i.name, t);
    return t;
  });
  const layers = new Map<string, any>();
  let n = 0;
  for (const node of spec.nodes) {
    let layer = layers.get(node.layer);
    if (!layer) {
      const s = seed === undefined ? {} : { seed: seed + 17 * n++ };
      if (node.kind === 'dense')
        layer = api.layers.dense({
          units: node.units,
          activation: node.activation,
          useBias: node.useBias ?? true,
          name: node.layer,
          ...(node.kernelRegularizer ? { kernelRegularizer: api.regularizers.l1l2(node.kernelRegularizer) } : {}),
          ...(node.biasRegularizer ? { biasRegularizer: api.regularizers.l1l2(node.biasRegularizer) } : {}),
          ...s,
        });
      else if (node.kind === 'concatenate') layer = api.layers.concatenate({ name: node.layer });
      else if (node.kind === 'activation') layer = api.layers.activation({ activation: node.activation, name: node.layer });
      else if (node.kind === 'conv2d')
        layer = api.layers.conv2d({
          filters: node.filters,
          kernelSize: node.kernelSize,
          strides: node.strides,
          padding: node.padding,
          activation: node.activation,
          name: node.layer,
          ...s,
        });
      else if (node.kind === 'maxPooling2d' || node.kind === 'averagePooling2d')
        layer = api.layers[node.kind]({ poolSize: node.poolSize, strides: node.strides, padding: node.padding, name: node.layer });
      else layer = api.layers[node.kind]({ name: node.layer });
      layers.set(node.layer, layer);
    }
    const args = node.inputs.map((r) => {
      const t = tensors.get(r);
      if (!t) throw new Error(`spec: node ${node.out} reads unknown tensor ${r}`);
      return t;
    });
    tensors.set(node.out, layer.apply(node.kind === 'concatenate' ? args : args[0]));
  }
  const outputs = spec.outputs.map((o) => tensors.get(o.tensor));
  return api.model({ inputs, outputs, name }) as M;
}

export function outputNames(spec: GraphSpec): string[] {
  return spec.outputs.map((o) => {
    if (spec.inputs.some((i) => i.name === o.tensor)) return o.tensor;
    const node = spec.nodes.find((n) => n.out === o.tensor);
    if (!node) throw new Error(`spec: unknown output tensor ${o.tensor}`);
    return node.layer;
  });
}

export function outputUnits(spec: GraphSpec): number[] {
  const units = new Map<string, number>(spec.inputs.map((i) => [i.name, i.units]));
  const layerUnits = new Map<string, number>();
  for (const node of spec.nodes) {
    if (node.kind === 'dense') layerUnits.set(node.layer, node.units);
    // Only dense outputs are ever model outputs: image-valued nodes carry a placeholder.
    const u =
      node.kind === 'dense'
        ? node.units
        : node.kind === 'concatenate'
          ? node.inputs.reduce((s, r) => s + units.get(r)!, 0)
          : node.kind === 'activation'
            ? units.get(node.inputs[0])!
            : 0;
    units.set(node.out, u);
  }
  return spec.outputs.map((o) => units.get(o.tensor)!);
}

export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ACTIVATIONS: Activation[] = ['relu', 'sigmoid', 'tanh', 'linear', 'softmax'];

/**
 * A random functional model: 1–3 inputs, 2–6 hidden layer applications (dense with any activation,
 * with or without bias; concatenations of 2–4 tensors, repeats allowed; activation layers; dense layers
 * applied a second time to another tensor of the same width), then 1–3 output heads reading one
 * tensor or a concatenation, each with its loss (both cross-entropies behind a softmax — in the dense
 * layer or in a separate activation layer — or mse/mae behind any activation) and loss weight.
 */
export function randomGraph(seed: number): GraphSpec {
  const r = random(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  type Ref = { ref: string; units: number; deps: Set<string> };
  const inputs = Array.from({ length: int(1, 3) }, (_, i) => ({ name: `in${i}`, units: int(2, 9) }));
  const pool: Ref[] = inputs.map((i) => ({ ref: i.name, units: i.units, deps: new Set([i.name]) }));
  const nodes: NodeSpec[] = [];
  const denseLayers: { layer: string; inUnits: number; units: number; activation: Activation; useBias: boolean; applied: Set<string> }[] = [];
  let count = 0;
  const fresh = (prefix: string) => `${prefix}${count++}`;
  const add = (node: NodeSpec, units: number, deps: Set<string>): Ref => {
    nodes.push(node);
    const ref = { ref: node.out, units, deps };
    pool.push(ref);
    return ref;
  };
  const union = (refs: Ref[]) => new Set(refs.flatMap((x) => [...x.deps]));
  const concat = (refs: Ref[]): Ref =>
    refs.length === 1
      ? refs[0]!
      : add(
          { kind: 'concatenate', layer: fresh('concat'), inputs: refs.map((x) => x.ref), out: fresh('t') },
          refs.reduce((s, x) => s + x.units, 0),
          union(refs),
        );
  const applyDense = (src: Ref, units: number, activation: Activation, useBias: boolean): Ref => {
    const layer = fresh('dense');
    denseLayers.push({ layer, inUnits: src.units, units, activation, useBias, applied: new Set([src.ref]) });
    return add({ kind: 'dense', layer, units, activation, useBias, inputs: [src.ref], out: fresh('t') }, units, src.deps);
  };

  const hidden = int(2, 6);
  for (let k = 0; k < hidden; k++) {
    const op = r();
    if (op < 0.35) {
      const src = pick(pool);
      // sometimes as wide as the input, so that it can be shared later
      applyDense(src, r() < 0.4 ? src.units : int(2, 10), pick(ACTIVATIONS), r() > 0.2);
    } else if (op < 0.6) {
      concat(Array.from({ length: int(2, 4) }, () => pick(pool)));
    } else if (op < 0.85) {
      const candidates = denseLayers.flatMap((l) => pool.filter((t) => t.units === l.inUnits && !l.applied.has(t.ref)).map((t) => [l, t] as const));
      if (candidates.length === 0) {
        const src = pick(pool);
        applyDense(src, src.units, pick(ACTIVATIONS), r() > 0.2);
        continue;
      }
      const [l, src] = pick(candidates);
      l.applied.add(src.ref);
      add(
        { kind: 'dense', layer: l.layer, units: l.units, activation: l.activation, useBias: l.useBias, inputs: [src.ref], out: fresh('t') },
        l.units,
        src.deps,
      );
    } else {
      const src = pick(pool);
      add({ kind: 'activation', layer: fresh('act'), activation: pick(ACTIVATIONS), inputs: [src.ref], out: fresh('t') }, src.units, src.deps);
    }
  }

  const heads = Array.from({ length: int(1, 3) }, () => {
    const hiddenRefs = pool.filter((t) => !inputs.some((i) => i.name === t.ref));
    return Array.from({ length: int(1, 3) }, () => (hiddenRefs.length > 0 && r() < 0.8 ? pick(hiddenRefs) : pick(pool)));
  });
  const reached = union(heads.flat());
  for (const i of pool.slice(0, inputs.length)) if (!reached.has(i.ref)) heads[0]!.push(i);
  const outputs: OutputSpec[] = heads.map((sources) => {
    const src = concat(sources);
    const loss: LossName = pick(['sparseCategoricalCrossentropy', 'categoricalCrossentropy', 'meanSquaredError', 'meanSquaredError', 'meanAbsoluteError']);
    const weight = pick([1, 1, 0.7, 0.3, 2]);
    const units = int(2, 6);
    if (loss === 'sparseCategoricalCrossentropy' || loss === 'categoricalCrossentropy') {
      const separate = r() < 0.3;
      const head = applyDense(src, units, separate ? 'linear' : 'softmax', true);
      const out = separate
        ? add({ kind: 'activation', layer: fresh('softmax'), activation: 'softmax', inputs: [head.ref], out: fresh('t') }, units, head.deps)
        : head;
      return { tensor: out.ref, loss, weight, metrics: ['accuracy'] };
    }
    const out = applyDense(src, units, pick(ACTIVATIONS), true);
    return { tensor: out.ref, loss, weight, metrics: pick([['mse'], ['mae'], [], ['mse', 'mae']]) };
  });
  return { inputs, nodes, outputs };
}
