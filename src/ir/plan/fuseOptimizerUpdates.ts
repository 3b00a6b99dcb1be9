// Optimizer updates fused into the weight-gradient kernels (issue 14). When every parameter gradient
// of a training plan is written exactly once, by a matmul that stores it (no accumulation, no
// epilogue of its own), and nothing else reads the gradient buffer, each of those matmuls applies the
// optimizer in its epilogue instead of storing the gradient (MatmulKernel.update) and the optimizer
// kernel goes: per step one dispatch fewer, and no gradient stored and loaded again.
// A fused kernel writes its parameters, so it moves after the last kernel that reads them (an input
// gradient reads the weights of the step before), across kernels that write nothing it touches.
// Anything else — convolution filter gradients, gradients accumulated from several uses of a layer,
// a regularized weight without a gradient — keeps the plan as it was.
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
  // In order: each move keeps the kernels it passes in their order.
  for (const kernel of writers.map((i) => fused[i]!)) if (!moveAfterParamReaders(fused, kernel)) return kernels;
  return fused;
}

/** A matmul that stores a gradient as computed (anything more would change what the update sees). */
function storesPlainGradient(kernel: KernelDesc): kernel is MatmulKernel {
  return (
    kernel.kind === 'matmul' &&
    !kernel.accumulate &&
    !kernel.bias &&
    !kernel.gradMask &&
    (kernel.activation ?? 'linear') === 'linear' &&
    !kernel.out.rowBaseFromStep &&
    !kernel.update
  );
}

/**
 * Moves a fused kernel to just after the last kernel that reads its parameters, if that comes later;
 * false when a kernel it would pass writes something it reads or writes.
 */
function moveAfterParamReaders(list: KernelDesc[], kernel: KernelDesc): boolean {
  const from = list.indexOf(kernel);
  const own = kernelAccess(kernel);
  const params = own.writes;
  let lastReader = from;
  for (let i = from + 1; i < list.length; i++) if (overlaps(kernelAccess(list[i]!).reads, params)) lastReader = i;
  if (lastReader === from) return true;
  for (let i = from + 1; i <= lastReader; i++) {
    const passed = kernelAccess(list[i]!);
    if (overlaps(passed.writes, [...own.reads, ...own.writes])) return false;
  }
  list.splice(from, 1);
  list.splice(lastReader, 0, kernel);
  return true;
}
