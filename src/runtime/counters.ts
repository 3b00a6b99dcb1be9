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
