// Operands are named by paths into an op ('x', 'xs', 'epilogue.bias', 'epilogue.gradMask.y'): a
// path leads to a value id, a list of them, or nothing (an optional operand that is absent).

import type { ValueId } from '../graph.js';

export type OperandPath = string;

type Bag = Record<string, unknown>;

/** The ids a path leads to (none when an optional operand is absent). */
export function idsAt(op: object, path: OperandPath): ValueId[] {
  let value: unknown = op;
  for (const key of path.split('.')) {
    if (value === undefined || value === null) return [];
    value = (value as Bag)[key];
  }
  if (value === undefined) return [];
  if (typeof value === 'number') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return value as ValueId[];
  throw new Error(`internal: operand path '${path}' does not lead to value ids`);
}

/** A copy of `op` with the ids at `path` rewritten through `map` (objects on the way are copied). */
export function mapIdsAt<T extends object>(op: T, path: OperandPath, map: (id: ValueId) => ValueId): T {
  const [key, ...rest] = path.split('.') as [string, ...string[]];
  const value = (op as Bag)[key];
  if (value === undefined) return op;
  let next: unknown;
  if (rest.length) next = mapIdsAt(value as object, rest.join('.'), map);
  else if (typeof value === 'number') next = map(value);
  else if (Array.isArray(value)) next = (value as ValueId[]).map(map);
  else throw new Error(`internal: operand path '${path}' does not lead to value ids`);
  return { ...op, [key]: next };
}
