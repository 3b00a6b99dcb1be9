// The input layer: `weft.input({shape})` makes one and returns its symbolic tensor.

import type { ValueId } from '../../ir/graph.js';
import { fail } from '../errors.js';
import { checkKnownOptions } from '../options.js';
import { SymbolicTensor } from '../symbolic.js';
import { Layer, type LowerContext, type Shape } from './layer.js';

export interface InputArgs {
  shape?: number[];
  batchShape?: (number | null)[];
  name?: string;
  dtype?: 'float32';
}

export class InputLayer extends Layer {
  override readonly batchInputShape: Shape;
  readonly output: SymbolicTensor;
  constructor(args: InputArgs) {
    super('InputLayer', args.name === undefined ? {} : { name: args.name });
    checkKnownOptions(args, ['shape', 'batchShape', 'name', 'dtype', 'sparse'], 'weft.input');
    if ((args as { sparse?: unknown }).sparse === true) fail('weft.input: sparse inputs are not supported; pass dense tensors');
    if (args.dtype !== undefined && args.dtype !== null && args.dtype !== 'float32')
      fail(`weft.input: dtype '${String(args.dtype)}' is not supported; weft computes in float32 only`);
    const shape: Shape | undefined = args.batchShape ?? (args.shape ? [null, ...args.shape] : undefined);
    if (!shape) fail('weft.input: give a shape, e.g. weft.input({ shape: [784] })');
    for (const d of shape.slice(1))
      if (d === null || !Number.isInteger(d) || d <= 0)
        fail(`weft.input '${this.name}': every dimension after the batch must be a positive integer, got ${JSON.stringify(args.shape ?? args.batchShape)}`);
    this.batchInputShape = [null, ...(shape.slice(1) as number[])];
    this.built = true;
    this.output = new SymbolicTensor(this.batchInputShape, this, 0, this.name);
    this.nodes.push({ layer: this, inputs: [], output: this.output });
  }
  computeOutputShape(): Shape {
    return this.batchInputShape;
  }
  override apply(): SymbolicTensor {
    return fail(`input layer '${this.name}' cannot be applied to tensors; use the tensor weft.input() returned`);
  }
  lower(_context: LowerContext, _inputs: ValueId[]): ValueId {
    return fail('internal: input layers are lowered by the model');
  }
  getConfig(): Record<string, unknown> {
    return { batch_input_shape: this.batchInputShape, dtype: 'float32', sparse: false, name: this.name };
  }
}

export function input(args: InputArgs): SymbolicTensor {
  if (!args || typeof args !== 'object') fail('weft.input takes an object: weft.input({ shape: [784] })');
  return new InputLayer(args).output;
}
