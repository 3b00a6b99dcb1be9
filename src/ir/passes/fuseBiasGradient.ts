// A bias gradient (columnSum(dZ)) rides with the weight gradient Xᵀ·dZ of the same layer: the matmul
// gets a row of ones appended to Xᵀ, so its last output row is the column sum. With the bias stored
// right after the kernel in the flat parameter buffer, both gradients land in place in one kernel.

import { copyNode, rebuild } from '../builder.js';
import { consumersOf, isPlainMatmul, type IrGraph, type NodeOf, type ValueId } from '../graph.js';
import { colsOf } from '../shape.js';

export function fuseBiasGradient(graph: IrGraph): IrGraph {
  const consumers = consumersOf(graph);
  // Pair each columnSum with a plain weight-gradient matmul reading the same dZ.
  const partnerOf = new Map<ValueId, ValueId>();
  for (const node of graph.nodes) {
    if (node.op !== 'columnSum') continue;
    const candidate = consumers[node.x]!.find((c) => {
      const m = graph.nodes[c]!;
      return isPlainMatmul(m) && m.b === node.x && m.transA && !m.transB && !partnerOf.has(c);
    });
    if (candidate !== undefined) {
      partnerOf.set(candidate, node.id);
      partnerOf.set(node.id, candidate);
    }
  }
  const emitted = new Map<ValueId, ValueId>(); // old id of the member emitted second → its new id
  return rebuild(graph, (node, builder, oldId, mapId) => {
    const done = emitted.get(oldId);
    if (done !== undefined) return done;
    const partner = partnerOf.get(oldId);
    if (partner === undefined) return copyNode(node, builder);
    // Both operands (X and dZ) come before either member, so they are already renumbered.
    const matmulOld = graph.nodes[oldId]!.op === 'matmul' ? oldId : partner;
    const matmul = graph.nodes[matmulOld] as NodeOf<'matmul'>;
    const k = colsOf(graph.nodes[matmul.a]!.shape);
    const augmented = builder.add(
      { op: 'matmul', a: mapId(matmul.a), b: mapId(matmul.b), transA: true, transB: false, epilogue: { aOnesRow: true } },
      `${matmul.label ?? 'weight gradient'} + bias gradient`,
    );
    const weightGrad = builder.add({ op: 'slice', x: augmented, axis: 0, start: 0, size: k }, matmul.label);
    const biasGrad = builder.add({ op: 'slice', x: augmented, axis: 0, start: k, size: 1 }, graph.nodes[partnerOf.get(matmulOld)!]!.label);
    const columnSumOld = partnerOf.get(matmulOld)!;
    emitted.set(matmulOld, weightGrad);
    emitted.set(columnSumOld, biasGrad);
    return oldId === matmulOld ? weightGrad : biasGrad;
  });
}
