// optimizer: updates every parameter in one dispatch (TensorFlow.js semantics; see OptimizerKernel in
// ir/kernel.ts). Four parameters per vec4 load and store when the buffers are laid out in whole vec4s
// (training plans pad them: paddedParamCount); otherwise one parameter at a time.
import type { BufferDecl, OptimizerKernel } from '../ir/kernel.js';
import { optimizerStateArrays } from '../ir/kernel.js';
import { updateRule, penaltyLines } from './updateRule.js';
import { BufferSet, KernelCodegenError, assemble, perItemPrologue, storeF32, u32, type BufferVar, type GeneratedKernel } from './views.js';

/**
 * Invocations per workgroup and units (parameters, or vec4s of them) per invocation; bench/step-kernels.mjs
 * and bench/adam-variants.mjs measure others alone, but only fit tells (bench/fit-pair.mjs, bench/README.md):
 * at batch 32 eight per invocation ran 1.03–1.05× four, and sixteen 1.03–1.10× eight (four runs; wide & deep
 * and b256 1.01–1.03×), while one per invocation, fastest alone, ran 0.84–0.91× eight in fit. Fewer
 * invocations pay as long as the workgroups still split evenly over the cores: 32 per invocation (the
 * MLP's 6,198 vec4s in 4 workgroups) ran 0.97×, 16 in workgroups of 128 (4) 0.98×.
 */
export interface OptimizerShape {
  workgroupSize: number;
  perInvocation: number;
}
const SHAPE: OptimizerShape = { workgroupSize: 64, perInvocation: 16 };

export function generateOptimizer(desc: OptimizerKernel, decls: Record<string, BufferDecl>, shape: OptimizerShape = SHAPE): GeneratedKernel {
  const { workgroupSize, perInvocation } = shape;
  const { count, algorithm } = desc;
  const buffers = new BufferSet(desc.name, decls);
  const params = buffers.use(desc.params, true);
  const grads = buffers.use(desc.grads, false);
  const stateArrays = optimizerStateArrays(algorithm);
  const stride = desc.stateStride ?? count;
  for (const b of [params, grads]) {
    if (b.decl.elementType !== 'f32') throw new KernelCodegenError(desc.name, `"${b.name}" must hold f32`);
    if (b.decl.size < count) throw new KernelCodegenError(desc.name, `"${b.name}" holds ${b.decl.size} < ${count} elements`);
  }
  if (desc.params === desc.grads) throw new KernelCodegenError(desc.name, 'params and grads must be different buffers');
  if (stride < count) throw new KernelCodegenError(desc.name, `state stride ${stride} is less than the ${count} parameters`);
  let state: BufferVar | null = null;
  if (stateArrays > 0) {
    if (!desc.state) throw new KernelCodegenError(desc.name, `${algorithm.kind} needs an optimizer state buffer`);
    state = buffers.use(desc.state, true);
    const needed = (stateArrays - 1) * stride + count;
    if (state.decl.size < needed)
      throw new KernelCodegenError(
        desc.name,
        `optimizer state buffer "${state.name}" holds ${state.decl.size} < ${stateArrays} arrays of ${count} (stride ${stride})`,
      );
  }
  for (const term of desc.penalties ?? [])
    if (term.offset < 0 || term.offset + term.count > count)
      throw new KernelCodegenError(desc.name, `penalty range [${term.offset}, ${term.offset + term.count}) is outside the ${count} parameters`);

  // 4-wide when every array starts on a vec4 and the buffers hold whole vec4s past the last parameter.
  const padded = Math.ceil(count / 4) * 4;
  const extents: [BufferVar, number][] = [
    [params, padded],
    [grads, padded],
    ...(state ? [[state, (stateArrays - 1) * stride + padded] as [BufferVar, number]] : []),
  ];
  const wide = stride % 4 === 0 && extents.every(([b, extent]) => b.decl.size % 4 === 0 && b.decl.size >= extent);
  if (wide) for (const [b, extent] of extents) buffers.tryVec4Words(b.name, extent);
  const width = wide ? 4 : 1;
  const units = Math.ceil(count / width);
  const T = wide ? 'vec4<f32>' : 'f32';
  const u = wide ? 'j' : 'i';
  // The last vec4 reaches past `count`: its gradient is zero there, so the padding (zero in parameters and
  // state) stays as it is under every rule; one select on the gradient, not one per store.
  const tail = wide && count % 4 !== 0;
  const P = params.ident;
  const G = grads.ident;
  const slot = (s: number): string => (s === 0 ? `${state!.ident}[${u}]` : `${state!.ident}[${u} + ${u32((s * stride) / width)}]`);

  const lines: string[] = [`  let p = ${P}[${u}];`];
  if (wide) lines.unshift(`  let e = vec4<u32>(j * 4u) + vec4<u32>(0u, 1u, 2u, 3u);`);
  if (tail) lines.push(`  let live = e < vec4<u32>(${u32(count)});`);
  lines.push(`  ${desc.penalties?.length ? 'var' : 'let'} g = ${tail ? `select(vec4<f32>(0.0), ${G}[${u}], live)` : `${G}[${u}]`};`);
  for (const term of desc.penalties ?? []) lines.push(...penaltyLines(term, 'i', wide ? { lanes: 'e', unit: 'j' } : undefined));
  const rule = updateRule(algorithm, { type: T, param: `${P}[${u}]`, slot });
  const prologue = rule.prologue;
  const summary = rule.summary;
  lines.push(...rule.lines);
  if (desc.halfCopy) {
    // Mixed precision: the kernels read the weights from an f16 copy, refreshed with each update.
    const half = buffers.use(desc.halfCopy, true);
    if (half.decl.size < count) throw new KernelCodegenError(desc.name, `"${half.name}" holds ${half.decl.size} < ${count} elements`);
    if (!wide) lines.push(`  ${storeF32(half, 'i', `${P}[i]`, false)}`);
    else {
      lines.push(`  let written = ${P}[j];`);
      for (let k = 0; k < 4; k++) {
        const write = storeF32(half, `j * 4u + ${u32(k)}`, `written[${k}]`, false);
        lines.push(tail ? `  if (live[${k}]) { ${write} }` : `  ${write}`);
      }
    }
  }
  // Invocation x updates units x, x + spread, x + 2·spread, …: neighbouring invocations touch
  // neighbouring parameters on every iteration.
  const spread = Math.ceil(units / perInvocation);
  const { dispatch, code } = perItemPrologue(spread, workgroupSize);
  const body = [
    code,
    `  let lr = step.learningRate;`,
    ...prologue,
    `  for (var q = 0u; q < ${u32(perInvocation)}; q = q + 1u) {`,
    `  let ${u} = gidx + q * ${u32(spread)};`,
    `  if (${u} >= ${u32(units)}) { return; }`,
    ...lines,
    `  }`,
  ];
  const per = wide ? `${perInvocation} vec4s` : `${perInvocation}`;
  return assemble({
    desc,
    summary: `optimizer ${summary} over ${count} parameters, ${per} per invocation${desc.penalties?.length ? `, ${desc.penalties.length} weight penalties` : ''}`,
    buffers,
    workgroupSize,
    body: body.join('\n'),
    workgroups: dispatch.workgroups,
  });
}
