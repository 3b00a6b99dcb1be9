// The model's forward pass on the CPU (the float64 reference interpreter, rounded to float32), for the
// one case the GPU cannot serve: a program that reads a prediction or evaluate result synchronously
// (dataSync, arraySync, print) before the GPU's answer has arrived, as TensorFlow.js programs do, or
// calls predict/evaluate from inside fit's callbacks while the GPU is busy with fit.

import { unfusedGraph } from '../ir/compile.js';
import type { IrGraph } from '../ir/graph.js';
import { interpret } from '../ir/interpret.js';
import { sizeOf } from '../ir/shape.js';
import type { CompiledState } from './compileArgs.js';
import { fail } from './errors.js';
import { lowerModel, type LowerableModel } from './lowerModel.js';
import { logsFromSums } from './metricLogs.js';
import type { Tensor } from './tensor.js';

/** Above this many multiply-adds a synchronous read waits too long: the caller is told to await. */
export const HOST_FORWARD_LIMIT = 2e9;

function multiplyAdds(graph: IrGraph): number {
  let total = 0;
  for (const node of graph.nodes) {
    // Every op but matmul is linear in its output's size; matmul is that times its inner size.
    if (node.op === 'matmul') {
      const a = graph.nodes[node.a]!.shape;
      total += sizeOf(node.shape) * (node.transA ? a[0]! : a[a.length - 1]!);
    } else total += sizeOf(node.shape);
  }
  return total;
}

function graphFor(model: LowerableModel, rows: number, mode: 'predict' | 'evaluate', state: CompiledState | null, what: string): IrGraph {
  const graph = unfusedGraph(lowerModel(model, rows, mode, mode === 'predict' ? [] : (state?.outputs ?? [])), mode);
  const work = multiplyAdds(graph);
  if (work > HOST_FORWARD_LIMIT)
    fail(
      `${what}: the GPU's result is not there yet, and computing it on the CPU to answer synchronously would take ${(work / 1e9).toFixed(1)} billion multiply-adds; read it with await t.data() (or await t.array()) instead`,
    );
  return graph;
}

const paramsOf = (model: LowerableModel): Float32Array[] => model.weights.map((w) => w.values);
const valuesOf = (tensors: Tensor[]): ArrayLike<number>[] => tensors.map((t) => t.dataSync());

/** One array per model output, [rows, ...outputShape] row-major. */
export function hostPredict(model: LowerableModel, xs: Tensor[], rows: number, what = 'predict'): Float32Array[] {
  const graph = graphFor(model, rows, 'predict', null, what);
  const result = interpret(graph, { inputs: valuesOf(xs), targets: [], params: paramsOf(model) });
  return graph.outputs.map((id) => Float32Array.from(result.values[id]!.data));
}

/** Keras's evaluate numbers in metricsNames order, from the same sums the GPU's loss heads make. */
export function hostEvaluate(model: LowerableModel, state: CompiledState, xs: Tensor[], ys: Tensor[], rows: number, what = 'evaluate'): number[] {
  const graph = graphFor(model, rows, 'evaluate', state, what);
  const result = interpret(graph, { inputs: valuesOf(xs), targets: valuesOf(ys), params: paramsOf(model) });
  const sums = new Float32Array(Math.max(0, ...[...result.slots.keys()].map((k) => k + 1)));
  for (const [slot, value] of result.slots) sums[slot] = value;
  const logs = logsFromSums(state.outputs, sums, rows);
  return state.metricsNames.map((n) => logs[n]!);
}
