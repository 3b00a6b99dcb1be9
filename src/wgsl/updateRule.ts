// The optimizer's per-parameter update as WGSL statements, shared by the optimizer kernel (every
// parameter, one or four per load) and the matmul epilogue that applies it in place of storing a
// weight gradient (MatmulKernel.update). Semantics: OptimizerKernel in src/ir/kernel.ts.
import type { OptimizerAlgorithm, PenaltyTerm } from '../ir/kernel.js';
import { f32, u32 } from './views.js';

/** Where the statements find and put things; `p` and `g` are in scope (g a `var` when penalties apply). */
export interface UpdateAccess {
  /** WGSL type of one unit: 'f32', or 'vec4<f32>' for four parameters at once. */
  type: 'f32' | 'vec4<f32>';
  /** The parameter's storage (an lvalue). */
  param: string;
  /** State array s's storage for this unit (an lvalue). */
  slot: (s: number) => string;
}

/** The statement writing `value` to `target` (an lvalue). */
const store = (target: string, value: string): string => `  ${target} = ${value};`;

export interface UpdateRule {
  /** The algorithm and its constants, for kernel summaries. */
  summary: string;
  /** Per-invocation lines before any unit (they read `lr` = step.learningRate and the Step uniform). */
  prologue: string[];
  /** Per-unit lines after `p` and `g` are loaded. */
  lines: string[];
}

export function updateRule(algorithm: OptimizerAlgorithm, access: UpdateAccess): UpdateRule {
  const { slot } = access;
  const P = access.param;
  switch (algorithm.kind) {
    case 'sgd':
      return { summary: 'sgd', prologue: [], lines: [store(P, 'p - lr * g')] };
    case 'momentum': {
      const mu = f32(algorithm.momentum);
      return {
        summary: `momentum ${algorithm.momentum}${algorithm.nesterov ? ' nesterov' : ''}`,
        prologue: [],
        lines: [
          `  let a0 = ${slot(0)};`,
          `  let a = ${mu} * a0 + g;`,
          store(slot(0), 'a'),
          store(P, algorithm.nesterov ? `p - lr * (g + ${mu} * a)` : 'p - lr * a'),
        ],
      };
    }
    case 'adam': {
      const { beta1, beta2, epsilon } = algorithm;
      // m̂ / (sqrt(v̂) + ε) = [sqrt(1 − β2ᵗ) / (1 − β1ᵗ)] · m / (sqrt(v) + ε · sqrt(1 − β2ᵗ)): the bias
      // corrections are folded into two per-invocation factors, leaving one division per parameter.
      return {
        summary: `adam β1=${beta1} β2=${beta2} ε=${epsilon}`,
        prologue: [
          `  let rootCorrection2 = sqrt(1.0 - step.beta2Power);`,
          `  let stepSize = lr * rootCorrection2 / (1.0 - step.beta1Power);`,
          `  let epsilonHat = ${f32(epsilon)} * rootCorrection2;`,
        ],
        lines: [
          `  let m0 = ${slot(0)};`,
          `  let v0 = ${slot(1)};`,
          `  let m = ${f32(beta1)} * m0 + ${f32(1 - beta1)} * g;`,
          `  let v = ${f32(beta2)} * v0 + ${f32(1 - beta2)} * g * g;`,
          store(slot(0), 'm'),
          store(slot(1), 'v'),
          store(P, 'p - stepSize * m / (sqrt(v) + epsilonHat)'),
        ],
      };
    }
    case 'rmsprop': {
      const { decay, momentum, epsilon, centered } = algorithm;
      const lines = [
        `  let ms0 = ${slot(0)};`,
        `  let mom0 = ${slot(1)};`,
        `  let ms = ${f32(decay)} * ms0 + ${f32(1 - decay)} * g * g;`,
        store(slot(0), 'ms'),
      ];
      if (centered) {
        lines.push(
          `  let mg0 = ${slot(2)};`,
          `  let mg = ${f32(decay)} * mg0 + ${f32(1 - decay)} * g;`,
          store(slot(2), 'mg'),
          `  let mom = ${f32(momentum)} * mom0 + lr * g / sqrt(ms - mg * mg + ${f32(epsilon)});`,
        );
      } else {
        lines.push(`  let mom = ${f32(momentum)} * mom0 + lr * g / sqrt(ms + ${f32(epsilon)});`);
      }
      lines.push(store(slot(1), 'mom'), store(P, 'p - mom'));
      return { summary: `rmsprop decay=${decay} momentum=${momentum} ε=${epsilon}${centered ? ' centered' : ''}`, prologue: [], lines };
    }
    case 'adagrad':
      return {
        summary: `adagrad ε=${algorithm.epsilon}`,
        prologue: [],
        lines: [`  let acc0 = ${slot(0)};`, `  let acc = acc0 + g * g;`, store(slot(0), 'acc'), store(P, `p - lr * g / sqrt(acc + ${f32(algorithm.epsilon)})`)],
      };
    default:
      return algorithm satisfies never;
  }
}

/**
 * A regularized range's gradient 2·l2·p + l1·d|p| added to g, where d|p| is TensorFlow.js's gradient
 * of abs: 1 for p > 0, else −1 (also at 0). `index` is the parameter's element index (u32); 4-wide
 * (`lanes` = the vec4<u32> of the four indices, `unit` the vec4's index): only the range's own lanes.
 */
export function penaltyLines(term: PenaltyTerm, index: string, wide?: { lanes: string; unit: string }): string[] {
  const T = wide ? 'vec4<f32>' : 'f32';
  const parts = [
    ...(term.l2 !== 0 ? [`${f32(2 * term.l2)} * p`] : []),
    ...(term.l1 !== 0 ? [`${f32(term.l1)} * select(${T}(-1.0), ${T}(1.0), p > ${T}(0.0))`] : []),
  ];
  if (!parts.length) return [];
  const lo = term.offset;
  const hi = term.offset + term.count;
  if (!wide) return [`  if (${index} >= ${u32(lo)} && ${index} < ${u32(hi)}) { g = g + ${parts.join(' + ')}; }`];
  const { lanes: e, unit: j } = wide;
  const inRange = `(${e} >= vec4<u32>(${u32(lo)})) & (${e} < vec4<u32>(${u32(hi)}))`;
  return [
    `  if (${j} >= ${u32(Math.floor(lo / 4))} && ${j} < ${u32(Math.ceil(hi / 4))}) { g = g + select(vec4<f32>(0.0), ${parts.join(' + ')}, ${inRange}); }`,
  ];
}
