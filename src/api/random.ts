// Seeded pseudo-random numbers, so that the same `seed` gives bit-identical weights and shuffles.

let globalSeedCounter = 0x9e3779b9;

/** A fresh seed when the user gave none (still deterministic within one process run order). */
export function nextSeed(): number {
  globalSeedCounter = (Math.imul(globalSeedCounter ^ (globalSeedCounter >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
  return globalSeedCounter ^ (Date.now() >>> 0);
}

/** mulberry32: small, fast, good enough for initialisers and shuffling. Returns floats in [0, 1). */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle of 0..n-1. */
export function shuffledIndices(n: number, random: () => number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}

/** Standard normal sample (Box–Muller). */
export function normal(random: () => number): number {
  let u = 0;
  while (u === 0) u = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
