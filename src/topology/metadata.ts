// Helpers over nested Metadata: dotted-path lookup, deep merge, and index-key extraction.
import type { Metadata } from './types.ts';

/**
 * Value at a dotted path ("LLDP.ChassisID"); undefined when any segment is missing. A list met
 * mid-path yields the rest of the path from each object in it, as Skydive does
 * ("Sockets.LocalPort" over a list of sockets is the list of their ports).
 */
export function getPath(md: Metadata, path: string): unknown {
  if (!path.includes('.')) return md[path];
  return walk(md, path.split('.'), 0);
}

function walk(start: unknown, parts: string[], from: number): unknown {
  let cur = start;
  for (let i = from; i < parts.length; i++) {
    if (Array.isArray(cur)) {
      const out: unknown[] = [];
      for (const item of cur) {
        if (item === null || typeof item !== 'object' || Array.isArray(item)) continue;
        const v = walk(item, parts, i);
        if (v !== undefined) out.push(v);
      }
      return out;
    }
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[parts[i]!];
  }
  return cur;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Deep merge of plain objects; arrays and scalars from `patch` replace; null deletes a key. */
export function deepMerge(base: Metadata, patch: Metadata): Metadata {
  const out: Metadata = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (isPlainObject(v) && isPlainObject(out[k])) out[k] = deepMerge(out[k], v);
    else out[k] = v;
  }
  return out;
}

/** Scalar values to index for a key: a list contributes each scalar element. */
export function indexValues(v: unknown): (string | number)[] {
  if (typeof v === 'string' || typeof v === 'number') return [v];
  if (typeof v === 'boolean') return [String(v)];
  if (Array.isArray(v)) return v.filter((x): x is string | number => typeof x === 'string' || typeof x === 'number');
  return [];
}

/** Has-style equality: scalars by value, lists match when any element equals. */
export function valueMatches(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(actual)) return actual.some((a) => valueMatches(a, expected));
  if (typeof expected === 'boolean' && typeof actual === 'string') return actual === String(expected);
  return actual === expected;
}
