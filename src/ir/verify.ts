// verifyGraph: the invariants every pass must keep, checked after each one (compile.ts). A failure
// names the stage and every problem found, followed by the graph's dump.

import { dumpGraph } from './dump.js';
import { operandsOf, type IrGraph, type IrNode } from './graph.js';
import { OPS, gradientOperandsOf, inferShape } from './ops/table.js';
import { formatShape, sameShape } from './shape.js';

export class IrVerifyError extends Error {
  override name = 'IrVerifyError';
}

/** Every problem with a graph (empty when it is well formed). */
export function graphProblems(graph: IrGraph): string[] {
  const problems: string[] = [];
  const nodes = graph.nodes;
  const defined = (id: number): boolean => Number.isInteger(id) && id >= 0 && id < nodes.length;
  nodes.forEach((node, position) => {
    const at = `%${position} (${node.op})`;
    if (node.id !== position) problems.push(`${at}: id is %${node.id}`);
    if (!(node.op in OPS)) {
      problems.push(`${at}: unknown op`);
      return;
    }
    if (!node.shape.every((d) => Number.isInteger(d) && d > 0)) problems.push(`${at}: bad shape ${formatShape(node.shape)}`);
    const operands = operandsOf(node);
    for (const o of operands) if (!defined(o) || o >= position) problems.push(`${at}: operand %${o} is not defined before it`);
    if (operands.some((o) => !defined(o) || o >= position)) return;
    problems.push(...operandKindProblems(graph, node).map((p) => `${at}: ${p}`));
    if (OPS[node.op].shape === 'leaf') return;
    try {
      const expected = inferShape(node, (id) => nodes[id]!.shape, graph.batchSize);
      if (!sameShape(expected, node.shape)) problems.push(`${at}: shape ${formatShape(node.shape)}, but its operands give ${formatShape(expected)}`);
    } catch (e) {
      problems.push(`${at}: ${(e as Error).message}`);
    }
  });
  const check = (what: string, id: number): void => {
    if (!defined(id)) problems.push(`${what} refers to %${id}, which does not exist`);
  };
  graph.outputs.forEach((o, i) => check(`output ${i}`, o));
  graph.accumulators.forEach((a) => check(`metric slot ${a.slot}`, a.value));
  graph.losses.forEach((l) => l.value !== -1 && check(`loss of output ${l.output}`, l.value));
  graph.paramGrads?.forEach((g, i) => g !== null && check(`gradient of ${graph.params[i]?.name ?? `param ${i}`}`, g));
  problems.push(...gradientProblems(graph));
  return problems;
}

/** Operands that must be a particular kind of node. */
function operandKindProblems(graph: IrGraph, node: IrNode): string[] {
  const kind = (id: number): string => graph.nodes[id]!.op;
  switch (node.op) {
    case 'input':
      return node.index < graph.inputs.length ? [] : [`no model input ${node.index}`];
    case 'target':
      return node.index < graph.targets.length || graph.targets.length === 0 ? [] : [`no model target ${node.index}`];
    case 'param': {
      const info = graph.params[node.index];
      if (!info) return [`no param ${node.index}`];
      return sameShape(info.shape, node.shape) ? [] : [`param shape ${formatShape(node.shape)} differs from ${info.name}'s ${formatShape(info.shape)}`];
    }
    case 'assignParam':
      return kind(node.param) === 'param' ? [] : [`assigns to a ${kind(node.param)}, not a param`];
    case 'lossHead':
      return kind(node.target) === 'target' ? [] : [`its target is a ${kind(node.target)}, not a target`];
    case 'matmul':
      return node.epilogue && Object.keys(node.epilogue).length === 0 ? ['empty epilogue (leave it out: isPlainMatmul relies on that)'] : [];
    default:
      return [];
  }
}

/**
 * Before autodiff, every value a loss depends on through a trainable weight must be differentiable:
 * an op whose table entry says 'secondOrder' there would silently cut the gradient.
 */
function gradientProblems(graph: IrGraph): string[] {
  if (graph.paramGrads || graph.losses.length === 0) return [];
  const dependsOnWeight = graph.nodes.map(() => false);
  const problems: string[] = [];
  for (const node of graph.nodes) {
    if (node.op === 'param') {
      dependsOnWeight[node.id] = graph.params[node.index]?.trainable ?? false;
      continue;
    }
    const through = gradientOperandsOf(node);
    if (through === 'secondOrder') {
      if (operandsOf(node).some((o) => dependsOnWeight[o])) problems.push(`%${node.id} (${node.op}) depends on a trainable weight but has no gradient rule`);
      continue;
    }
    dependsOnWeight[node.id] = through.some((o) => dependsOnWeight[o]);
  }
  return problems;
}

/** Throws an IrVerifyError naming the stage, the problems and the graph's dump. */
export function verifyGraph(graph: IrGraph, stage: string): IrGraph {
  const problems = graphProblems(graph);
  if (problems.length) throw new IrVerifyError(`the IR after ${stage} is invalid:\n  ${problems.join('\n  ')}\n\n${dumpGraph(graph, `after ${stage}`)}`);
  return graph;
}
