// What the test page (test/gpu/setup/page.html) and the Node stand-in page put on `window`, so that
// the functions GPU tests run in the page (inPage / page.evaluate) are type-checked.
import type * as tfjs from '@tensorflow/tfjs';
import type * as weftApi from '../../src/index.js';
import type * as weftTestingApi from '../../src/testing.js';

declare global {
  interface Window {
    weft: typeof weftApi;
    weftTesting: typeof weftTestingApi;
    /** TensorFlow.js, loaded on demand by test/gpu/tfjs.ts. */
    tf: typeof tfjs;
    weftLoadError?: string;
    /** Helpers some tests install in the page for themselves. */
    weftOracle: any;
    /** The ported TensorFlow.js programs (test/gpu/programs/page.ts), loaded by test/gpu/tfjs.ts. */
    tfjsPrograms: typeof import('./programs/page.js');
    rel: any;
    hostile: any;
    fuzzRun: any;
    weftBench: any;
    weftBenchError?: string;
  }
}
