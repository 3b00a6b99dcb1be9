// weft.memory(): what weft holds now. numTensors/numDataBuffers count host tensors as TensorFlow.js's
// tf.memory() does; numBuffers/numBytes are the GPU buffers weft made and has not destroyed yet.

import { memory as gpuMemory } from '../runtime/counters.js';
import { hostMemory } from './ops/tracking.js';

export interface MemoryInfo {
  numTensors: number;
  numDataBuffers: number;
  /** Bytes of the live host tensors. */
  numTensorBytes: number;
  /** Live GPU buffers and their bytes. */
  numBuffers: number;
  numBytes: number;
}

export function memory(): MemoryInfo {
  return { ...hostMemory(), ...gpuMemory() };
}
