// What the plan is: kernels over named buffers, and the facts the runtime needs to run them.

import type { IrGraph } from '../graph.js';
import type { BufferDecl, KernelDesc, OptimizerAlgorithm } from '../kernel.js';
import type { Precision } from '../precision.js';

export type PlanMode = 'train' | 'evaluate' | 'predict';

export interface PlanOptions {
  mode: PlanMode;
  optimizer?: OptimizerAlgorithm;
  /** How each model input's dataset is stored on the GPU (u8 pixels are scaled in the gather). */
  inputStorage: { elementType: 'f32' | 'u8'; scale: number }[];
  /** Storage of activations (default 'float32'); 'mixed_float16' needs the device's 'shader-f16'. */
  precision?: Precision;
  /**
   * Training: apply the optimizer inside the weight-gradient kernels where the plan allows it
   * (plan/executionOrder.ts, plan/fuseOptimizerUpdates.ts); the runtime decides per adapter.
   */
  fuseUpdates?: boolean;
  /**
   * Matmuls whose first operand is a model input read its rows from the dataset through the sample
   * indices instead of a gathered batch (plan/foldGather.ts); only the quadTiled matmul variant can
   * generate them, so the runtime decides per adapter.
   */
  gatheredProducts?: boolean;
  /**
   * Training: run the weight gradients after every input gradient (plan/executionOrder.ts), so that
   * the arena keeps their operands alive until then: what row parts need (plan/rowParts.ts), whose
   * weight gradients leave the chain for the dispatch after it; the runtime decides per adapter.
   */
  weightGradientsLast?: boolean;
}

export interface Plan {
  mode: PlanMode;
  batchSize: number;
  graph: IrGraph;
  buffers: BufferDecl[];
  kernels: KernelDesc[];
  /** Offset of each param in the flat params (and grads) buffer. */
  paramOffsets: number[];
  paramCount: number;
  /** Number of metric slots (one f32 sum each: every output's loss, then its metrics). */
  metricSlotCount: number;
  /** Arena size in elements (of `arenaElementType`). */
  arenaSize: number;
  /** The precision the plan was made for, and with it the arena's element type. */
  precision: Precision;
  /** Bytes of every buffer the plan allocates (datasets excluded). */
  plannedBytes: number;
}
