// Defensive JSON for model files: everything read from a model.json (or handed over by a load
// handler) is copied into plain data with null prototypes, so keys such as `__proto__`,
// `constructor` or `prototype` are ordinary data and can never reach Object.prototype; values are
// read through own-property lookups only. Nothing is ever evaluated as code.

import { fail } from '../errors.js';

export type Json = null | boolean | number | string | Json[] | JsonObject;
/** A JSON object with a null prototype: only its own keys exist. */
export interface JsonObject {
  readonly [key: string]: Json;
}

const MAX_DEPTH = 64;

/** JSON.parse, then a deep copy into null-prototype objects. */
export function parseJson(text: string, what: string): Json {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return fail(`${what} is not valid JSON: ${(e as Error).message}`);
  }
  return toJson(raw, what);
}

/**
 * A deep copy of `value` as JSON data (null-prototype objects, arrays, strings, finite numbers,
 * booleans, null). Functions, symbols, class instances, cycles and nesting deeper than 64 levels are
 * rejected with an error naming where they are.
 */
export function toJson(value: unknown, what: string): Json {
  const seen = new Set<object>();
  const copy = (v: unknown, path: string, depth: number): Json => {
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) fail(`${what}: ${path} is ${v}; only finite numbers are allowed`);
      return v;
    }
    if (typeof v !== 'object') return fail(`${what}: ${path} is a ${typeof v}; only JSON data is allowed`);
    if (depth > MAX_DEPTH) fail(`${what}: nested more than ${MAX_DEPTH} levels deep at ${path}`);
    if (seen.has(v)) fail(`${what}: ${path} refers back to itself`);
    seen.add(v);
    try {
      if (Array.isArray(v)) return v.map((x, i) => copy(x, `${path}[${i}]`, depth + 1));
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null)
        fail(`${what}: ${path} is a ${(v as object).constructor?.name ?? 'non-plain object'}; only JSON data is allowed`);
      const out = Object.create(null) as Record<string, Json>;
      for (const key of Object.keys(v)) {
        const d = Object.getOwnPropertyDescriptor(v, key)!;
        if (!('value' in d)) fail(`${what}: ${path}.${key} is an accessor; only JSON data is allowed`);
        Object.defineProperty(out, key, { value: copy(d.value, `${path}.${key}`, depth + 1), enumerable: true, writable: false, configurable: false });
      }
      return Object.freeze(out);
    } finally {
      seen.delete(v);
    }
  };
  return copy(value, '(root)', 0);
}

export function isObject(v: Json | undefined): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** An own property, or undefined (never an inherited one). */
export function own(o: JsonObject, key: string): Json | undefined {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

/** A short description of a JSON value for error messages. */
export function describeJson(v: Json | undefined): string {
  if (v === undefined) return 'nothing';
  const text = JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
