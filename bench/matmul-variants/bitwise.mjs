// Whether a quad kernel's block changes any result bit: weft's quadTiled matmul generated with several blocks for the
// same product, run on the same operands, outputs compared word for word (bench/README.md: a small-block plan computes
// what the big-block one does, so a first fit could start on cheaper-to-compile kernels). From the repo root after a build:
//   node bench/matmul-variants/bitwise.mjs
import { device, wgsl, makeBuf, readBuf, run, matmulCase, weftProgram } from './harness.mjs';
const cases = [
  [785, 30, 32, true],
  [32, 30, 784, false],
  [815, 10, 32, true],
  [256, 30, 30, false],
  [31, 37, 101, false],
];
for (const [M, N, K, transA] of cases) {
  const A = makeBuf(M * K),
    B = makeBuf(K * N);
  const { desc, decls } = matmulCase(M, N, K, transA);
  const steps = device.createBuffer({ size: 256, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  const narrow = N <= 12;
  const blocks = narrow
    ? [
        [8, N],
        [4, N],
        [2, N],
        [1, N],
      ]
    : [
        [32, 8],
        [16, 8],
        [32, 4],
        [16, 4],
        [8, 8],
        [8, 4],
        [4, 2],
      ];
  const outs = [];
  for (const block of blocks) {
    const C = makeBuf(M * N, false);
    const kernel = wgsl.generateKernel(desc, decls, {
      variant: 'quadTiled',
      quad: { block, workgroupSize: 4, sharing: 'swap', ...(narrow ? { lanes: 'rows' } : {}) },
    });
    const prog = await weftProgram(kernel, A, B, C, steps);
    await run(prog, 1);
    outs.push(new Uint32Array((await readBuf(C, M * N)).buffer.slice(0)));
  }
  const diffs = outs.map((o) => o.reduce((n, v, i) => n + (v !== outs[0][i] ? 1 : 0), 0));
  console.log(
    `${M}x${N}x${K}${transA ? ' Aᵀ' : ''}: blocks ${blocks.map((b) => b.join('×')).join(', ')} — elements differing from the first: ${diffs.join(', ')}`,
  );
}
process.exit(0);
