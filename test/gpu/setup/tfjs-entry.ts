// TensorFlow.js for the GPU test page, as an outside oracle: core + layers + the CPU backend only
// (no WebGL/WebGPU backends, so it never competes with weft for the adapter). Bundled by
// test/gpu/tfjs.ts into dist/tfjs-oracle.js (an IIFE that sets `window.tf`), loaded by a test that asks.
import '@tensorflow/tfjs-backend-cpu';

export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';
// The tensor methods (t.argMax(), t.mean(0), …): their registration is a side effect esbuild drops.
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
