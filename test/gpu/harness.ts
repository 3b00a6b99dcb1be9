// Helpers for GPU tests. The `gpu` project's global setup (setup/globalSetup.ts) starts one headless
// Chromium and a static server; a test file opens pages in that browser and runs code in them:
//
//   import { afterAll, beforeAll, expect, test } from 'vitest';
//   import { inPage, openPage } from './harness.js';
//   let page: Page;
//   beforeAll(async () => { page = await openPage(); });
//   test('adds', async () => {
//     const out = await inPage(page, async (n) => { const weft = window.weft; ...; return [1, 2]; }, 3);
//     expect(out).toEqual([1, 2]);
//   });
//
// Pages opened here are closed, and the connection dropped, after the test file (closePages, run by
// setup/perFile.ts).
// In the `gpu-node` project (setup/nodeSetup.ts) there is no browser: openPage() returns a NodePage
// (./nodePage.ts), which runs the same functions in this Node process on Dawn.
import type { Browser, Page } from 'puppeteer';
import puppeteer from 'puppeteer';
import { inject } from 'vitest';
import { NodePage } from './nodePage.js';

let connection: Promise<Browser> | null = null;
const pages: Page[] = [];

function browser(): Promise<Browser> {
  if (!connection) {
    const browserWSEndpoint = inject('weftBrowserWSEndpoint');
    if (!browserWSEndpoint) throw new Error('no shared browser: GPU tests must run in the vitest `gpu` project (test/gpu/setup/globalSetup.ts)');
    connection = puppeteer.connect({ browserWSEndpoint, protocolTimeout: 600_000 });
  }
  return connection;
}

/**
 * Closes the pages this test file opened and drops the connection: run after each test file by
 * setup/perFile.ts (a setup file, not an afterAll here, because the `gpu` project does not isolate test
 * files: this module is loaded once for all of them).
 */
export async function closePages(): Promise<void> {
  for (const p of pages.splice(0)) await p.close().catch(() => {});
  if (connection) {
    const b = await connection.catch(() => null);
    connection = null;
    await b?.disconnect().catch(() => {});
  }
}

/** The base URL of the static server, e.g. http://127.0.0.1:41234 (routes: /dist/, /data/fashion-mnist/, /repo/). */
export function baseUrl(): string {
  return inject('weftBaseUrl');
}

/**
 * Opens a new page on the test page (which loads dist/weft.js and dist/weft-testing.js) and resolves
 * once `window.weft` and `window.weftTesting` exist. Console messages starting with "[weft]" and
 * uncaught page errors are printed to stdout (console.error messages of every page also go to stderr
 * from the global setup).
 */
export async function openPage(): Promise<Page> {
  if (inject('weftNodePages')) {
    const page = await NodePage.open(baseUrl());
    pages.push(page as unknown as Page);
    return page as unknown as Page;
  }
  const page = await (await browser()).newPage();
  pages.push(page);
  page.on('console', (msg) => {
    const text = msg.text();
    if (text.startsWith('[weft]')) console.log(text);
  });
  page.on('pageerror', (err) => {
    const e = err as Error;
    console.log(`[page error] ${e.stack ?? e.message ?? String(err)}`);
  });
  await page.goto(`${baseUrl()}/`, { waitUntil: 'load' });
  await page.waitForFunction(
    () => {
      const w = window as any;
      return (w.weft && w.weftTesting) || w.weftLoadError;
    },
    { timeout: 60_000 },
  );
  const loadError = await page.evaluate(() => window.weftLoadError as string | undefined);
  if (loadError) throw new Error(`the test page could not load the weft bundles:\n${loadError}`);
  return page;
}

/**
 * Opens a page with no weft bundle (test/gpu/setup/bare.html, served from /repo/), e.g. to load an
 * exported predict module the way a site that ships only the module would. `inPage` works on it.
 */
export async function openBarePage(): Promise<Page> {
  const page = await (await browser()).newPage();
  pages.push(page);
  page.on('pageerror', (err) => console.log(`[bare page error] ${(err as Error).stack ?? String(err)}`));
  await page.goto(`${baseUrl()}/repo/test/gpu/setup/bare.html`, { waitUntil: 'load' });
  return page;
}

type Encoded = { __weftTyped: string; base64: string } | { __weftUndefined: true };

/**
 * Runs `fn(arg)` in the page and returns its (awaited) result.
 *
 * `fn` RUNS IN THE BROWSER: it is sent as source text, so it must not close over node variables or
 * imports (pass what it needs through `arg`, which must be JSON-serialisable). Inside it, use
 * `window.weft` (the public API) and `window.weftTesting` (internals), and
 * `navigator.gpu`. Keep helper functions inside `fn`.
 *
 * The result comes back through JSON, except that typed arrays (also nested in arrays and plain
 * objects) come back as typed arrays of the same kind. An exception in the page is rethrown here
 * with the page's message and stack.
 */
export async function inPage<A, R>(page: Page, fn: (arg: A) => R | Promise<R>, arg: A): Promise<R> {
  const outcome = await page.evaluate(
    async (source: string, a: unknown) => {
      // Typed arrays → { __weftTyped, base64 } so they survive JSON; the rest as is.
      const encode = (v: unknown): unknown => {
        if (v === undefined) return { __weftUndefined: true };
        if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
          const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
          let bin = '';
          for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
          return { __weftTyped: v.constructor.name, base64: btoa(bin) };
        }
        if (Array.isArray(v)) return v.map(encode);
        if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
          const o: Record<string, unknown> = {};
          for (const [k, x] of Object.entries(v)) o[k] = encode(x);
          return o;
        }
        return v;
      };
      try {
        // eslint-disable-next-line no-eval
        const f = (0, eval)(`(${source})\n//# sourceURL=inPage-fn.js`) as (x: unknown) => unknown;
        return { ok: true as const, value: encode(await f(a)) };
      } catch (e) {
        const err = e as Error;
        return {
          ok: false as const,
          name: String(err?.name ?? 'Error'),
          message: String(err?.message ?? e),
          stack: String(err?.stack ?? ''),
        };
      }
    },
    fn.toString(),
    arg as unknown,
  );
  if (!outcome.ok) {
    const error = new Error(`in page: ${outcome.message}`);
    error.name = outcome.name;
    const pageFrames = outcome.stack.split('\n').filter((l) => /^\s+at /.test(l) && !l.includes('pptr:'));
    const nodeFrames = (error.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l));
    error.stack = [`${outcome.name}: in page: ${outcome.message}`, ...pageFrames, '    --- in node ---', ...nodeFrames].join('\n');
    throw error;
  }
  return decode(outcome.value) as R;
}

const TYPED: Record<string, new (b: ArrayBuffer) => ArrayBufferView> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};

function decode(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decode);
  if (v && typeof v === 'object') {
    const e = v as Encoded;
    if ('__weftUndefined' in e) return undefined;
    if ('__weftTyped' in e) {
      const bytes = Buffer.from(e.base64, 'base64');
      const copy = new ArrayBuffer(bytes.length);
      new Uint8Array(copy).set(bytes);
      const Ctor = TYPED[e.__weftTyped] ?? Uint8Array;
      return new Ctor(copy);
    }
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = decode(x);
    return o;
  }
  return v;
}
