// Memory planning and kernel selection: a fused IR graph becomes a list of KernelDesc over named
// buffers. Every value gets a View; concat and slice get views into other values' storage (no kernel,
// no copy); parameter gradients are written in place into one flat gradient buffer laid out like the
// parameters; transient values share one arena by liveness, so the peak is known before anything runs.

import type { IrGraph, IrNode, ValueId } from './graph.js';
import { consumersOf, rootsOf } from './graph.js';
import type { BufferDecl, ElementwiseExpr, GatherSource, KernelDesc, OptimizerAlgorithm, View } from './kernel.js';
import { optimizerSlotCount, viewsOf } from './kernel.js';

export type PlanMode = 'train' | 'evaluate' | 'predict';

export interface PlanOptions {
  mode: PlanMode;
  optimizer?: OptimizerAlgorithm;
  /** How each model input's dataset is stored on the GPU (u8 pixels are scaled in the gather). */
  inputStorage: { elementType: 'f32' | 'u8'; scale: number }[];
}

export interface Plan {
  mode: PlanMode;
  batchSize: number;
  graph: IrGraph;
  buffers: BufferDecl[];
  kernels: KernelDesc[];
  /** Offset of each param in the flat params (and grads) buffer. */
  paramOffsets: number[];
  paramCount: number;
  slotCount: number;
  /** Arena size in f32 elements. */
  arenaSize: number;
  /** Bytes of every buffer the plan allocates (datasets excluded). */
  plannedBytes: number;
}

/** Where a value lives: a fixed place in a named buffer, or a place in an arena slot. */
type Home =
  | { kind: 'fixed'; buffer: string; offset: number; rowStride: number; rowBaseFromStep?: boolean }
  | { kind: 'slot'; slot: number; offset: number; rowStride: number };

const ALIGN = 4; // arena offsets in f32 elements (16 bytes), friendly to vec4 loads

