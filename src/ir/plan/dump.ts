// Readable dump of a plan: buffers, then each kernel with its views.

import type { View } from '../kernel.js';
import { activationElementType, bufferBytes } from '../precision.js';
import type { Plan } from './types.js';

export function dumpPlan(plan: Plan): string {
  const v = (view: View): string =>
    `${view.buffer}[${view.offset}${view.rowBaseFromStep ? `+step${view.rowsPerSample ? `×${view.rowsPerSample}` : ''}` : ''}${view.gathered ? `+rows by ${view.gathered.indices}[step]×${view.gathered.scale}` : ''}; ${view.rows}×${view.cols}/${view.rowStride}]`;
  const lines = [
    `plan ${plan.mode} (batch ${plan.batchSize}): ${plan.kernels.length} kernels, ${plan.plannedBytes} bytes planned, arena ${bufferBytes(activationElementType(plan.precision), plan.arenaSize)} bytes${plan.precision === 'float32' ? '' : ` (${plan.precision})`}`,
  ];
  for (const b of plan.buffers) lines.push(`  buffer ${b.name}: ${b.elementType} × ${b.size || 'data'} (${b.role})`);
  plan.kernels.forEach((k, i) => {
    let detail = '';
    switch (k.kind) {
      case 'gather':
        detail = k.sources.map((s) => `${s.dataset}(${s.elementType}×${s.scale}) → ${v(s.out)}`).join(', ');
        break;
      case 'matmul':
        detail = `${v(k.a)}${k.transA ? 'ᵀ' : ''}${k.aOnesRow ? '+1' : ''} · ${v(k.b)}${k.transB ? 'ᵀ' : ''}${k.bias ? ` + ${v(k.bias)}` : ''}${k.activation ? ` → ${k.activation}` : ''}${k.gradMask ? ` × ${k.gradMask.activation}'(${v(k.gradMask.y)})` : ''} ${k.update ? `→ ${k.update.algorithm.kind} update of ${k.update.params} at` : k.accumulate ? '+=' : '→'} ${v(k.out)} (${k.m}×${k.n}×${k.k})`;
        break;
      case 'elementwise':
        detail = `→ ${v(k.out)}`;
        break;
      case 'softmaxRows':
        detail = `${v(k.x)}${k.dy ? ` dy ${v(k.dy)}` : ''} → ${v(k.out)}`;
        break;
      case 'columnSum':
        detail = `${v(k.x)} → ${v(k.out)}`;
        break;
      case 'lossHead':
        detail = `${k.loss} ${v(k.input)} vs ${k.target.sparse ? k.target.labels : v(k.target.view)}${k.sampleWeights ? ` × ${k.sampleWeights.weights}` : ''}${k.gradOut ? ` grad → ${v(k.gradOut)} × ${k.gradScale}` : ''} slots ${[k.lossSlot, ...k.metrics.map((m) => m.slot)].join(',')}`;
        break;
      case 'optimizer':
        detail = `${k.count} params`;
        break;
      case 'conv2d':
        detail = `${k.pass} ${v(k.a)}${k.aOnesRow ? '+1' : ''} ⊛ ${v(k.b)}${k.bias ? ` + ${v(k.bias)}` : ''}${k.activation ? ` → ${k.activation}` : ''}${k.gradMask ? ` × ${k.gradMask.activation}'(${v(k.gradMask.y)})` : ''} ${k.accumulate ? '+=' : '→'} ${v(k.out)}`;
        break;
      case 'pool2d':
        detail = `${k.mode}${k.dy ? ' grad' : ''} ${v(k.x)}${k.dy ? ` dy ${v(k.dy)}` : ''} ${k.accumulate ? '+=' : '→'} ${v(k.out)}`;
        break;
      default:
        k satisfies never;
    }
    lines.push(`  ${String(i).padStart(2)} ${k.kind.padEnd(11)} ${k.name}: ${detail}`);
  });
  return lines.join('\n');
}
