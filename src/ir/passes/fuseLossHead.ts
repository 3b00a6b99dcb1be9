// Output heads: the per-row loss of an output, its gradient, and the metrics computed on the same
// prediction and target become one lossHead node (one single-workgroup kernel). Sums go straight
// into metric slots, so nothing about the loss is read back inside an epoch.

import { copyNode, rebuild, type GraphBuilder } from '../builder.js';
import type { IrGraph, IrNode, LossKind, MetricKind, ValueId } from '../graph.js';

export class UnsupportedLossError extends Error {
  override name = 'UnsupportedLossError';
}

export function fuseLossHead(graph: IrGraph): IrGraph {
  const nodes = graph.nodes;
  interface Head {
    loss: LossKind;
    lossValue: ValueId;
    input: ValueId;
    target: ValueId;
    sparse: boolean;
    grad?: IrNode;
    sampleWeight?: ValueId;
    /** The accumulator value summed into the loss slot: the loss, or loss × sampleWeight. */
    slotValue: ValueId;
    lossSlot: number;
    metrics: { metric: MetricKind; slot: number; value: ValueId }[];
  }
  const heads: Head[] = [];
  const slotOf = new Map(graph.accumulators.map((a) => [a.value, a.slot]));
  // A weighted loss is summed as loss × sampleWeight (one mul node per weighted output).
  const weightedSum = (loss: ValueId, weight: ValueId): ValueId | undefined =>
    graph.accumulators.find((a) => {
      const n = nodes[a.value]!;
      return n.op === 'mul' && n.a === loss && n.b === weight;
    })?.value;
  for (const loss of graph.losses) {
    const node = nodes[loss.value]!;
    const slotValue = loss.sampleWeight === undefined ? loss.value : weightedSum(loss.value, loss.sampleWeight);
    const lossSlot = slotValue === undefined ? undefined : slotOf.get(slotValue);
    if (slotValue === undefined || lossSlot === undefined) throw new Error('internal: a loss has no accumulator slot');
    const common = { lossValue: node.id, slotValue, lossSlot, metrics: [], ...(loss.sampleWeight !== undefined ? { sampleWeight: loss.sampleWeight } : {}) };
    if (node.op === 'softmaxCrossEntropy') heads.push({ ...common, loss: 'softmaxCrossEntropy', input: node.logits, target: node.target, sparse: node.sparse });
    else if (node.op === 'sigmoidCrossEntropy') heads.push({ ...common, loss: 'sigmoidCrossEntropy', input: node.logits, target: node.target, sparse: false });
    else if (node.op === 'pointwiseLoss') heads.push({ ...common, loss: node.loss, input: node.pred, target: node.target, sparse: false });
    else
      throw new UnsupportedLossError(
        node.op === 'crossEntropy'
          ? `categorical cross-entropy on output ${loss.output} needs a softmax activation on that output layer (the loss is fused with the softmax)`
          : `internal: cannot fuse loss node ${node.op}`,
      );
  }
  const headOfValue = new Map<ValueId, Head>();
  for (const head of heads) headOfValue.set(head.slotValue, head);
  for (const node of nodes) {
    if (node.op === 'softmaxCrossEntropyGrad' || node.op === 'sigmoidCrossEntropyGrad' || node.op === 'pointwiseLossGrad') {
      const input = node.op === 'pointwiseLossGrad' ? node.pred : node.logits;
      const head = heads.find((h) => h.input === input && h.target === node.target && !h.grad);
      if (head) head.grad = node;
    }
  }
  const absorbedMetrics = new Set<ValueId>();
  for (const acc of graph.accumulators) {
    const node = nodes[acc.value]!;
    if (node.op !== 'metric') continue;
    // The metric's prediction is the head's input (mse heads) or softmax / sigmoid of the logits
    // (cross-entropy heads).
    const pred = nodes[node.pred]!;
    const logitsActivation = (h: Head): string | undefined =>
      h.loss === 'softmaxCrossEntropy' ? 'softmax' : h.loss === 'sigmoidCrossEntropy' ? 'sigmoid' : undefined;
    const head = heads.find(
      (h) => h.target === node.target && (node.pred === h.input || (pred.op === 'activation' && pred.activation === logitsActivation(h) && pred.x === h.input)),
    );
    if (!head) throw new UnsupportedLossError(`internal: metric ${node.metric} does not belong to any output head`);
    head.metrics.push({ metric: node.metric, slot: acc.slot, value: node.id });
    absorbedMetrics.add(node.id);
  }

  // The seed is a constant, or the sample weights scaled (autodiff's seeds).
  const withGradScale = (head: Head): number => {
    if (!head.grad) return 0;
    const dy = nodes[(head.grad as { dy: number }).dy]!;
    if (head.sampleWeight === undefined && dy.op === 'constant') return dy.value;
    if (head.sampleWeight !== undefined && dy.op === 'scale' && dy.x === head.sampleWeight) return dy.factor;
    throw new Error('internal: a loss gradient seed is not the loss weight (times the sample weights)');
  };
  const gradToHead = new Map<ValueId, Head>();
  for (const head of heads) if (head.grad) gradToHead.set(head.grad.id, head);

  const headlessLossIds = new Set(heads.filter((h) => !h.grad).map((h) => h.slotValue));
  const emit = (head: Head, withGrad: boolean, builder: GraphBuilder, mapId: (id: ValueId) => ValueId): ValueId =>
    builder.add(
      {
        op: 'lossHead',
        loss: head.loss,
        input: mapId(head.input),
        target: mapId(head.target),
        sparse: head.sparse,
        withGrad,
        gradScale: withGrad ? withGradScale(head) : 0,
        ...(head.sampleWeight !== undefined ? { sampleWeight: mapId(head.sampleWeight) } : {}),
        lossSlot: head.lossSlot,
        metrics: head.metrics.map(({ metric, slot }) => ({ metric, slot })),
      },
      `${head.loss} head`,
    );
  const fused = rebuild(
    {
      ...graph,
      // Losses of heads without a gradient stay roots until their head replaces them.
      accumulators: graph.accumulators.filter((a) => headlessLossIds.has(a.value) || (!absorbedMetrics.has(a.value) && !headOfValue.has(a.value))),
      losses: [],
    },
    (node, builder, oldId, mapId) => {
      const head = gradToHead.get(oldId) ?? (headlessLossIds.has(oldId) ? headOfValue.get(oldId) : undefined);
      if (head) return emit(head, head.grad !== undefined, builder, mapId);
      return copyNode(node, builder);
    },
  );
  const headIds = new Set(fused.nodes.filter((n) => n.op === 'lossHead').map((n) => n.id));
  // Rebuilding drops what the heads replaced (loss nodes, metric nodes, gradient seeds).
  return rebuild({ ...fused, accumulators: fused.accumulators.filter((a) => !headIds.has(a.value)) });
}
