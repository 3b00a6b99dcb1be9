// The memory plan: a fused IR graph becomes a list of KernelDesc over named buffers, in stages that
// are each a pure function with its own tests:
//   placement (plan/placement.ts)       where every value lives; concat and slice are views, parameter
//                                       gradients land in place in one flat gradient buffer
//   execution order (executionOrder.ts)      weight gradients last when the optimizer is fused into them (fuseUpdates)
//                                            or when they leave chains split into row parts (weightGradientsLast);
//                                            those over one input read by index together (gatheredProducts)
//   liveness and allocation (allocation.ts)  arena blocks share memory by lifetime; the peak is known
//   kernel selection (kernelSelection.ts)    the kernel computing each node, over those views
//   update fusion (fuseOptimizerUpdates.ts)  the optimizer applied in the weight-gradient kernels
//   gather folding (foldGather.ts)           inputs read only by matmuls are read from the dataset by index (gatheredProducts)
//   buffer declarations (buffers.ts)
// Which kernels share a dispatch is decided afterwards, in one place: plan/dispatchGroups.ts.

import type { IrGraph } from './graph.js';
import { allocateBlocks, blockLifetimes } from './plan/allocation.js';
import { declareBuffers, metricSlotCountOf } from './plan/buffers.js';
import { executionOrder, inputGradientsTogether } from './plan/executionOrder.js';
import { foldGatherIntoProducts } from './plan/foldGather.js';
import { fuseOptimizerUpdates } from './plan/fuseOptimizerUpdates.js';
import { selectKernels, valueViews } from './plan/kernelSelection.js';
import { paramLayout, placeValues } from './plan/placement.js';
import type { Plan, PlanOptions } from './plan/types.js';
import { weightsBuffer } from './precision.js';

export type { Plan, PlanMode, PlanOptions } from './plan/types.js';
export { dumpPlan } from './plan/dump.js';

export function planGraph(graph: IrGraph, options: PlanOptions): Plan {
  const { paramOffsets, paramCount } = paramLayout(graph);
  const placement = placeValues(graph, options.mode, paramOffsets, weightsBuffer(options.precision ?? 'float32'));
  const graphOrder = options.fuseUpdates || options.weightGradientsLast ? executionOrder(graph, options) : graph.nodes.map((n) => n.id);
  const order = options.gatheredProducts && options.mode === 'train' ? inputGradientsTogether(graph, graphOrder) : graphOrder;
  const { offsets, arenaSize } = allocateBlocks(placement.blockSizes, blockLifetimes(graph, placement, order));
  const selected = selectKernels(graph, placement, valueViews(graph, placement, offsets), options, paramCount, order);
  const fused = options.fuseUpdates ? fuseOptimizerUpdates(selected) : selected;
  const kernels = options.gatheredProducts ? foldGatherIntoProducts(fused) : fused;
  const metricSlotCount = metricSlotCountOf(graph);
  const { buffers, plannedBytes } = declareBuffers(graph, kernels, options, {
    arenaSize,
    batchBufferSize: placement.batchBufferSize,
    paramCount,
    metricSlotCount,
  });
  const precision = options.precision ?? 'float32';
  return {
    mode: options.mode,
    batchSize: graph.batchSize,
    graph,
    buffers,
    kernels,
    paramOffsets,
    paramCount,
    metricSlotCount,
    arenaSize,
    precision,
    plannedBytes,
  };
}
