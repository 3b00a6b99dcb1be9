import { defineConfig } from 'vitest/config';

// Three projects: `unit` (node, parallel), `gpu` (headless Chromium + WebGPU, one file at a time in one
// process, one shared browser started by test/gpu/setup/globalSetup.ts) and `gpu-node` (GPU test files
// that need no browser, in Node on Dawn). Run one: `npx vitest run --project unit`. `npm test` runs `gpu`
// and `unit` + `gpu-node` as two Vitest processes at the same time (scripts/test.mjs): Vitest itself would
// run projects whose files go one at a time one after the other.
const GPU_NODE_FILES = [
  'kernels',
  'conv-kernels',
  'fused-vs-interpreter',
  'tfjs-oracle',
  'steady-state',
  'mlp-train',
  'layers',
  'runtime',
  'reliability',
  'reliability-inputs',
  'reliability-io',
  'reliability-fuzz',
  'mixed-precision',
  'row-parts',
  'chains',
  'padded-batches',
];

// Node-only GPU files: their code paths run in Chromium too (chains and row parts in every small model's
// training there: steady-state, mlp-train, the demo), and what they compare does not depend on the browser;
// Node runs beside the longer Chromium project (scripts/test.mjs), so the suite ends sooner.
const NODE_ONLY_FILES = ['row-parts', 'chains', 'padded-batches'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // npm test runs this project beside the two GPU ones on 2 cores: a test that takes 1 s alone can take
          // 5 (vitest's default limit; plan-reference's 100-graph summary did, 2 Dec 2026).
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'gpu',
          include: ['test/gpu/**/*.test.ts'],
          exclude: ['**/node_modules/**', ...NODE_ONLY_FILES.map((f) => `test/gpu/${f}.test.ts`)],
          environment: 'node',
          globalSetup: ['test/gpu/setup/globalSetup.ts'],
          setupFiles: ['test/gpu/setup/perFile.ts'],
          pool: 'forks',
          // weft runs in the browser's pages, not in this process: the test files can share one process
          // and its imports (puppeteer, the harness), ~1 s less per file.
          isolate: false,
          fileParallelism: false,
          maxWorkers: 1,
          testTimeout: 600_000,
          hookTimeout: 300_000,
        },
      },
      {
        // The GPU tests that need no browser, again in Node on Dawn (test/gpu/nodePage.ts). Left out:
        // demo (drives demo/run.mjs's Chromium page and checks the report's layout), bench-smoke (the
        // bench page with TF.js's WebGPU and WASM backends), webgpu-smoke (checks Chromium's
        // navigator.gpu and adapter flags), datasets and io (fetch the page's URLs and browser
        // downloads; Node's file:// IO and loader have their own checks in test/unit/node-*.test.ts).
        // kernels, conv-kernels, tfjs-oracle and fused-vs-interpreter split their cases with the `gpu` project
        // (test/gpu/runtimeShare.ts): each case runs once, Chromium one in twelve, each runtime some of
        // every family; WEFT_ALL_CASES=1 runs every case in the project that runs.
        test: {
          name: 'gpu-node',
          include: GPU_NODE_FILES.map((f) => `test/gpu/${f}.test.ts`),
          environment: 'node',
          globalSetup: ['test/gpu/setup/nodeSetup.ts'],
          setupFiles: ['test/gpu/setup/perFile.ts'],
          pool: 'forks',
          fileParallelism: false,
          maxWorkers: 1,
          testTimeout: 600_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
