// Test files that both GPU projects run (kernels, conv-kernels, tfjs-oracle, fused-vs-interpreter:
// issue 13 wants them to pass in Chromium and in Node on Dawn) split their case lists between the two
// runtimes instead of running every case twice: each case runs in exactly one of them per `npm test`, and each runtime runs some
// of every family. Chromium gets one case in twelve, Node the rest: a kernel case costs Chromium
// ~0.41 s and Node ~0.17 s on SwiftShader (fresh-clone `npm test`, 1 Dec 2026: 597 cases in 244 s
// against 199 in 34 s; before Dawn's busy polling was put on a 1 ms timer, src/node, it was the other
// way round, and Node had the one in four), and `npm test` runs the two projects side by side
// (scripts/test.mjs), where the Chromium one is the longer (2 Dec 2026: 955 s against 540 s with one in eight;
// fresh clones 1,090–1,126 s against 589–637 s after that, so one in twelve). The split is a fixed function of the case's label (a
// hash, then every CHROMIUM_EVERY-th case in hash order goes to Chromium), so a case always lands in the same
// runtime and a failure reproduces.
//
// WEFT_ALL_CASES=1 runs every case in whichever project runs (e.g. to check one runtime fully:
// `WEFT_ALL_CASES=1 npx vitest run --project gpu-node test/gpu/kernels.test.ts`).
import { inject } from 'vitest';

export type GpuRuntime = 'chromium' | 'node';

/** The runtime of this test file: 'node' in the `gpu-node` project, 'chromium' in `gpu`. */
export function gpuRuntime(): GpuRuntime {
  return inject('weftNodePages') ? 'node' : 'chromium';
}

function hashOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Chromium runs the items whose rank in hash order is 1 modulo this (1, 13, 25, …): both shares are non-empty from two items on. */
const CHROMIUM_EVERY = 12;

/**
 * The items `runtime` runs: sorted by the hash of their labels, every CHROMIUM_EVERY-th item (from
 * the second) goes to Chromium, the rest to Node. A list of one item runs in both. Labels must be unique.
 */
export function shareFor<T>(items: readonly T[], label: (item: T) => string, runtime: GpuRuntime): T[] {
  if (items.length <= 1) return [...items];
  const labels = items.map(label);
  if (new Set(labels).size !== labels.length) {
    const dup = labels.find((l, i) => labels.indexOf(l) !== i);
    throw new Error(`shareFor: two cases are labelled "${dup}"; labels pick the runtime, so they must be unique`);
  }
  const order = items.map((_, i) => i).sort((a, b) => hashOf(labels[a]!) - hashOf(labels[b]!) || (labels[a]! < labels[b]! ? -1 : 1));
  const mine = new Set(order.filter((_, rank) => (rank % CHROMIUM_EVERY === 1) === (runtime === 'chromium')));
  return items.filter((_, i) => mine.has(i));
}

/** This runtime's share of `items` (all of them with WEFT_ALL_CASES=1). */
export function thisRuntimesShare<T>(items: readonly T[], label: (item: T) => string): T[] {
  if (process.env.WEFT_ALL_CASES === '1') return [...items];
  return shareFor(items, label, gpuRuntime());
}
