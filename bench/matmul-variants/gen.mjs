// WGSL generators for A(M×K)·B(K×N) row-major, out M×N. bindings: 0 A, 1 B, 2 out.
// rowScheme bcast: 'quad' (quadBroadcast), 'sub', 'shuf', 'xor' (quad swaps: weft's 'swap'), 'none' (no sharing op: for the cost model).
const u = (x) => `${x}u`;
const head = (wg) => `enable subgroups;
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidx: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let wg = wid.x + wid.y * nwg.x;
`;
const dispatch = (groups) => (groups <= 65535 ? [groups, 1, 1] : [65535, Math.ceil(groups / 65535), 1]);
const fmaE = (o, c, a, b) => (o.fma ? `fma(${a}, ${b}, ${c})` : `${c} + ${a} * ${b}`);

// 'row': quad shares R rows; lane l owns columns n0 + l + 4j (j < Cl); A gathered over k, broadcast.
// hoist: B's row offset computed once per step (one let), not inside each of the Cl loads.
export function rowScheme({ M, N, K, R, Cl, fma = false, unroll = 4, bcast = 'quad', noA = false, noB = false, hoist = false }) {
  const o = { fma };
  const QC = 4 * Cl,
    QN = Math.ceil(N / QC),
    quads = Math.ceil(M / R) * QN;
  const L = [head(4)];
  L.push(`  let q = min(wg, ${u(quads - 1)});`, `  let l = lidx & 3u;`, `  let m0 = (q / ${u(QN)}) * ${u(R)};`, `  let n0 = (q % ${u(QN)}) * ${u(QC)} + l;`);
  for (let i = 0; i < R; i++) L.push(`  let ra${i} = min(m0 + ${u(i)}, ${u(M - 1)}) * ${u(K)};`);
  for (let j = 0; j < Cl; j++) L.push(`  let cb${j} = min(n0 + ${u(4 * j)}, ${u(N - 1)});`);
  for (let i = 0; i < R; i++) for (let j = 0; j < Cl; j++) L.push(`  var c${i}_${j} = 0.0;`);
  const bc = (v, kk) =>
    bcast === 'none'
      ? `(${v} + ${kk}.0)`
      : bcast === 'quad'
        ? `quadBroadcast(${v}, ${u(kk)})`
        : bcast === 'sub'
          ? `subgroupBroadcast(${v}, ${u(kk)})`
          : `subgroupShuffle(${v}, ${u(kk)})`;
  L.push(`  for (var k = 0u; k < ${u(K)}; k = k + ${u(unroll)}) {`);
  for (let g = 0; g < unroll / 4; g++) {
    for (let i = 0; i < R; i++)
      L.push(noA ? `    let av${i}_${g} = f32(ra${i} + k + ${u(4 * g)} + l);` : `    let av${i}_${g} = A[ra${i} + k + ${u(4 * g)} + l];`);
  }
  for (let kk = 0; kk < unroll; kk++) {
    const g = kk >> 2;
    const SW = ['', 'quadSwapX', 'quadSwapY', 'quadSwapDiagonal'];
    if (bcast === 'xor') for (let i = 0; i < R; i++) L.push(`    let a${i}_${kk} = ${(kk & 3) === 0 ? `av${i}_${g}` : `${SW[kk & 3]}(av${i}_${g})`};`);
    else for (let i = 0; i < R; i++) L.push(`    let a${i} = ${bc(`av${i}_${g}`, kk & 3)};`.replace(`let a${i} =`, `let a${i}_${kk} =`));
    const krow = bcast === 'xor' ? `(k + ${u(4 * g)} + (l ^ ${u(kk & 3)}))` : `(k + ${u(kk)})`;
    const rowOff = hoist ? `rb${kk}` : `${krow} * ${u(N)}`;
    if (hoist) L.push(`    let rb${kk} = ${krow} * ${u(N)};`);
    for (let j = 0; j < Cl; j++) L.push(noB ? `    let b${kk}_${j} = f32(${rowOff} + cb${j});` : `    let b${kk}_${j} = B[${rowOff} + cb${j}];`);
    for (let i = 0; i < R; i++) for (let j = 0; j < Cl; j++) L.push(`    c${i}_${j} = ${fmaE(o, `c${i}_${j}`, `a${i}_${kk}`, `b${kk}_${j}`)};`);
  }
  L.push('  }');
  L.push(`  if (wg < ${u(quads)}) {`);
  for (let i = 0; i < R; i++)
    for (let j = 0; j < Cl; j++)
      L.push(`    if (m0 + ${u(i)} < ${u(M)} && n0 + ${u(4 * j)} < ${u(N)}) { C[(m0 + ${u(i)}) * ${u(N)} + n0 + ${u(4 * j)}] = c${i}_${j}; }`);
  L.push('  }', '}');
  return {
    code: L.join('\n'),
    workgroups: dispatch(quads),
    name: `row ${R}x${Cl}${fma ? ' fma' : ''} u${unroll} ${bcast}${noA ? ' noA' : ''}${noB ? ' noB' : ''}${hoist ? ' hoist' : ''}`,
  };
}

