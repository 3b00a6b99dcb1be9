// A PredictProgram → the text of a self-contained ES module (no imports): the program as constants,
// then the runtime (src/runtime/exportedModuleRuntime.ts). Pure: a string in, a string out.

import { WeftError } from '../errors.js';
import { MODULE_RUNTIME } from '../../runtime/exportedModuleRuntime.js';
import type { PredictProgram, ProgramBufferKind } from './predictProgram.js';

/** The kind codes the runtime reads in B (see src/runtime/exportedModuleRuntime.ts). */
function kindCode(holds: ProgramBufferKind): [number, number] {
  switch (holds.kind) {
    case 'scratch':
      return [0, 0];
    case 'params':
      return [1, 0];
    case 'indices':
      return [2, 0];
    case 'input':
      return [3, holds.index];
    case 'output':
      return [4, holds.index];
    default:
      return holds satisfies never;
  }
}

/**
 * `gpu` runs on real GPUs, `cpu` on CPU adapters (SwiftShader, llvmpipe): the same plan with another
 * matmul code (pass the same program twice for one variant). The runtime picks by the adapter's info.
 */
export function emitModule(variants: { gpu: PredictProgram; cpu: PredictProgram }, header: string): string {
  const { gpu, cpu } = variants;
  const json = (v: unknown) => JSON.stringify(v);
  const buffers = (p: PredictProgram) => json(p.buffers.map((b) => [b.elements, b.perRow, ...kindCode(b.holds)]));
  if (buffers(gpu) !== buffers(cpu) || gpu.batchSize !== cpu.batchSize)
    throw new WeftError('exportModule: internal: the two matmul variants plan different buffers');
  const shaders: string[] = [];
  const dispatches = (p: PredictProgram) =>
    json(
      p.dispatches.map((d) => {
        const code = p.shaders[d.shader]!;
        let shader = shaders.indexOf(code);
        if (shader < 0) shader = shaders.push(code) - 1;
        return [shader, d.bindings.map(([binding, buffer, rw]) => [binding, buffer, rw ? 1 : 0]), d.usesStep ? 1 : 0, ...d.workgroups];
      }),
    );
  const forGpu = dispatches(gpu);
  const forCpu = dispatches(cpu);
  return [
    `// ${header}`,
    `const DG = ${forGpu};`,
    forCpu === forGpu ? 'const DC = DG;' : `const DC = ${forCpu};`,
    `const S = ${json(shaders)};`,
    `const B = ${buffers(gpu)};`,
    `const N = ${gpu.batchSize}, P = ${gpu.paramCount};`,
    `const I = ${json(gpu.inputs.map((i) => [i.name, i.cols]))};`,
    `const O = ${json(gpu.outputs.map((o) => [o.name, o.cols]))};`,
    MODULE_RUNTIME.trim(),
    '',
  ].join('\n');
}