export function planGraph(graph: IrGraph, options: PlanOptions): Plan {
  const nodes = graph.nodes;
  const consumers = consumersOf(graph);
  const roots = new Set(rootsOf(graph));

  const paramOffsets: number[] = [];
  let paramCount = 0;
  for (const p of graph.params) {
    paramOffsets.push(paramCount);
    paramCount += p.shape[0] * p.shape[1];
  }

  // 1. Requests: places that consumers (concat, param grads, predict outputs) want a value written to.
  const requests = new Map<ValueId, Home>();
  const copies: { source: ValueId; to: Home }[] = [];
  const homes: (Home | undefined)[] = nodes.map(() => undefined);
  const slotSizes: number[] = [];
  let batchBufferSize = 0;
  const newSlot = (size: number): number => slotSizes.push(size) - 1;

  if (options.mode === 'train' && graph.paramGrads)
    graph.paramGrads.forEach((g, p) => {
      if (g !== null) request(g, { kind: 'fixed', buffer: 'grads', offset: paramOffsets[p]!, rowStride: graph.params[p]!.shape[1] });
    });
  if (options.mode === 'predict')
    graph.outputs.forEach((o, i) => request(o, { kind: 'fixed', buffer: `output${i}`, offset: 0, rowStride: nodes[o]!.shape[1], rowBaseFromStep: true }));

  function request(id: ValueId, home: Home): void {
    if (requests.has(id)) copies.push({ source: id, to: home });
    else requests.set(id, home);
  }

  // 2. Homes, consumers first (reverse order) so that requests reach producers.
  for (let id = nodes.length - 1; id >= 0; id--) {
    const node = nodes[id]!;
    const wanted = requests.get(id);
    if (node.op === 'slice') {
      // A slice is a view of its source; a request for it becomes a request for the source.
      if (wanted) {
        const source = nodes[node.x]!;
        const shifted = shiftHome(wanted, node.axis === 0 ? -node.start : 0, node.axis === 1 ? -node.start : 0);
        const existing = requests.get(node.x);
        if (existing && sameHome(existing, shifted)) continue;
        if (canWriteInto(source) && !existing && shifted.offset >= 0) requests.set(node.x, shifted);
        else copies.push({ source: id, to: wanted });
      }
      continue;
    }
    if (node.op === 'target' && node.sparse) continue; // read from the labels buffer through the indices
    if (node.op === 'assignParam') continue; // writes into its param's place
    if (node.op === 'param') {
      homes[id] = { kind: 'fixed', buffer: 'params', offset: paramOffsets[node.index]!, rowStride: node.shape[1] };
      if (wanted) copies.push({ source: id, to: wanted });
      continue;
    }
    if (wanted && canWriteInto(node)) homes[id] = wanted;
    else {
      if (wanted) copies.push({ source: id, to: wanted });
      if (node.op === 'lossHead' && !node.withGrad) continue; // prediction not needed
      if (node.op === 'input' || node.op === 'target') {
        // The batch gets a buffer of its own that only the gather writes: every other kernel reads it
        // as a read-only binding, with rows aligned to 4 floats, so matmuls can load it 4-wide.
        const rowStride = Math.ceil(node.shape[1] / ALIGN) * ALIGN;
        homes[id] = { kind: 'fixed', buffer: 'batch', offset: batchBufferSize, rowStride };
        batchBufferSize += node.shape[0] * rowStride;
        continue;
      }
      homes[id] = { kind: 'slot', slot: newSlot(node.shape[0] * node.shape[1]), offset: 0, rowStride: node.shape[1] };
    }
    if (node.op === 'matmul' && node.accumulate !== undefined) {
      // The product is added in place: the accumulated value must live where this result lives.
      const x = node.accumulate;
      if (canWriteInto(nodes[x]!) && !requests.has(x)) requests.set(x, homes[id]!);
      else copies.push({ source: x, to: homes[id]! });
    }
    if (node.op === 'concat') {
      let column = 0;
      for (const x of node.xs) {
        const home = shiftHome(homes[id]!, 0, column);
        if (canWriteInto(nodes[x]!) && !requests.has(x)) requests.set(x, home);
        else copies.push({ source: x, to: home });
        column += nodes[x]!.shape[1];
      }
    }
  }
  // Slices take their source's home, shifted (forward order: sources first).
  for (const node of nodes) {
    if (node.op !== 'slice') continue;
    const source = homes[node.x];
    if (!source) throw new Error(`internal: slice %${node.id} of a value with no storage`);
    homes[node.id] = shiftHome(source, node.axis === 0 ? node.start : 0, node.axis === 1 ? node.start : 0);
  }

  // 3. Liveness of arena slots: from the first write of any value in the slot to the last read.
  const slotStart = slotSizes.map(() => Infinity);
  const slotEnd = slotSizes.map(() => -Infinity);
  const touch = (home: Home | undefined, time: number): void => {
    if (home?.kind !== 'slot') return;
    slotStart[home.slot] = Math.min(slotStart[home.slot]!, time);
    slotEnd[home.slot] = Math.max(slotEnd[home.slot]!, time);
  };
  const end = nodes.length;
  for (const node of nodes) {
    // Inputs and dense targets are written by the gather kernel, which runs before every node.
    touch(homes[node.id], node.op === 'input' || node.op === 'target' ? -1 : node.id);
    for (const c of consumers[node.id]!) touch(homes[node.id], c);
    if (roots.has(node.id)) touch(homes[node.id], end);
  }
  for (const copy of copies) {
    touch(homes[copy.source], copy.source);
    touch(copy.to, copy.source);
  }
  const slotOffsets = allocateSlots(slotSizes, slotStart, slotEnd);
  const arenaSize = Math.max(ALIGN, ...slotSizes.map((size, s) => (Number.isFinite(slotStart[s]!) ? slotOffsets[s]! + size : 0)));

  const viewOf = (home: Home, rows: number, cols: number): View =>
    home.kind === 'fixed'
      ? { buffer: home.buffer, offset: home.offset, rowStride: home.rowStride, rows, cols, ...(home.rowBaseFromStep ? { rowBaseFromStep: true } : {}) }
      : { buffer: 'arena', offset: slotOffsets[home.slot]! + home.offset, rowStride: home.rowStride, rows, cols };
  const view = (id: ValueId): View => {
    const home = homes[id];
    if (!home) throw new Error(`internal: %${id} (${nodes[id]!.op}) has no storage`);
    return viewOf(home, nodes[id]!.shape[0], nodes[id]!.shape[1]);
  };

  // 4. Kernels, in node order; one gather first, copies right after their source, optimizer last.
  const kernels: KernelDesc[] = [];
  const gatherSources: GatherSource[] = [];
  for (const node of nodes) {
    if (node.op === 'input') {
      const storage = options.inputStorage[node.index] ?? { elementType: 'f32', scale: 1 };
      gatherSources.push({ dataset: `input${node.index}`, elementType: storage.elementType, scale: storage.scale, out: view(node.id) });
    } else if (node.op === 'target' && !node.sparse && homes[node.id]) {
      gatherSources.push({ dataset: `target${node.index}`, elementType: 'f32', scale: 1, out: view(node.id) });
    }
  }
  if (gatherSources.length) kernels.push({ kind: 'gather', name: 'gather batch', indices: 'indices', rows: graph.batchSize, sources: gatherSources });
  const copiesAfter = new Map<ValueId, { source: ValueId; to: Home }[]>();
  for (const copy of copies) copiesAfter.set(copy.source, [...(copiesAfter.get(copy.source) ?? []), copy]);

  for (const node of nodes) {
    const kernel = kernelFor(node, view, graph);
    if (kernel) kernels.push(kernel);
    for (const copy of copiesAfter.get(node.id) ?? []) {
      const [rows, cols] = node.shape;
      kernels.push({ kind: 'elementwise', name: `copy %${node.id}`, rows, cols, expr: { op: 'read', view: view(node.id) }, out: viewOf(copy.to, rows, cols) });
    }
  }

  const slotCount = Math.max(0, ...graph.accumulators.map((a) => a.slot + 1), ...nodes.map((n) => (n.op === 'lossHead' ? Math.max(n.lossSlot, ...n.metrics.map((m) => m.slot)) + 1 : 0)));
  if (graph.accumulators.length) throw new Error('internal: unfused accumulators remain; run fuseLossHead before planning');

  const buffers: BufferDecl[] = [
    { name: 'arena', elementType: 'f32', size: arenaSize, role: 'arena' },
    ...(batchBufferSize > 0 ? [{ name: 'batch', elementType: 'f32', size: batchBufferSize, role: 'arena' } as BufferDecl] : []),
    { name: 'params', elementType: 'f32', size: Math.max(paramCount, 1), role: 'params' },
  ];
  if (options.mode === 'train') {
    const optimizer = options.optimizer ?? { kind: 'sgd' };
    buffers.push({ name: 'grads', elementType: 'f32', size: Math.max(paramCount, 1), role: 'grads' });
    const slots = optimizerSlotCount(optimizer);
    if (slots > 0) buffers.push({ name: 'optimizerSlots', elementType: 'f32', size: slots * paramCount, role: 'optimizerSlots' });
    kernels.push({ kind: 'optimizer', name: `${optimizer.kind} update`, algorithm: optimizer, count: paramCount, params: 'params', grads: 'grads', ...(slots > 0 ? { slots: 'optimizerSlots' } : {}) });
  }
  if (slotCount > 0) buffers.push({ name: 'metrics', elementType: 'f32', size: slotCount, role: 'metrics' });
  buffers.push({ name: 'indices', elementType: 'u32', size: 0, role: 'indices' });
  graph.inputs.forEach((_, i) => buffers.push({ name: `input${i}`, elementType: options.inputStorage[i]?.elementType ?? 'f32', size: 0, role: 'dataset' }));
  graph.targets.forEach((t, i) =>
    buffers.push(t.sparse ? { name: `labels${i}`, elementType: 'i32', size: 0, role: 'labels' } : { name: `target${i}`, elementType: 'f32', size: 0, role: 'dataset' }),
  );
  if (options.mode === 'predict') graph.outputs.forEach((o, i) => buffers.push({ name: `output${i}`, elementType: 'f32', size: 0, role: 'output' }));
  const used = new Set(kernels.flatMap(buffersOf));
  const kept = buffers.filter((b) => used.has(b.name) || b.role === 'params');
  const plannedBytes = kept.reduce((n, b) => n + b.size * (b.elementType === 'u8' ? 1 : 4), 0);
  return { mode: options.mode, batchSize: graph.batchSize, graph, buffers: kept, kernels, paramOffsets, paramCount, slotCount, arenaSize, plannedBytes };
}

