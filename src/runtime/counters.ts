// Global counters of GPU API calls, so tests and benchmarks can assert how much work a step does
// (e.g. "one submit per fit chunk", "no buffer creations after compile").
export interface Counters {
  dispatches: number;
  submits: number;
  bufferCreations: number;
  bindGroupCreations: number;
  pipelineCreations: number;
  writes: number;
  readbacks: number;
}

export const counters: Counters = {
  dispatches: 0,
  submits: 0,
  bufferCreations: 0,
  bindGroupCreations: 0,
  pipelineCreations: 0,
  writes: 0,
  readbacks: 0,
};

export function resetCounters(): void {
  for (const key of Object.keys(counters) as (keyof Counters)[]) counters[key] = 0;
}

export function snapshotCounters(): Counters {
  return { ...counters };
}

/** GPU buffers made by createBuffer (resources.ts) and not destroyed yet, and their bytes. */
export interface LiveResources {
  numBuffers: number;
  numBytes: number;
}

export const live: LiveResources = { numBuffers: 0, numBytes: 0 };

/** What weft holds on the GPU now, as TensorFlow.js's tf.memory(): buffers created − destroyed. */
export function memory(): LiveResources {
  return { ...live };
}
