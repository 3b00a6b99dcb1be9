// Buffer declarations: every named buffer the plan's kernels use, with its size and role.

import type { IrGraph } from '../graph.js';
import { optimizerStateArrays, paddedParamCount, viewBuffers, viewsOf, type BufferDecl, type KernelDesc } from '../kernel.js';
import { HALF_WEIGHTS, activationElementType, declBytes } from '../precision.js';
import type { PlanOptions } from './types.js';

export interface BufferSizes {
  arenaSize: number;
  batchBufferSize: number;
  paramCount: number;
  metricSlotCount: number;
}

/** The buffers the kernels use (params always), and the bytes they take (datasets excluded). */
export function declareBuffers(
  graph: IrGraph,
  kernels: KernelDesc[],
  options: PlanOptions,
  sizes: BufferSizes,
): { buffers: BufferDecl[]; plannedBytes: number } {
  const { arenaSize, batchBufferSize, paramCount, metricSlotCount } = sizes;
  const buffers: BufferDecl[] = [
    // Activations and their gradients; f16 under mixed precision. The gathered batch stays f32 (inputs and targets as given).
    { name: 'arena', elementType: activationElementType(options.precision ?? 'float32'), size: arenaSize, role: 'arena' },
    ...(batchBufferSize > 0 ? [{ name: 'batch', elementType: 'f32', size: batchBufferSize, role: 'arena' } as BufferDecl] : []),
    // Training pads the parameters, gradients and optimizer state arrays to whole vec4s (paddedParamCount).
    { name: 'params', elementType: 'f32', size: options.mode === 'train' ? paddedParamCount(paramCount) : Math.max(paramCount, 1), role: 'params' },
  ];
  if ((options.precision ?? 'float32') === 'mixed_float16')
    buffers.push({ name: HALF_WEIGHTS, elementType: 'f16', size: Math.max(paramCount, 1), role: 'weightsHalf' });
  if (options.mode === 'train') {
    const padded = paddedParamCount(paramCount);
    buffers.push({ name: 'grads', elementType: 'f32', size: padded, role: 'grads' });
    const stateArrays = optimizerStateArrays(options.optimizer ?? { kind: 'sgd' });
    if (stateArrays > 0) buffers.push({ name: 'optimizerState', elementType: 'f32', size: stateArrays * padded, role: 'optimizerState' });
  }
  if (metricSlotCount > 0) buffers.push({ name: 'metrics', elementType: 'f32', size: metricSlotCount, role: 'metrics' });
  buffers.push({ name: 'indices', elementType: 'u32', size: 0, role: 'indices' });
  graph.inputs.forEach((_, i) => buffers.push({ name: `input${i}`, elementType: options.inputStorage[i]?.elementType ?? 'f32', size: 0, role: 'dataset' }));
  graph.targets.forEach((t, i) =>
    buffers.push(
      t.sparse ? { name: `labels${i}`, elementType: 'i32', size: 0, role: 'labels' } : { name: `target${i}`, elementType: 'f32', size: 0, role: 'dataset' },
    ),
  );
  for (const node of graph.nodes)
    if (node.op === 'sampleWeight') buffers.push({ name: `sampleWeights${node.index}`, elementType: 'f32', size: 0, role: 'dataset' });
  if (options.mode === 'predict') graph.outputs.forEach((_, i) => buffers.push({ name: `output${i}`, elementType: 'f32', size: 0, role: 'output' }));
  const used = new Set(kernels.flatMap(buffersOf));
  const kept = buffers.filter((b) => used.has(b.name) || b.role === 'params');
  const plannedBytes = kept.reduce((n, b) => n + declBytes(b), 0);
  return { buffers: kept, plannedBytes };
}

/** Number of metric slots the graph's loss heads sum into. */
export function metricSlotCountOf(graph: IrGraph): number {
  if (graph.accumulators.length) throw new Error('internal: unfused accumulators remain; run fuseLossHead before planning');
  return Math.max(
    graph.penaltySlot === undefined ? 0 : graph.penaltySlot + 1,
    ...graph.nodes.map((n) => (n.op === 'lossHead' ? Math.max(n.lossSlot, ...n.metrics.map((m) => m.slot)) + 1 : 0)),
  );
}

function buffersOf(kernel: KernelDesc): string[] {
  switch (kernel.kind) {
    case 'gather':
      return [kernel.indices, ...kernel.sources.flatMap((s) => [s.dataset, s.out.buffer])];
    case 'lossHead':
      return [
        kernel.input.buffer,
        kernel.metricsBuffer,
        ...(kernel.target.sparse ? [kernel.target.labels, kernel.target.indices] : [kernel.target.view.buffer]),
        ...(kernel.sampleWeights ? [kernel.sampleWeights.weights, kernel.sampleWeights.indices] : []),
        ...(kernel.penalty ? [kernel.penalty.params] : []),
        ...(kernel.gradOut ? [kernel.gradOut.buffer] : []),
        ...(kernel.predictionOut ? [kernel.predictionOut.buffer] : []),
      ];
    case 'optimizer':
      return [kernel.params, kernel.grads, ...(kernel.state ? [kernel.state] : []), ...(kernel.halfCopy ? [kernel.halfCopy] : [])];
    case 'matmul':
      // A fused update writes the parameters and optimizer state in place of its gradient view.
      if (kernel.update)
        return [
          ...viewBuffers(kernel.a),
          kernel.b.buffer,
          ...(kernel.bias ? [kernel.bias.buffer] : []),
          ...(kernel.gradMask ? [kernel.gradMask.y.buffer] : []),
          kernel.update.params,
          ...(kernel.update.state ? [kernel.update.state] : []),
          ...(kernel.update.halfCopy ? [kernel.update.halfCopy] : []),
        ];
      return viewsOf(kernel).flatMap(viewBuffers);
    case 'elementwise':
    case 'softmaxRows':
    case 'columnSum':
    case 'conv2d':
    case 'pool2d':
      return viewsOf(kernel).flatMap(viewBuffers);
    default:
      return kernel satisfies never;
  }
}
