// Whether a plan may run a short batch with padding rows: a batch of fewer samples than the plan was
// made for, the rows past it holding whatever the buffers hold there. That is sound when no kernel
// sums over the batch's rows (each row's outputs depend on that row alone) and the loss heads leave
// the padding out of their sums (LossHeadKernel.maskRows, evaluate's heads). Training plans are not:
// their gradients are scaled for the exact batch, and batch statistics sum over rows.
import type { KernelDesc } from '../kernel.js';

/** True when every kernel treats the batch's rows on their own and every loss head masks the padding. */
export function takesPaddedBatches(kernels: readonly KernelDesc[]): boolean {
  return kernels.every((k) => {
    switch (k.kind) {
      case 'lossHead':
        return !!k.maskRows && !k.gradOut;
      case 'columnSum':
      case 'optimizer':
        return false;
      case 'matmul':
        // op(A) transposed sums over A's rows: a weight gradient.
        return !k.update && !k.transA && !k.aOnesRow;
      case 'conv2d':
        return k.pass !== 'filterGrad';
      case 'gather':
      case 'elementwise':
      case 'softmaxRows':
      case 'pool2d':
        return true;
      default:
        return k satisfies never;
    }
  });
}
