// Shared helpers for WGSL code generation: literals, buffer bindings, view indexing, element
// loads/stores (u8 unpacking), the Step uniform, activations and dispatch-shape helpers.
// Pure strings: nothing here touches WebGPU.
import type { BufferDecl, ElementType, ElementwiseActivation, KernelDesc, View } from '../ir/kernel.js';
import { STEP_UNIFORM_FIELDS, kernelUsesStep } from '../ir/kernel.js';
import type { QuadChoice } from './quadShape.js';

/** WebGPU's default (and common) maxComputeWorkgroupsPerDimension. */
export const MAX_WORKGROUPS_PER_DIMENSION = 65535;

export type Access = 'read' | 'read_write';

export interface Binding {
  binding: number;
  buffer: string;
  access: Access;
}

export interface GeneratedKernel {
  name: string;
  wgsl: string;
  entryPoint: 'main';
  bindings: Binding[];
  usesStep: boolean;
  workgroups: [number, number, number];
  /** The module's pieces, so that independent kernels can be combined into one dispatch (group.ts). */
  module?: ModulePieces;
}

/** A generated module before assembly. */
export interface ModulePieces {
  buffers: BufferVar[];
  helpers: string;
  body: string;
  workgroupSize: number | [number, number, number];
  /** WGSL extensions the code needs (see ModuleParts.enables). */
  enables?: string[];
}

export interface GenerateOptions {
  /**
   * Matmul strategy: 'registerTiled' (default; CPU adapters without subgroups), 'quadTiled' (CPU
   * adapters with the `subgroups` feature: the module enables it) or 'workgroupTiled' (real GPUs).
   */
  variant?: 'registerTiled' | 'workgroupTiled' | 'quadTiled';
  /** registerTiled: output rows × columns per invocation (default: chosen from the output size). */
  registerBlock?: [4 | 8, 4 | 8];
  /** quadTiled: rows × column groups of a quad's block, the workgroup size and (matmul) how A is shared and which operand the lanes own (default: chooseQuadBlock; conv2d: chooseConvQuad). */
  quad?: QuadChoice;
  /**
   * Single-workgroup reductions (loss heads) run in one quad and sum with subgroupAdd instead of 64
   * invocations, workgroup memory and a barrier (needs the `subgroups` feature; generateLossHead).
   */
  quadReduction?: boolean;
  /**
   * Kernels of one invocation per item (elementwise, gather, softmaxRows, columnSum): their workgroup
   * size instead of each kernel's own. Stages of a single-workgroup module on a CPU adapter take the
   * quads' 4 (runtime/planKernels.ts): SwiftShader runs a workgroup wider than its SIMD width (4) as
   * one coroutine per 4 invocations and switches them at every barrier between stages, which made a
   * chain with dropout 64 wide (its fit 1.08× at 4 wide; bench/README.md).
   */
  itemWorkgroupSize?: number;
}

/** Raised for a kernel description that cannot be compiled (bad buffer, bad sizes...). */
export class KernelCodegenError extends Error {
  constructor(kernelName: string, message: string) {
    super(`kernel "${kernelName}": ${message}`);
    this.name = 'KernelCodegenError';
  }
}

// ---------------------------------------------------------------------------------------------
// literals

/** A u32 literal, e.g. `12u`. */
export function u32(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`not a u32: ${n}`);
  return `${n}u`;
}

/** An f32 literal, e.g. `0.5f`, `(-1e-7f)`. */
export function f32(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`not a finite f32: ${x}`);
  const v = Math.fround(x);
  if (!Number.isFinite(v)) throw new Error(`out of f32 range: ${x}`);
  if (v === 0) return '0.0f';
  let s = String(Math.abs(v));
  if (!/[.e]/.test(s)) s += '.0';
  s += 'f';
  return v < 0 ? `(-${s})` : s;
}

// ---------------------------------------------------------------------------------------------
// buffers and bindings

export interface BufferVar {
  name: string;
  decl: BufferDecl;
  binding: number;
  access: Access;
  /** WGSL identifier of the storage variable. */
  ident: string;
  /**
   * Declared as an array of vec4s, chosen by a kernel for 4-wide accesses: f32 buffers (size a multiple
   * of 4 elements) as array<vec4<f32>>, scalar loads then indexing `[i >> 2][i & 3]`; read-only u8
   * buffers as array<vec4<u32>> (16 bytes each).
   */
  vec4: boolean;
}

/**
 * Collects the distinct buffers a kernel touches; each gets exactly one binding in group 0
 * (read_write if any view of it is written), in order of first use.
 */
