// Whether a plan may run a short batch with padding rows: a batch of fewer samples than the plan was
// made for (step.rows of them), the rows past it holding whatever the buffers hold there (real samples'
// values: reads stay inside their bindings). The loss heads leave the padding out of their sums and, in
// training, write zero gradient rows for it and scale the live rows' gradient for step.rows samples
// (LossHeadKernel.maskRows). What is left to check is that the padding reaches no sum over rows:
// - evaluate and predict plans (takesPaddedBatches on the kernels): no kernel sums over rows at all;
// - training plans (on the graph, trainingSumsStayLive): every sum over samples — a weight gradient, a
//   bias gradient, batch statistics — has a factor that is zero on the padding rows. The gradient rows
//   the heads zero stay zero through the backward pass (products, masks, activation gradients), so the
//   weight gradients pass; batch statistics sum forward values, which the padding holds, so a model with
//   batch normalization keeps a plan per batch size. Anything not understood counts as refusal.
import type { IrGraph, IrNode, ValueId } from '../graph.js';
import type { ActivationName, KernelDesc } from '../kernel.js';
import type { Plan } from './types.js';

/** True when the plan may run a batch of fewer samples than its rows (see above). */
export function takesPaddedBatches(plan: Pick<Plan, 'mode' | 'kernels' | 'graph'>): boolean {
  const headsMask = plan.kernels.every((k) => k.kind !== 'lossHead' || !!k.maskRows);
  if (!headsMask) return false;
  return plan.mode === 'train' ? trainingSumsStayLive(plan.graph) : kernelsKeepRowsApart(plan.kernels);
}

/** No kernel sums over the batch's rows (each row's outputs depend on that row alone), no head writes a gradient. */
export function kernelsKeepRowsApart(kernels: readonly KernelDesc[]): boolean {
  return kernels.every((k) => {
    switch (k.kind) {
      case 'lossHead':
        return !k.gradOut;
      case 'columnSum':
      case 'optimizer':
        return false;
      case 'matmul':
        // op(A) transposed, or a row of ones under it, sums over A's rows: a weight or bias gradient.
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

/**
 * What a value's padding rows hold: `none` — not a per-sample value (weights, their gradients, rows
 * shared by every sample); `zero` — per sample, exactly zero on the padding rows; `live` — per sample,
 * whatever the padding rows' inputs make of it.
 */
type Padding = 'none' | 'zero' | 'live';

const ZERO_KEEPING: ReadonlySet<ActivationName> = new Set(['linear', 'relu', 'tanh']);

/** True when every sum over samples in the training graph has a factor that is zero on the padding rows. */
export function trainingSumsStayLive(graph: IrGraph): boolean {
  const padding = new Map<ValueId, Padding>();
  const of: PaddingOf = (id) => padding.get(id)!;
  for (const node of graph.nodes) {
    const p = paddingOf(node, graph, of);
    if (p === null) return false;
    padding.set(node.id, p);
  }
  return true;
}

/** The padding of a value computed before (trainingSumsStayLive's map so far). */
type PaddingOf = (id: ValueId) => Padding;

function perSample(of: PaddingOf, id: ValueId): boolean {
  return of(id) !== 'none';
}

function eitherZero(of: PaddingOf, a: ValueId, b: ValueId): boolean {
  return of(a) === 'zero' || of(b) === 'zero';
}

/** A per-sample value after adding `bias` and applying `activation` (zero only if both keep it zero). */
function epilogued(of: PaddingOf, x: Padding, e: { bias?: ValueId; activation?: ActivationName; accumulate?: ValueId } | undefined): Padding {
  if (x !== 'zero') return x;
  if (e?.bias !== undefined) return 'live';
  if (e?.activation && !ZERO_KEEPING.has(e.activation)) return 'live';
  if (e?.accumulate !== undefined && of(e.accumulate) !== 'zero') return 'live';
  return 'zero';
}

/** The node's padding, or null where a sum over samples would take in padding (or the op is not understood here). */
function paddingOf(node: IrNode, graph: IrGraph, of: PaddingOf): Padding | null {
  switch (node.op) {
    case 'input':
    case 'target':
    case 'sampleWeight':
      return 'live';
    case 'param':
      return 'none';
    case 'constant':
      return node.shape[0] === graph.batchSize ? 'live' : 'none';
    case 'matmul': {
      const { a, b, transA, transB, epilogue } = node;
      // op(B)'s columns would be samples: no such product in a training graph.
      if (transB && perSample(of, b)) return null;
      const overSamples = (transA && perSample(of, a)) || (!transB && perSample(of, b));
      if (overSamples) {
        // Σ over samples of op(A)·op(B); the ones row (a bias gradient) sums op(B) alone.
        if (epilogue?.aOnesRow ? of(b) !== 'zero' : !eitherZero(of, a, b)) return null;
        return 'none';
      }
      if (!transA && perSample(of, a)) return epilogue?.aOnesRow ? null : epilogued(of, of(a), epilogue);
      return 'none';
    }
    case 'conv2d':
      return epilogued(of, of(node.x), node.epilogue);
    case 'conv2dInputGrad':
      return epilogued(of, of(node.dy), node.epilogue);
    case 'conv2dFilterGrad':
      if (node.epilogue?.aOnesRow ? of(node.dy) !== 'zero' : !eitherZero(of, node.x, node.dy)) return null;
      return 'none';
    case 'pool2d':
    case 'dropout':
    case 'scale':
    case 'toyScaledIdentity':
    case 'reshape':
      return of(node.x);
    case 'pool2dGrad':
    case 'activationGrad':
      return of(node.dy);
    case 'biasAdd':
      return perSample(of, node.x) ? 'live' : 'none';
    case 'activation':
      return of(node.x) === 'zero' && !ZERO_KEEPING.has(node.activation) ? 'live' : of(node.x);
    case 'concat': {
      const kinds = node.xs.map(of);
      if (kinds.every((k) => k === 'none')) return 'none';
      return kinds.every((k) => k === 'zero') ? 'zero' : 'live';
    }
    case 'slice':
      // Rows of a per-sample value would move samples.
      if (node.axis === 0 && perSample(of, node.x)) return null;
      return of(node.x);
    case 'add':
      if (!perSample(of, node.a) && !perSample(of, node.b)) return 'none';
      return of(node.a) === 'zero' && of(node.b) === 'zero' ? 'zero' : 'live';
    case 'mul':
      if (!perSample(of, node.a) && !perSample(of, node.b)) return 'none';
      return eitherZero(of, node.a, node.b) ? 'zero' : 'live';
    case 'mulRow':
      return of(node.x);
    case 'columnSum':
      // Batch statistics sum forward values; a sum of zero rows (a bias gradient) is fine.
      if (perSample(of, node.x) && of(node.x) !== 'zero') return null;
      return 'none';
    case 'broadcastRows':
      return 'live';
    case 'rsqrt':
      return perSample(of, node.x) ? 'live' : 'none';
    case 'assignParam':
      return perSample(of, node.value) ? null : 'none';
    case 'lossHead':
      // A training head masks the padding: its gradient rows there are zero; without a gradient its value is the prediction.
      return node.withGrad ? 'zero' : 'live';
    case 'crossEntropy':
    case 'crossEntropyGrad':
    case 'softmaxCrossEntropy':
    case 'softmaxCrossEntropyGrad':
    case 'pointwiseLoss':
    case 'pointwiseLossGrad':
    case 'sigmoidCrossEntropy':
    case 'sigmoidCrossEntropyGrad':
    case 'metric':
      // Unfused heads would sum the padding into the metric slots.
      return null;
    default:
      return node satisfies never;
  }
}
