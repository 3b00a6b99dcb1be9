// Optimizer updates fused into the weight-gradient kernels (issue 14). When every parameter gradient
// of a training plan is written exactly once, by a matmul that stores it (no accumulation, no
// epilogue of its own), and nothing else reads the gradient buffer, each of those matmuls applies the
// optimizer in its epilogue instead of storing the gradient (MatmulKernel.update) and the optimizer
// kernel goes: per step one dispatch fewer, and no gradient stored and loaded again.
// A fused kernel writes its parameters, so no kernel after it may read them (an input gradient reads
// the weights of the step before): executionOrder.ts put the weight gradients last; a plan where one
// still comes before a reader of its weights keeps the optimizer kernel.
// Anything else — convolution filter gradients, gradients accumulated from several uses of a layer,
// a regularized weight without a gradient — keeps the plan as it was.
import { storesProductAsIs } from '../graph.js';
import type { KernelDesc, MatmulKernel, OptimizerKernel, PenaltyTerm } from '../kernel.js';
import { kernelAccess, overlaps, viewRegion, type Region } from './dispatchGroups.js';

export function fuseOptimizerUpdates(kernels: KernelDesc[]): KernelDesc[] {
  const last = kernels[kernels.length - 1];
  if (last?.kind !== 'optimizer') return kernels;
  const optimizer: OptimizerKernel = last;
  const steps = kernels.slice(0, -1);
  const isGradient = (r: Region): boolean => r.buffer === optimizer.grads;
  const writers: number[] = [];
  for (const [i, kernel] of steps.entries()) {
    const { reads, writes } = kernelAccess(kernel);
    if (kernel.kind === 'optimizer' || reads.some(isGradient)) return kernels;
    if (!writes.some(isGradient)) continue;
    if (!storesPlainGradient(kernel)) return kernels;
    writers.push(i);
  }
  if (writers.length === 0) return kernels;
  const gradients = writers.map((i) => viewRegion((steps[i] as MatmulKernel).out));
  if (gradients.some((g) => g.end > optimizer.count)) return kernels;
  for (const [x, g] of gradients.entries()) if (gradients.some((h, y) => y !== x && overlaps([g], [h]))) return kernels;
  // A regularized weight's penalty gradient applies even where no kernel writes its gradient.
  const covered = (t: PenaltyTerm): boolean => gradients.some((g) => g.start <= t.offset && t.offset + t.count <= g.end);
  if (!(optimizer.penalties ?? []).every(covered)) return kernels;

  const fused: KernelDesc[] = steps.map((kernel, i) => {
    const at = writers.indexOf(i);
    if (at < 0) return kernel;
    const g = gradients[at]!;
    const penalties = (optimizer.penalties ?? []).filter((t) => t.offset < g.end && g.start < t.offset + t.count);
    return {
      ...(kernel as MatmulKernel),
      update: {
        algorithm: optimizer.algorithm,
        params: optimizer.params,
        ...(optimizer.state ? { state: optimizer.state } : {}),
        stateStride: optimizer.stateStride ?? optimizer.count,
        ...(penalties.length ? { penalties } : {}),
        ...(optimizer.halfCopy ? { halfCopy: optimizer.halfCopy } : {}),
      },
    };
  });
  const access = fused.map(kernelAccess);
  for (const [i, kernel] of fused.entries()) {
    if (kernel.kind !== 'matmul' || !kernel.update) continue;
    if (access.slice(i + 1).some((later) => overlaps(later.reads, access[i]!.writes))) return kernels;
  }
  return fused;
}

/** A matmul that stores a gradient as computed (anything more would change what the update sees). */
function storesPlainGradient(kernel: KernelDesc): kernel is MatmulKernel {
  return kernel.kind === 'matmul' && storesProductAsIs(kernel) && !kernel.out.rowBaseFromStep && !kernel.update;
}
