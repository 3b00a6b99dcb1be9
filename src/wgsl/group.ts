// Kernel groups: kernels that src/ir/plan/dispatchGroups.ts grouped, combined into one module and one
// dispatch. Each part keeps its own code, renamed so that module-scope names do not collide, and runs
// on its own range of workgroups: workgroups [0, n0) run part 0, [n0, n0 + n1) part 1, and so on.

import type { DispatchTraits } from '../ir/kernel.js';
import {
  ENTRY_PARAMS,
  ROW_PART,
  commentSafe,
  enableDirectives,
  linearGroups,
  linearWorkgroupIndex,
  stepDeclaration,
  u32,
  storageArrayType,
  type Binding,
  type BufferVar,
  type GeneratedKernel,
} from './views.js';

/** The facts about a generated kernel that decide whether it can share a dispatch (decided in src/ir/plan/dispatchGroups.ts). */
export function dispatchTraits(kernel: GeneratedKernel): DispatchTraits {
  const size = kernel.module?.workgroupSize;
  return {
    workgroupSize: typeof size === 'number' ? size : null,
    usesBarrier: !!kernel.module && usesBarrier(kernel),
    workgroups: [kernel.workgroups[0], kernel.workgroups[1], kernel.workgroups[2]],
    buffers: (kernel.module?.buffers ?? []).map((b) => ({ name: b.name, ident: b.ident, vec4: b.vec4, readWrite: b.access === 'read_write' })),
  };
}

/**
 * One module running every part (parts grouped by groupDispatches, so their code is compatible), each
 * on its own range of workgroups; the kernels in `oneWorkgroup` (small ones, without barriers) share
 * one more workgroup, one after another, each looping over its workgroups (a row-parts chain's weight
 * gradients: as workgroups of their own they made their dispatch ~0.1 ms slower on SwiftShader,
 * bench/README.md).
 */
export function generateGroup(parts: GeneratedKernel[], oneWorkgroup: GeneratedKernel[] = []): GeneratedKernel {
  if (parts.length === 1 && oneWorkgroup.length === 0) return parts[0]!;
  const all = [...parts, ...oneWorkgroup];
  const shared = sharedModule(all, true);
  const calls: string[] = [];
  let first = 0;
  parts.forEach((part, index) => {
    const count = part.workgroups[0];
    calls.push(`  if (g < ${u32(first + count)}) { part${index}(vec3<u32>(g - ${u32(first)}, 0u, 0u), lidx); return; }`);
    first += count;
  });
  if (oneWorkgroup.length > 0) {
    if (oneWorkgroup.some(usesBarrier)) throw new Error('internal: a kernel sharing one workgroup synchronises its workgroup');
    const loops = oneWorkgroup.map(
      (part, j) => `    for (var it = 0u; it < ${u32(part.workgroups[0])}; it = it + 1u) { part${parts.length + j}(vec3<u32>(it, 0u, 0u), lidx); }`,
    );
    calls.push(`  if (g == ${u32(first)}) {`, ...loops, '  }');
    first += 1;
  }
  const dispatch = linearGroups(first);
  const main = `@compute @workgroup_size(${shared.workgroupSize})\nfn main(${ENTRY_PARAMS}) {\n  ${linearWorkgroupIndex(dispatch).replace('let wg', 'let g')}\n${calls.join('\n')}\n}`;
  return shared.kernel(all.map((p) => p.name).join(' | '), main, dispatch.workgroups);
}

/**
 * A chain (chainDispatches): the stages run one after another in a single workgroup, a storage
 * barrier between stages, so each stage reads what the one before wrote (stageLines).
 */
export function generateChain(stages: GeneratedKernel[][]): GeneratedKernel {
  if (stages.length === 1) return generateGroup(stages[0]!);
  const shared = sharedModule(stages.flat(), false);
  const main = `@compute @workgroup_size(${shared.workgroupSize})\nfn main(${ENTRY_PARAMS}) {\n${stageLines(stages, shared.workgroupSize).join('\n')}\n}`;
  return shared.kernel(stages.map((stage) => stage.map((p) => p.name).join(' | ')).join(' → '), main, [1, 1, 1]);
}

/**
 * Row parts (plan/rowParts.ts): `count` workgroups each run the stages as a chain does, over their own
 * rows, with no synchronisation between workgroups. The stages' kernels are generated once for a
 * part's rows (View.partRows, LossHeadKernel.rowPart): they read the part's index from `row_part`,
 * which each workgroup sets to its own index first.
 */
export function generateRowParts(stages: GeneratedKernel[][], count: number): GeneratedKernel {
  const shared = sharedModule(stages.flat(), false, [`var<private> ${ROW_PART}: u32;`]);
  const main = `@compute @workgroup_size(${shared.workgroupSize})\nfn main(${ENTRY_PARAMS}) {\n  ${ROW_PART} = wid.x;\n${stageLines(stages, shared.workgroupSize).join('\n')}\n}`;
  const name = stages.map((stage) => stage.map((k) => k.name).join(' | ')).join(' → ');
  return shared.kernel(`${name} (${count} row parts)`, main, [count, 1, 1]);
}

/**
 * A chain's stages as lines of its entry point: the stages one after another, a storage barrier
 * between them; part functions numbered in order (sharedModule's). A part's workgroups run
 * in turn, as many side by side as fit in the module's workgroup (`width`; a quad kernel's 4-wide
 * workgroups sit 16 to a 64-wide one); a part that synchronises its workgroup runs one workgroup at a
 * time, with a barrier after each so that the next one may reuse its workgroup memory.
 */
