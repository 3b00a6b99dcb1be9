// optimizer: updates every parameter in one dispatch, a few consecutive parameters per invocation
// (TensorFlow.js semantics; see OptimizerKernel in ir/kernel.ts).
import type { BufferDecl, OptimizerKernel } from '../ir/kernel.js';
import { optimizerStateArrays } from '../ir/kernel.js';
import { BufferSet, KernelCodegenError, assemble, f32, perItemPrologue, storeF32, u32, type GeneratedKernel } from './views.js';

const WORKGROUP_SIZE = 64;
const PER_INVOCATION = 4;

export function generateOptimizer(desc: OptimizerKernel, decls: Record<string, BufferDecl>): GeneratedKernel {
  const { count, algorithm } = desc;
  const buffers = new BufferSet(desc.name, decls);
  const params = buffers.use(desc.params, true);
  const grads = buffers.use(desc.grads, false);
  const stateArrays = optimizerStateArrays(algorithm);
  for (const b of [params, grads]) {
    if (b.decl.elementType !== 'f32') throw new KernelCodegenError(desc.name, `"${b.name}" must hold f32`);
    if (b.decl.size < count) throw new KernelCodegenError(desc.name, `"${b.name}" holds ${b.decl.size} < ${count} elements`);
  }
  if (desc.params === desc.grads) throw new KernelCodegenError(desc.name, 'params and grads must be different buffers');
  let slots = '';
  if (stateArrays > 0) {
    if (!desc.state) throw new KernelCodegenError(desc.name, `${algorithm.kind} needs an optimizer state buffer`);
    const s = buffers.use(desc.state, true);
    if (s.decl.size < stateArrays * count)
      throw new KernelCodegenError(desc.name, `optimizer state buffer "${s.name}" holds ${s.decl.size} < ${stateArrays} × ${count}`);
    slots = s.ident;
  }
  const P = params.ident;
  const G = grads.ident;
  const slot = (s: number): string => (s === 0 ? `${slots}[i]` : `${slots}[i + ${u32(s * count)}]`);
  // Regularized weights: the penalty's gradient 2·l2·p + l1·d|p| joins the loss gradient, where d|p| is
  // TensorFlow.js's gradient of abs: 1 for p > 0, else −1 (also at 0: step(p, −1)).
  const lines: string[] = [`  ${desc.penalties?.length ? 'var' : 'let'} g = ${G}[i];`];
  for (const term of desc.penalties ?? []) {
    if (term.offset < 0 || term.offset + term.count > count)
      throw new KernelCodegenError(desc.name, `penalty range [${term.offset}, ${term.offset + term.count}) is outside the ${count} parameters`);
    const parts = [
      ...(term.l2 !== 0 ? [`${f32(2 * term.l2)} * ${P}[i]`] : []),
      ...(term.l1 !== 0 ? [`${f32(term.l1)} * select(-1.0, 1.0, ${P}[i] > 0.0)`] : []),
    ];
    if (parts.length) lines.push(`  if (i >= ${u32(term.offset)} && i < ${u32(term.offset + term.count)}) { g = g + ${parts.join(' + ')}; }`);
  }
  const prologue: string[] = [];
  let summary: string;
  switch (algorithm.kind) {
    case 'sgd':
      summary = 'sgd';
      lines.push(`  ${P}[i] = ${P}[i] - lr * g;`);
      break;
    case 'momentum': {
      const mu = f32(algorithm.momentum);
      summary = `momentum ${algorithm.momentum}${algorithm.nesterov ? ' nesterov' : ''}`;
      lines.push(`  let a = ${mu} * ${slot(0)} + g;`, `  ${slot(0)} = a;`);
      lines.push(algorithm.nesterov ? `  ${P}[i] = ${P}[i] - lr * (g + ${mu} * a);` : `  ${P}[i] = ${P}[i] - lr * a;`);
      break;
    }
    case 'adam': {
      const { beta1, beta2, epsilon } = algorithm;
      summary = `adam β1=${beta1} β2=${beta2} ε=${epsilon}`;
      // m̂ / (sqrt(v̂) + ε) = [sqrt(1 − β2ᵗ) / (1 − β1ᵗ)] · m / (sqrt(v) + ε · sqrt(1 − β2ᵗ)): the bias
      // corrections are folded into two per-invocation factors, leaving one division per parameter.
      prologue.push(
        `  let rootCorrection2 = sqrt(1.0 - step.beta2Power);`,
        `  let stepSize = lr * rootCorrection2 / (1.0 - step.beta1Power);`,
        `  let epsilonHat = ${f32(epsilon)} * rootCorrection2;`,
      );
      lines.push(
        `  let m = ${f32(beta1)} * ${slot(0)} + ${f32(1 - beta1)} * g;`,
        `  let v = ${f32(beta2)} * ${slot(1)} + ${f32(1 - beta2)} * g * g;`,
        `  ${slot(0)} = m;`,
        `  ${slot(1)} = v;`,
        `  ${P}[i] = ${P}[i] - stepSize * m / (sqrt(v) + epsilonHat);`,
      );
      break;
    }
    case 'rmsprop': {
      const { decay, momentum, epsilon, centered } = algorithm;
      summary = `rmsprop decay=${decay} momentum=${momentum} ε=${epsilon}${centered ? ' centered' : ''}`;
      lines.push(`  let ms = ${f32(decay)} * ${slot(0)} + ${f32(1 - decay)} * g * g;`, `  ${slot(0)} = ms;`);
      if (centered) {
        lines.push(
          `  let mg = ${f32(decay)} * ${slot(2)} + ${f32(1 - decay)} * g;`,
          `  ${slot(2)} = mg;`,
          `  let mom = ${f32(momentum)} * ${slot(1)} + lr * g / sqrt(ms - mg * mg + ${f32(epsilon)});`,
        );
      } else {
        lines.push(`  let mom = ${f32(momentum)} * ${slot(1)} + lr * g / sqrt(ms + ${f32(epsilon)});`);
      }
      lines.push(`  ${slot(1)} = mom;`, `  ${P}[i] = ${P}[i] - mom;`);
      break;
    }
    case 'adagrad': {
      summary = `adagrad ε=${algorithm.epsilon}`;
      lines.push(`  let acc = ${slot(0)} + g * g;`, `  ${slot(0)} = acc;`, `  ${P}[i] = ${P}[i] - lr * g / sqrt(acc + ${f32(algorithm.epsilon)});`);
      break;
    }
    default:
      return algorithm satisfies never;
  }
  if (desc.halfCopy) {
    // Mixed precision: the kernels read the weights from an f16 copy, refreshed with each update.
    const half = buffers.use(desc.halfCopy, true);
    if (half.decl.size < count) throw new KernelCodegenError(desc.name, `"${half.name}" holds ${half.decl.size} < ${count} elements`);
    lines.push(`  ${storeF32(half, 'i', `${P}[i]`, false)}`);
  }
  // Invocation g updates g, g + stride, g + 2·stride, …: neighbouring invocations touch neighbouring
  // parameters on every iteration.
  const stride = Math.ceil(count / PER_INVOCATION);
  const { dispatch, code } = perItemPrologue(stride, WORKGROUP_SIZE);
  const body = [
    code,
    `  let lr = step.learningRate;`,
    ...prologue,
    `  for (var q = 0u; q < ${u32(PER_INVOCATION)}; q = q + 1u) {`,
    `  let i = gidx + q * ${u32(stride)};`,
    `  if (i >= ${u32(count)}) { return; }`,
    ...lines,
    `  }`,
  ];
  return assemble({
    desc,
    summary: `optimizer ${summary} over ${count} parameters, ${PER_INVOCATION} per invocation${desc.penalties?.length ? `, ${desc.penalties.length} weight penalties` : ''}`,
    buffers,
    workgroupSize: WORKGROUP_SIZE,
    body: body.join('\n'),
    workgroups: dispatch.workgroups,
  });
}
