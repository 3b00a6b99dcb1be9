// compile(): the arguments (per-output losses, loss weights, metrics; names or arrays or objects by
// output name) checked and resolved into what the compiler and the logs need.

import { resolveLoss, resolveMetric, resolveOptimizer, type Optimizer } from './compileConfig.js';
import { fail } from './errors.js';
import { checkKnownOptions } from './options.js';
import { resolvePrecision } from './precision.js';
import type { Precision } from '../ir/precision.js';
import type { OutputSpec } from './lowerModel.js';
import type { SymbolicTensor } from './symbolic.js';

export interface CompileArgs {
  optimizer: string | Optimizer;
  loss: string | string[] | Record<string, string>;
  metrics?: string | string[] | Record<string, string | string[]>;
  lossWeights?: number[] | Record<string, number>;
  /** Keras dtype policy: 'float32' (default) or 'mixed_float16' (f16 activations where the adapter has 'shader-f16'). */
  precision?: Precision;
}

/** A compiled model's training configuration. */
export interface CompiledState {
  optimizer: Optimizer;
  outputs: OutputSpec[];
  /** Keras order: total loss, each output's loss (several outputs), each output's metrics. */
  metricsNames: string[];
  /** The precision asked for (plans fall back to float32 on an adapter without 'shader-f16'). */
  precision: Precision;
}

export function resolveCompileArgs(args: CompileArgs, outputs: SymbolicTensor[]): CompiledState {
  if (!args || typeof args !== 'object') fail('compile takes { optimizer, loss, metrics? }');
  checkKnownOptions(args, ['optimizer', 'loss', 'metrics', 'lossWeights', 'precision'], 'compile');
  const precision = resolvePrecision(args.precision);
  const names = outputs.map((t) => t.sourceLayer.name);
  /** One value per output, from one value for all, an array in order, or an object by output name. */
  const pick = <T>(value: unknown, what: string, fallback?: T): T[] => {
    if (value === undefined) {
      if (fallback === undefined) fail(`compile: ${what} is required`);
      return names.map(() => fallback);
    }
    if (Array.isArray(value)) {
      if (value.length !== names.length) fail(`compile: ${what} has ${value.length} entries but the model has ${names.length} outputs (${names.join(', ')})`);
      return value as T[];
    }
    if (value !== null && typeof value === 'object' && isPlainRecord(value)) {
      const record = value as Record<string, T>;
      for (const key of Object.keys(record)) if (!names.includes(key)) fail(`compile: ${what} names unknown output '${key}'; outputs are ${names.join(', ')}`);
      return names.map((n) => {
        if (Object.prototype.hasOwnProperty.call(record, n)) return record[n]!;
        if (fallback === undefined) fail(`compile: ${what} has no entry for output '${n}'`);
        return fallback;
      });
    }
    return names.map(() => value as T);
  };
  const optimizer = resolveOptimizer(args.optimizer);
  const losses = pick<string>(args.loss, 'loss').map((l, i) => resolveLoss(l, names[i]!));
  const weights = pick<number>(args.lossWeights, 'lossWeights', 1);
  weights.forEach((w, i) => {
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) fail(`compile: lossWeights for output '${names[i]}' must be a non-negative number, got ${w}`);
  });
  let metricLists: (string | string[])[];
  if (args.metrics === undefined) metricLists = names.map(() => []);
  else if (typeof args.metrics === 'string') metricLists = names.map(() => [args.metrics as string]);
  else if (Array.isArray(args.metrics)) metricLists = names.map(() => args.metrics as string[]);
  else metricLists = pick<string | string[]>(args.metrics, 'metrics', []);
  const specs: OutputSpec[] = names.map((name, i) => {
    // Losses are per sample over [batch, units]; a [batch, t, units] output (dense on a sequence) would
    // be averaged over t by TensorFlow.js, which weft's loss heads do not do yet.
    if (outputs[i]!.shape.length > 2)
      fail(
        `compile: output '${name}' has shape [${outputs[i]!.shape.map((d) => d ?? 'null').join(', ')}]; weft trains outputs of shape [batch, units] only: add a flatten layer (or reshape) before the output, or use the model for predict without compile`,
      );
    const units = outputs[i]!.featureSize;
    const loss = losses[i]!;
    const list = Array.isArray(metricLists[i]) ? (metricLists[i] as string[]) : [metricLists[i] as string];
    return { name, units, loss, weight: weights[i]!, metrics: list.map((m) => resolveMetric(m, loss, units, name)) };
  });
  specs.forEach((o, i) => {
    const activation = (outputs[i]!.sourceLayer as { activation?: unknown }).activation;
    if (o.loss.kind === 'crossEntropy' && typeof activation === 'string' && activation !== 'softmax')
      fail(
        `compile: ${o.loss.name} on output '${o.name}' needs a softmax activation on that output layer (weft fuses the loss with the softmax), but its activation is '${activation}'; use activation: 'softmax', or a loss such as meanSquaredError`,
      );
  });
  const multi = specs.length > 1;
  const metricsNames = ['loss'];
  if (multi) for (const o of specs) metricsNames.push(`${o.name}_loss`);
  for (const o of specs) for (const m of o.metrics) metricsNames.push(multi ? `${o.name}_${m.displayName}` : m.displayName);
  return { optimizer, outputs: specs, metricsNames, precision };
}

function isPlainRecord(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