function sameHome(a: Home, b: Home): boolean {
  return a.kind === b.kind && a.offset === b.offset && a.rowStride === b.rowStride &&
    (a.kind === 'fixed' ? b.kind === 'fixed' && a.buffer === b.buffer && !!a.rowBaseFromStep === !!b.rowBaseFromStep : b.kind === 'slot' && a.slot === b.slot);
}

function shiftHome(home: Home, rows: number, cols: number): Home {
  return { ...home, offset: home.offset + rows * home.rowStride + cols };
}

/** Values produced by a kernel whose output view can be placed anywhere. */
function canWriteInto(node: IrNode): boolean {
  switch (node.op) {
    case 'param':
    case 'slice':
    case 'target':
      return node.op === 'target' && !node.sparse;
    case 'lossHead':
      return node.withGrad;
    default:
      return true;
  }
}

/** First-fit allocation of slots by liveness interval; returns each slot's offset. */
function allocateSlots(sizes: number[], start: number[], end: number[]): number[] {
  const order = sizes.map((_, i) => i).filter((i) => Number.isFinite(start[i]!)).sort((a, b) => start[a]! - start[b]! || sizes[b]! - sizes[a]!);
  const offsets = sizes.map(() => 0);
  const placed: { offset: number; size: number; end: number }[] = [];
  for (const s of order) {
    const size = Math.ceil(sizes[s]! / ALIGN) * ALIGN;
    // A slot freed by the previous node is not reused at once: adjacent independent kernels can then
    // share a dispatch (src/ir/groupKernels.ts) at the cost of a little memory.
    const live = placed.filter((p) => p.end + 1 >= start[s]!).sort((a, b) => a.offset - b.offset);
    let offset = 0;
    for (const p of live) {
      if (offset + size <= p.offset) break;
      offset = Math.max(offset, p.offset + p.size);
    }
    offsets[s] = offset;
    placed.push({ offset, size, end: end[s]! });
  }
  return offsets;
}