function stageLines(stages: GeneratedKernel[][], width: number): string[] {
  const lines: string[] = [];
  let index = 0;
  stages.forEach((stage, s) => {
    if (s > 0) lines.push('  storageBarrier();');
    for (const part of stage) {
      const size = part.module!.workgroupSize as number;
      const count = part.workgroups[0];
      lines.push(`  // stage ${s}: ${commentSafe(part.name)} (${count} workgroup${count === 1 ? '' : 's'} of ${size})`);
      if (usesBarrier(part)) {
        lines.push(`  for (var it = 0u; it < ${u32(count)}; it = it + 1u) { part${index}(vec3<u32>(it, 0u, 0u), lidx); workgroupBarrier(); }`);
      } else {
        // `side` part workgroups per iteration; lanes past side·size (when size does not divide the width) stay idle.
        const side = Math.floor(width / size);
        const local = size === width ? 'lidx' : `lidx % ${u32(size)}`;
        const w = side === 1 ? 'it' : `it * ${u32(side)} + lidx / ${u32(size)}`;
        const live = side * size === width ? `w < ${u32(count)}` : `lidx < ${u32(side * size)} && w < ${u32(count)}`;
        lines.push(
          `  for (var it = 0u; it < ${u32(Math.ceil(count / side))}; it = it + 1u) { let w = ${w}; if (${live}) { part${index}(vec3<u32>(w, 0u, 0u), ${local}); } }`,
        );
      }
      index++;
    }
  });
  return lines;
}

/**
 * What a group and a chain share: one binding per distinct buffer (read_write when any part writes
 * it), each part's code renamed and wrapped as `partN(wid, lidx)`. `guardNarrow`: a part narrower than
 * the module's workgroup returns at once in the invocations it does not have (a group passes the
 * module's lidx; a chain passes each part its own).
 */
function sharedModule(parts: GeneratedKernel[], guardNarrow: boolean, moduleVariables: string[] = []) {
  if (parts.some((p) => !p.module || typeof p.module.workgroupSize !== 'number')) throw new Error('internal: a kernel group part has no module pieces');
  const workgroupSize = Math.max(...parts.map((p) => p.module!.workgroupSize as number));
  const buffers = new Map<string, BufferVar>();
  for (const part of parts)
    for (const v of part.module!.buffers) {
      const seen = buffers.get(v.name);
      if (!seen) buffers.set(v.name, { ...v, binding: buffers.size });
      else if (v.access === 'read_write') seen.access = 'read_write';
    }
  const declarations = [...buffers.values()].map((v) => `@group(0) @binding(${v.binding}) var<storage, ${v.access}> ${v.ident}: ${storageArrayType(v)};`);
  const usesStep = parts.some((p) => p.usesStep);
  const pieces: string[] = [];
  parts.forEach((part, index) => {
    const { helpers, body } = renameModuleScope(part.module!.helpers, part.module!.body, `_p${index}`);
    const size = part.module!.workgroupSize as number;
    const guard = guardNarrow && size < workgroupSize ? `  if (lidx >= ${u32(size)}) { return; }\n` : '';
    pieces.push(`// part ${index}: ${commentSafe(part.name)}${partSummary(part)}`, helpers, `fn part${index}(wid: vec3<u32>, lidx: u32) {\n${guard}${body}\n}`);
  });
  const bindings: Binding[] = [...buffers.values()].map((v) => ({ binding: v.binding, buffer: v.name, access: v.access }));
  const kernel = (name: string, main: string, workgroups: [number, number, number]): GeneratedKernel => {
    const wgsl = [
      enableDirectives(
        [...buffers.values()],
        parts.flatMap((p) => p.module!.enables ?? []),
      ),
      `// weft kernel group: ${commentSafe(name)}`,
      declarations.join('\n'),
      usesStep ? stepDeclaration() : '',
      ...moduleVariables,
      ...pieces,
      main,
    ]
      .filter((s) => s.length > 0)
      .join('\n\n');
    return { name, wgsl: `${wgsl}\n`, entryPoint: 'main', bindings, usesStep, workgroups };
  };
  return { workgroupSize, kernel };
}

/** The part's summary line (its module's second header line), kept so that a group's text still says what each part computes. */
function partSummary(part: GeneratedKernel): string {
  const lines = part.wgsl.split('\n');
  const at = lines.findIndex((l) => l.startsWith('// weft kernel: '));
  const line = at >= 0 ? lines[at + 1] : undefined;
  return line?.startsWith('// ') ? `\n${line}` : '';
}

function usesBarrier(kernel: GeneratedKernel): boolean {
  return /\b(workgroupBarrier|storageBarrier|workgroupUniformLoad)\b/.test(kernel.module!.body + kernel.module!.helpers);
}

/** Renames functions, constants and workgroup variables declared in `helpers` (and their uses). */
function renameModuleScope(helpers: string, body: string, suffix: string): { helpers: string; body: string } {
  const names = new Set<string>();
  for (const match of helpers.matchAll(/\bfn\s+([A-Za-z_]\w*)/g)) names.add(match[1]!);
  for (const match of helpers.matchAll(/\bvar<workgroup>\s+([A-Za-z_]\w*)/g)) names.add(match[1]!);
  for (const match of helpers.matchAll(/^\s*(?:const|override)\s+([A-Za-z_]\w*)/gm)) names.add(match[1]!);
  let h = helpers;
  let b = body;
  for (const name of names) {
    const pattern = new RegExp(`\\b${name}\\b`, 'g');
    h = h.replace(pattern, `${name}${suffix}`);
    b = b.replace(pattern, `${name}${suffix}`);
  }
  return { helpers: h, body: b };
}
