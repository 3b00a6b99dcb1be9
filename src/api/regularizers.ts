// weft.regularizers with TensorFlow.js's names and defaults (l1, l2, l1l2): a weight penalty
// Σ l1·|w| + l2·w². Training adds it to fit's loss (as TensorFlow.js adds the layers' losses to the
// total) and its gradient 2·l2·w + l1·(w > 0 ? 1 : −1) (TensorFlow.js's gradient of abs) to the weight's
// gradient inside the optimizer kernel.
// evaluate and validation losses leave it out, as TensorFlow.js's test function does.

import { fail } from './errors.js';

export class Regularizer {
  constructor(
    readonly className: 'L1L2',
    readonly l1: number,
    readonly l2: number,
  ) {}
  getConfig(): { l1: number; l2: number } {
    return { l1: this.l1, l2: this.l2 };
  }
}

function rate(value: unknown, name: 'l1' | 'l2', where: string): number {
  if (value === undefined || value === null) return 0.01;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(`${where}: ${name} must be a finite number ≥ 0, got ${JSON.stringify(value)}`);
  return value;
}

export const regularizers = {
  l1: (args: { l1?: number } = {}): Regularizer => new Regularizer('L1L2', rate(args.l1, 'l1', 'regularizers.l1'), 0),
  l2: (args: { l2?: number } = {}): Regularizer => new Regularizer('L1L2', 0, rate(args.l2, 'l2', 'regularizers.l2')),
  l1l2: (args: { l1?: number; l2?: number } = {}): Regularizer =>
    new Regularizer('L1L2', rate(args.l1, 'l1', 'regularizers.l1l2'), rate(args.l2, 'l2', 'regularizers.l1l2')),
};

/** What a layer's kernelRegularizer / biasRegularizer takes. */
export type RegularizerArg = Regularizer | 'l1' | 'l2' | 'l1l2' | { className: string; config?: { l1?: number; l2?: number } } | null;

/**
 * A layer's regularizer argument: a weft.regularizers object, an identifier ('l1l2' as TensorFlow.js;
 * 'l1', 'l2' as Keras, rate 0.01), or a serialized { className: 'L1L2', config: { l1, l2 } }. Returns
 * undefined when left out or null.
 */
export function resolveRegularizer(arg: unknown, where: string): Regularizer | undefined {
  if (arg === undefined || arg === null) return undefined;
  let r: Regularizer;
  if (arg instanceof Regularizer) r = arg;
  else if (arg === 'l1') r = regularizers.l1();
  else if (arg === 'l2') r = regularizers.l2();
  else if (arg === 'l1l2' || arg === 'L1L2') r = regularizers.l1l2();
  else if (typeof arg === 'object' && (arg as { className?: unknown }).className === 'L1L2') {
    const config = ((arg as { config?: Record<string, unknown> }).config ?? {}) as Record<string, unknown>;
    r = new Regularizer('L1L2', rate(config['l1'], 'l1', where), rate(config['l2'], 'l2', where));
  } else
    fail(
      `${where} must be a regularizer such as weft.regularizers.l2({ l2: 0.01 }) or 'l1l2', got ${typeof arg === 'string' ? JSON.stringify(arg) : typeof arg === 'function' ? 'a function (custom regularizers are not supported)' : JSON.stringify(arg)}`,
    );
  return r;
}

/** The TensorFlow.js layers-format config of a regularizer (null when there is none). */
export function regularizerJson(r: Regularizer | undefined): { class_name: 'L1L2'; config: { l1: number; l2: number } } | null {
  return r ? { class_name: 'L1L2', config: { l1: r.l1, l2: r.l2 } } : null;
}

/** A layers-format regularizer config → weft's (undefined for null); anything else is refused. */
export function regularizerFromJson(json: unknown, where: string): Regularizer | undefined {
  if (json === undefined || json === null) return undefined;
  const className = typeof json === 'object' ? ((json as Record<string, unknown>)['class_name'] ?? (json as Record<string, unknown>)['className']) : undefined;
  if (className !== 'L1L2') fail(`${where} = ${JSON.stringify(json)} is not supported by weft (only L1L2 regularizers)`);
  return resolveRegularizer({ className: 'L1L2', config: (json as Record<string, unknown>)['config'] ?? {} }, where);
}
