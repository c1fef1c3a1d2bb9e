// Element matching shared by the evaluator and the subscriber filter: field access (Skydive's
// special fields, else a dotted Metadata path), predicates, list values matching any element.
import { getPath } from '../metadata.ts';
import type { GraphElement } from '../types.ts';
import type { ElementFilter, Literal, Predicate } from './ast.ts';
import { parseIpv4 } from './validate.ts';

/** Fields Skydive resolves on the element itself rather than in Metadata. */
const SPECIAL = new Set(['ID', 'Host', 'Origin', 'CreatedAt', 'UpdatedAt', 'DeletedAt', 'Revision', 'Parent', 'Child']);

export type FieldGetter = (el: GraphElement) => unknown;

/** Compiles a key into a getter (split once, not per element). */
export function fieldGetter(key: string): FieldGetter {
  if (SPECIAL.has(key)) return (el) => (el as unknown as Record<string, unknown>)[key];
  const parts = key.split('.');
  if (parts.length === 1) return (el) => el.Metadata[key];
  return (el) => getPath(el.Metadata, key);
}

export function getField(el: GraphElement, key: string): unknown {
  return fieldGetter(key)(el);
}

const present = (v: unknown) => v !== undefined && v !== null;

function anyOf(v: unknown, test: (x: unknown) => boolean): boolean {
  if (Array.isArray(v)) return v.some(test);
  return test(v);
}

const eq = (lit: Literal) => (x: unknown) => x === lit;

function ipOf(x: unknown): number | undefined {
  if (typeof x !== 'string') return undefined;
  const slash = x.indexOf('/');
  return parseIpv4(slash < 0 ? x : x.slice(0, slash));
}

/** A value test for one predicate; undefined/null field values never match (except Without). */
export function valueTest(p: Predicate): (v: unknown) => boolean {
  switch (p.op) {
    case 'eq':
      return (v) => anyOf(v, eq(p.value));
    case 'ne':
      return (v) => present(v) && !anyOf(v, eq(p.value));
    case 'within': {
      const set = new Set<unknown>(p.values);
      return (v) => anyOf(v, (x) => set.has(x));
    }
    case 'without': {
      const set = new Set<unknown>(p.values);
      // Skydive builds Without as AND(NOT term…): an absent key matches.
      return (v) => !anyOf(v, (x) => set.has(x));
    }
    case 'regex':
      return (v) => anyOf(v, (x) => (typeof x === 'string' || typeof x === 'number') && p.re.test(String(x)));
    case 'lt':
      return (v) => anyOf(v, (x) => typeof x === 'number' && x < p.value);
    case 'gt':
      return (v) => anyOf(v, (x) => typeof x === 'number' && x > p.value);
    case 'lte':
      return (v) => anyOf(v, (x) => typeof x === 'number' && x <= p.value);
    case 'gte':
      return (v) => anyOf(v, (x) => typeof x === 'number' && x >= p.value);
    case 'inside':
      return (v) => anyOf(v, (x) => typeof x === 'number' && x > p.from && x < p.to);
    case 'outside':
      return (v) => anyOf(v, (x) => typeof x === 'number' && (x < p.from || x > p.to));
    case 'between':
      return (v) => anyOf(v, (x) => typeof x === 'number' && x >= p.from && x < p.to);
    case 'ipv4range':
      return (v) =>
        anyOf(v, (x) => {
          const ip = ipOf(x);
          return ip !== undefined && (ip & p.mask) >>> 0 === p.net;
        });
  }
}

export type ElementMatcher = (el: GraphElement) => boolean;

export function compileFilter(f: ElementFilter): ElementMatcher {
  const tests = f.terms.map((t) => {
    const get = fieldGetter(t.key);
    if (!t.pred) return (el: GraphElement) => present(get(el));
    const test = valueTest(t.pred);
    return (el: GraphElement) => test(get(el));
  });
  if (tests.length === 1) return tests[0]!;
  return f.mode === 'and' ? (el) => tests.every((t) => t(el)) : (el) => tests.some((t) => t(el));
}

export function compileHasNot(key: string): ElementMatcher {
  const get = fieldGetter(key);
  return (el) => !present(get(el));
}
