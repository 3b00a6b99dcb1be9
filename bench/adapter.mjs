// Prints the WebGPU adapter that Dawn (the `webgpu` package) finds in Node: info, features and the
// limits weft plans with, as one JSON line per power preference. bench/real-gpu.sh runs it first, so
// a run on a new machine says at once whether the GPU was found and which features (subgroups,
// shader-f16, timestamp-query) it offers. Usage: node bench/adapter.mjs [path/to/webgpu/index.js]
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { create, globals } = require(process.argv[2] ?? 'webgpu');
Object.assign(globalThis, globals);
const gpu = create([]);
for (const powerPreference of ['high-performance', 'low-power']) {
  const adapter = await gpu.requestAdapter({ powerPreference });
  if (!adapter) {
    console.log(JSON.stringify({ powerPreference, adapter: null }));
    continue;
  }
  const { vendor, architecture, device, description } = adapter.info;
  const l = adapter.limits;
  const limits = {
    maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
    maxBufferSize: l.maxBufferSize,
    maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
  };
  console.log(JSON.stringify({ powerPreference, info: { vendor, architecture, device, description }, features: [...adapter.features].sort(), limits }));
}
process.exit(0);
