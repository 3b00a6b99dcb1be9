// The `gpu-node` project's stand-in for a browser page: the same test bodies run in this Node
// process on Dawn (the `webgpu` package) instead of in headless Chromium.
//
// A NodePage has what the tests use of puppeteer's Page: evaluate(fn, ...args) calls fn here, with
// `window` set to the page's own window; addScriptTag({ url }) runs a dist/ script (the oracle
// bundle; for dist/tfjs-oracle.js, TF.js's own Node packages) in this process; on/close do nothing. Each page's window holds its own instance of
// dist/weft.node.js and dist/weft-testing.node.js (imported under a per-page URL), so pages keep
// separate devices and state as browser pages do; its other properties fall through to globalThis.
// Relative URLs (fetch('/repo/…'), loadLayersModel('/repo/…')) resolve against the test server.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runInThisContext } from 'node:vm';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let pagesOpened = 0;
let installed = false;

/** Node globals a page has: location and fetch relative to the test server, btoa/atob (built in). */
function installPageGlobals(baseUrl: string): void {
  if (installed) return;
  installed = true;
  const g = globalThis as Record<string, unknown>;
  g.location = new URL(`${baseUrl}/`);
  const nodeFetch = globalThis.fetch.bind(globalThis);
  g.fetch = (input: RequestInfo | URL, init?: RequestInit) =>
    nodeFetch(typeof input === 'string' && input.startsWith('/') ? `${baseUrl}${input}` : input, init);
}

export class NodePage {
  readonly window: Record<string, unknown>;

  private constructor(window: Record<string, unknown>) {
    this.window = window;
  }

  static async open(baseUrl: string): Promise<NodePage> {
    installPageGlobals(baseUrl);
    const n = ++pagesOpened;
    const load = (file: string) => import(`${pathToFileURL(join(root, file)).href}?page=${n}`);
    const [weft, weftTesting] = await Promise.all([load('dist/weft.node.js'), load('dist/weft-testing.node.js')]);
    const window = Object.create(globalThis) as Record<string, unknown>;
    Object.assign(window, { weft, weftTesting });
    return new NodePage(window);
  }

  async evaluate<A extends unknown[], R>(fn: (...args: A) => R | Promise<R>, ...args: A): Promise<Awaited<R>> {
    (globalThis as Record<string, unknown>).window = this.window;
    return await fn(...args);
  }

  /** Runs a script of the test server's /dist/ here, as a classic script (its top-level vars become globals). */
  async addScriptTag({ url }: { url: string }): Promise<void> {
    const path = new URL(url).pathname;
    if (!path.startsWith('/dist/')) throw new Error(`NodePage.addScriptTag: only /dist/ scripts run in Node, not ${url}`);
    if (path === '/dist/tfjs-oracle.js') {
      // TF.js's own Node build (its browser build finds `process` and wants node modules esbuild left out):
      // the same packages as test/gpu/setup/tfjs-entry.ts, as one namespace.
      const [core, layers] = await Promise.all([import('@tensorflow/tfjs-core'), import('@tensorflow/tfjs-layers'), import('@tensorflow/tfjs-backend-cpu')]);
      (globalThis as Record<string, unknown>).tf = { ...core, ...layers };
      return;
    }
    const code = await readFile(join(root, path), 'utf8');
    const name = /^var (\w+)\s*=/m.exec(code)?.[1];
    if (!name) throw new Error(`NodePage.addScriptTag: ${path} is not an esbuild IIFE with a global name`);
    // Run as in a page, where there is no `process`.
    const run = runInThisContext(`(function (process) {\n${code}\nreturn ${name};\n})`, { filename: join(root, path) });
    (globalThis as Record<string, unknown>)[name] = run(undefined);
  }

  on(): this {
    return this;
  }

  async close(): Promise<void> {
    await (this.window.weft as { resetGpu?: () => void } | undefined)?.resetGpu?.();
  }
}
