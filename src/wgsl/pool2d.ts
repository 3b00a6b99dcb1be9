// pool2d: max or average pooling and their gradients (see Pool2dKernel in ir/kernel.ts), one
// invocation per output element. The gradient recomputes each window's first maximum from x rather
// than storing an index, and never needs atomics:
// - windows that do not overlap (stride ≥ window, max pooling: the usual 2×2 stride 2) scatter: one
//   invocation per window finds its maximum once (an unrolled, branch-free scan) and writes its whole
//   stride × stride cell of the input gradient, dy at the maximum and 0 elsewhere (poolGrad2dCells.ts);
// - otherwise each input pixel gathers from the few windows that contain it.
// The gradient's optional gradMask multiplies by activation'(y) as it writes (the activation before
// the pooling, folded in by fusePoolGradMask).
import type { BufferDecl, Pool2dKernel } from '../ir/kernel.js';
import { poolGradCellsBody, poolGradScatters } from './poolGrad2dCells.js';
import {
  ACTIVATION_FUNCTIONS,
  BufferSet,
  KernelCodegenError,
  activationGradExpr,
  assemble,
  loadF32,
  perItemPrologue,
  storeF32,
  u32,
  viewIndex,
  type GeneratedKernel,
} from './views.js';

const WORKGROUP_SIZE = 64;
const i32 = (n: number): string => `${n}i`;

