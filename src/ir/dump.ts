// A readable text dump of an IR graph, one node per line.

import type { IrGraph, IrNode } from './graph.js';

function describe(node: IrNode): string {
  const v = (id: number): string => `%${id}`;
  switch (node.op) {
    case 'input':
      return `input[${node.index}] "${node.name}"`;
    case 'target':
      return `target[${node.index}] "${node.name}"${node.sparse ? ' sparse' : ''}`;
    case 'param':
      return `param[${node.index}] "${node.name}"`;
    case 'constant':
      return `constant ${node.value}`;
    case 'matmul': {
      const parts = [`matmul ${v(node.a)}${node.transA ? 'ᵀ' : ''}${node.aOnesRow ? '+1row' : ''}, ${v(node.b)}${node.transB ? 'ᵀ' : ''}`];
      if (node.bias !== undefined) parts.push(`+ bias ${v(node.bias)}`);
      if (node.activation) parts.push(`→ ${node.activation}`);
      if (node.gradMask) parts.push(`× ${node.gradMask.activation}'(${v(node.gradMask.y)})`);
      if (node.accumulate !== undefined) parts.push(`+= into ${v(node.accumulate)}`);
      return parts.join(' ');
    }
    case 'biasAdd':
      return `biasAdd ${v(node.x)}, ${v(node.bias)}`;
    case 'activation':
      return `${node.activation} ${v(node.x)}`;
    case 'activationGrad':
      return `${node.activation}Grad y=${v(node.y)}, dy=${v(node.dy)}`;
    case 'concat':
      return `concat ${node.xs.map(v).join(', ')}`;
    case 'slice':
      return `slice ${v(node.x)} axis ${node.axis} [${node.start}, ${node.start + node.size})`;
    case 'add':
      return `add ${v(node.a)}, ${v(node.b)}`;
    case 'mul':
      return `mul ${v(node.a)}, ${v(node.b)}`;
    case 'scale':
      return `scale ${v(node.x)} × ${node.factor}`;
    case 'dropout':
      return `dropout ${v(node.x)} rate ${node.rate} salt ${node.salt}`;
    case 'columnSum':
      return `columnSum ${v(node.x)}`;
    case 'broadcastRows':
      return `broadcastRows ${v(node.x)} × ${node.rows}`;
    case 'mulRow':
      return `mulRow ${v(node.x)}, ${v(node.row)}`;
    case 'rsqrt':
      return `rsqrt ${v(node.x)} + ${node.epsilon}`;
    case 'assignParam':
      return `assign ${v(node.param)} ← ${node.momentum} × itself + ${1 - node.momentum} × ${v(node.value)}`;
    case 'crossEntropy':
      return `crossEntropy probs=${v(node.probs)}, target=${v(node.target)}${node.sparse ? ' sparse' : ''}`;
    case 'crossEntropyGrad':
      return `crossEntropyGrad probs=${v(node.probs)}, target=${v(node.target)}, dy=${v(node.dy)}`;
    case 'softmaxCrossEntropy':
      return `softmaxCrossEntropy logits=${v(node.logits)}, target=${v(node.target)}${node.sparse ? ' sparse' : ''}`;
    case 'softmaxCrossEntropyGrad':
      return `softmaxCrossEntropyGrad logits=${v(node.logits)}, target=${v(node.target)}, dy=${v(node.dy)}`;
    case 'pointwiseLoss':
      return `${node.loss} pred=${v(node.pred)}, target=${v(node.target)}`;
    case 'pointwiseLossGrad':
      return `${node.loss}Grad pred=${v(node.pred)}, target=${v(node.target)}, dy=${v(node.dy)}`;
    case 'metric':
      return `metric ${node.metric} pred=${v(node.pred)}, target=${v(node.target)}`;
    case 'lossHead': {
      const metrics = node.metrics.map((m) => `${m.metric}→slot${m.slot}`).join(', ');
      return `lossHead ${node.loss} input=${v(node.input)}, target=${v(node.target)}${node.sparse ? ' sparse' : ''} loss→slot${node.lossSlot}${metrics ? `, ${metrics}` : ''}${node.withGrad ? `, grad × ${node.gradScale}` : ''}`;
    }
    default:
      return node satisfies never;
  }
}

export function dumpGraph(graph: IrGraph, title = 'graph'): string {
  const lines = [`${title} (batch ${graph.batchSize}, ${graph.nodes.length} nodes)`];
  for (const node of graph.nodes) {
    const text = `  %${node.id} = ${describe(node)}`;
    lines.push(`${text.padEnd(72)} [${node.shape[0]}, ${node.shape[1]}]${node.label ? `  # ${node.label}` : ''}`);
  }
  if (graph.outputs.length) lines.push(`  outputs: ${graph.outputs.map((o) => `%${o}`).join(', ')}`);
  for (const l of graph.losses) lines.push(`  loss of output ${l.output}: %${l.value} × ${l.weight}`);
  for (const a of graph.accumulators) lines.push(`  slot ${a.slot} "${a.name}" += Σ %${a.value}`);
  if (graph.paramGrads)
    graph.paramGrads.forEach((g, i) => lines.push(`  grad ${graph.params[i]!.name}: ${g === null ? 'none' : `%${g}`}`));
  return lines.join('\n');
}