function buffersOf(kernel: KernelDesc): string[] {
  switch (kernel.kind) {
    case 'gather':
      return [kernel.indices, ...kernel.sources.flatMap((s) => [s.dataset, s.out.buffer])];
    case 'lossHead':
      return [
        kernel.input.buffer,
        kernel.metricsBuffer,
        ...(kernel.target.sparse ? [kernel.target.labels, kernel.target.indices] : [kernel.target.view.buffer]),
        ...(kernel.gradOut ? [kernel.gradOut.buffer] : []),
        ...(kernel.predictionOut ? [kernel.predictionOut.buffer] : []),
      ];
    case 'optimizer':
      return [kernel.params, kernel.grads, ...(kernel.slots ? [kernel.slots] : [])];
    case 'matmul':
    case 'elementwise':
    case 'softmaxRows':
    case 'columnSum':
      return viewsOf(kernel).map((v) => v.buffer);
    default:
      return kernel satisfies never;
  }
}

function kernelFor(node: IrNode, view: (id: ValueId) => View, graph: IrGraph): KernelDesc | undefined {
  const name = `${node.label ?? node.op} (%${node.id})`;
  const read = (id: ValueId): ElementwiseExpr => ({ op: 'read', view: view(id) });
  const elementwise = (expr: ElementwiseExpr): KernelDesc => ({ kind: 'elementwise', name, rows: node.shape[0], cols: node.shape[1], expr, out: view(node.id) });
  switch (node.op) {
    case 'input':
    case 'target':
    case 'param':
    case 'slice':
    case 'concat':
      return undefined;
    case 'constant':
      return elementwise({ op: 'const', value: node.value });
    case 'matmul': {
      const a = view(node.a);
      const b = view(node.b);
      return {
        kind: 'matmul',
        name,
        m: node.shape[0],
        n: node.shape[1],
        k: node.transA ? a.rows : a.cols,
        a,
        b,
        transA: node.transA,
        transB: node.transB,
        ...(node.aOnesRow ? { aOnesRow: true } : {}),
        ...(node.bias !== undefined ? { bias: view(node.bias) } : {}),
        ...(node.activation ? { activation: node.activation } : {}),
        ...(node.gradMask ? { gradMask: { activation: node.gradMask.activation, y: view(node.gradMask.y) } } : {}),
        ...(node.accumulate !== undefined ? { accumulate: true } : {}),
        out: view(node.id),
      };
    }
    case 'biasAdd':
      return elementwise({ op: 'add', a: read(node.x), b: { op: 'read', view: view(node.bias), broadcastRows: true } });
    case 'activation':
      if (node.activation === 'softmax') return { kind: 'softmaxRows', name, x: view(node.x), out: view(node.id) };
      return elementwise({ op: 'activation', activation: node.activation, x: read(node.x) });
    case 'activationGrad':
      if (node.activation === 'softmax') return { kind: 'softmaxRows', name, x: view(node.y), dy: view(node.dy), out: view(node.id) };
      return elementwise({ op: 'activationGrad', activation: node.activation, y: read(node.y), dy: read(node.dy) });
    case 'add':
      return elementwise({ op: 'add', a: read(node.a), b: read(node.b) });
    case 'mul':
      return elementwise({ op: 'mul', a: read(node.a), b: read(node.b) });
    case 'scale':
      return elementwise({ op: 'mul', a: read(node.x), b: { op: 'const', value: node.factor } });
    case 'dropout':
      return elementwise({ op: 'dropout', x: read(node.x), rate: node.rate, salt: node.salt });
    case 'columnSum':
      return { kind: 'columnSum', name, x: view(node.x), out: view(node.id) };
    case 'broadcastRows':
      return elementwise({ op: 'read', view: view(node.x), broadcastRows: true });
    case 'mulRow':
      return elementwise({ op: 'mul', a: read(node.x), b: { op: 'read', view: view(node.row), broadcastRows: true } });
    case 'rsqrt':
      return elementwise({ op: 'rsqrt', x: read(node.x), epsilon: node.epsilon });
    case 'assignParam': {
      // Written in place into the parameter buffer (each element reads and writes only itself).
      const [rows, cols] = node.shape;
      const target = view(node.param);
      return {
        kind: 'elementwise',
        name,
        rows,
        cols,
        expr: {
          op: 'add',
          a: { op: 'mul', a: { op: 'read', view: target }, b: { op: 'const', value: node.momentum } },
          b: { op: 'mul', a: read(node.value), b: { op: 'const', value: 1 - node.momentum } },
        },
        out: target,
      };
    }
    case 'lossHead': {
      const targetNode = graph.nodes[node.target]!;
      const targetIndex = targetNode.op === 'target' ? targetNode.index : -1;
      if (targetIndex < 0) throw new Error('internal: a loss head target is not a target node');
      return {
        kind: 'lossHead',
        name,
        loss: node.loss,
        rows: node.shape[0],
        cols: node.shape[1],
        input: view(node.input),
        target: node.sparse ? { sparse: true, labels: `labels${targetIndex}`, indices: 'indices' } : { sparse: false, view: view(node.target) },
        ...(node.withGrad ? { gradOut: view(node.id) } : {}),
        gradScale: node.gradScale,
        metricsBuffer: 'metrics',
        lossSlot: node.lossSlot,
        metrics: node.metrics.map((m) => ({ kind: m.metric, slot: m.slot })),
      };
    }
    case 'crossEntropy':
    case 'crossEntropyGrad':
    case 'softmaxCrossEntropy':
    case 'softmaxCrossEntropyGrad':
    case 'pointwiseLoss':
    case 'pointwiseLossGrad':
    case 'metric':
      throw new Error(`internal: ${node.op} must be fused into a loss head before planning`);
    default:
      return node satisfies never;
  }
}

