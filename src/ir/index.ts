// The compiler stage: IR, autodiff, passes, interpreter, memory plan (pure TypeScript, no GPU).
export * from './graph.js';
export * from './kernel.js';
export * from './shape.js';
export { GraphBuilder, rebuild } from './builder.js';
export { OPS, inferShape } from './ops/table.js';
export { dumpGraph } from './dump.js';
export { verifyGraph, IrVerifyError } from './verify.js';
export { interpret, tensor64, type Tensor64, type InterpretInputs } from './interpret.js';
export { autodiff } from './autodiff.js';
export { compileGraph, fuseGraph, unfusedGraph } from './compile.js';
export { planGraph, dumpPlan, type Plan, type PlanOptions, type PlanMode } from './plan.js';
export { groupDispatches } from './plan/dispatchGroups.js';
