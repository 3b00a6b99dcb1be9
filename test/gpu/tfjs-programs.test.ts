// TensorFlow.js Layers programs run on weft by changing the import (issue 16). Each program in
// test/gpu/programs/ (ported from tfjs-examples, the API reference, the getting-started snippet and
// the regression codelab, on seeded synthetic data; catalog.ts lists them with their sources) is one
// function (tf, log) => Promise<void>. It runs in the same page with TensorFlow.js 4.22 (CPU backend)
// as `tf`, then with weft as `tf`, nothing else changed; what the two print must agree: as many
// lines, the same text, numbers within the program's tolerance. A program weft does not run yet is
// kept: weft must refuse it with a clear WeftError, and TensorFlow.js must run it.
import type { Page } from 'puppeteer';
import { beforeAll, describe, expect, test } from 'vitest';
import { inPage, openPage } from './harness.js';
import { compareLogs } from './programs/compareLogs.js';
import { PROGRAMS } from './programs/catalog.js';
import { loadPrograms } from './tfjs.js';

let page: Page;
beforeAll(async () => {
  page = await openPage();
  await loadPrograms(page);
});

function runProgram(name: string, library: 'tf' | 'weft') {
  return inPage(page, ([n, l]) => window.tfjsPrograms.run(n, l), [name, library] as [string, 'tf' | 'weft']);
}

describe('TensorFlow.js programs print the same on weft', () => {
  for (const program of PROGRAMS) {
    const label = `${program.name} (${program.source})${program.weftRefuses ? ': weft refuses it (known gap)' : ''}`;
    test(label, async () => {
      const tf = await runProgram(program.name, 'tf');
      expect(tf.error, `TensorFlow.js failed on ${program.name}`).toBeNull();
      const weft = await runProgram(program.name, 'weft');
      console.log(
        `[weft] program ${program.name}: tf ${Math.round(tf.ms)} ms, weft ${Math.round(weft.ms)} ms${weft.error ? ` (${weft.error.name}: ${weft.error.message})` : ''}`,
      );
      if (program.weftRefuses) {
        expect(weft.error, `weft ran ${program.name}, which it is listed as refusing; move it to the programs that match`).not.toBeNull();
        expect(weft.error!.isWeftError, `weft failed with ${weft.error!.name}: ${weft.error!.message}`).toBe(true);
        expect(weft.error!.message).toMatch(program.weftRefuses);
        return;
      }
      expect(weft.error, `weft failed on ${program.name}`).toBeNull();
      const problems = compareLogs(tf.lines, weft.lines, program.tolerance);
      expect(
        problems,
        `${program.name}: TensorFlow.js printed\n${tf.lines.join('\n')}\n\nweft printed\n${weft.lines.join('\n')}\n\n${problems.join('\n')}`,
      ).toEqual([]);
      expect(tf.lines.length).toBeGreaterThan(0);
    });
  }
});
