// Runs before each GPU test file (vitest setupFiles, in both GPU projects): after the file, close the pages it
// opened. A setup file runs once per test file even where test files share their modules (the `gpu` project
// sets isolate: false, saving ~1 s of process start and imports per file).
import { afterAll } from 'vitest';
import { closePages } from '../harness.js';

afterAll(closePages);
