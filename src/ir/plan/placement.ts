// Placement: where every value lives. A value either has a fixed place in a named buffer (params,
// the gradient buffer, the gathered batch, prediction outputs) or a place in an arena block (one
// block per transient value; allocation.ts gives blocks their offsets). Consumers ask producers to
// write where they want the value (a concat's columns, a parameter's gradient slot in the flat
// gradient buffer); slices and reshapes are views of their source. Where a wish cannot be granted,
// a copy is planned instead.

import type { IrGraph, IrNode, ValueId } from '../graph.js';
import { specOf } from '../ops/table.js';
import { colsOf, matrixOf, rowsOf, sizeOf } from '../shape.js';
import type { PlanMode } from './types.js';

/** Where a value lives: its element (r, c) of the rows × cols matrix is at offset + r·rowStride + c. */
export type Home =
  | { kind: 'fixed'; buffer: string; offset: number; rowStride: number; rowBaseFromStep?: boolean; rowsPerSample?: number }
  | { kind: 'block'; block: number; offset: number; rowStride: number };

/** A copy kernel: `source`, seen as a rows × cols matrix, written to `to`. */
export interface Copy {
  source: ValueId;
  to: Home;
  matrix: [rows: number, cols: number];
}

export interface Placement {
  /** Home of each value; undefined for values that are never stored (sparse targets, assignParam). */
  homes: (Home | undefined)[];
  copies: Copy[];
  /** Size in elements of each arena block. */
  blockSizes: number[];
  /** Size in elements of the gathered batch buffer. */
  batchBufferSize: number;
}

/** Arena and batch offsets are multiples of 4 floats (16 bytes), friendly to vec4 loads. */
export const ALIGN = 4;

/** Offset of each param in the flat params (and grads) buffer. */
export function paramLayout(graph: IrGraph): { paramOffsets: number[]; paramCount: number } {
  const paramOffsets: number[] = [];
  let paramCount = 0;
  for (const p of graph.params) {
    paramOffsets.push(paramCount);
    paramCount += p.shape[0] * p.shape[1];
  }
  return { paramOffsets, paramCount };
}

