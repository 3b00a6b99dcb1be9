// The page side of tfjs-programs.test.ts, bundled by test/gpu/tfjs.ts as `window.tfjsPrograms`: runs
// one program with TensorFlow.js (`window.tf`) or weft (`window.weft`) as its `tf`, and returns what
// it printed — its log() lines and its console.log lines (tensor.print()), in order. weft's own
// progress lines ("[weft] Epoch …", which TensorFlow.js prints only in Node) are passed through to
// the console and not counted.
import { PROGRAMS } from './catalog.js';

export interface ProgramRun {
  lines: string[];
  error: { name: string; message: string; isWeftError: boolean } | null;
  ms: number;
}

function show(value: unknown): string {
  if (typeof value === 'string') return value;
  if (ArrayBuffer.isView(value)) return `[${Array.from(value as unknown as ArrayLike<number>).join(',')}]`;
  if (Array.isArray(value)) return `[${value.map(show).join(',')}]`;
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export async function run(name: string, library: 'tf' | 'weft'): Promise<ProgramRun> {
  const program = PROGRAMS.find((p) => p.name === name);
  if (!program) throw new Error(`no program named '${name}'`);
  const w = window as unknown as { tf: unknown; weft: { WeftError: new (...a: never[]) => Error } };
  const tf = library === 'tf' ? w.tf : w.weft;
  const lines: string[] = [];
  const consoleLog = console.log;
  console.log = (...args: unknown[]) => {
    const text = args.map(show).join(' ');
    if (text.startsWith('[weft]')) consoleLog(...args);
    else lines.push(...text.split('\n'));
  };
  const log = (...args: unknown[]) => lines.push(...args.map(show).join(' ').split('\n'));
  const started = performance.now();
  let error: ProgramRun['error'] = null;
  try {
    await program.run(tf, log);
  } catch (e) {
    const err = e as Error;
    error = { name: String(err?.name), message: String(err?.message ?? e), isWeftError: e instanceof w.weft.WeftError };
  } finally {
    console.log = consoleLog;
  }
  return { lines, error, ms: performance.now() - started };
}

export const names = PROGRAMS.map((p) => p.name);
