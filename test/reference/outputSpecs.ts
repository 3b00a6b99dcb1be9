// The outputs of a random graph description (randomGraphs.ts) as the lowering takes them — loss,
// weight, metrics resolved as compile() would — for tests that lower and compile a graph directly.
// Node only (it imports weft's own modules; randomGraphs.ts stays free of them for the page bundle).
import { resolveLoss, resolveMetric } from '../../src/api/compileConfig.js';
import type { OutputSpec } from '../../src/api/lowerModel.js';
import { outputNames, outputUnits, type GraphSpec } from './randomGraphs.js';

export function outputSpecs(spec: GraphSpec): OutputSpec[] {
  const names = outputNames(spec);
  const units = outputUnits(spec);
  return spec.outputs.map((o, i) => {
    const loss = resolveLoss(o.loss, names[i]!);
    return { name: names[i]!, units: units[i]!, loss, weight: o.weight, metrics: o.metrics.map((m) => resolveMetric(m, loss, units[i]!, names[i]!)) };
  });
}
