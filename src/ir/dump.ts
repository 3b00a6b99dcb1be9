// A readable text dump of an IR graph, one node per line, with each value's full shape.

import type { IrGraph } from './graph.js';
import { describeOp } from './ops/table.js';
import { formatShape } from './shape.js';

export function dumpGraph(graph: IrGraph, title = 'graph'): string {
  const lines = [`${title} (batch ${graph.batchSize}, ${graph.nodes.length} nodes)`];
  for (const node of graph.nodes) {
    const text = `  %${node.id} = ${describeOp(node, (id) => `%${id}`)}`;
    lines.push(`${text.padEnd(72)} ${formatShape(node.shape)}${node.label ? `  # ${node.label}` : ''}`);
  }
  if (graph.outputs.length) lines.push(`  outputs: ${graph.outputs.map((o) => `%${o}`).join(', ')}`);
  for (const l of graph.losses) lines.push(`  loss of output ${l.output}: %${l.value} × ${l.weight}`);
  for (const a of graph.accumulators) lines.push(`  slot ${a.slot} "${a.name}" += Σ %${a.value}`);
  if (graph.paramGrads) graph.paramGrads.forEach((g, i) => lines.push(`  grad ${graph.params[i]!.name}: ${g === null ? 'none' : `%${g}`}`));
  return lines.join('\n');
}