export class BufferSet {
  private readonly vars = new Map<string, BufferVar>();
  private readonly idents = new Set<string>();

  constructor(
    readonly kernelName: string,
    private readonly decls: Record<string, BufferDecl>,
  ) {}

  use(bufferName: string, write: boolean): BufferVar {
    let v = this.vars.get(bufferName);
    if (!v) {
      const decl = this.decls[bufferName];
      if (!decl) throw new KernelCodegenError(this.kernelName, `buffer "${bufferName}" is not declared`);
      let ident = `buf_${bufferName.replace(/[^A-Za-z0-9_]/g, '_').replace(/_+/g, '_')}`.replace(/_+$/, '');
      if (ident === 'buf' || this.idents.has(ident)) ident = `${ident}_${this.vars.size}`;
      this.idents.add(ident);
      v = { name: bufferName, decl, binding: this.vars.size, access: 'read', ident, vec4: false };
      this.vars.set(bufferName, v);
    }
    if (write) {
      if (v.decl.elementType !== 'f32' && v.decl.elementType !== 'f16') {
        throw new KernelCodegenError(
          this.kernelName,
          `writes buffer "${bufferName}" of element type ${v.decl.elementType} (only f32 and f16 buffers are written)`,
        );
      }
      v.access = 'read_write';
      v.vec4 = false;
    }
    return v;
  }

  /** Declares a read-only f32 buffer as array<vec4<f32>>, if allowed; returns whether it now is. */
  tryVec4(bufferName: string): boolean {
    const v = this.get(bufferName);
    if (v.access === 'read' && v.decl.elementType === 'f32' && v.decl.size % 4 === 0) v.vec4 = true;
    return v.vec4;
  }

  /** Declares a read-only u8 buffer as array<vec4<u32>> (16 bytes per element); returns whether it now is. */
  tryVec4Bytes(bufferName: string): boolean {
    const v = this.get(bufferName);
    if (v.access === 'read' && v.decl.elementType === 'u8') v.vec4 = true;
    return v.vec4;
  }

  /**
   * Declares an f32 buffer, read-only or written, as array<vec4<f32>> when it holds at least `extent`
   * elements and a whole number of vec4s; returns whether it now is. The caller indexes it in vec4s
   * (storeF32 refuses vec4 buffers).
   */
  tryVec4Words(bufferName: string, extent: number): boolean {
    const v = this.get(bufferName);
    if (v.decl.elementType === 'f32' && v.decl.size % 4 === 0 && v.decl.size >= extent) v.vec4 = true;
    return v.vec4;
  }

  get(bufferName: string): BufferVar {
    const v = this.vars.get(bufferName);
    if (!v) throw new KernelCodegenError(this.kernelName, `buffer "${bufferName}" was not registered`);
    return v;
  }

  /** Registers a view's buffer and checks the view lies inside it (when rowBase is 0). */
  view(view: View, write: boolean, what: string): BufferVar {
    const v = this.use(view.buffer, write);
    checkView(this.kernelName, view, v.decl, what);
    return v;
  }

  variables(): BufferVar[] {
    return [...this.vars.values()].map((v) => ({ ...v }));
  }

  bindings(): Binding[] {
    return [...this.vars.values()].map((v) => ({ binding: v.binding, buffer: v.name, access: v.access }));
  }

  declarations(): string {
    const lines: string[] = [];
    for (const v of this.vars.values()) {
      const access = v.access === 'read_write' ? 'read_write' : 'read';
      const note = v.decl.elementType === 'u8' ? ' (u8, packed 4 per word)' : '';
      lines.push(`// "${commentSafe(v.name)}": ${v.decl.role}, ${v.decl.size} × ${v.decl.elementType}${note}`);
      lines.push(`@group(0) @binding(${v.binding}) var<storage, ${access}> ${v.ident}: ${storageArrayType(v)};`);
    }
    return lines.join('\n');
  }
}

function checkView(kernelName: string, view: View, decl: BufferDecl, what: string): void {
  const ints = [view.offset, view.rowStride, view.rows, view.cols];
  if (!ints.every((x) => Number.isInteger(x) && x >= 0)) {
    throw new KernelCodegenError(kernelName, `${what}: view of "${view.buffer}" has a negative or fractional offset/stride/size`);
  }
  // Size 0 declares a buffer bound at run time (datasets, predictions): its extent is not known here.
  if (view.rows > 0 && view.cols > 0 && decl.size > 0 && !view.rowBaseFromStep) {
    const last = view.offset + (view.rows - 1) * view.rowStride + view.cols;
    if (last > decl.size) {
      throw new KernelCodegenError(kernelName, `${what}: view of "${view.buffer}" ends at element ${last}, past its size ${decl.size}`);
    }
  }
}

