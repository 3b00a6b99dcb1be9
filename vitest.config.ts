import { defineConfig } from 'vitest/config';

// Two projects: `unit` (node, parallel) and `gpu` (headless Chromium + WebGPU, one file at a time,
// one shared browser started by test/gpu/setup/globalSetup.ts). Run one: `npx vitest run --project unit`.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'gpu',
          include: ['test/gpu/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/gpu/setup/globalSetup.ts'],
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
