// `npm test`'s test step: vitest's `gpu` project (headless Chromium) in one process and the `unit` and
// `gpu-node` projects (Node on Dawn) in another, at the same time. Vitest itself runs a project whose
// files go one at a time after everything else, one project after the other; side by side, each process
// fills the stretches where the other runs on one thread (pipeline compilation, JavaScript) — on the
// 2-core machine 1,103 → 1,038 s for the same suite (bench/README.md). Lines are passed through whole;
// each process prints its own summary, and this script ends with one line per process and a non-zero
// exit when either failed.
// With arguments (`npm test -- test/unit/foo.test.ts`) it runs one plain `vitest run <args>`.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const vitest = new URL('../node_modules/vitest/vitest.mjs', import.meta.url).pathname;
const args = process.argv.slice(2);

/** Runs `vitest run <args>`, writing its output line by line; resolves with its exit code and seconds. */
function run(label, vitestArgs) {
  const start = Date.now();
  const child = spawn(process.execPath, [vitest, 'run', ...vitestArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  for (const [stream, sink] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ])
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => sink.write(`${line}\n`));
  return new Promise((resolve) => {
    child.on('close', (code, signal) => resolve({ label, code: code ?? (signal ? 1 : 0), signal, seconds: Math.round((Date.now() - start) / 1000) }));
  });
}

const runs =
  args.length > 0
    ? [run('vitest', args)]
    : [run('gpu (Chromium)', ['--project', 'gpu']), run('unit + gpu-node (Node)', ['--project', 'unit', '--project', 'gpu-node'])];
const results = await Promise.all(runs);
for (const r of results)
  console.log(`[weft test] ${r.label}: ${r.code === 0 ? 'passed' : `FAILED (exit ${r.code}${r.signal ? `, ${r.signal}` : ''})`} in ${r.seconds} s`);
process.exit(results.some((r) => r.code !== 0) ? 1 : 0);
