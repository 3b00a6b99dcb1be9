// elementwise: out[r, c] (+)= expr(r, c), one invocation per element.
import { dropoutThreshold, type BufferDecl, type ElementwiseExpr, type ElementwiseKernel } from '../ir/kernel.js';
import {
  ACTIVATION_FUNCTIONS,
  BufferSet,
  KernelCodegenError,
  ROW_PART,
  activationExpr,
  activationGradExpr,
  assemble,
  f32,
  loadF32,
  perItemPrologue,
  storeF32,
  viewIndex,
  u32,
  type GeneratedKernel,
} from './views.js';

const WORKGROUP_SIZE = 64;

// The dropout mask, bit-identical to src/ir/dropoutMask.ts (u32 multiplies wrap in WGSL).
const DROPOUT_FUNCTIONS = `
fn weft_hash32(v: u32) -> u32 {
  var x = v;
  x = x ^ (x >> 16u);
  x = x * 0x7feb352du;
  x = x ^ (x >> 15u);
  x = x * 0x846ca68bu;
  return x ^ (x >> 16u);
}
fn weft_dropout(seed: u32, salt: u32, index: u32, threshold: u32, keepScale: f32) -> f32 {
  let draw = weft_hash32(seed ^ weft_hash32(salt + index * 0x9e3779b9u));
  return select(0.0, keepScale, draw >= threshold);
}
`;

export function generateElementwise(desc: ElementwiseKernel, decls: Record<string, BufferDecl>, workgroupSize = WORKGROUP_SIZE): GeneratedKernel {
  const buffers = new BufferSet(desc.name, decls);
  const out = buffers.view({ ...desc.out, rows: desc.rows, cols: desc.cols }, true, 'out');
  const lines: string[] = [];
  let temps = 0;
  let usesActivations = false;
  let usesDropout = false;
  // The mask's element index in the whole batch (a row part's elements start part · partRows rows on).
  const maskIndex = desc.partRows === undefined ? 'gidx' : `${ROW_PART} * ${u32(desc.partRows * desc.cols)} + gidx`;
  const emit = (e: ElementwiseExpr): string => {
    switch (e.op) {
      case 'read': {
        if (!e.broadcastRows && (e.view.rows < desc.rows || e.view.cols < desc.cols)) {
          throw new KernelCodegenError(desc.name, `read of "${e.view.buffer}" (${e.view.rows}×${e.view.cols}) is smaller than ${desc.rows}×${desc.cols}`);
        }
        const v = buffers.view(e.view, false, 'read');
        const name = `v${temps++}`;
        lines.push(`  let ${name} = ${loadF32(v, viewIndex(e.view, e.broadcastRows ? '0u' : 'r', 'c'))};`);
        return name;
      }
      case 'const':
        return f32(e.value);
      case 'add':
      case 'sub':
      case 'mul': {
        const a = emit(e.a);
        const b = emit(e.b);
        const name = `v${temps++}`;
        const op = e.op === 'add' ? '+' : e.op === 'sub' ? '-' : '*';
        lines.push(`  let ${name} = ${a} ${op} ${b};`);
        return name;
      }
      case 'activation': {
        const x = emit(e.x);
        usesActivations ||= e.activation === 'sigmoid' || e.activation === 'tanh';
        const name = `v${temps++}`;
        lines.push(`  let ${name} = ${activationExpr(e.activation, x)};`);
        return name;
      }
      case 'activationGrad': {
        const y = emit(e.y);
        const dy = emit(e.dy);
        const name = `v${temps++}`;
        lines.push(`  let ${name} = ${activationGradExpr(e.activation, y, dy)};`);
        return name;
      }
      case 'dropout': {
        const x = emit(e.x);
        usesDropout = true;
        const name = `v${temps++}`;
        lines.push(
          `  let ${name} = ${x} * weft_dropout(step.seed, ${u32(e.salt >>> 0)}, ${maskIndex}, ${u32(dropoutThreshold(e.rate))}, ${f32(1 / (1 - e.rate))});`,
        );
        return name;
      }
      case 'rsqrt': {
        const x = emit(e.x);
        const name = `v${temps++}`;
        lines.push(`  let ${name} = inverseSqrt(${x} + ${f32(e.epsilon)});`);
        return name;
      }
      default:
        return e satisfies never;
    }
  };
  const result = emit(desc.expr);
  const { dispatch, code } = perItemPrologue(desc.rows * desc.cols, workgroupSize);
  const body = [
    code,
    `  let r = gidx / ${u32(Math.max(1, desc.cols))};`,
    `  let c = gidx % ${u32(Math.max(1, desc.cols))};`,
    ...lines,
    `  ${storeF32(out, viewIndex(desc.out, 'r', 'c'), result, !!desc.accumulate)}`,
  ].join('\n');
  return assemble({
    desc,
    summary: `elementwise ${desc.rows}×${desc.cols}${desc.accumulate ? ', accumulate' : ''}`,
    buffers,
    helpers: (usesActivations ? ACTIVATION_FUNCTIONS : '') + (usesDropout ? DROPOUT_FUNCTIONS : ''),
    workgroupSize,
    body,
    workgroups: dispatch.workgroups,
  });
}
