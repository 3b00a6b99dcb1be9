// lossHead: one output head in ONE workgroup: per-row loss (numerically stable log-sum-exp for
// softmax cross-entropy), its gradient, predictions and metrics. Invocations stride over rows and
// keep partial sums in registers; invocation 0 adds the totals into the metrics buffer (one
// workgroup, so no atomics). The totals: 64 invocations write their sums to workgroup memory and
// invocation 0 adds them after a barrier, or (`quadReduction`) one quad sums them with subgroupAdd.
import type { BufferDecl, LossHeadKernel, MetricKind } from '../ir/kernel.js';
import {
  BufferSet,
  KernelCodegenError,
  assemble,
  f32,
  loadF32,
  loadU32,
  ROW_PART,
  samplePosition,
  storeF32,
  u32,
  viewIndex,
  type GeneratedKernel,
} from './views.js';

/** Invocations of the head's workgroup without quadReduction. */
const WORKGROUP_SIZE = 64;
/** TensorFlow.js's epsilon, the clip of probabilities before a log. */
const BCE_EPSILON = 1e-7;

/**
 * `quadReduction`: the workgroup is one quad (4 invocations, always within one subgroup) and its sums
 * are added with subgroupAdd: no workgroup memory, no barrier. For CPU adapters with the `subgroups`
 * feature, where a workgroup runs on one core whatever its size and a barrier costs ~12 µs: the
 * article's head (32 × 10) takes 0.041 ms a dispatch instead of 0.070, 0.104 instead of 0.137 at 256
 * rows (bench/step-kernels.mjs, bench/README.md). On a GPU 64 invocations share the rows.
 */
