// compile({ precision }): Keras's dtype policy names. 'mixed_float16' stores activations as f16 in the
// kernels (f32 master weights, f32 accumulation, f32 optimizer state; src/ir/precision.ts). It needs
// the adapter's 'shader-f16' feature, known only once the device exists, so the choice is made per
// plan: on an adapter without it the model trains in float32 and says so once per compile(), as Keras
// runs a mixed policy on hardware without fast f16 (with a warning) rather than refusing it.
import { PRECISIONS, type Precision } from '../ir/precision.js';
import type { DeviceFeatures } from '../runtime/session.js';
import { fail } from './errors.js';

/** The compile option checked: undefined → 'float32'. */
export function resolvePrecision(value: unknown): Precision {
  if (value === undefined) return 'float32';
  if (typeof value === 'string' && (PRECISIONS as readonly string[]).includes(value)) return value as Precision;
  if (value === 'mixed_bfloat16' || value === 'bfloat16')
    fail(`compile: precision '${value}' is not supported: WebGPU shaders have no bfloat16 type; use 'mixed_float16' or 'float32'`);
  if (value === 'float16')
    fail("compile: precision 'float16' (f16 weights and optimizer state) is not supported; use 'mixed_float16' (f16 activations, f32 weights) or 'float32'");
  return fail(`compile: precision must be one of ${PRECISIONS.map((p) => `'${p}'`).join(', ')}, got ${JSON.stringify(value)}`);
}

export const NO_SHADER_F16_WARNING =
  "[weft] compile: precision 'mixed_float16' needs the WebGPU adapter's 'shader-f16' feature, which this adapter lacks; this model trains and predicts in float32 instead";

/**
 * The precision a plan is compiled with: the requested one, or float32 where the device cannot
 * store f16 (calling `warn` then, at most once per returned chooser: once per compile()).
 */
export function precisionChooser(requested: Precision, warn: (message: string) => void = console.warn): (device: DeviceFeatures) => Precision {
  let warned = false;
  return (device) => {
    if (requested === 'mixed_float16' && !device.shaderF16) {
      if (!warned) warn(NO_SHADER_F16_WARNING);
      warned = true;
      return 'float32';
    }
    return requested;
  };
}