export function commentSafe(s: string): string {
  return s.replace(/[\r\n\u2028\u2029]+/g, ' ').replace(/\*\//g, '* /');
}

// ---------------------------------------------------------------------------------------------
// element access

/** WGSL expression: element index of view(r, c), r and c being u32 expressions. */
export function viewIndex(view: View, r: string, c: string): string {
  // Gathered rows have no fixed index: only the generators that read them through the indices accept them (index.ts).
  if (view.gathered) throw new Error(`internal: a gathered view of "${view.buffer}" indexed as a fixed one`);
  const terms: string[] = [];
  if (view.offset !== 0) terms.push(u32(view.offset));
  const sampleStride = view.rowStride * (view.rowsPerSample ?? 1);
  if (view.rowBaseFromStep) terms.push(sampleStride === 1 ? 'step.rowBase' : `step.rowBase * ${u32(sampleStride)}`);
  if (view.partRows !== undefined) terms.push(`${ROW_PART} * ${u32(view.partRows * sampleStride)}`);
  if (r !== '0u' && view.rowStride !== 0) terms.push(view.rowStride === 1 ? `(${r})` : `(${r}) * ${u32(view.rowStride)}`);
  if (c !== '0u') terms.push(`(${c})`);
  return terms.length === 0 ? '0u' : terms.join(' + ');
}

/**
 * The module-scope variable holding a row part's index (its workgroup's, set by generateRowParts in
 * group.ts): kernels generated for a row part (View.partRows, LossHeadKernel.rowPart) read it, so they
 * compile only inside a row-parts module.
 */
export const ROW_PART = 'row_part';

/** WGSL expression: where row `r`'s sample index sits in the index buffer (step.rowBase + r, in a row part of `partRows` rows its rows further). */
export function samplePosition(r: string, partRows?: number): string {
  return partRows === undefined ? `step.rowBase + ${r}` : `step.rowBase + ${ROW_PART} * ${u32(partRows)} + ${r}`;
}

/** Whether every row of the view starts at a multiple of 4 elements (also after a rowBase shift). */
export function viewAligned4(view: View): boolean {
  return view.offset % 4 === 0 && view.rowStride % 4 === 0;
}

/** WGSL expression: the view's base element index (offset + rowBase shift), for precomputing. */
export function viewBase(view: View): string {
  return viewIndex(view, '0u', '0u');
}

/** Raw element load from a buffer as its WGSL storage type (u8 → u32 byte value). */
function loadRaw(v: BufferVar, index: string): string {
  if (v.decl.elementType === 'u8') {
    const word = v.vec4 ? `${v.ident}[(${index}) >> 4u][((${index}) >> 2u) & 3u]` : `${v.ident}[(${index}) >> 2u]`;
    return `((${word} >> (((${index}) & 3u) * 8u)) & 0xffu)`;
  }
  if (v.vec4) return `${v.ident}[(${index}) >> 2u][(${index}) & 3u]`;
  return `${v.ident}[${index}]`;
}

/** Loads element `index` of a buffer as f32 (converting f16 and integer element types). */
export function loadF32(v: BufferVar, index: string): string {
  const raw = loadRaw(v, index);
  return v.decl.elementType === 'f32' ? raw : `f32(${raw})`;
}

/**
 * The four bytes of a u32 word, lowest first, as `scale` × byte in a vec4<f32>. Bytes scaled by 1/255
 * (pixels that were k/255) go through unpack4x8unorm, one instruction where the shifts and masks are
 * several (on SwiftShader the same values as byte × f32(1/255): checked by the kernel tests).
 */
export function scaledBytes(word: string, scale: number): string {
  if (scale === Math.fround(1 / 255) || scale === 1 / 255) return `unpack4x8unorm(${word})`;
  const bytes = `vec4<f32>((vec4<u32>(${word}) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(255u))`;
  return scale === 1 ? bytes : `${f32(scale)} * ${bytes}`;
}

/** Loads element `index` of a buffer as u32 (f32 values are truncated; i32 reinterpreted). */
export function loadU32(v: BufferVar, index: string): string {
  const raw = loadRaw(v, index);
  return v.decl.elementType === 'u32' || v.decl.elementType === 'u8' ? raw : `u32(${raw})`;
}

/** Stores the f32 expression `value` (or adds it, in f32) into element `index`; f16 buffers round once, on store. */
export function storeF32(v: BufferVar, index: string, value: string, accumulate: boolean): string {
  if (v.vec4) throw new Error(`store into vec4-typed buffer ${v.name}`);
  switch (v.decl.elementType) {
    case 'f32':
      return accumulate ? `${v.ident}[${index}] = ${v.ident}[${index}] + ${value};` : `${v.ident}[${index}] = ${value};`;
    case 'f16':
      return accumulate ? `${v.ident}[${index}] = f16(f32(${v.ident}[${index}]) + ${value});` : `${v.ident}[${index}] = f16(${value});`;
    case 'u32':
    case 'i32':
    case 'u8':
      throw new Error(`store into ${v.decl.elementType} buffer ${v.name}`);
    default:
      return v.decl.elementType satisfies never;
  }
}

/**
 * The WGSL type of a storage buffer variable (its elements vec4<f32> where a kernel chose 4-wide loads): a
 * fixed-size array when the plan knows the buffer's size (the runtime makes every such buffer at least that
 * large), a runtime-sized one otherwise (datasets, predictions: size 0). With a constant length the bounds
 * clamp the WGSL compiler adds to every access is against a constant instead of arrayLength(); on
 * SwiftShader a load then costs ~2.4 instead of ~4.1 ns (bench/access-costs.mjs, bench/README.md).
 */
export function storageArrayType(v: BufferVar): string {
  const u8 = v.decl.elementType === 'u8';
  const elem = v.vec4 ? (u8 ? 'vec4<u32>' : 'vec4<f32>') : wgslElementType(v.decl.elementType);
  if (v.decl.size <= 0) return `array<${elem}>`;
  // f32 vec4 declarations cover whole vec4s only (tryVec4*: sizes are multiples of 4); u8 packs 4 per word, 16 per vec4.
  const length = v.vec4 ? (u8 ? Math.ceil(v.decl.size / 16) : v.decl.size / 4) : u8 ? Math.ceil(v.decl.size / 4) : v.decl.size;
  return `array<${elem}, ${length}>`;
}

export function wgslElementType(t: ElementType): string {
  return t === 'u8' ? 'u32' : t;
}

// ---------------------------------------------------------------------------------------------
// Step uniform

/** Each Step uniform field's WGSL type (the runtime packs records with the same table). */
export const STEP_FIELD_TYPES: Record<(typeof STEP_UNIFORM_FIELDS)[number], 'u32' | 'f32'> = {
  rowBase: 'u32',
  t: 'u32',
  learningRate: 'f32',
  beta1Power: 'f32',
  beta2Power: 'f32',
  seed: 'u32',
  rows: 'u32',
};

/** Size in bytes of the Step struct as WGSL lays it out (7 × 4 bytes). */
export const STEP_STRUCT_BYTES = STEP_UNIFORM_FIELDS.length * 4;

export function stepDeclaration(): string {
  const fields = STEP_UNIFORM_FIELDS.map((f) => `  ${f}: ${STEP_FIELD_TYPES[f]},`).join('\n');
  return `struct Step {\n${fields}\n}\n@group(1) @binding(0) var<uniform> step: Step;`;
}

// ---------------------------------------------------------------------------------------------
// activations (f32 in, f32 out)

/** WGSL helper functions for activations; include once per module that uses them. */
export const ACTIVATION_FUNCTIONS = `fn act_sigmoid(x: f32) -> f32 {
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}
fn act_tanh(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}`;

export function activationExpr(activation: ElementwiseActivation, x: string): string {
  switch (activation) {
    case 'linear':
      return x;
    case 'relu':
      return `max(${x}, 0.0)`;
    case 'sigmoid':
      return `act_sigmoid(${x})`;
    case 'tanh':
      return `act_tanh(${x})`;
    default:
      return activation satisfies never;
  }
}

/** dy × activation'(y) written in terms of the activation's output y (y and dy are simple identifiers). */
export function activationGradExpr(activation: ElementwiseActivation, y: string, dy: string): string {
  switch (activation) {
    case 'linear':
      return dy;
    case 'relu':
      return `select(0.0, ${dy}, ${y} > 0.0)`;
    case 'sigmoid':
      return `(${dy} * ${y} * (1.0 - ${y}))`;
    case 'tanh':
      return `(${dy} * (1.0 - ${y} * ${y}))`;
    default:
      return activation satisfies never;
  }
}

// ---------------------------------------------------------------------------------------------
// dispatch shapes

export interface LinearDispatch {
  workgroups: [number, number, number];
  /** Number of workgroups along x (the stride of workgroup_id.y). */
  groupsX: number;
  /** Total workgroups actually needed. */
  groups: number;
}

/** Lays `groups` workgroups out along x, spilling into y past maxComputeWorkgroupsPerDimension. */
export function linearGroups(groups: number): LinearDispatch {
  const g = Math.max(1, groups);
  const groupsX = Math.min(g, MAX_WORKGROUPS_PER_DIMENSION);
  const groupsY = Math.ceil(g / groupsX);
  if (groupsY > MAX_WORKGROUPS_PER_DIMENSION) throw new Error(`too many workgroups: ${groups}`);
  return { workgroups: [groupsX, groupsY, 1], groupsX, groups: g };
}

/** WGSL statement computing `let wg: u32` = the linear workgroup index. */
export function linearWorkgroupIndex(d: LinearDispatch): string {
  return d.workgroups[1] > 1 ? `let wg = wid.x + wid.y * ${u32(d.groupsX)};` : 'let wg = wid.x;';
}

/** Entry-point parameters shared by every kernel. */
export const ENTRY_PARAMS = '@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidx: u32';

/**
 * Entry prologue of a kernel with one invocation per item: `let gidx` = item index (< total guaranteed
 * after the early return).
 */
export function perItemPrologue(total: number, workgroupSize: number): { dispatch: LinearDispatch; code: string } {
  const dispatch = linearGroups(Math.ceil(total / workgroupSize));
  const code = [`  ${linearWorkgroupIndex(dispatch)}`, `  let gidx = wg * ${u32(workgroupSize)} + lidx;`, `  if (gidx >= ${u32(total)}) { return; }`].join(
    '\n',
  );
  return { dispatch, code };
}

/** Header comment of a module. */
export function header(desc: KernelDesc, summary: string): string {
  return `// weft kernel: ${commentSafe(desc.name)}\n// ${commentSafe(summary)}`;
}

export interface ModuleParts {
  desc: KernelDesc;
  summary: string;
  buffers: BufferSet;
  /** Module-scope code after the bindings (helper functions, workgroup vars). */
  helpers?: string;
  workgroupSize: number | [number, number, number];
  body: string;
  workgroups: [number, number, number];
  /** WGSL extensions the code needs (`enable …;` at the top of the module), e.g. 'subgroups'. */
  enables?: string[];
  /** Whether the code reads the Step uniform, for a module of several kernels (default: kernelUsesStep(desc)). */
  usesStep?: boolean;
}

/**
 * The directives that open a module: `enable f16;` when any buffer stores f16 (the device then has
 * 'shader-f16'), and the extensions its code asks for (`enables`). With subgroups, quad operations
 * sit where the uniformity analysis cannot prove uniform control flow (a group's `lidx` guard
 * returns whole quads); the kernels keep whole quads together, so that diagnostic is turned off.
 */
export function enableDirectives(buffers: readonly BufferVar[], enables: readonly string[] = []): string {
  const list = [...new Set([...(buffers.some((b) => b.decl.elementType === 'f16') ? ['f16'] : []), ...enables])].sort();
  const lines = list.map((e) => `enable ${e};`);
  if (list.includes('subgroups')) lines.push('diagnostic(off, subgroup_uniformity);');
  return lines.join('\n');
}

/** Assembles a complete module and its GeneratedKernel. */
export function assemble(parts: ModuleParts): GeneratedKernel {
  const usesStep = parts.usesStep ?? kernelUsesStep(parts.desc);
  const ws = Array.isArray(parts.workgroupSize) ? parts.workgroupSize.join(', ') : String(parts.workgroupSize);
  const sections = [
    enableDirectives(parts.buffers.variables(), parts.enables ?? []),
    header(parts.desc, parts.summary),
    parts.buffers.declarations(),
    usesStep ? stepDeclaration() : '',
    parts.helpers ?? '',
    `@compute @workgroup_size(${ws})\nfn main(${ENTRY_PARAMS}) {\n${parts.body}\n}`,
  ].filter((s) => s.length > 0);
  const wgsl = sections.join('\n\n') + '\n';
  if (!usesStep && /\bstep\./.test(parts.body + (parts.helpers ?? ''))) {
    throw new KernelCodegenError(parts.desc.name, 'reads the Step uniform but kernelUsesStep() says it does not');
  }
  return {
    name: parts.desc.name,
    wgsl,
    entryPoint: 'main',
    bindings: parts.buffers.bindings(),
    usesStep,
    workgroups: parts.workgroups,
    module: {
      buffers: parts.buffers.variables(),
      helpers: parts.helpers ?? '',
      body: parts.body,
      workgroupSize: parts.workgroupSize,
      ...(parts.enables?.length ? { enables: parts.enables } : {}),
    },
  };
}
