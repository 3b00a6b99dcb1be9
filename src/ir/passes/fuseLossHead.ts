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
    lossSlot: number;
    metrics: { metric: MetricKind; slot: number; value: ValueId }[];
  }
  const heads: Head[] = [];
  const slotOf = new Map(graph.accumulators.map((a) => [a.value, a.slot]));
  for (const loss of graph.losses) {
    const node = nodes[loss.value]!;
    const lossSlot = slotOf.get(loss.value);
    if (lossSlot === undefined) throw new Error('internal: a loss has no accumulator slot');
    if (node.op === 'softmaxCrossEntropy')
      heads.push({ loss: 'softmaxCrossEntropy', lossValue: node.id, input: node.logits, target: node.target, sparse: node.sparse, lossSlot, metrics: [] });
    else if (node.op === 'sigmoidCrossEntropy')
      heads.push({ loss: 'sigmoidCrossEntropy', lossValue: node.id, input: node.logits, target: node.target, sparse: false, lossSlot, metrics: [] });
    else if (node.op === 'pointwiseLoss')
      heads.push({ loss: node.loss, lossValue: node.id, input: node.pred, target: node.target, sparse: false, lossSlot, metrics: [] });
    else
      throw new UnsupportedLossError(
        node.op === 'crossEntropy'
          ? `categorical cross-entropy on output ${loss.output} needs a softmax activation on that output layer (the loss is fused with the softmax)`
          : `internal: cannot fuse loss node ${node.op}`,
      );
  }
  const headOfValue = new Map<ValueId, Head>();
  for (const head of heads) headOfValue.set(head.lossValue, head);
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

  const withGradScale = (head: Head): number => {
    if (!head.grad) return 0;
    const dy = nodes[(head.grad as { dy: number }).dy]!;
    if (dy.op !== 'constant') throw new Error('internal: a loss gradient seed is not a constant');
    return dy.value;
  };
  const gradToHead = new Map<ValueId, Head>();
  for (const head of heads) if (head.grad) gradToHead.set(head.grad.id, head);

  const headlessLossIds = new Set(heads.filter((h) => !h.grad).map((h) => h.lossValue));
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