export function generatePool2d(desc: Pool2dKernel, decls: Record<string, BufferDecl>): GeneratedKernel {
  const g = desc.geometry;
  const C = desc.channels;
  const sizes = [g.batch, g.inH, g.inW, g.outH, g.outW, g.kernelH, g.kernelW, g.strideH, g.strideW, C];
  if (!sizes.every((d) => Number.isInteger(d) && d > 0) || g.padTop < 0 || g.padLeft < 0) throw new KernelCodegenError(desc.name, 'bad pooling geometry');
  const inRows = g.batch * g.inH * g.inW;
  const outRows = g.batch * g.outH * g.outW;
  const buffers = new BufferSet(desc.name, decls);
  const X = buffers.view({ ...desc.x, rows: inRows, cols: C }, false, 'x');
  const DY = desc.dy ? buffers.view({ ...desc.dy, rows: outRows, cols: C }, false, 'dy') : undefined;
  if (desc.gradMask && !desc.dy) throw new KernelCodegenError(desc.name, 'only the pooling gradient takes a gradMask');
  const Y = desc.gradMask ? buffers.view({ ...desc.gradMask.y, rows: inRows, cols: C }, false, 'gradMask.y') : undefined;
  const OUT = buffers.view({ ...desc.out, rows: desc.dy ? inRows : outRows, cols: C }, true, 'out');
  const x = (b: string, y: string, xx: string): string => loadF32(X, viewIndex(desc.x, `(${b} * ${u32(g.inH)} + ${y}) * ${u32(g.inW)} + ${xx}`, 'c'));
  // A window's taps inside the input (padding is never counted: TensorFlow's average).
  const windowLines = (oy: string, ox: string, visit: string[]): string[] => [
    `let y0 = i32(${oy}) * ${i32(g.strideH)} - ${i32(g.padTop)}; let x0 = i32(${ox}) * ${i32(g.strideW)} - ${i32(g.padLeft)};`,
    `let ylo = max(y0, 0i); let yhi = min(y0 + ${i32(g.kernelH)}, ${i32(g.inH)}); let xlo = max(x0, 0i); let xhi = min(x0 + ${i32(g.kernelW)}, ${i32(g.inW)});`,
    'for (var wy = ylo; wy < yhi; wy = wy + 1i) {',
    '  for (var wx = xlo; wx < xhi; wx = wx + 1i) {',
    ...visit.map((l) => `    ${l}`),
    '  }',
    '}',
  ];
  const L: string[] = [];
  if (!desc.dy) {
    const { dispatch, code } = perItemPrologue(outRows * C, WORKGROUP_SIZE);
    L.push(code, `  let c = gidx % ${u32(C)}; let p = gidx / ${u32(C)};`);
    L.push(`  let ox = p % ${u32(g.outW)}; let t = p / ${u32(g.outW)}; let oy = t % ${u32(g.outH)}; let b = t / ${u32(g.outH)};`);
    L.push('  var best = -3.4028234e38;', '  var sum = 0.0;');
    L.push(...windowLines('oy', 'ox', [`let v = ${x('b', 'u32(wy)', 'u32(wx)')};`, 'best = max(best, v);', 'sum = sum + v;']).map((l) => `  ${l}`));
    const value = desc.mode === 'max' ? 'best' : 'sum / f32((yhi - ylo) * (xhi - xlo))';
    L.push(`  ${storeF32(OUT, viewIndex(desc.out, 'p', 'c'), value, !!desc.accumulate)}`);
    return finish(desc, buffers, L, dispatch.workgroups, `${desc.mode}Pool2d`);
  }
  // Where the gradient lands: × activation'(y) when a mask is folded in, then stored or added.
  const write = (p: string, value: string): string => {
    const masked = desc.gradMask && Y ? activationGradExpr(desc.gradMask.activation, loadF32(Y, viewIndex(desc.gradMask.y, p, 'c')), value) : value;
    return storeF32(OUT, viewIndex(desc.out, p, 'c'), masked, !!desc.accumulate);
  };
  const helpers = desc.gradMask && (desc.gradMask.activation === 'sigmoid' || desc.gradMask.activation === 'tanh') ? ACTIVATION_FUNCTIONS : '';
  if (poolGradScatters(desc)) {
    const cells = poolGradCellsBody(desc, (b, y, xx) => x(b, y, xx), DY!, write);
    return finish(desc, buffers, cells.body, cells.workgroups, `${desc.mode}Pool2d gradient (one window per invocation)`, helpers);
  }
  const { dispatch, code } = perItemPrologue(inRows * C, WORKGROUP_SIZE);
  L.push(code, `  let c = gidx % ${u32(C)}; let p = gidx / ${u32(C)};`);
  L.push(`  let ix = i32(p % ${u32(g.inW)}); let t = p / ${u32(g.inW)}; let iy = i32(t % ${u32(g.inH)}); let b = t / ${u32(g.inH)};`);
  // The windows containing (iy, ix): oy·s − pad ≤ iy < oy·s − pad + k.
  const range = (v: string, pad: number, k: number, s: number, out: number, name: string): string[] => [
    `let ${name}n = ${v} + ${i32(pad)} - ${i32(k - 1)};`,
    `let ${name}lo = select(0i, (${name}n + ${i32(s - 1)}) / ${i32(s)}, ${name}n > 0i);`,
    `let ${name}hi = min((${v} + ${i32(pad)}) / ${i32(s)}, ${i32(out - 1)});`,
  ];
  L.push(...[...range('iy', g.padTop, g.kernelH, g.strideH, g.outH, 'oy'), ...range('ix', g.padLeft, g.kernelW, g.strideW, g.outW, 'ox')].map((l) => `  ${l}`));
  L.push('  var grad = 0.0;');
  L.push('  for (var oy = oylo; oy <= oyhi; oy = oy + 1i) {', '    for (var ox = oxlo; ox <= oxhi; ox = ox + 1i) {');
  const dy = loadF32(DY!, viewIndex(desc.dy, `(b * ${u32(g.outH)} + u32(oy)) * ${u32(g.outW)} + u32(ox)`, 'c'));
  if (desc.mode === 'avg') {
    L.push(
      ...windowLines('oy', 'ox', [])
        .slice(0, 2)
        .map((l) => `      ${l}`),
    );
    L.push(`      grad = grad + ${dy} / f32((yhi - ylo) * (xhi - xlo));`);
  } else {
    L.push('      var best = -3.4028234e38;', '      var by = -1i;', '      var bx = -1i;');
    L.push(
      ...windowLines('oy', 'ox', [`let v = ${x('b', 'u32(wy)', 'u32(wx)')};`, 'if (by < 0i || v > best) { best = v; by = wy; bx = wx; }']).map(
        (l) => `      ${l}`,
      ),
    );
    L.push(`      if (by == iy && bx == ix) { grad = grad + ${dy}; }`);
  }
  L.push('    }', '  }');
  L.push(`  ${write('p', 'grad')}`);
  return finish(desc, buffers, L, dispatch.workgroups, `${desc.mode}Pool2d gradient`, helpers);
}

function finish(desc: Pool2dKernel, buffers: BufferSet, body: string[], workgroups: [number, number, number], what: string, helpers = ''): GeneratedKernel {
  const g = desc.geometry;
  return assemble({
    desc,
    summary: `${what} ${g.batch}×${g.inH}×${g.inW}×${desc.channels} ↔ ${g.outH}×${g.outW}, window ${g.kernelH}×${g.kernelW} stride ${g.strideH}×${g.strideW} pad ${g.padTop},${g.padLeft}${desc.gradMask ? `; × ${desc.gradMask.activation}'(y)` : ''}`,
    buffers,
    helpers,
    workgroupSize: WORKGROUP_SIZE,
    body: body.join('\n'),
    workgroups,
  });
}
