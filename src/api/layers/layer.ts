// The layer base class: naming, application to symbolic tensors, weights, and lowering to IR.

import type { GraphBuilder } from '../../ir/builder.js';
import type { ValueId } from '../../ir/graph.js';
import { fail } from '../errors.js';
import { checkLayerOptions, type RefusedOptions } from '../options.js';
import { SymbolicTensor, type LayerNode } from '../symbolic.js';
import { weightTensors } from '../lazyResults.js';
import { Tensor } from '../tensor.js';

/** What a layer needs from the models it belongs to, to keep host and GPU weights in step. */
export interface WeightOwner {
  syncHost(): Promise<void>;
  /** Whether the host copies of the weights hold what the GPU holds. */
  readonly isHostCurrent: boolean;
  /** Writes these weights' host values to the GPU copies (other weights untouched). */
  pushHostWeights(weights: LayerWeight[]): void;
}

export type Shape = (number | null)[];

export interface LayerWeight {
  /** Full name, as TensorFlow.js: `dense/kernel`. */
  name: string;
  shape: number[];
  trainable: boolean;
  /** Host copy: the initial values, or the last values read back from or written to the GPU. */
  values: Float32Array;
  /** A weight penalty added to the training loss (kernelRegularizer / biasRegularizer). */
  regularizer?: { l1: number; l2: number };
}

export interface LowerContext {
  builder: GraphBuilder;
  training: boolean;
  /** The IR param node standing for a weight of this layer. */
  param(weight: LayerWeight): ValueId;
}

export interface LayerArgs {
  name?: string;
  trainable?: boolean;
  /** Seed for everything random in this layer (initialisers, dropout). */
  seed?: number;
  /** The input's shape without the batch (the first layer of a Sequential model needs one of these). */
  inputShape?: number[];
  batchInputShape?: (number | null)[];
  /** inputShape [inputDim], for dense layers. */
  inputDim?: number;
  /** As TensorFlow.js: only used to make batchInputShape (weft plans per batch size anyway). */
  batchSize?: number;
  dtype?: 'float32';
}

const nameCounts = new Map<string, number>();

/** The most values one weight may hold (2^28 floats = 1 GiB), far above any GPU binding limit. */
export const MAX_WEIGHT_VALUES = 2 ** 28;

/** Keras-style unique names: dense, dense_1, dense_2, ... */
export function uniqueLayerName(prefix: string): string {
  const count = nameCounts.get(prefix) ?? 0;
  nameCounts.set(prefix, count + 1);
  return count === 0 ? prefix : `${prefix}_${count}`;
}

