// weft.exportModule(model): the model's predict pass as a standalone ES module with no weft inside —
// its WGSL, its plan and a minimal WebGPU runtime (src/runtime/exportedModuleRuntime.ts) — and its weights:
//
//   const { code, weights } = await weft.exportModule(model);
//   // elsewhere, without weft:
//   const { load } = await import(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })));
//   const m = await load(weights);                       // or load('model.weights.bin'), load(w, { device })
//   const probs = await m.predict(pixels, rows);         // Float32Array (one per output when several)
//   m.dispose();
//
// weights is the flat float32 parameter array in the model's weight order (getWeights()), little-endian.

import { WeftError } from '../errors.js';
import type { LayersModel } from '../model.js';
import { WEFT_VERSION } from '../io/modelJson.js';
import { emitModule } from './emitModule.js';
import { predictProgram, type PredictProgram } from './predictProgram.js';

export interface ExportModuleOptions {
  /** Rows per dispatch batch (baked into the WGSL; calls pad their last batch). Default 64. */
  batchSize?: number;
  /**
   * Matmul code: 'auto' (default: both, the module picks workgroup tiles on real GPUs and register
   * tiles on CPU adapters such as SwiftShader, as weft does), or only 'workgroupTiled' / 'registerTiled'.
   */
  matmul?: 'auto' | 'registerTiled' | 'workgroupTiled';
}

export interface ExportedModule {
  /** The module's source: exports load(weights, options?) → { predict(inputs, rows), dispose() }. */
  code: string;
  /** The parameters, float32 little-endian, in the model's weight order. */
  weights: ArrayBuffer;
}

export async function exportModule(model: LayersModel, options: ExportModuleOptions = {}): Promise<ExportedModule> {
  if (
    !model ||
    typeof model !== 'object' ||
    !Array.isArray((model as { inputs?: unknown }).inputs) ||
    typeof (model as { getWeights?: unknown }).getWeights !== 'function'
  )
    throw new WeftError('exportModule: expected a model made by weft.model, weft.sequential or weft.loadLayersModel');
  if (!options || typeof options !== 'object') throw new WeftError('exportModule: options must be an object such as { batchSize: 64 }');
  const batchSize = options.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 65536)
    throw new WeftError(`exportModule: batchSize must be a whole number from 1 to 65536, got ${String(batchSize)}`);
  const matmul = options.matmul ?? 'auto';
  if (matmul !== 'auto' && matmul !== 'workgroupTiled' && matmul !== 'registerTiled')
    throw new WeftError(`exportModule: matmul must be 'auto', 'workgroupTiled' or 'registerTiled', got ${String(matmul)}`);
  const tensors = await model.getWeights(); // the trained values (read back from the GPU when needed)
  let variants: { gpu: PredictProgram; cpu: PredictProgram };
  try {
    const make = (variant: 'registerTiled' | 'workgroupTiled') => predictProgram(model, { batchSize, matmul: variant, maxStorageBuffers: 8 });
    const gpu = make(matmul === 'registerTiled' ? 'registerTiled' : 'workgroupTiled');
    variants = { gpu, cpu: matmul === 'auto' ? make('registerTiled') : gpu };
  } catch (e) {
    if (e instanceof WeftError) throw e;
    throw new WeftError(`exportModule: compiling the predict pass failed: ${(e as Error)?.message ?? e}`, { cause: e });
  }
  const program = variants.gpu;
  const flat = new Float32Array(program.paramCount);
  let offset = 0;
  for (const t of tensors) {
    const values = t.dataSync() as Float32Array;
    flat.set(values, offset);
    offset += values.length;
  }
  if (offset !== program.paramCount) throw new WeftError(`exportModule: internal: the model has ${offset} weights but its predict plan ${program.paramCount}`);
  const header = `weft ${WEFT_VERSION} predict module for '${model.name}': inputs ${program.inputs.map((i) => `${i.name}[${i.cols}]`).join(', ')} → outputs ${program.outputs.map((o) => `${o.name}[${o.cols}]`).join(', ')}; ${program.paramCount} parameters`;
  return { code: emitModule(variants, header.replace(/[\r\n\u2028\u2029]/g, ' ')), weights: flat.buffer };
}