export function generateLossHead(desc: LossHeadKernel, decls: Record<string, BufferDecl>, quadReduction = false): GeneratedKernel {
  const { rows, cols } = desc;
  const size = quadReduction ? 4 : WORKGROUP_SIZE;
  if (cols < 1) throw new KernelCodegenError(desc.name, 'lossHead needs at least one column');
  const buffers = new BufferSet(desc.name, decls);
  const shape = { rows, cols };
  const input = buffers.view({ ...desc.input, ...shape }, false, 'input');
  let labels, indices, target;
  if (desc.target.sparse) {
    indices = buffers.use(desc.target.indices, false);
    labels = buffers.use(desc.target.labels, false);
  } else {
    target = buffers.view({ ...desc.target.view, ...shape }, false, 'target');
  }
  const weights = desc.sampleWeights
    ? { values: buffers.use(desc.sampleWeights.weights, false), indices: buffers.use(desc.sampleWeights.indices, false) }
    : undefined;
  const grad = desc.gradOut ? buffers.view({ ...desc.gradOut, ...shape }, true, 'gradOut') : undefined;
  const pred = desc.predictionOut ? buffers.view({ ...desc.predictionOut, ...shape }, true, 'predictionOut') : undefined;
  const metrics = buffers.use(desc.metricsBuffer, true);
  const penaltyParams = desc.penalty ? buffers.use(desc.penalty.params, false) : undefined;
  for (const slot of [desc.lossSlot, ...desc.metrics.map((m) => m.slot), ...(desc.penalty ? [desc.penalty.slot] : [])]) {
    if (!Number.isInteger(slot) || slot < 0 || slot >= metrics.decl.size) {
      throw new KernelCodegenError(desc.name, `metric slot ${slot} is outside "${desc.metricsBuffer}" (size ${metrics.decl.size})`);
    }
  }
  const softmax = desc.loss === 'softmaxCrossEntropy';
  const sigmoid = desc.loss === 'sigmoidCrossEntropy';
  const kinds = new Set<MetricKind>(desc.metrics.map((m) => m.kind));
  const needArgmaxP = kinds.has('sparseCategoricalAccuracy') || kinds.has('categoricalAccuracy');
  // sparse target: argmax(t) is the label; dense: argmax(t) computed.
  const needArgmaxT = !desc.target.sparse && needArgmaxP;
  const invCols = f32(1 / cols);
  // The weight penalty (regularizers) is one more sum: every invocation strides over the weights.
  const nAcc = 1 + desc.metrics.length + (desc.penalty ? 1 : 0);

  // A short batch on a plan made for more rows: rows from step.rows (in samples) on are padding; this
  // kernel's (a row part's) first `live_rows` rows are not.
  const samplesEnd = `step.rows${(desc.input.rowsPerSample ?? 1) > 1 ? ` * ${u32(desc.input.rowsPerSample!)}` : ''}`;
  const partStart = desc.rowPart ? `${ROW_PART} * ${u32(desc.rowPart.rows)}` : '0u';
  const liveRowsDecl = desc.maskRows ? [`  let live_rows = min(${u32(rows)}, ${samplesEnd} - min(${samplesEnd}, ${partStart}));`] : [];
  const row: string[] = [];
  if (desc.maskRows) {
    // Padding: no loss, no metrics, no prediction; a zero gradient row (the weight gradients sum over every row).
    row.push(`    if (r >= live_rows) {`);
    if (grad) {
      row.push(`      let gz = ${viewIndex(desc.gradOut!, 'r', '0u')};`);
      row.push(`      for (var c = 0u; c < ${u32(cols)}; c = c + 1u) { ${storeF32(grad, 'gz + c', '0.0', false)} }`);
    }
    row.push(`      continue;`, `    }`);
  }
  // The gradient's scale: lossWeight / batch, or for a short batch on this plan lossWeight / step.rows
  // (× batch ÷ step.rows, exactly 1 for a full batch).
  const liveScale = desc.maskRows && grad ? 'live_scale' : undefined;
  const scaled = (k: number): string => (liveScale ? `(${f32(k)} * ${liveScale})` : f32(k));
  row.push(`    let zr = ${viewIndex(desc.input, 'r', '0u')};`);
  if (desc.target.sparse) row.push(`    let label = ${loadU32(labels!, loadU32(indices!, samplePosition('r', desc.rowPart?.rows)))};`);
  else row.push(`    let tr = ${viewIndex(desc.target.view, 'r', '0u')};`);
  if (grad) row.push(`    let gr = ${viewIndex(desc.gradOut!, 'r', '0u')};`);
  // Weighted samples (classWeight): the row's loss and gradient are scaled by its weight.
  if (weights) row.push(`    let w = ${loadF32(weights.values, loadU32(weights.indices, samplePosition('r', desc.rowPart?.rows)))};`);
  const weighted = (expr: string): string => (weights ? `w * ${expr}` : expr);
  if (pred) row.push(`    let pr = ${viewIndex(desc.predictionOut!, 'r', '0u')};`);
  if (softmax) {
    row.push(`    var mx = ${loadF32(input, 'zr')};`);
    row.push(`    for (var c = 1u; c < ${u32(cols)}; c = c + 1u) { mx = max(mx, ${loadF32(input, 'zr + c')}); }`);
    row.push(`    var se = 0.0;`);
    row.push(`    for (var c = 0u; c < ${u32(cols)}; c = c + 1u) { se = se + exp(${loadF32(input, 'zr + c')} - mx); }`);
    row.push(`    let inv = 1.0 / se;`);
    row.push(`    var tz = 0.0;`);
  } else {
    row.push(`    var lsum = 0.0;`);
  }
  if (needArgmaxP) row.push(`    var bestP = 0.0;`, `    var argP = 0u;`);
  if (needArgmaxT) row.push(`    var bestT = 0.0;`, `    var argT = 0u;`);
  if (kinds.has('binaryAccuracy')) row.push(`    var binHits = 0.0;`);
  if (kinds.has('meanSquaredError')) row.push(`    var sqSum = 0.0;`);
  if (kinds.has('meanAbsoluteError')) row.push(`    var absSum = 0.0;`);
  row.push(`    for (var c = 0u; c < ${u32(cols)}; c = c + 1u) {`);
  row.push(`      let z = ${loadF32(input, 'zr + c')};`);
  if (softmax) row.push(`      let p = exp(z - mx) * inv;`);
  else if (sigmoid) {
    // e^−|z| never overflows: sigmoid and the loss stay finite for any logit.
    row.push(`      let e = exp(-abs(z));`, `      let p = select(e / (1.0 + e), 1.0 / (1.0 + e), z >= 0.0);`);
  } else row.push(`      let p = z;`);
  row.push(desc.target.sparse ? `      let t = select(0.0, 1.0, c == label);` : `      let t = ${loadF32(target!, 'tr + c')};`);
  row.push(`      let d = p - t;`);
  switch (desc.loss) {
    case 'softmaxCrossEntropy':
      row.push(`      tz = tz + t * z;`);
      if (grad) row.push(`      ${storeF32(grad, 'gr + c', weighted(`d * ${scaled(desc.gradScale)}`), false)}`);
      break;
    case 'sigmoidCrossEntropy':
      row.push(`      lsum = lsum + max(z, 0.0) - z * t + log(1.0 + e);`);
      if (grad) row.push(`      ${storeF32(grad, 'gr + c', weighted(`d * ${scaled(desc.gradScale / cols)}`), false)}`);
      break;
    case 'binaryCrossEntropy': {
      // As TensorFlow.js: p clipped to [ε, 1 − ε]; the clip passes no gradient outside it.
      const lo = f32(BCE_EPSILON);
      const hi = f32(1 - BCE_EPSILON);
      row.push(`      let q = clamp(p, ${lo}, ${hi});`);
      row.push(`      lsum = lsum - (t * log(q) + (1.0 - t) * log(1.0 - q));`);
      if (grad)
        row.push(
          `      ${storeF32(grad, 'gr + c', weighted(`select(0.0, (q - t) / (q * (1.0 - q)), p >= ${lo} && p <= ${hi}) * ${scaled(desc.gradScale / cols)}`), false)}`,
        );
      break;
    }
    case 'meanSquaredError':
      row.push(`      lsum = lsum + d * d;`);
      if (grad) row.push(`      ${storeF32(grad, 'gr + c', weighted(`d * ${scaled((2 * desc.gradScale) / cols)}`), false)}`);
      break;
    case 'meanAbsoluteError':
      row.push(`      lsum = lsum + abs(d);`);
      if (grad) row.push(`      ${storeF32(grad, 'gr + c', weighted(`sign(d) * ${scaled(desc.gradScale / cols)}`), false)}`);
      break;
    default:
      return desc.loss satisfies never;
  }
  if (pred) row.push(`      ${storeF32(pred, 'pr + c', 'p', false)}`);
  if (needArgmaxP) row.push(`      if (c == 0u || p > bestP) { bestP = p; argP = c; }`);
  if (needArgmaxT) row.push(`      if (c == 0u || t > bestT) { bestT = t; argT = c; }`);
  if (kinds.has('binaryAccuracy')) row.push(`      binHits = binHits + select(0.0, 1.0, (p > 0.5) == (t > 0.5));`);
  if (kinds.has('meanSquaredError')) row.push(`      sqSum = sqSum + d * d;`);
  if (kinds.has('meanAbsoluteError')) row.push(`      absSum = absSum + abs(d);`);
  row.push(`    }`);
  row.push(softmax ? `    acc0 = acc0 + ${weighted('(mx + log(se) - tz)')};` : `    acc0 = acc0 + ${weighted(`lsum * ${invCols}`)};`);
  for (const [i, m] of desc.metrics.entries()) {
    const a = `acc${i + 1}`;
    const trueClass = desc.target.sparse ? 'label' : 'argT';
    switch (m.kind) {
      case 'sparseCategoricalAccuracy':
      case 'categoricalAccuracy':
        row.push(`    ${a} = ${a} + select(0.0, 1.0, argP == ${trueClass});`);
        break;
      case 'binaryAccuracy':
        row.push(`    ${a} = ${a} + binHits * ${invCols};`);
        break;
      case 'meanSquaredError':
        row.push(`    ${a} = ${a} + sqSum * ${invCols};`);
        break;
      case 'meanAbsoluteError':
        row.push(`    ${a} = ${a} + absSum * ${invCols};`);
        break;
      default:
        return m.kind satisfies never;
    }
  }

  const accs = Array.from({ length: nAcc }, (_, i) => `acc${i}`);
  const slots = [desc.lossSlot, ...desc.metrics.map((m) => m.slot), ...(desc.penalty ? [desc.penalty.slot] : [])];
  const penalty: string[] = [];
  if (desc.penalty) {
    // rows × Σ l1·|w| + l2·w²: summed into the slot like a per-row value (the epoch's mean is TensorFlow.js's).
    const a = `acc${nAcc - 1}`;
    for (const term of desc.penalty.terms) {
      const parts = [...(term.l1 !== 0 ? [`${f32(term.l1)} * abs(w)`] : []), ...(term.l2 !== 0 ? [`${f32(term.l2)} * w * w`] : [])];
      if (!parts.length) continue;
      penalty.push(
        `  for (var i = lidx; i < ${u32(term.count)}; i = i + ${u32(size)}) {`,
        `    let w = ${loadF32(penaltyParams!, `${u32(term.offset)} + i`)};`,
        `    ${a} = ${a} + ${parts.join(' + ')};`,
        `  }`,
      );
    }
    penalty.push(`  ${a} = ${a} * ${desc.maskRows ? 'f32(live_rows)' : f32(rows)};`);
  }
  // In a row part the sums go to the part's copy of the slots.
  const slotIndex = (slot: number): string => (desc.rowPart ? `${u32(slot)} + ${ROW_PART} * ${u32(desc.rowPart.slots)}` : u32(slot));
  const store = (a: string, i: number): string => `    ${storeF32(metrics, slotIndex(slots[i]!), `t_${a}`, true)}`;
  const totals = quadReduction
    ? [...accs.map((a) => `  let t_${a} = subgroupAdd(${a});`), `  if (lidx == 0u) {`, ...accs.map(store), `  }`]
    : [
        ...accs.map((a, i) => `  partial[lidx * ${u32(nAcc)} + ${u32(i)}] = ${a};`),
        `  workgroupBarrier();`,
        `  if (lidx == 0u) {`,
        ...accs.map((a) => `    var t_${a} = 0.0;`),
        `    for (var i = 0u; i < ${u32(size)}; i = i + 1u) {`,
        ...accs.map((a, i) => `      t_${a} = t_${a} + partial[i * ${u32(nAcc)} + ${u32(i)}];`),
        `    }`,
        ...accs.map(store),
        `  }`,
      ];
  const body = [
    ...liveRowsDecl,
    ...(liveScale ? [`  let ${liveScale} = ${f32(desc.maskRows!.batch)} / f32(step.rows);`] : []),
    ...accs.map((a) => `  var ${a} = 0.0;`),
    `  for (var r = lidx; r < ${u32(rows)}; r = r + ${u32(size)}) {`,
    ...row,
    `  }`,
    ...penalty,
    ...totals,
  ].join('\n');
  const metricNames = desc.metrics.map((m) => `${m.kind}→[${m.slot}]`).join(', ');
  return assemble({
    desc,
    summary: `lossHead ${desc.loss} ${rows}×${cols}, ${desc.target.sparse ? 'sparse' : 'dense'} targets, loss→[${desc.lossSlot}]${metricNames ? `, ${metricNames}` : ''}${weights ? ', weighted samples' : ''}${desc.penalty ? `, weight penalty→[${desc.penalty.slot}]` : ''}${grad ? ', gradient' : ''}${pred ? ', predictions' : ''}${desc.maskRows ? ', rows from step.rows masked' : ''}${quadReduction ? '; one quad, sums by subgroupAdd' : ''}`,
    buffers,
    helpers: quadReduction ? '' : `var<workgroup> partial: array<f32, ${size * nAcc}>;`,
    workgroupSize: size,
    body,
    workgroups: [1, 1, 1],
    ...(quadReduction ? { enables: ['subgroups'] } : {}),
  });
}