// '2x2': lane l = p + 2q computes rows m0 + p + 2i (i < R), cols n0 + q + 2j (j < Cj).
// Per 2 k: lane l gathers A[m0 + (l&1) + 2i, k + (l>>1)] and B[k + (l&1), n0 + (l>>1) + 2j]; quadSwapY / quadSwapX + select route them.
export function twoByTwo({ M, N, K, R, Cj, fma = false }) {
  const o = { fma };
  const QR = 2 * R,
    QC = 2 * Cj,
    QN = Math.ceil(N / QC),
    quads = Math.ceil(M / QR) * QN;
  const L = [head(4)];
  L.push(
    `  let q = min(wg, ${u(quads - 1)});`,
    `  let l = lidx & 3u;`,
    `  let lp = l & 1u;`,
    `  let lq = l >> 1u;`,
    `  let hiq = lq == 1u;`,
    `  let hip = lp == 1u;`,
  );
  L.push(`  let m0 = (q / ${u(QN)}) * ${u(QR)};`, `  let n0 = (q % ${u(QN)}) * ${u(QC)};`);
  for (let i = 0; i < R; i++) L.push(`  let ra${i} = min(m0 + lp + ${u(2 * i)}, ${u(M - 1)}) * ${u(K)} + lq;`);
  for (let j = 0; j < Cj; j++) L.push(`  let cb${j} = min(n0 + lq + ${u(2 * j)}, ${u(N - 1)}) + lp * ${u(N)};`);
  for (let i = 0; i < R; i++) for (let j = 0; j < Cj; j++) L.push(`  var c${i}_${j} = 0.0;`);
  L.push(`  for (var k = 0u; k < ${u(K)}; k = k + 2u) {`);
  for (let i = 0; i < R; i++) {
    L.push(`    let ga${i} = A[ra${i} + k];`, `    let sa${i} = quadSwapY(ga${i});`);
    L.push(`    let a${i}_0 = select(ga${i}, sa${i}, hiq);`, `    let a${i}_1 = select(sa${i}, ga${i}, hiq);`);
  }
  for (let j = 0; j < Cj; j++) {
    L.push(`    let gb${j} = B[k * ${u(N)} + cb${j}];`, `    let sb${j} = quadSwapX(gb${j});`);
    L.push(`    let b${j}_0 = select(gb${j}, sb${j}, hip);`, `    let b${j}_1 = select(sb${j}, gb${j}, hip);`);
  }
  for (let kk = 0; kk < 2; kk++)
    for (let i = 0; i < R; i++) for (let j = 0; j < Cj; j++) L.push(`    c${i}_${j} = ${fmaE(o, `c${i}_${j}`, `a${i}_${kk}`, `b${j}_${kk}`)};`);
  L.push('  }');
  L.push(`  if (wg < ${u(quads)}) {`);
  for (let i = 0; i < R; i++)
    for (let j = 0; j < Cj; j++)
      L.push(`    { let m = m0 + lp + ${u(2 * i)}; let n = n0 + lq + ${u(2 * j)}; if (m < ${u(M)} && n < ${u(N)}) { C[m * ${u(N)} + n] = c${i}_${j}; } }`);
  L.push('  }', '}');
  return { code: L.join('\n'), workgroups: dispatch(quads), name: `2x2 ${R}x${Cj}${fma ? ' fma' : ''}` };
}

