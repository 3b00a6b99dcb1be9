// model.json's trainingConfig (TensorFlow.js's getTrainingConfig: loss, metrics, optimizer_config),
// written by save(…, { includeOptimizer: true }) and read back by loadLayersModel, which compiles the
// loaded model with it so that it can call fit without compile.

import type { CompileArgs, CompiledState } from '../compileArgs.js';
import { Optimizer, train } from '../compileConfig.js';
import { fail } from '../errors.js';
import { describeJson, isObject, type Json, type JsonObject, own } from './safeJson.js';

const toSnake = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The training configuration of a compiled model, in TF.js's (and Keras's) layout. */
export function trainingConfigOf(state: CompiledState): Record<string, unknown> {
  const outputs = state.outputs;
  const single = outputs.length === 1;
  const loss = single ? toSnake(outputs[0]!.loss.name) : Object.fromEntries(outputs.map((o) => [o.name, toSnake(o.loss.name)]));
  const metrics = single
    ? outputs[0]!.metrics.map((m) => m.displayName)
    : Object.fromEntries(outputs.map((o) => [o.name, o.metrics.map((m) => m.displayName)]));
  const weighted = outputs.some((o) => o.weight !== 1);
  return {
    loss,
    metrics,
    ...(weighted ? { loss_weights: Object.fromEntries(outputs.map((o) => [o.name, o.weight])) } : {}),
    optimizer_config: optimizerConfigOf(state.optimizer),
  };
}

/** `{ class_name, config }` as TF.js's optimizer.getClassName() and getConfig() give them. */
function optimizerConfigOf(optimizer: Optimizer): { class_name: string; config: Record<string, unknown> } {
  const a = optimizer.algorithm;
  const learningRate = optimizer.learningRate;
  switch (a.kind) {
    case 'sgd':
      return { class_name: 'SGD', config: { learningRate } };
    case 'momentum':
      return { class_name: 'Momentum', config: { learningRate, momentum: a.momentum, useNesterov: a.nesterov } };
    case 'adam':
      return { class_name: 'Adam', config: { learningRate, beta1: a.beta1, beta2: a.beta2, epsilon: a.epsilon } };
    case 'rmsprop':
      return { class_name: 'RMSProp', config: { learningRate, decay: a.decay, momentum: a.momentum, epsilon: a.epsilon, centered: a.centered } };
    case 'adagrad':
      return { class_name: 'Adagrad', config: { learningRate, initialAccumulatorValue: optimizer.initialStateValue } };
    default:
      return a satisfies never;
  }
}

/** A file's trainingConfig → compile()'s arguments (names are checked by compile itself). */
export function compileArgsFromTrainingConfig(config: JsonObject, what: string): CompileArgs {
  const where = `${what}: trainingConfig`;
  const loss = own(config, 'loss');
  if (
    !(
      typeof loss === 'string' ||
      (Array.isArray(loss) && loss.every((l) => typeof l === 'string')) ||
      (isObject(loss) && Object.values(loss).every((l) => typeof l === 'string'))
    )
  )
    fail(`${where}.loss must be a loss name, a list or an object of them, got ${describeJson(loss)}`);
  const metrics = own(config, 'metrics');
  const lossWeights = own(config, 'loss_weights');
  const optimizer = own(config, 'optimizer_config');
  if (!isObject(optimizer)) fail(`${where}.optimizer_config must be { class_name, config }, got ${describeJson(optimizer)}`);
  const args: CompileArgs = { optimizer: optimizerFromConfig(optimizer, where), loss: loss as CompileArgs['loss'] };
  if (metrics !== undefined && metrics !== null) args.metrics = metrics as NonNullable<CompileArgs['metrics']>;
  if (lossWeights !== undefined && lossWeights !== null) args.lossWeights = lossWeights as NonNullable<CompileArgs['lossWeights']>;
  return args;
}

function optimizerFromConfig(spec: JsonObject, where: string): Optimizer {
  const className = own(spec, 'class_name');
  const raw = own(spec, 'config');
  const c = isObject(raw) ? raw : ({} as JsonObject);
  /** A number under its TF.js name or its Keras (snake_case) name. */
  const num = (names: string[], fallback?: number): number | undefined => {
    for (const n of names) {
      const v: Json | undefined = own(c, n);
      if (typeof v === 'number') return v;
      if (v !== undefined && v !== null) fail(`${where}.optimizer_config.config.${n} must be a number, got ${describeJson(v)}`);
    }
    return fallback;
  };
  const lr = (fallback: number) => num(['learningRate', 'learning_rate', 'lr'], fallback)!;
  switch (typeof className === 'string' ? className.toLowerCase() : className) {
    case 'sgd': {
      const momentum = num(['momentum'], 0)!;
      return momentum > 0 ? train.momentum(lr(0.01), momentum, own(c, 'nesterov') === true || own(c, 'useNesterov') === true) : train.sgd(lr(0.01));
    }
    case 'momentum':
      return train.momentum(lr(0.01), num(['momentum'], 0.9)!, own(c, 'useNesterov') === true || own(c, 'nesterov') === true);
    case 'adam':
      return train.adam(lr(0.001), num(['beta1', 'beta_1'], 0.9), num(['beta2', 'beta_2'], 0.999), num(['epsilon'], 1e-7));
    case 'rmsprop':
      return train.rmsprop(lr(0.001), num(['decay', 'rho'], 0.9), num(['momentum'], 0), num(['epsilon'], 1e-7), own(c, 'centered') === true);
    case 'adagrad':
      return train.adagrad(lr(0.01), num(['initialAccumulatorValue', 'initial_accumulator_value'], 0.1));
    default:
      return fail(
        `${where}.optimizer_config.class_name ${describeJson(className ?? null)} is not an optimizer weft has (SGD, Momentum, Adam, RMSProp, Adagrad)`,
      );
  }
}
