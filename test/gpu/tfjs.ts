// TensorFlow.js (CPU backend) in the GPU test page, for tests that use it as an oracle:
//
//   const page = await openPage();
//   await loadTfjs(page);                       // window.tf, backend 'cpu'
//   await inPage(page, async () => { const tf = window.tf; ... }, undefined);
//
//   await loadOracle(page);                     // and window.weftOracle (test/gpu/oracle/page.ts)
//   await loadPrograms(page);                   // and window.tfjsPrograms (test/gpu/programs/page.ts)
//
// The bundles (test/gpu/setup/tfjs-entry.ts → dist/tfjs-oracle.js, test/gpu/oracle/page.ts →
// dist/weft-oracle.js) are built here with esbuild on first use, and again when their sources or
// the installed @tensorflow packages change.
import * as esbuild from 'esbuild';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'puppeteer';
import { baseUrl } from './harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TF_PACKAGES = ['tfjs-core', 'tfjs-layers', 'tfjs-backend-cpu'].map((p) => join(root, 'node_modules/@tensorflow', p, 'package.json'));
const BUNDLES = {
  tf: { entry: 'test/gpu/setup/tfjs-entry.ts', out: 'dist/tfjs-oracle.js', inputs: ['test/gpu/setup/tfjs-entry.ts'] },
  weftOracle: { entry: 'test/gpu/oracle/page.ts', out: 'dist/weft-oracle.js', inputs: ['test/gpu/oracle', 'test/reference/randomGraphs.ts'] },
  tfjsPrograms: { entry: 'test/gpu/programs/page.ts', out: 'dist/tfjs-programs.js', inputs: ['test/gpu/programs'] },
} as const;
type BundleName = keyof typeof BUNDLES;
/** The TensorFlow.js version the oracle tests were written against (its faults are worked around). */
export const TFJS_VERSION = '4.22.0';

/** Newest mtime of a file, or of every file below a folder (0 when missing). */
function mtime(path: string): number {
  try {
    const s = statSync(path);
    if (!s.isDirectory()) return s.mtimeMs;
    return Math.max(s.mtimeMs, ...readdirSync(path).map((e) => mtime(join(path, e))));
  } catch {
    return 0;
  }
}

const built = new Map<BundleName, Promise<void>>();

/** Builds a bundle (an IIFE setting `window[name]`) unless it is newer than its inputs. */
function buildBundle(name: BundleName): Promise<void> {
  let done = built.get(name);
  if (!done) {
    const b = BUNDLES[name];
    done = (async () => {
      const inputs = [...b.inputs.map((p) => join(root, p)), ...TF_PACKAGES];
      if (mtime(join(root, b.out)) >= Math.max(...inputs.map(mtime))) return;
      await esbuild.build({
        absWorkingDir: root,
        entryPoints: [b.entry],
        outfile: b.out,
        bundle: true,
        format: 'iife',
        globalName: name,
        platform: 'browser',
        target: 'es2022',
        logLevel: 'error',
        legalComments: 'none',
      });
    })();
    done.catch(() => built.delete(name));
    built.set(name, done);
  }
  return done;
}

async function addBundle(page: Page, name: BundleName): Promise<void> {
  await buildBundle(name);
  const already = await page.evaluate((n) => !!(window as any)[n], name);
  if (!already) await page.addScriptTag({ url: `${baseUrl()}/${BUNDLES[name].out}` });
}

/** Loads TensorFlow.js into the page as `window.tf` on its CPU backend; returns its version. */
export async function loadTfjs(page: Page): Promise<string> {
  await addBundle(page, 'tf');
  const version = await page.evaluate(async () => {
    const tf = window.tf;
    await tf.setBackend('cpu');
    await tf.ready();
    if (tf.getBackend() !== 'cpu') throw new Error(`TensorFlow.js backend is ${tf.getBackend()}, expected cpu`);
    return String(tf.version_core ?? tf.version?.['tfjs-core']);
  });
  if (version !== TFJS_VERSION) throw new Error(`the oracle tests expect TensorFlow.js ${TFJS_VERSION}, the page has ${version}`);
  return version;
}

/** loadTfjs, then the comparison helpers of test/gpu/oracle/page.ts as `window.weftOracle`. */
export async function loadOracle(page: Page): Promise<void> {
  await loadTfjs(page);
  await addBundle(page, 'weftOracle');
}

/** loadTfjs, then the ported TensorFlow.js programs of test/gpu/programs/ as `window.tfjsPrograms`. */
export async function loadPrograms(page: Page): Promise<void> {
  await loadTfjs(page);
  await addBundle(page, 'tfjsPrograms');
}