/** Readable dump of a plan: buffers, then each kernel with its views. */
export function dumpPlan(plan: Plan): string {
  const v = (view: View): string => `${view.buffer}[${view.offset}${view.rowBaseFromStep ? '+step' : ''}; ${view.rows}×${view.cols}/${view.rowStride}]`;
  const lines = [`plan ${plan.mode} (batch ${plan.batchSize}): ${plan.kernels.length} kernels, ${plan.plannedBytes} bytes planned, arena ${plan.arenaSize * 4} bytes`];
  for (const b of plan.buffers) lines.push(`  buffer ${b.name}: ${b.elementType} × ${b.size || 'data'} (${b.role})`);
  plan.kernels.forEach((k, i) => {
    let detail = '';
    switch (k.kind) {
      case 'gather':
        detail = k.sources.map((s) => `${s.dataset}(${s.elementType}×${s.scale}) → ${v(s.out)}`).join(', ');
        break;
      case 'matmul':
        detail = `${v(k.a)}${k.transA ? 'ᵀ' : ''}${k.aOnesRow ? '+1' : ''} · ${v(k.b)}${k.transB ? 'ᵀ' : ''}${k.bias ? ` + ${v(k.bias)}` : ''}${k.activation ? ` → ${k.activation}` : ''}${k.gradMask ? ` × ${k.gradMask.activation}'(${v(k.gradMask.y)})` : ''} ${k.accumulate ? '+=' : '→'} ${v(k.out)} (${k.m}×${k.n}×${k.k})`;
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
        detail = `${k.loss} ${v(k.input)} vs ${k.target.sparse ? k.target.labels : v(k.target.view)}${k.gradOut ? ` grad → ${v(k.gradOut)} × ${k.gradScale}` : ''} slots ${[k.lossSlot, ...k.metrics.map((m) => m.slot)].join(',')}`;
        break;
      case 'optimizer':
        detail = `${k.count} params`;
        break;
      default:
        k satisfies never;
    }
    lines.push(`  ${String(i).padStart(2)} ${k.kind.padEnd(11)} ${k.name}: ${detail}`);
  });
  return lines.join('\n');
}

