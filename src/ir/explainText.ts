// model.explain(): what a compiled model is made of — every stage's dump, each dispatch with the
// ops fused into it and its WGSL, dispatches per step, planned bytes — and its text form.

import type { KernelDesc } from './kernel.js';

/** One compiled plan as the runtime made it (plain data: dumps, dispatches and their kernels). */
export interface PlanDescription {
  stages: { name: string; dump: string }[];
  planDump: string;
  /** One entry per dispatch; a group of independent kernels lists each part. */
  dispatches: { name: string; wgsl: string; workgroups: [number, number, number]; parts: KernelDesc[] }[];
  plannedBytes: number;
}

export interface ExplainResult {
  /** IR dumps: lowered, after autodiff, after each pass, and the plan. */
  stages: { name: string; dump: string }[];
  kernels: { name: string; kind: string; fusedOps: string; wgsl: string; workgroups: [number, number, number] }[];
  dispatchesPerTrainStep: number;
  dispatchesPerPredictBatch: number;
  plannedBytes: { train: number; predict: number };
  toString(): string;
}

/** The training plan's stages and kernels, and the predict plan (batch size alike). */
export function explainPlans(train: PlanDescription, predict: PlanDescription): ExplainResult {
  return {
    stages: [...train.stages, { name: 'predict plan', dump: predict.planDump }],
    kernels: train.dispatches.map((d) => ({
      name: d.name,
      kind: d.parts.length > 1 ? `group(${d.parts.map((p) => p.kind).join(', ')})` : d.parts[0]!.kind,
      fusedOps: d.parts.map(describeFused).join(' | '),
      wgsl: d.wgsl,
      workgroups: d.workgroups,
    })),
    dispatchesPerTrainStep: train.dispatches.length,
    dispatchesPerPredictBatch: predict.dispatches.length,
    plannedBytes: { train: train.plannedBytes, predict: predict.plannedBytes },
    toString() {
      return [
        ...this.stages.map((s) => s.dump),
        `dispatches per training step: ${this.dispatchesPerTrainStep}; per predict batch: ${this.dispatchesPerPredictBatch}`,
        ...this.kernels.map((k) => `// ── ${k.name} [${k.fusedOps}] ──\n${k.wgsl}`),
      ].join('\n\n');
    },
  };
}

/** The ops a kernel fuses, in words ("matmul + biasAdd + relu"). */
export function describeFused(kernel: KernelDesc): string {
  switch (kernel.kind) {
    case 'matmul': {
      const parts = ['matmul'];
      if (kernel.aOnesRow) parts.push('bias gradient (ones row)');
      if (kernel.bias) parts.push('biasAdd');
      if (kernel.activation) parts.push(kernel.activation);
      if (kernel.gradMask) parts.push(`${kernel.gradMask.activation} gradient`);
      return parts.join(' + ');
    }
    case 'conv2d': {
      const parts = [kernel.pass === 'forward' ? 'conv2d' : `conv2d ${kernel.pass === 'inputGrad' ? 'input' : 'filter'} gradient`];
      if (kernel.aOnesRow) parts.push('bias gradient (ones row)');
      if (kernel.bias) parts.push('biasAdd');
      if (kernel.activation) parts.push(kernel.activation);
      if (kernel.gradMask) parts.push(`${kernel.gradMask.activation} gradient`);
      return parts.join(' + ');
    }
    case 'pool2d':
      return `${kernel.mode}Pool2d${kernel.dy ? ' gradient' : ''}`;
    case 'lossHead':
      return [kernel.loss, ...(kernel.gradOut ? ['its gradient'] : []), ...kernel.metrics.map((m) => m.kind)].join(' + ');
    case 'gather':
      return `gather ${kernel.sources.length} array(s)`;
    case 'optimizer':
      return `${kernel.algorithm.kind} update of ${kernel.count} parameters`;
    case 'elementwise':
    case 'softmaxRows':
    case 'columnSum':
      return kernel.kind;
    default:
      return kernel satisfies never;
  }
}
