// The predict pass of a model as plain data for a standalone module: the kernels' WGSL (comments
// stripped, identical modules shared), each dispatch's bindings, and the buffers they use, sized per
// batch or per row. Built with weft's own compiler (lowerModel → compileGraph 'predict' → WGSL →
// kernel groups), so the module runs exactly the kernels model.predict runs. Pure: no GPU.

import { compileGraph } from '../../ir/compile.js';
import type { BufferDecl } from '../../ir/kernel.js';
import { planDispatches } from '../../ir/plan/dispatchGroups.js';
import { dispatchTraits, generateChain, generateKernel, type GeneratedKernel } from '../../wgsl/index.js';
import { WeftError } from '../errors.js';
import { lowerModel, type LowerableModel } from '../lowerModel.js';

/** What a buffer of the predict plan holds, which says how the module sizes and fills it. */
export type ProgramBufferKind =
  /** working memory (arena, the gathered batch): sized once */
  | { kind: 'scratch' }
  /** the flat parameters: the weights file */
  | { kind: 'params' }
  /** one u32 row index per row (identity): the gather reads rows through it */
  | { kind: 'indices' }
  /** model input `index`, rows × cols f32 */
  | { kind: 'input'; index: number }
  /** model output `index`, rows × cols f32, read back */
  | { kind: 'output'; index: number };

export interface ProgramBuffer {
  name: string;
  /** f32/u32 elements that do not depend on the row count. */
  elements: number;
  /** Elements per row of data (inputs, outputs, indices); 0 for fixed buffers. */
  perRow: number;
  holds: ProgramBufferKind;
}

export interface ProgramDispatch {
  /** Index into `shaders`. */
  shader: number;
  /** [binding, buffer index, writable] */
  bindings: [number, number, boolean][];
  /** Reads the Step uniform (group 1, dynamic offset of one 256-byte record per batch). */
  usesStep: boolean;
  workgroups: [number, number, number];
}

export interface PredictProgram {
  /** Rows per batch: the WGSL bakes it in; the last batch of a call is padded. */
  batchSize: number;
  inputs: { name: string; cols: number }[];
  outputs: { name: string; cols: number }[];
  paramCount: number;
  buffers: ProgramBuffer[];
  shaders: string[];
  dispatches: ProgramDispatch[];
}

export interface PredictProgramOptions {
  batchSize: number;
  /** Matmul code: 'workgroupTiled' for real GPUs, 'registerTiled' for CPU adapters (SwiftShader). */
  matmul: 'registerTiled' | 'workgroupTiled';
  /** Kernels sharing a dispatch may bind at most this many storage buffers (WebGPU's default is 8). */
  maxStorageBuffers: number;
}

export function predictProgram(model: LowerableModel, options: PredictProgramOptions): PredictProgram {
  const { batchSize } = options;
  const graph = lowerModel(model, batchSize, 'predict');
  const plan = compileGraph(graph, { mode: 'predict', inputStorage: model.inputs.map(() => ({ elementType: 'f32', scale: 1 })) }).plan;
  const declarations = Object.fromEntries(plan.buffers.map((b) => [b.name, b]));
  const generated = plan.kernels.map((k) => generateKernel(k, declarations, { variant: options.matmul }));
  // The same dispatches as the runtime makes (src/runtime/planKernels.ts): small kernels chained for GPUs (the workgroupTiled target).
  const chain = options.matmul === 'workgroupTiled';
  const kernels: GeneratedKernel[] = planDispatches(plan.kernels, generated.map(dispatchTraits), options.maxStorageBuffers, chain).map((stages) =>
    generateChain(stages.map((group) => group.map((i) => generated[i]!))),
  );

  const buffers = plan.buffers.map((b) => programBuffer(b, plan.paramCount, model));
  const bufferIndex = new Map(buffers.map((b, i) => [b.name, i]));
  const shaders: string[] = [];
  const dispatches = kernels.map((k): ProgramDispatch => {
    const code = minifyWgsl(k.wgsl);
    let shader = shaders.indexOf(code);
    if (shader < 0) shader = shaders.push(code) - 1;
    return {
      shader,
      bindings: k.bindings.map((b) => {
        const index = bufferIndex.get(b.buffer);
        if (index === undefined) throw new WeftError(`exportModule: internal: kernel "${k.name}" binds '${b.buffer}', which the predict plan does not declare`);
        return [b.binding, index, b.access === 'read_write'];
      }),
      usesStep: k.usesStep,
      workgroups: k.workgroups,
    };
  });
  return {
    batchSize,
    inputs: model.inputs.map((t) => ({ name: t.name, cols: t.featureSize })),
    outputs: model.outputs.map((t, i) => ({ name: outputName(model, i), cols: t.featureSize })),
    paramCount: plan.paramCount,
    buffers,
    shaders,
    dispatches,
  };
}

function outputName(model: LowerableModel, index: number): string {
  return (model as { outputNames?: string[] }).outputNames?.[index] ?? `output${index}`;
}

function programBuffer(b: BufferDecl, paramCount: number, model: LowerableModel): ProgramBuffer {
  const fixed = (holds: ProgramBufferKind, elements: number): ProgramBuffer => ({ name: b.name, elements, perRow: 0, holds });
  const perRow = (holds: ProgramBufferKind, cols: number): ProgramBuffer => ({ name: b.name, elements: 0, perRow: cols, holds });
  const numbered = (prefix: string): number => {
    const index = Number(b.name.slice(prefix.length));
    if (!b.name.startsWith(prefix) || !Number.isInteger(index))
      throw new WeftError(`exportModule: internal: buffer '${b.name}' (${b.role}) is not named ${prefix}<n>`);
    return index;
  };
  switch (b.role) {
    case 'arena':
      return fixed({ kind: 'scratch' }, b.size);
    case 'params':
      return fixed({ kind: 'params' }, Math.max(1, paramCount));
    case 'indices':
      return perRow({ kind: 'indices' }, 1);
    case 'dataset': {
      const index = numbered('input');
      return perRow({ kind: 'input', index }, model.inputs[index]!.featureSize);
    }
    case 'output': {
      const index = numbered('output');
      return perRow({ kind: 'output', index }, model.outputs[index]!.featureSize);
    }
    case 'weightsHalf':
      throw new WeftError(`exportModule: internal: the predict plan declares an f16 weight copy ('${b.name}'); exported modules are float32`);
    case 'grads':
    case 'optimizerState':
    case 'metrics':
    case 'labels':
      throw new WeftError(`exportModule: internal: the predict plan declares a ${b.role} buffer ('${b.name}'), which only training and evaluation use`);
    default:
      return b.role satisfies never;
  }
}

/** WGSL without comments, indentation and blank lines (WGSL has no strings, so `//` is always a comment). */
export function minifyWgsl(wgsl: string): string {
  return wgsl
    .replace(/\/\/[^\n]*/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .join('\n');
}