/** `weights`: the buffer parameters are read from (their f16 copy under mixed precision; laid out like params). */
export function placeValues(graph: IrGraph, mode: PlanMode, paramOffsets: number[], weights = 'params'): Placement {
  const nodes = graph.nodes;
  const requests = new Map<ValueId, Home>();
  const copies: Copy[] = [];
  const homes: (Home | undefined)[] = nodes.map(() => undefined);
  const blockSizes: number[] = [];
  let batchBufferSize = 0;
  const newBlock = (size: number): number => blockSizes.push(size) - 1;
  const copy = (source: ValueId, to: Home): void => void copies.push({ source, to, matrix: matrixOf(nodes[source]!.shape) });
  const request = (id: ValueId, home: Home): void => {
    if (requests.has(id)) copy(id, home);
    else requests.set(id, home);
  };
  const canWriteInto = (node: IrNode): boolean => specOf(node).writesWhereAsked(node as never);
  // The gather writes each sample of an input (or dense target) as one contiguous run: one of rank > 2
  // (several rows per sample) goes only where its rows are dense, not into a concat's column range.
  const gatherable = (node: IrNode, home: Home): boolean =>
    (node.op !== 'input' && node.op !== 'target') || rowsOf(node.shape) === node.shape[0] || home.rowStride === colsOf(node.shape);

  if (mode === 'train' && graph.paramGrads)
    graph.paramGrads.forEach((g, p) => {
      if (g !== null) request(g, { kind: 'fixed', buffer: 'grads', offset: paramOffsets[p]!, rowStride: graph.params[p]!.shape[1] });
    });
  if (mode === 'predict')
    graph.outputs.forEach((o, i) => {
      // A rank > 2 output is written as [batch·t, f] rows: a step's first sample starts t rows further on.
      const shape = nodes[o]!.shape;
      const rowsPerSample = sizeOf(shape.slice(1)) / colsOf(shape);
      const shift = rowsPerSample > 1 ? { rowsPerSample } : {};
      request(o, { kind: 'fixed', buffer: `output${i}`, offset: 0, rowStride: colsOf(shape), rowBaseFromStep: true, ...shift });
    });

  // Homes, consumers first (reverse order) so that requests reach producers.
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
        else copy(id, wanted);
      }
      continue;
    }
    if (node.op === 'reshape') {
      if (wanted) copy(id, wanted);
      continue;
    }
    if (node.op === 'target' && node.sparse) continue; // read from the labels buffer through the indices
    if (node.op === 'sampleWeight') continue; // read from its dataset buffer through the indices
    if (node.op === 'assignParam') continue; // writes into its param's place
    if (node.op === 'param') {
      homes[id] = { kind: 'fixed', buffer: weights, offset: paramOffsets[node.index]!, rowStride: colsOf(node.shape) };
      if (wanted) copy(id, wanted);
      continue;
    }
    if (wanted && canWriteInto(node) && gatherable(node, wanted)) homes[id] = wanted;
    else {
      if (wanted) copy(id, wanted);
      if (node.op === 'lossHead' && !node.withGrad) continue; // prediction not needed
      if (node.op === 'input' || node.op === 'target') {
        // The batch gets a buffer of its own that only the gather writes: every other kernel reads it
        // as a read-only binding. Matrix rows are padded to 4 floats so matmuls can load them 4-wide;
        // higher ranks stay dense so that reshapes of them are views.
        const [rows, cols] = matrixOf(node.shape);
        const rowStride = node.shape.length === 2 ? Math.ceil(cols / ALIGN) * ALIGN : cols;
        homes[id] = { kind: 'fixed', buffer: 'batch', offset: batchBufferSize, rowStride };
        batchBufferSize += Math.ceil((rows * rowStride) / ALIGN) * ALIGN;
        continue;
      }
      homes[id] = { kind: 'block', block: newBlock(sizeOf(node.shape)), offset: 0, rowStride: colsOf(node.shape) };
    }
    const accumulate = node.op === 'matmul' ? node.epilogue?.accumulate : undefined;
    if (accumulate !== undefined) {
      // The product is added in place: the accumulated value must live where this result lives.
      if (canWriteInto(nodes[accumulate]!) && !requests.has(accumulate)) requests.set(accumulate, homes[id]!);
      else copy(accumulate, homes[id]!);
    }
    if (node.op === 'concat') {
      let column = 0;
      for (const x of node.xs) {
        const home = shiftHome(homes[id]!, 0, column);
        if (canWriteInto(nodes[x]!) && !requests.has(x)) requests.set(x, home);
        else copy(x, home);
        column += colsOf(nodes[x]!.shape);
      }
    }
  }
  // Views take their source's home (forward order: sources first).
  for (const node of nodes) {
    if (node.op === 'slice') {
      const source = homes[node.x];
      if (!source) throw new Error(`internal: slice %${node.id} of a value with no storage`);
      homes[node.id] = shiftHome(source, node.axis === 0 ? node.start : 0, node.axis === 1 ? node.start : 0);
    } else if (node.op === 'reshape') {
      const source = homes[node.x];
      const from = nodes[node.x]!.shape;
      if (!source) throw new Error(`internal: reshape %${node.id} of a value with no storage`);
      // A densely stored value is the same memory in any shape; a padded or strided one is copied
      // into a dense block first, both sides seen as [batch, features].
      if (source.rowStride === colsOf(from)) homes[node.id] = { ...source, rowStride: colsOf(node.shape) };
      else {
        const [rows, cols] = matrixOf(from);
        const block = newBlock(sizeOf(from));
        copies.push({ source: node.x, to: { kind: 'block', block, offset: 0, rowStride: cols }, matrix: [rows, cols] });
        homes[node.id] = { kind: 'block', block, offset: 0, rowStride: colsOf(node.shape) };
      }
    }
  }
  return { homes, copies, blockSizes, batchBufferSize };
}

function sameHome(a: Home, b: Home): boolean {
  return (
    a.kind === b.kind &&
    a.offset === b.offset &&
    a.rowStride === b.rowStride &&
    (a.kind === 'fixed'
      ? b.kind === 'fixed' && a.buffer === b.buffer && !!a.rowBaseFromStep === !!b.rowBaseFromStep
      : b.kind === 'block' && a.block === b.block)
  );
}

export function shiftHome(home: Home, rows: number, cols: number): Home {
  return { ...home, offset: home.offset + rows * home.rowStride + cols };
}
