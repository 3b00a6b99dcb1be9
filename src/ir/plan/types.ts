// What the plan is: kernels over named buffers, and the facts the runtime needs to run them.

import type { IrGraph } from '../graph.js';
import type { BufferDecl, KernelDesc, OptimizerAlgorithm } from '../kernel.js';

export type PlanMode = 'train' | 'evaluate' | 'predict';

export interface PlanOptions {
  mode: PlanMode;
  optimizer?: OptimizerAlgorithm;
  /** How each model input's dataset is stored on the GPU (u8 pixels are scaled in the gather). */
  inputStorage: { elementType: 'f32' | 'u8'; scale: number }[];
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
  /** Arena size in f32 elements. */
  arenaSize: number;
  /** Bytes of every buffer the plan allocates (datasets excluded). */
  plannedBytes: number;
}
