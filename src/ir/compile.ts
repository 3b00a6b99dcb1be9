// The compiler pipeline: lowered forward graph → (autodiff) → fusion passes → memory plan.
// Every stage's dump is kept so that a user can see what was made of the model (model.explain()),
// and every stage's graph is verified (verify.ts), so a pass that breaks an invariant is named.

import { autodiff } from './autodiff.js';
import { rebuild } from './builder.js';
import { dumpGraph } from './dump.js';
import type { IrGraph } from './graph.js';
import { fuseBiasGradient } from './passes/fuseBiasGradient.js';
import { fuseConvEpilogue } from './passes/fuseConvEpilogue.js';
import { fusePoolGradMask } from './passes/fusePoolGradMask.js';
import { fuseDenseEpilogue } from './passes/fuseDenseEpilogue.js';
import { fuseGradientAccumulation } from './passes/fuseGradientAccumulation.js';
import { fuseLossHead } from './passes/fuseLossHead.js';
import { fuseSigmoidCrossEntropy } from './passes/fuseSigmoidCrossEntropy.js';
import { fuseSoftmaxCrossEntropy } from './passes/fuseSoftmaxCrossEntropy.js';
import { sliceThroughMatmul } from './passes/sliceThroughMatmul.js';
import { dumpPlan, planGraph, type Plan, type PlanOptions } from './plan.js';
import { verifyGraph } from './verify.js';

export interface CompiledGraph {
  plan: Plan;
  /** The graph before any pass (with gradients for training). */
  unfused: IrGraph;
  /** The graph after all passes. */
  fused: IrGraph;
  /** Text dumps: each stage in order. */
  stages: { name: string; dump: string }[];
}

/** Runs the passes that come before autodiff (algebraic rewrites of the forward graph). */
export function prepareForward(graph: IrGraph): IrGraph {
  const softmax = verifyGraph(fuseSoftmaxCrossEntropy(verifyGraph(graph, 'lowering')), 'fuseSoftmaxCrossEntropy');
  return verifyGraph(fuseSigmoidCrossEntropy(softmax), 'fuseSigmoidCrossEntropy');
}

/** Forward (and, for training, backward) graph with no kernel fusion: what the interpreter checks against. */
export function unfusedGraph(forward: IrGraph, mode: PlanOptions['mode']): IrGraph {
  const prepared = prepareForward(forward);
  return mode === 'train' ? verifyGraph(autodiff(prepared), 'autodiff') : rebuild(prepared);
}

export function fuseGraph(graph: IrGraph, record?: (name: string, g: IrGraph) => void): IrGraph {
  const passes: [string, (g: IrGraph) => IrGraph][] = [
    ['sliceThroughMatmul', sliceThroughMatmul],
    ['fuseBiasGradient', fuseBiasGradient],
    ['fuseGradientAccumulation', fuseGradientAccumulation],
    ['fuseDenseEpilogue', fuseDenseEpilogue],
    ['fuseConvEpilogue', fuseConvEpilogue],
    ['fusePoolGradMask', fusePoolGradMask],
    ['fuseLossHead', fuseLossHead],
  ];
  let g = graph;
  for (const [name, pass] of passes) {
    g = verifyGraph(pass(g), name);
    record?.(name, g);
  }
  return g;
}

export function compileGraph(forward: IrGraph, options: PlanOptions): CompiledGraph {
  const stages: { name: string; dump: string }[] = [{ name: 'lowered', dump: dumpGraph(forward, 'lowered') }];
  const unfused = unfusedGraph(forward, options.mode);
  stages.push({ name: options.mode === 'train' ? 'autodiff' : 'prepared', dump: dumpGraph(unfused, options.mode === 'train' ? 'after autodiff' : 'prepared') });
  const fused = fuseGraph(unfused, (name, g) => stages.push({ name, dump: dumpGraph(g, `after ${name}`) }));
  const plan = planGraph(fused, options);
  stages.push({ name: 'plan', dump: dumpPlan(plan) });
  return { plan, unfused, fused, stages };
}
