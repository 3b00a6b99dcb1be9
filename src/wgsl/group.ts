// Kernel groups: independent kernels (see src/ir/groupKernels.ts) combined into one module and one
// dispatch. Each part keeps its own code, renamed so that module-scope names do not collide, and runs
// on its own range of workgroups: workgroups [0, n0) run part 0, [n0, n0 + n1) part 1, and so on.

import { ENTRY_PARAMS, commentSafe, linearGroups, linearWorkgroupIndex, stepDeclaration, u32, type Binding, type BufferVar, type GeneratedKernel } from './views.js';

/** Why two generated kernels cannot share a dispatch, or null when they can. */
export function groupConflict(a: GeneratedKernel, b: GeneratedKernel): string | null {
  if (!a.module || !b.module) return 'a kernel has no module pieces';
  if (typeof a.module.workgroupSize !== 'number' || typeof b.module.workgroupSize !== 'number') return '3-D workgroups';
  if (a.module.workgroupSize !== b.module.workgroupSize) {
    // A narrower part runs in a wider workgroup with its extra invocations idle, which is only
    // valid when it has no barrier (an early return would make the barrier non-uniform).
    const narrow = a.module.workgroupSize < b.module.workgroupSize ? a : b;
    if (usesBarrier(narrow)) return 'different workgroup sizes, and the narrower kernel synchronises its workgroup';
  }
  if (a.workgroups[1] !== 1 || a.workgroups[2] !== 1 || b.workgroups[1] !== 1 || b.workgroups[2] !== 1) return '2-D dispatch';
  for (const x of a.module.buffers)
    for (const y of b.module.buffers)
      if (x.name === y.name && (x.vec4 !== y.vec4 || x.ident !== y.ident || (x.vec4 && (x.access === 'read_write' || y.access === 'read_write'))))
        return `buffer "${x.name}" is declared differently`;
  return null;
}

/** One module running every part; null when the parts cannot be combined. */
export function generateGroup(parts: GeneratedKernel[]): GeneratedKernel | null {
  if (parts.length === 1) return parts[0]!;
  for (let i = 0; i < parts.length; i++) for (let j = i + 1; j < parts.length; j++) if (groupConflict(parts[i]!, parts[j]!)) return null;
  const workgroupSize = Math.max(...parts.map((p) => p.module!.workgroupSize as number));
  // One binding per distinct buffer, read_write when any part writes it.
  const buffers = new Map<string, BufferVar>();
  for (const part of parts)
    for (const v of part.module!.buffers) {
      const seen = buffers.get(v.name);
      if (!seen) buffers.set(v.name, { ...v, binding: buffers.size });
      else if (v.access === 'read_write') seen.access = 'read_write';
    }
  const declarations = [...buffers.values()].map((v) => {
    const element = v.vec4 ? 'vec4<f32>' : v.decl.elementType === 'u8' ? 'u32' : v.decl.elementType;
    return `@group(0) @binding(${v.binding}) var<storage, ${v.access}> ${v.ident}: array<${element}>;`;
  });
  const usesStep = parts.some((p) => p.usesStep);
  const pieces: string[] = [];
  const calls: string[] = [];
  let first = 0;
  parts.forEach((part, index) => {
    const suffix = `_p${index}`;
    const { helpers, body } = renameModuleScope(part.module!.helpers, part.module!.body, suffix);
    const size = part.module!.workgroupSize as number;
    const guard = size < workgroupSize ? `  if (lidx >= ${u32(size)}) { return; }\n` : '';
    pieces.push(`// part ${index}: ${commentSafe(part.name)}`, helpers, `fn part${index}(wid: vec3<u32>, lidx: u32) {\n${guard}${body}\n}`);
    const count = part.workgroups[0];
    calls.push(`  if (g < ${u32(first + count)}) { part${index}(vec3<u32>(g - ${u32(first)}, 0u, 0u), lidx); return; }`);
    first += count;
  });
  const dispatch = linearGroups(first);
  const wgsl = [
    `// weft kernel group: ${parts.map((p) => commentSafe(p.name)).join(' | ')}`,
    declarations.join('\n'),
    usesStep ? stepDeclaration() : '',
    ...pieces,
    `@compute @workgroup_size(${workgroupSize})\nfn main(${ENTRY_PARAMS}) {\n  ${linearWorkgroupIndex(dispatch).replace('let wg', 'let g')}\n${calls.join('\n')}\n}`,
  ]
    .filter((s) => s.length > 0)
    .join('\n\n');
  const bindings: Binding[] = [...buffers.values()].map((v) => ({ binding: v.binding, buffer: v.name, access: v.access }));
  return {
    name: parts.map((p) => p.name).join(' | '),
    wgsl: `${wgsl}\n`,
    entryPoint: 'main',
    bindings,
    usesStep,
    workgroups: dispatch.workgroups,
  };
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
