// How a model compiles itself for the runtime: lower the layer graph for a mode and batch size,
// then run the IR compiler. The runtime calls it when it first needs a plan.

import { compileGraph, type CompiledGraph } from '../ir/compile.js';
import type { PlanMode } from '../ir/plan.js';
import type { DeviceFeatures, InputStorage, PlanSource } from '../runtime/session.js';
import type { CompiledState } from './compileArgs.js';
import { WeftError } from './errors.js';
import { lowerModel, type LowerableModel } from './lowerModel.js';
import { precisionChooser } from './precision.js';

/** The plan source for a model as compiled now (`state` null before compile(): predict only). */
export function planSource(model: LowerableModel, state: CompiledState | null): PlanSource {
  const precisionFor = precisionChooser(state?.precision ?? 'float32');
  const compile = (
    mode: PlanMode,
    batchSize: number,
    storage: InputStorage,
    device: DeviceFeatures,
    weightedOutputs: readonly number[] = [],
  ): CompiledGraph => {
    try {
      const graph = lowerModel(model, batchSize, mode, mode === 'predict' ? [] : (state?.outputs ?? []), weightedOutputs);
      const optimizer = mode === 'train' && state ? { optimizer: state.optimizer.algorithm } : {};
      return compileGraph(graph, {
        mode,
        inputStorage: [...storage],
        precision: precisionFor(device),
        fuseUpdates: device.fusedUpdates,
        gatheredProducts: device.gatheredProducts,
        weightGradientsLast: mode === 'train' && !!device.rowParts,
        ...optimizer,
      });
    } catch (e) {
      if (e instanceof WeftError) throw e;
      // The compiler's own errors (unsupported loss, shape, gradient) reach the user as WeftErrors.
      throw new WeftError(`compiling the model for ${mode} (batch size ${batchSize}) failed: ${(e as Error)?.message ?? e}`, { cause: e });
    }
  };
  return state ? { compile, optimizer: { algorithm: state.optimizer.algorithm, initialStateValue: state.optimizer.initialStateValue } } : { compile };
}
