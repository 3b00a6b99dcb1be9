// The compiler stage: IR, autodiff, passes, interpreter, memory plan (pure TypeScript, no GPU).
export * from './graph.js';
export * from './kernel.js';
export { GraphBuilder, rebuild, inferShape } from './builder.js';
export { dumpGraph } from './dump.js';
export { interpret, tensor64, type Tensor64, type InterpretInputs } from './interpret.js';
export { autodiff } from './autodiff.js';
export { compileGraph, fuseGraph, unfusedGraph } from './compile.js';
export { planGraph, dumpPlan, type Plan, type PlanOptions, type PlanMode } from './plan.js';
