#!/usr/bin/env node
// Bundles the library for the browser with esbuild:
//   src/index.ts   -> dist/weft.js          (public API)
//   src/testing.ts -> dist/weft-testing.js  (internals for GPU tests; standalone, may duplicate code)
//   bench/page.ts  -> dist/weft-bench.js    (the benchmark module of bench/index.html)
//   demo/app.ts    -> dist/demo.js          (the demo page of npm start / npm run serve; standalone)
//   src/node/index.ts   -> dist/weft.node.js         (package.json exports, condition "node")
//   src/node/testing.ts -> dist/weft-testing.node.js (GPU tests in the gpu-node project)
//   demo/node.ts        -> dist/demo.node.js         (npm start -- --node)
// Then the public API's declarations (dist/types/, package.json `types`) with tsc, when src/ changed.
// ESM, platform browser (node for the .node.js files, `webgpu` left external), target es2022, with
// source maps. Type errors are `npm run typecheck`'s job;
// syntax and resolution errors fail the build here with esbuild's file:line:column messages.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const entries = [
  { in: 'src/index.ts', out: 'dist/weft.js' },
  { in: 'src/testing.ts', out: 'dist/weft-testing.js' },
  { in: 'demo/app.ts', out: 'dist/demo.js' }, // the demo page (demo/index.html), standalone
  { in: 'bench/page.ts', out: 'dist/weft-bench.js' }, // benchmark module (bench/index.html; TF.js comes from the page)
  // Node: WebGPU from the `webgpu` package (Dawn), loaded at run time, never bundled.
  { in: 'src/node/index.ts', out: 'dist/weft.node.js', node: true },
  { in: 'src/node/testing.ts', out: 'dist/weft-testing.node.js', node: true },
  { in: 'demo/node.ts', out: 'dist/demo.node.js', node: true }, // npm start -- --node
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
      platform: e.node ? 'node' : 'browser',
      ...(e.node ? { external: ['webgpu'] } : {}),
      target: 'es2022',
      sourcemap: true,
      logLevel: 'silent', // errors are printed once below (both bundles share most files)
      legalComments: 'none',
      // Class names appear in error messages ("a Tensor from another copy of weft"); keep them.
      keepNames: true,
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

// ---- declarations (tsc takes seconds, so only when a file under src/ is newer than them) ----
function newestMtime(path) {
  const s = statSync(path, { throwIfNoEntry: false });
  if (!s) return 0;
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(path).map((e) => newestMtime(join(path, e))));
}
const typesIndex = join(root, 'dist/types/index.d.ts');
if (newestMtime(typesIndex) < Math.max(newestMtime(join(root, 'src')), newestMtime(join(root, 'tsconfig.types.json')))) {
  const t1 = performance.now();
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.types.json'], { cwd: root, stdio: 'inherit' });
  if (tsc.status !== 0) {
    console.error(`build: tsc -p tsconfig.types.json failed (exit ${tsc.status ?? tsc.signal})`);
    process.exit(1);
  }
  // tsc leaves an unchanged file's date alone: mark the set as fresh.
  const now = new Date();
  utimesSync(typesIndex, now, now);
  console.log(`build: dist/types/ (${Math.round(performance.now() - t1)} ms)`);
}
