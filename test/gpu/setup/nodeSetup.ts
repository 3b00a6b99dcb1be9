// Global setup of the `gpu-node` test project: the GPU tests without a browser, in Node on Dawn.
//   1. rebuilds dist/ if needed (as the `gpu` project),
//   2. serves the repository on 127.0.0.1 as the `gpu` project does (tests fetch /repo/… and /data/…),
//   3. checks that dist/weft.node.js gets a WebGPU adapter here and prints one line about it
//      (no adapter = the setup throws and every test of the project fails),
//   4. tells test/gpu/harness.ts to open NodePages (./../nodePage.ts) instead of browser pages.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TestProject } from 'vitest/node';
import { startServer } from '../../../scripts/browser.mjs';
import { ensureBuilt } from './globalSetup.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** True in the gpu-node project: openPage() gives a NodePage running in the test process. */
    weftNodePages: boolean;
  }
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export default async function setup(project: TestProject) {
  ensureBuilt();
  const t0 = performance.now();
  const server = await startServer({ repoRoot: root, indexHtml: join(root, 'test/gpu/setup/page.html') });
  try {
    // Prints "[weft] WebGPU adapter: …" itself (src/node/dawn.ts), once per process.
    const weft = await import(pathToFileURL(join(root, 'dist/weft.node.js')).href);
    const gpu = await weft.getGpu();
    console.log(
      `[weft] gpu-node: Node ${process.version}, ${gpu.cpuAdapter ? 'software' : 'hardware'} adapter, ready in ${Math.round(performance.now() - t0)} ms | ${server.baseUrl}`,
    );
    weft.resetGpu();
  } catch (e) {
    await server.close();
    throw e;
  }
  project.provide('weftNodePages', true);
  project.provide('weftBaseUrl', server.baseUrl);
  return () => server.close();
}