// 'lane': each invocation its own R × C block, no sharing (registerTiled-like, scalar).
export function laneScheme({ M, N, K, R, C, fma = false }) {
  const o = { fma };
  const BN = Math.ceil(N / C),
    blocks = Math.ceil(M / R) * BN,
    W = 4;
  const L = [head(W)];
  L.push(`  let blk = min(wg * ${u(W)} + lidx, ${u(blocks - 1)});`, `  let m0 = (blk / ${u(BN)}) * ${u(R)};`, `  let n0 = (blk % ${u(BN)}) * ${u(C)};`);
  for (let i = 0; i < R; i++) L.push(`  let ra${i} = min(m0 + ${u(i)}, ${u(M - 1)}) * ${u(K)};`);
  for (let j = 0; j < C; j++) L.push(`  let cb${j} = min(n0 + ${u(j)}, ${u(N - 1)});`);
  for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) L.push(`  var c${i}_${j} = 0.0;`);
  L.push(`  for (var k = 0u; k < ${u(K)}; k = k + 1u) {`);
  for (let i = 0; i < R; i++) L.push(`    let a${i} = A[ra${i} + k];`);
  for (let j = 0; j < C; j++) L.push(`    let b${j} = B[k * ${u(N)} + cb${j}];`);
  for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) L.push(`    c${i}_${j} = ${fmaE(o, `c${i}_${j}`, `a${i}`, `b${j}`)};`);
  L.push('  }');
  L.push(`  if (wg * ${u(W)} + lidx < ${u(blocks)}) {`);
  for (let i = 0; i < R; i++)
    for (let j = 0; j < C; j++)
      L.push(`    if (m0 + ${u(i)} < ${u(M)} && n0 + ${u(j)} < ${u(N)}) { C[(m0 + ${u(i)}) * ${u(N)} + n0 + ${u(j)}] = c${i}_${j}; }`);
  L.push('  }', '}');
  return { code: L.join('\n'), workgroups: dispatch(Math.ceil(blocks / W)), name: `lane ${R}x${C}` };
}

// 'uniformA': quad shares R rows, lane l owns columns n0 + l + 4j (j < Cl), and all lanes are at the
// same k: A[m0 + i, k..k+3] is one vec4 load at an address every lane shares (a4: true) or four
// scalar ones (a4: false), B[k + kk, n0 + l + 4j] is read at consecutive addresses across the quad.
// No quad operation at all. Needs K % 4 == 0 for a4. (Measured 0.62–0.72× weft's swaps at 32 × 30 × 784.)
export function uniformA({ M, N, K, R, Cl, a4 = true, wg = 4 }) {
  const QC = 4 * Cl,
    QN = Math.ceil(N / QC),
    quads = Math.ceil(M / R) * QN;
  const L = [
    head(wg)
      .replace('enable subgroups;\n', '')
      .replace('A: array<f32>', a4 ? 'A: array<vec4<f32>>' : 'A: array<f32>'),
  ];
  L.push(
    `  let q = min(wg * ${u(wg / 4)} + lidx / 4u, ${u(quads - 1)});`,
    `  let l = lidx & 3u;`,
    `  let m0 = (q / ${u(QN)}) * ${u(R)};`,
    `  let n0 = (q % ${u(QN)}) * ${u(QC)} + l;`,
  );
  for (let i = 0; i < R; i++) L.push(`  let ra${i} = min(m0 + ${u(i)}, ${u(M - 1)}) * ${u(K)};`);
  for (let j = 0; j < Cl; j++) L.push(`  let cb${j} = min(n0 + ${u(4 * j)}, ${u(N - 1)});`);
  for (let i = 0; i < R; i++) for (let j = 0; j < Cl; j++) L.push(`  var c${i}_${j} = 0.0;`);
  L.push(`  for (var k = 0u; k < ${u(K)}; k = k + 4u) {`);
  for (let i = 0; i < R; i++)
    L.push(
      a4 ? `    let av${i} = A[(ra${i} + k) >> 2u];` : `    let av${i} = vec4<f32>(A[ra${i} + k], A[ra${i} + k + 1u], A[ra${i} + k + 2u], A[ra${i} + k + 3u]);`,
    );
  for (let kk = 0; kk < 4; kk++) {
    L.push(`    let rb${kk} = (k + ${u(kk)}) * ${u(N)};`);
    for (let j = 0; j < Cl; j++) L.push(`    let b${kk}_${j} = B[rb${kk} + cb${j}];`);
    for (let i = 0; i < R; i++) for (let j = 0; j < Cl; j++) L.push(`    c${i}_${j} = c${i}_${j} + av${i}[${kk}] * b${kk}_${j};`);
  }
  L.push('  }');
  L.push(`  if (wg * ${u(wg / 4)} + lidx / 4u < ${u(quads)}) {`);
  for (let i = 0; i < R; i++)
    for (let j = 0; j < Cl; j++)
      L.push(`    if (m0 + ${u(i)} < ${u(M)} && n0 + ${u(4 * j)} < ${u(N)}) { C[(m0 + ${u(i)}) * ${u(N)} + n0 + ${u(4 * j)}] = c${i}_${j}; }`);
  L.push('  }', '}');
  return { code: L.join('\n'), workgroups: dispatch(Math.ceil(quads / (wg / 4))), name: `uniformA ${R}x${Cl}${a4 ? ' a4' : ''} wg${wg}` };
}

