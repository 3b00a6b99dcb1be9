// Lowering: a model's layer graph → IR for one batch size and one mode (train, evaluate, predict).

import { GraphBuilder } from '../ir/builder.js';
import type { IrGraph, Shape2, ValueId } from '../ir/graph.js';
import type { PlanMode } from '../ir/plan.js';
import type { ResolvedLoss, ResolvedMetric } from './compileConfig.js';
import type { LayerWeight } from './layers/layer.js';
import type { SymbolicTensor } from './symbolic.js';
import type { Topology } from './topology.js';

export interface OutputSpec {
  name: string;
  units: number;
  loss: ResolvedLoss;
  weight: number;
  metrics: ResolvedMetric[];
}

export interface LowerableModel {
  inputs: SymbolicTensor[];
  outputs: SymbolicTensor[];
  topology: Topology;
  /** Every weight, in the model's order (the flat parameter buffer's order). */
  weights: LayerWeight[];
}

/** The 2-D shape a weight has in the IR: vectors become one row, higher ranks fold into rows. */
export function weightShape2(shape: number[]): Shape2 {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [1, shape[0]!];
  const cols = shape[shape.length - 1]!;
  return [shape.slice(0, -1).reduce((a, b) => a * b, 1), cols];
}

/**
 * Metric slot layout, in Keras order: each output's loss, then each output's metrics; training plans
 * of models with regularized weights sum the weight penalty in one more slot (`penaltySlot`).
 */
export function slotLayout(outputs: OutputSpec[]): { lossSlots: number[]; metricSlots: number[][]; count: number; penaltySlot: number } {
  const lossSlots = outputs.map((_, i) => i);
  let next = outputs.length;
  const metricSlots = outputs.map((o) => o.metrics.map(() => next++));
  return { lossSlots, metricSlots, count: next, penaltySlot: next };
}

/**
 * `weightedOutputs`: outputs whose samples carry loss weights (fit's classWeight) in train mode; their
 * loss is summed and differentiated as loss × weight (TensorFlow.js's computeWeightedLoss).
 */
export function lowerModel(
  model: LowerableModel,
  batchSize: number,
  mode: PlanMode,
  outputSpecs: OutputSpec[] = [],
  weightedOutputs: readonly number[] = [],
): IrGraph {
  const builder = new GraphBuilder(batchSize);
  const weightIndex = new Map(model.weights.map((w, i) => [w, i]));
  const paramNodes = model.weights.map((w, i) => builder.leaf({ op: 'param', index: i, name: w.name }, weightShape2(w.shape), w.name));
  const values = new Map<SymbolicTensor, ValueId>();
  // Inputs keep their full shape ([batch, 28, 28, 1]); flatten and reshape are views in the plan.
  model.inputs.forEach((t, i) => values.set(t, builder.leaf({ op: 'input', index: i, name: t.name }, [batchSize, ...(t.shape.slice(1) as number[])], t.name)));
  const context = {
    builder,
    training: mode === 'train',
    param: (w: LayerWeight): ValueId => {
      const index = weightIndex.get(w);
      if (index === undefined) throw new Error(`internal: weight ${w.name} is not part of the model`);
      return paramNodes[index]!;
    },
  };
  for (const node of model.topology.nodes) {
    if (values.has(node.output)) continue; // an input
    const inputs = node.inputs.map((t) => values.get(t)!);
    values.set(
      node.output,
      node.layer.lower(
        context,
        inputs,
        node.inputs.map((t) => t.shape),
      ),
    );
  }
  const outputValues = model.outputs.map((t) => values.get(t)!);

  const graph: IrGraph = {
    batchSize,
    nodes: builder.nodes,
    params: model.weights.map((w) => ({
      name: w.name,
      shape: weightShape2(w.shape),
      trainable: w.trainable,
      ...(w.regularizer ? { regularizer: { ...w.regularizer } } : {}),
    })),
    inputs: model.inputs.map((t) => ({ name: t.name, cols: t.featureSize })),
    targets: [],
    outputs: mode === 'predict' ? outputValues : [],
    accumulators: [],
    losses: [],
  };
  if (mode === 'predict') return graph;

  const slots = slotLayout(outputSpecs);
  // TensorFlow.js adds the weights' penalties to the training loss only (not to evaluate's).
  if (mode === 'train' && outputSpecs.length && model.weights.some((w) => w.regularizer && (w.regularizer.l1 !== 0 || w.regularizer.l2 !== 0)))
    graph.penaltySlot = slots.penaltySlot;
  outputSpecs.forEach((spec, i) => {
    const prediction = outputValues[i]!;
    const target = builder.leaf({ op: 'target', index: i, sparse: spec.loss.sparse, name: `${spec.name} target` }, [
      batchSize,
      spec.loss.sparse ? 1 : spec.units,
    ]);
    graph.targets.push({ name: spec.name, cols: spec.loss.sparse ? 1 : spec.units, sparse: spec.loss.sparse });
    // Cross-entropies are lowered on probabilities; prepareForward moves them onto the logits of a
    // softmax or sigmoid output.
    const loss =
      spec.loss.kind === 'crossEntropy'
        ? builder.add({ op: 'crossEntropy', probs: prediction, target, sparse: spec.loss.sparse }, `${spec.name} loss`)
        : builder.add({ op: 'pointwiseLoss', loss: spec.loss.kind, pred: prediction, target }, `${spec.name} loss`);
    if (mode === 'train' && weightedOutputs.includes(i)) {
      const sampleWeight = builder.leaf({ op: 'sampleWeight', index: i, name: `${spec.name} sample weights` }, [batchSize, 1]);
      const weighted = builder.add({ op: 'mul', a: loss, b: sampleWeight }, `${spec.name} weighted loss`);
      graph.losses.push({ output: i, value: loss, weight: spec.weight, sampleWeight });
      graph.accumulators.push({ slot: slots.lossSlots[i]!, name: `${spec.name}_loss`, value: weighted });
    } else {
      graph.losses.push({ output: i, value: loss, weight: spec.weight });
      graph.accumulators.push({ slot: slots.lossSlots[i]!, name: `${spec.name}_loss`, value: loss });
    }
    spec.metrics.forEach((m, j) => {
      const value = builder.add({ op: 'metric', metric: m.kind, pred: prediction, target, sparse: spec.loss.sparse }, `${spec.name} ${m.displayName}`);
      graph.accumulators.push({ slot: slots.metricSlots[i]![j]!, name: `${spec.name}_${m.displayName}`, value });
    });
  });
  graph.nodes = builder.nodes;
  return graph;
}
