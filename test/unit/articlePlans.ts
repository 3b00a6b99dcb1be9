// The article's models (the 784 → 30 → 30 → 10 MLP and its wide & deep variant) as the plans the compiler
// makes of them, for the plan-stage tests (fold-gather, row-parts): sparse labels, Adam, u8 pixels.
import * as weft from '../../src/index.js';
import { resolveLoss } from '../../src/api/compileConfig.js';
import { lowerModel } from '../../src/api/lowerModel.js';
import type { LayersModel } from '../../src/api/model.js';
import type { SymbolicTensor } from '../../src/api/symbolic.js';
import { compileGraph } from '../../src/ir/compile.js';
import type { Plan, PlanMode, PlanOptions } from '../../src/ir/plan.js';

export interface ArticlePlanOptions extends Pick<PlanOptions, 'gatheredProducts' | 'fuseUpdates' | 'weightGradientsLast'> {
  mode?: PlanMode;
  batch?: number;
}

/** The plan of the model from `inputs` to `outputs` (one output 'o' of 10 classes unless predicting). */
export function articlePlan(inputs: SymbolicTensor[], outputs: SymbolicTensor[], { mode = 'train', batch = 32, ...options }: ArticlePlanOptions): Plan {
  const model = weft.model({ inputs, outputs }) as LayersModel;
  const loss = resolveLoss('sparseCategoricalCrossentropy', 'o');
  const specs = mode === 'predict' ? [] : [{ name: 'o', units: 10, loss, weight: 1, metrics: [] }];
  const forward = lowerModel({ inputs: model.inputs, outputs: model.outputs, topology: model.topology, weights: model.weights }, batch, mode, specs);
  return compileGraph(forward, {
    mode,
    optimizer: { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    inputStorage: inputs.map(() => ({ elementType: 'u8', scale: 1 / 255 }) as const),
    ...options,
  }).plan;
}

/** The article MLP (784 → 30 → 30 → 10), or wide & deep (the output layer over [input, hidden]): input and output. */
export function articleModel(wide = false): [SymbolicTensor, SymbolicTensor] {
  const input = weft.input({ shape: [784] });
  const h1 = weft.layers.dense({ units: 30, activation: 'relu' }).apply(input);
  const h2 = weft.layers.dense({ units: 30, activation: 'relu' }).apply(h1);
  const top = wide ? weft.layers.concatenate().apply([input, h2]) : h2;
  return [input, weft.layers.dense({ units: 10, activation: 'softmax' }).apply(top)];
}