// 'wideB': weft's swap scheme (quad shares R rows, A round by quad swaps, lane l at k + (l ^ kk)) with
// each lane's Cl columns contiguous (n0 + Cl·l + j) and read from B `width` at a time (B declared as
// array<vec{width}<f32>>; needs N % width == 0 and Cl % width == 0). (Measured 0.97× at 32 × 30 × 784.)
export function wideB({ M, N, K, R, Cl, width = 2, fixed = false }) {
  const QC = 4 * Cl,
    QN = Math.ceil(N / QC),
    quads = Math.ceil(M / R) * QN;
  const W = width;
  // fixed: arrays of a constant length, as weft declares them (cheaper bounds checks on SwiftShader)
  const bType = W === 1 ? 'f32' : `vec${W}<f32>`;
  let top = head(4).replace('B: array<f32>', fixed ? `B: array<${bType}, ${(K * N) / W}>` : `B: array<${bType}>`);
  if (fixed) top = top.replace('A: array<f32>', `A: array<f32, ${M * K}>`).replace('C: array<f32>', `C: array<f32, ${M * N}>`);
  const L = [top];
  L.push(
    `  let q = min(wg, ${u(quads - 1)});`,
    `  let l = lidx & 3u;`,
    `  let m0 = (q / ${u(QN)}) * ${u(R)};`,
    `  let n0 = (q % ${u(QN)}) * ${u(QC)} + l * ${u(Cl)};`,
  );
  for (let i = 0; i < R; i++) L.push(`  let ra${i} = min(m0 + ${u(i)}, ${u(M - 1)}) * ${u(K)};`);
  for (let j = 0; j < Cl; j += W) L.push(`  let cb${j} = min(n0 + ${u(j)}, ${u(N - W)});`);
  for (let i = 0; i < R; i++) for (let j = 0; j < Cl; j++) L.push(`  var c${i}_${j} = 0.0;`);
  L.push(`  for (var k = 0u; k < ${u(K)}; k = k + 4u) {`);
  for (let i = 0; i < R; i++) L.push(`    let av${i} = A[ra${i} + k + l];`);
  const SW = ['', 'quadSwapX', 'quadSwapY', 'quadSwapDiagonal'];
  for (let kk = 0; kk < 4; kk++) {
    for (let i = 0; i < R; i++) L.push(`    let a${i}_${kk} = ${kk === 0 ? `av${i}` : `${SW[kk]}(av${i})`};`);
    L.push(`    let rb${kk} = (k + (l ^ ${u(kk)})) * ${u(N)};`);
    for (let j = 0; j < Cl; j += W) L.push(W === 1 ? `    let b${kk}_${j} = B[rb${kk} + cb${j}];` : `    let b${kk}_${j} = B[(rb${kk} + cb${j}) / ${u(W)}];`);
    const bj = (j) => (W === 1 ? `b${kk}_${j}` : `b${kk}_${j - (j % W)}[${j % W}]`);
    for (let i = 0; i < R; i++) for (let j = 0; j < Cl; j++) L.push(`    c${i}_${j} = c${i}_${j} + a${i}_${kk} * ${bj(j)};`);
  }
  L.push('  }');
  L.push(`  if (wg < ${u(quads)}) {`);
  for (let i = 0; i < R; i++)
    for (let j = 0; j < Cl; j++)
      L.push(`    if (m0 + ${u(i)} < ${u(M)} && n0 + ${u(j)} < ${u(N)}) { C[(m0 + ${u(i)}) * ${u(N)} + n0 + ${u(j)}] = c${i}_${j}; }`);
  L.push('  }', '}');
  return { code: L.join('\n'), workgroups: dispatch(quads), name: `wideB ${R}x${Cl} w${W}${fixed ? ' fixed' : ''}` };
}
