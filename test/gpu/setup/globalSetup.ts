// Global setup of the `gpu` test project: runs once in the vitest main process.
//   1. rebuilds dist/ if a file under src/ is newer (so `npx vitest run test/gpu/x.test.ts` sees edits),
//   2. serves dist/, the test page, the dataset and the repo on 127.0.0.1 (see scripts/browser.mjs),
//   3. launches ONE headless Chromium with WebGPU (SwiftShader unless WEFT_GPU=real),
//   4. checks that the page loads both bundles and gets a WebGPU adapter, and prints one line about it
//      (no adapter = the setup throws and every GPU test fails; GPU tests never skip),
//   5. provides the browser's ws endpoint and the base URL to tests (see test/gpu/harness.ts).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page, Target } from 'puppeteer';
import type { TestProject } from 'vitest/node';
import { adapterLine, describeAdapter, launchBrowser, startServer } from '../../../scripts/browser.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** puppeteer.connect({ browserWSEndpoint }) target of the shared Chromium. */
    weftBrowserWSEndpoint: string;
    /** e.g. http://127.0.0.1:41234 (no trailing slash); the test page is at `${weftBaseUrl}/`. */
    weftBaseUrl: string;
  }
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Rebuilds dist/ when a file under src/ is newer than a bundle the GPU tests load (also used by nodeSetup.ts). */
export function ensureBuilt(): void {
  let built = 0;
  try {
    const bundles = ['dist/weft.js', 'dist/weft-testing.js', 'dist/weft.node.js', 'dist/weft-testing.node.js'];
    built = Math.min(...bundles.map((b) => statSync(join(root, b)).mtimeMs));
  } catch {
    built = 0;
  }
  if (built >= newestMtime(join(root, 'src'))) return;
  const r = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('build failed (see the esbuild errors above); GPU tests need dist/');
}

function forwardConsoleErrors(page: Page): void {
  page.on('console', (msg) => {
    if (msg.type() === 'error') process.stderr.write(`[chromium console.error] ${msg.text()}\n`);
  });
}

export default async function setup(project: TestProject) {
  ensureBuilt();
  const t0 = performance.now();
  const server = await startServer({ repoRoot: root, indexHtml: join(root, 'test/gpu/setup/page.html') });
  let launched: Awaited<ReturnType<typeof launchBrowser>>;
  try {
    launched = await launchBrowser();
  } catch (e) {
    await server.close();
    throw e;
  }
  const tLaunched = performance.now();
  const { browser } = launched;
  try {
    browser.on('targetcreated', (target: Target) => {
      if (target.type() !== 'page') return;
      target.page().then(
        (p) => p && forwardConsoleErrors(p),
        () => {},
      );
    });
    const page = await browser.newPage();
    await page.goto(`${server.baseUrl}/`, { waitUntil: 'load' });
    await page.waitForFunction(
      () => {
        const w = window as any;
        return (w.weft && w.weftTesting) || w.weftLoadError;
      },
      { timeout: 60_000 },
    );
    const loadError = await page.evaluate(() => window.weftLoadError as string | undefined);
    if (loadError) throw new Error(`the test page could not load dist/weft.js or dist/weft-testing.js:\n${loadError}`);
    const info = await describeAdapter(page);
    await page.close();
    const ms = (t: number) => `${Math.round(t)} ms`;
    console.log(
      `[weft] WebGPU adapter: ${adapterLine(info)} | ${await browser.version()} | ` +
        `launch ${ms(tLaunched - t0)}, ready ${ms(performance.now() - t0)} | ${server.baseUrl}`,
    );
  } catch (e) {
    await launched.close();
    await server.close();
    throw e;
  }

  project.provide('weftBrowserWSEndpoint', browser.wsEndpoint());
  project.provide('weftBaseUrl', server.baseUrl);

  return async () => {
    await launched.close();
    await server.close();
  };
}
