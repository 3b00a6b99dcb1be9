#!/usr/bin/env node
// Bundles the library for the browser with esbuild:
//   src/index.ts   -> dist/weft.js          (public API)
//   src/testing.ts -> dist/weft-testing.js  (internals for GPU tests; standalone, may duplicate code)
//   bench/page.ts  -> dist/weft-bench.js    (the benchmark module of bench/index.html)
//   demo/app.ts    -> dist/demo.js          (the demo page of npm start / npm run serve; standalone)
// ESM, platform browser, target es2022, with source maps. Type errors are `npm run typecheck`'s job;
// syntax and resolution errors fail the build here with esbuild's file:line:column messages.
import * as esbuild from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const entries = [
  { in: 'src/index.ts', out: 'dist/weft.js' },
  { in: 'src/testing.ts', out: 'dist/weft-testing.js' },
  { in: 'demo/app.ts', out: 'dist/demo.js' }, // the demo page (demo/index.html), standalone
  { in: 'bench/page.ts', out: 'dist/weft-bench.js' }, // benchmark module (bench/index.html; TF.js comes from the page)
];

const t0 = performance.now();
const results = await Promise.allSettled(
  entries.map((e) =>
    esbuild.build({
      absWorkingDir: root,
      entryPoints: [e.in],
      outfile: e.out,
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      sourcemap: true,
      logLevel: 'silent', // errors are printed once below (both bundles share most files)
      legalComments: 'none',
    }),
  ),
);
const failed = results.filter((r) => r.status === 'rejected').map((r) => r.reason);
if (failed.length > 0) {
  const seen = new Set();
  const errors = [];
  for (const err of failed) {
    if (!err || !Array.isArray(err.errors)) {
      console.error('build: failed:', err);
      continue;
    }
    for (const m of err.errors) {
      const key = `${m.location?.file}:${m.location?.line}:${m.location?.column}:${m.text}`;
      if (!seen.has(key)) seen.add(key), errors.push(m);
    }
  }
  if (errors.length > 0) {
    const text = await esbuild.formatMessages(errors, { kind: 'error', color: process.stderr.isTTY });
    console.error(text.join(''));
    console.error(`build: failed with ${errors.length} error${errors.length === 1 ? '' : 's'}`);
  }
  process.exit(1);
}
console.log(`build: ${entries.map((e) => e.out).join(', ')} (${Math.round(performance.now() - t0)} ms)`);
