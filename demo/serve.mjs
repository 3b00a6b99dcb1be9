#!/usr/bin/env node
// `npm run serve`: serves the demo page (demo/index.html + dist/demo.js) and the dataset for a real
// browser with WebGPU. Open the printed URL, choose options, press Train: the page trains the
// article's models on your GPU, with progress bars, learning curves updating every epoch, the model
// diagrams, the results table, and links to download report.html and results.json.
//
//   node demo/serve.mjs [--port 8080] [--host 127.0.0.1]
//   URL parameters: ?autostart=1&epochs=20&batchSize=32&trainLimit=5000&models=mlp,wide_deep&optimizer=adam&learningRate=0.001&lrDecay=0.9&seed=42
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DATASET_DIR, startServer } from '../scripts/browser.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

let values;
try {
  ({ values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
} catch (e) {
  console.error(`serve: ${e.message}`);
  process.exit(2);
}
if (values.help) {
  console.log('Usage: node demo/serve.mjs [--port 8080] [--host 127.0.0.1]   (npm run serve -- --port 9000)');
  process.exit(0);
}
const port = values.port === undefined ? 8080 : Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`serve: --port must be 0..65535, got '${values.port}'`);
  process.exit(2);
}
const host = values.host ?? '127.0.0.1';

let server;
try {
  server = await startServer({ repoRoot: root, indexHtml: join(root, 'demo/index.html'), port, host });
} catch (e) {
  console.error(`serve: could not listen on ${host}:${port} (${e.code ?? e.message}); try --port 0 for any free port`);
  process.exit(1);
}
const local = server.baseUrl.replace('://127.0.0.1:', '://localhost:');
console.log(`weft demo: ${local}/   (dataset from ${DATASET_DIR})`);
console.log(`  quick run: ${local}/?autostart=1&trainLimit=5000&epochs=2`);
if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1')
  console.log('  note: browsers enable WebGPU only on secure origins (https or localhost); from another machine use an SSH tunnel.');
console.log('Needs a browser with WebGPU (Chrome or Edge 113+, or Firefox/Safari with WebGPU on). Ctrl-C stops.');
process.on('SIGINT', () => {
  server.close().finally(() => process.exit(0));
});