export function snakeCase(className: string): string {
  return className.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

export abstract class Layer {
  readonly name: string;
  trainable: boolean;
  readonly weights: LayerWeight[] = [];
  readonly nodes: LayerNode[] = [];
  protected built = false;
  /** Models this layer is part of (a layer may be shared between models). */
  readonly owners = new Set<WeightOwner>();
  protected readonly seed: number | undefined;
  /** The input shape the layer was declared with (inputShape, batchInputShape or inputDim), if any. */
  readonly batchInputShape: Shape | undefined;

  /**
   * `options` lists the layer's own options (besides the base ones) and `refused` those it knows but
   * does not support: any other option is refused with a WeftError. A layer that passes no list is
   * not checked.
   */
  constructor(
    readonly className: string,
    args: LayerArgs = {},
    options?: { own: readonly string[]; refused?: RefusedOptions },
  ) {
    if (args === null || typeof args !== 'object') fail(`${snakeCase(className)}: options must be an object, got ${args === null ? 'null' : typeof args}`);
    if (options) checkLayerOptions(args, options.own, `${snakeCase(className)}${args.name ? ` '${args.name}'` : ''}`, options.refused);
    this.name = args.name ?? uniqueLayerName(snakeCase(className));
    this.trainable = args.trainable ?? true;
    this.seed = args.seed;
    const batch = args.batchSize ?? null;
    this.batchInputShape =
      args.batchInputShape ?? (args.inputShape ? [batch, ...args.inputShape] : args.inputDim !== undefined ? [batch, args.inputDim] : undefined);
    if (args.dtype !== undefined && args.dtype !== 'float32') fail(`layer '${this.name}': dtype '${args.dtype}' is not supported; weft computes in float32`);
  }

  /** Checks input shapes and returns the output shape (batch dim first, null). */
  abstract computeOutputShape(inputShapes: Shape[]): Shape;
  /** Creates weights for the given input shapes (called once, at the first apply). */
  protected build(_inputShapes: Shape[]): void {}
  /** Emits IR for one application. */
  abstract lower(context: LowerContext, inputs: ValueId[], inputShapes: Shape[]): ValueId;
  /** The layer's config as in a TensorFlow.js model.json. */
  abstract getConfig(): Record<string, unknown>;
  /** How many inputs the layer takes: a number, or 'many' (two or more). */
  protected get arity(): number | 'many' {
    return 1;
  }

  /** Calls the layer on symbolic tensors, recording the connection. */
  apply(inputs: SymbolicTensor | SymbolicTensor[]): SymbolicTensor {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    for (const t of list)
      if (!(t instanceof SymbolicTensor))
        fail(`layer '${this.name}': apply() takes symbolic tensors (from weft.input() or another layer's apply), got ${describe(t)}`);
    const arity = this.arity;
    if (arity === 'many' ? list.length < 2 : list.length !== arity)
      fail(`layer '${this.name}' (${this.className}) takes ${arity === 'many' ? 'a list of two or more tensors' : `${arity} input`}, got ${list.length}`);
    const shapes = list.map((t) => t.shape);
    const outputShape = this.computeOutputShape(shapes);
    if (!this.built) {
      this.build(shapes);
      this.built = true;
    }
    const nodeIndex = this.nodes.length;
    const output = new SymbolicTensor(outputShape, this, nodeIndex, nodeIndex === 0 ? this.name : `${this.name}_${nodeIndex}`);
    this.nodes.push({ layer: this, inputs: list, output });
    return output;
  }

  get trainableWeights(): LayerWeight[] {
    return this.trainable ? this.weights.filter((w) => w.trainable) : [];
  }

  /** This layer's weights as tensors (TensorFlow.js order and layout), returned at once (awaiting works too). */
  getWeights(): Tensor[] {
    const owners = [...this.owners];
    return weightTensors(
      this.weights,
      owners.every((o) => o.isHostCurrent),
      async () => {
        for (const owner of owners) await owner.syncHost();
      },
    );
  }

  /** Replaces this layer's weights (shapes as getWeights returns them). */
  setWeights(tensors: Tensor[]): void {
    if (!Array.isArray(tensors) || tensors.length !== this.weights.length)
      fail(
        `layer '${this.name}'.setWeights: expected ${this.weights.length} tensors (${this.weights.map((w) => w.name).join(', ')}), got ${Array.isArray(tensors) ? tensors.length : 'no array'}`,
      );
    tensors.forEach((t, i) => {
      const w = this.weights[i]!;
      if (!(t instanceof Tensor) || t.shape.length !== w.shape.length || t.shape.some((d, j) => d !== w.shape[j]))
        fail(
          `layer '${this.name}'.setWeights: weight '${w.name}' must have shape [${w.shape.join(', ')}], got ${t instanceof Tensor ? `[${t.shape.join(', ')}]` : 'a non-tensor'}`,
        );
      const data = t.dataSync();
      for (let j = 0; j < data.length; j++)
        if (!Number.isFinite(data[j]!)) fail(`layer '${this.name}'.setWeights: weight '${w.name}' holds ${data[j]}; weights must be finite`);
    });
    tensors.forEach((t, i) => (this.weights[i]!.values = Float32Array.from(t.dataSync())));
    for (const owner of this.owners) owner.pushHostWeights(this.weights);
  }

  countParams(): number {
    return this.weights.reduce((n, w) => n + w.values.length, 0);
  }

  /** Output shape of the first application. */
  get outputShape(): Shape {
    const node = this.nodes[0];
    if (!node) fail(`layer '${this.name}' has not been applied to anything yet`);
    return node.output.shape;
  }

  /** Refuses a weight too large to allocate, before anything is allocated. */
  protected checkWeightSize(suffix: string, shape: number[]): void {
    const size = shape.reduce((a, b) => a * b, 1);
    if (!(size <= MAX_WEIGHT_VALUES))
      fail(
        `layer '${this.name}': its ${suffix} of shape [${shape.join(', ')}] would hold ${size} values, more than weft supports (${MAX_WEIGHT_VALUES}); make the layer smaller`,
      );
  }

  protected addWeight(suffix: string, shape: number[], values: Float32Array, trainable = true, regularizer?: { l1: number; l2: number }): LayerWeight {
    const weight: LayerWeight = {
      name: `${this.name}/${suffix}`,
      shape,
      trainable,
      values,
      ...(regularizer ? { regularizer: { l1: regularizer.l1, l2: regularizer.l2 } } : {}),
    };
    this.weights.push(weight);
    return weight;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object';
  return typeof value;
}

export function shapeToString(shape: Shape): string {
  return `[${shape.map((d) => (d === null ? 'null' : d)).join(', ')}]`;
}
