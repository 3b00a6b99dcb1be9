// Scratch variants of the quad matmul as raw WGSL (A·B, row-major), for the cost model in bench/README.md
// (issue 14, second round). Not weft's kernels: see src/wgsl/matmulQuad.ts. Example, from the repo root after a build:
//   SHAPE=512,512,512 ROUNDS=7 BASE=0 CHECK=1 VARIANTS='[{"gen":"rowScheme","R":8,"Cl":8},{"gen":"rowScheme","R":8,"Cl":8,"noA":true,"noB":true}]' node bench/matmul-variants/bench.mjs
// Env: SHAPE M,N,K; TRANS_A=1 (weft's kernel only: A stored K × M, read transposed); ROUNDS; REPS (runs per timing); WALL=1 wall clock (else process CPU time); PEAK_ITERS; CHECK=1 (float64 check);
// BASE=0 leaves out weft's own quadTiled. Each variant runs right after the peak kernel; ratios are to that peak.
import { device, wgsl, makeBuf, readBuf, makeProgram, run, median, peakCode, PEAK_CONSTANTS, PEAK_FLOP, matmulCase, weftProgram } from './harness.mjs';
import * as G from './gen.mjs';
const [M, N, K] = (process.env.SHAPE || '1024,1024,1024').split(',').map(Number);
const rounds = Number(process.env.ROUNDS || 5);
const REPS = Number(process.env.REPS || 1);
const A = makeBuf(M * K),
  B = makeBuf(K * N),
  Cb = makeBuf(M * N, false),
  P = makeBuf(512 * 64 * 4, false);
const Av = new Float32Array(M * K).map((_, i) => Math.sin(i * 12.9898) * 0.5),
  Bv = new Float32Array(K * N).map((_, i) => Math.sin(i * 12.9898) * 0.5);
const check = process.env.CHECK === '1';
const transA = process.env.TRANS_A === '1';
let ref;
if (check) {
  ref = new Float64Array(M * N);
  for (let m = 0; m < M; m++)
    for (let k = 0; k < K; k++) {
      const a = transA ? Av[k * M + m] : Av[m * K + k];
      for (let n = 0; n < N; n++) ref[m * N + n] += a * Bv[k * N + n];
    }
}
const variants = JSON.parse(process.env.VARIANTS);
const progs = [];
progs.push({ name: 'peak', prog: await makeProgram(peakCode(), [P], [512, 1, 1], undefined, PEAK_CONSTANTS), flop: PEAK_FLOP });
if (process.env.BASE !== '0') {
  // TRANS_A=1: A stored as K × M and read transposed (a weight gradient's Xᵀ·dY); the CHECK reference reads it that way too.
  const { desc, decls } = matmulCase(M, N, K, transA);
  const steps = device.createBuffer({ size: 256, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  // WEFT='[{"block":[32,8],"workgroupSize":4,"sharing":"swap"}, ...]': weft's generator with these choices (default: its own).
  for (const quad of process.env.WEFT ? JSON.parse(process.env.WEFT) : [undefined]) {
    const v = quad
      ? `quadTiled ${quad.block.join('x')}${quad.sharing === 'swap' ? ' swap' : ''}${quad.lanes === 'rows' ? ' rows' : ''}${quad.workgroupSize !== 4 ? ` wg${quad.workgroupSize}` : ''}`
      : 'quadTiled';
    const kernel = wgsl.generateKernel(desc, decls, { variant: 'quadTiled', quad });
    const t0 = performance.now();
    const prog = await weftProgram(kernel, A, B, Cb, steps);
    console.log(`weft ${v}: pipeline ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    if (check) {
      await run(prog, 1);
      const out = await readBuf(Cb, M * N);
      let err = 0;
      for (let i = 0; i < M * N; i++) err = Math.max(err, Math.abs(out[i] - ref[i]));
      if (err > 1e-3) console.log(`!! weft ${v} max err ${err}`);
    }
    progs.push({ name: 'weft ' + v, prog, flop: 2 * M * N * K });
  }
}
for (const v of variants) {
  const g = G[v.gen]({ M, N, K, ...v });
  const t0 = performance.now();
  const prog = await makeProgram(g.code, [A, B, Cb], g.workgroups, ['read-only-storage', 'read-only-storage', 'storage']);
  if (check) {
    await run(prog, 1);
    const out = await readBuf(Cb, M * N);
    let err = 0;
    for (let i = 0; i < M * N; i++) err = Math.max(err, Math.abs(out[i] - ref[i]));
    if (err > 1e-3) console.log(`!! ${g.name} max err ${err}`);
  }
  console.log(`${g.name}: pipeline ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  progs.push({ name: g.name, prog, flop: 2 * M * N * K });
}
for (const p of progs) await run(p.prog, 1);
const peakP = progs[0];
const ratios = new Map(progs.map((p) => [p.name, []]));
const gfs = new Map(progs.map((p) => [p.name, []]));
for (let r = 0; r < rounds; r++)
  for (const p of progs.slice(1)) {
    const tp = await run(peakP.prog, 1);
    const tv = await run(p.prog, REPS);
    const gp = PEAK_FLOP / tp / 1e6,
      gv = (REPS * p.flop) / tv / 1e6;
    ratios.get(p.name).push(gv / gp);
    gfs.get(p.name).push(gv);
    gfs.get('peak').push(gp);
  }
console.log(`${M}x${N}x${K} rounds ${rounds}; peak median ${median(gfs.get('peak')).toFixed(2)} GFLOP/s (max ${Math.max(...gfs.get('peak')).toFixed(2)})`);
const bestP = Math.max(...gfs.get('peak'));
for (const p of progs.slice(1))
  console.log(
    `${p.name.padEnd(30)} ${median(gfs.get(p.name)).toFixed(2).padStart(6)} GFLOP/s best ${Math.max(...gfs.get(p.name)).toFixed(2)} = ${((100 * Math.max(...gfs.get(p.name))) / bestP).toFixed(0)}% of best peak; ratio to adjacent peak: median ${(100 * median(ratios.get(p.name))).toFixed(0).padStart(3)}%  [${ratios
      .get(p.name)
      .map((x) => (100 * x).toFixed(0))
      .join(' ')}]`,
  );
// Paired: each variant against the first, within the same round (the peak's own noise left out).
const first = progs[1];
for (const p of progs.slice(2)) {
  const rel = gfs.get(p.name).map((g, r) => g / gfs.get(first.name)[r]);
  console.log(`${p.name.padEnd(30)} ÷ ${first.name}: median ${median(rel).toFixed(2)}  [${rel.map((x) => x.toFixed(2)).join(' ')}]`);
}
process.exit(0);
