// Convolution fusion, as dense layers get it: conv2d → biasAdd → activation becomes one conv2d with
// an epilogue; an activation gradient whose dy is a conv input gradient is folded into it
// (× activation'(y)); and a bias gradient (columnSum(dZ)) rides with the filter gradient of the same
// dZ as a ones row, landing right after the filter in the flat gradient buffer.
// A link is folded only when the value it consumes has no other reader.

import { copyNode, rebuild } from '../builder.js';
import { consumersOf, rootsOf, type IrGraph, type IrNode, type MatmulEpilogue, type NodeOf, type OpOf, type ValueId } from '../graph.js';
import { colsOf, rowsOf } from '../shape.js';

type ConvOp = OpOf<'conv2d' | 'conv2dInputGrad' | 'conv2dFilterGrad'>;

const plainConv = (node: IrNode, op: ConvOp['op']): boolean => node.op === op && !node.epilogue;

/** The op (no id, shape or label) with `extra` merged into its epilogue. */
function withConvEpilogue<O extends ConvOp>(node: O, extra: MatmulEpilogue): O {
  const { id: _id, shape: _shape, label: _label, ...op } = node as O & Partial<IrNode>;
  return { ...(op as unknown as O), epilogue: { ...op.epilogue, ...extra } };
}

export function fuseConvEpilogue(graph: IrGraph): IrGraph {
  return foldEpilogues(rideBiasGradients(graph));
}

function rideBiasGradients(graph: IrGraph): IrGraph {
  const consumers = consumersOf(graph);
  const partnerOf = new Map<ValueId, ValueId>();
  for (const node of graph.nodes) {
    if (node.op !== 'columnSum') continue;
    const candidate = consumers[node.x]!.find((c) => {
      const m = graph.nodes[c]!;
      return plainConv(m, 'conv2dFilterGrad') && m.op === 'conv2dFilterGrad' && m.dy === node.x && !partnerOf.has(c);
    });
    if (candidate !== undefined) {
      partnerOf.set(candidate, node.id);
      partnerOf.set(node.id, candidate);
    }
  }
  if (partnerOf.size === 0) return graph;
  const emitted = new Map<ValueId, ValueId>();
  return rebuild(graph, (node, builder, oldId, mapId) => {
    const done = emitted.get(oldId);
    if (done !== undefined) return done;
    const partner = partnerOf.get(oldId);
    if (partner === undefined) return copyNode(node, builder);
    const filterOld = graph.nodes[oldId]!.op === 'conv2dFilterGrad' ? oldId : partner;
    const sumOld = partnerOf.get(filterOld)!;
    const filterGrad = graph.nodes[filterOld] as NodeOf<'conv2dFilterGrad'>;
    const taps = rowsOf(filterGrad.shape);
    const augmented = builder.add(
      { op: 'conv2dFilterGrad', x: mapId(filterGrad.x), dy: mapId(filterGrad.dy), window: filterGrad.window, epilogue: { aOnesRow: true } },
      `${filterGrad.label ?? 'filter gradient'} + bias gradient`,
    );
    emitted.set(filterOld, builder.add({ op: 'slice', x: augmented, axis: 0, start: 0, size: taps }, filterGrad.label));
    emitted.set(sumOld, builder.add({ op: 'slice', x: augmented, axis: 0, start: taps, size: 1 }, graph.nodes[sumOld]!.label));
    return emitted.get(oldId)!;
  });
}

function foldEpilogues(graph: IrGraph): IrGraph {
  const consumers = consumersOf(graph);
  const roots = new Set(rootsOf(graph));
  const soleUse = (id: number): boolean => consumers[id]!.length === 1 && !roots.has(id);
  const absorbed = new Set<number>();
  for (const node of graph.nodes) {
    if (node.op === 'biasAdd') {
      const c = graph.nodes[node.x]!;
      if (plainConv(c, 'conv2d') && soleUse(c.id) && colsOf(graph.nodes[node.bias]!.shape) === colsOf(c.shape)) absorbed.add(c.id);
    } else if (node.op === 'activation' && node.activation !== 'softmax') {
      const x = graph.nodes[node.x]!;
      const foldable = plainConv(x, 'conv2d') || (x.op === 'biasAdd' && absorbed.has(x.x));
      if (foldable && soleUse(x.id)) absorbed.add(x.id);
    } else if (node.op === 'activationGrad' && node.activation !== 'softmax') {
      const d = graph.nodes[node.dy]!;
      if (plainConv(d, 'conv2dInputGrad') && soleUse(d.id) && d.id !== node.y) absorbed.add(d.id);
    }
  }
  if (absorbed.size === 0) return graph;
  const fused = rebuild(graph, (node, builder, oldId) => {
    const old = graph.nodes[oldId]!;
    if (node.op === 'biasAdd' && old.op === 'biasAdd' && absorbed.has(old.x)) {
      const c = builder.nodes[node.x] as NodeOf<'conv2d'>;
      return builder.add(withConvEpilogue(c, { bias: node.bias }), node.label ?? c.label);
    }
    if (node.op === 'activation' && old.op === 'activation' && node.activation !== 'softmax' && absorbed.has(old.x)) {
      const c = builder.nodes[node.x] as NodeOf<'conv2d'>;
      return builder.add(withConvEpilogue(c, { activation: node.activation }), c.label ?? node.label);
    }
    if (node.op === 'activationGrad' && old.op === 'activationGrad' && node.activation !== 'softmax' && absorbed.has(old.dy)) {
      const c = builder.nodes[node.dy] as NodeOf<'conv2dInputGrad'>;
      return builder.add(withConvEpilogue(c, { gradMask: { activation: node.activation, y: node.y } }), c.label ?? node.label);
    }
    return copyNode(node, builder);
  });
  return rebuild(fused);
}
