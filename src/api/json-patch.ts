// RFC 6902 JSON Patch over plain JSON values (PATCH /api/node/:id, Skydive-compatible).

export type PatchOp =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };

export class PatchError extends Error {}

function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw new PatchError(`"${p}" is not a JSON pointer`);
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Record<string, unknown> | unknown[];

/**
 * A member of the document: own properties only, so "/__proto__/x" or "/constructor/prototype"
 * names a missing member instead of reaching (and changing) Object.prototype (found by fuzzing,
 * fixtures/fuzz/jsonpatch.body.mutated).
 */
function child(cur: unknown, s: string): unknown {
  if (Array.isArray(cur)) return /^\d+$/.test(s) ? cur[Number(s)] : undefined;
  if (cur && typeof cur === 'object' && Object.hasOwn(cur, s)) return (cur as Record<string, unknown>)[s];
  return undefined;
}

/** Sets an own property even for "__proto__" (a plain assignment would replace the object's prototype). */
function setOwn(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
}

function parentOf(doc: unknown, segs: string[], path: string): { parent: Container; key: string } {
  let cur: unknown = doc;
  for (const s of segs.slice(0, -1)) cur = child(cur, s);
  // Also for the root: an earlier op may have replaced the whole document with a scalar.
  if (cur === undefined || cur === null || typeof cur !== 'object') throw new PatchError(`path ${path} does not exist`);
  return { parent: cur as Container, key: segs[segs.length - 1]! };
}

function get(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const s of parsePointer(path)) {
    cur = child(cur, s);
    if (cur === undefined) return undefined;
  }
  return cur;
}

function put(doc: unknown, path: string, value: unknown, mode: 'add' | 'replace'): unknown {
  const segs = parsePointer(path);
  if (segs.length === 0) return value;
  const { parent, key } = parentOf(doc, segs, path);
  if (Array.isArray(parent)) {
    const idx = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(idx) || idx < 0 || idx > parent.length) throw new PatchError(`bad array index in ${path}`);
    if (mode === 'add') parent.splice(idx, 0, value);
    else {
      if (idx >= parent.length) throw new PatchError(`path ${path} does not exist`);
      parent[idx] = value;
    }
  } else {
    if (mode === 'replace' && !Object.hasOwn(parent, key)) throw new PatchError(`path ${path} does not exist`);
    setOwn(parent, key, value);
  }
  return doc;
}

function remove(doc: unknown, path: string): unknown {
  const segs = parsePointer(path);
  if (segs.length === 0) throw new PatchError('cannot remove the whole document');
  const { parent, key } = parentOf(doc, segs, path);
  if (Array.isArray(parent)) {
    const idx = Number(key);
    if (!Number.isInteger(idx) || idx < 0 || idx >= parent.length) throw new PatchError(`path ${path} does not exist`);
    parent.splice(idx, 1);
  } else {
    if (!Object.hasOwn(parent, key)) throw new PatchError(`path ${path} does not exist`);
    delete parent[key];
  }
  return doc;
}

export function isPatch(v: unknown): v is PatchOp[] {
  return (
    Array.isArray(v) &&
    v.every(
      (o) =>
        o &&
        typeof o === 'object' &&
        typeof (o as { op?: unknown }).op === 'string' &&
        typeof (o as { path?: unknown }).path === 'string' &&
        // move and copy read `from`: without it the op is malformed (400), not a TypeError (500).
        (!['move', 'copy'].includes((o as { op: string }).op) || typeof (o as { from?: unknown }).from === 'string'),
    )
  );
}

/** Applies ops to a deep copy of doc; throws PatchError on any failing op (atomic). */
export function applyPatch<T>(doc: T, ops: PatchOp[]): T {
  let out: unknown = structuredClone(doc);
  for (const op of ops) {
    switch (op.op) {
      case 'add':
        out = put(out, op.path, structuredClone(op.value), 'add');
        break;
      case 'replace':
        out = put(out, op.path, structuredClone(op.value), 'replace');
        break;
      case 'remove':
        out = remove(out, op.path);
        break;
      case 'copy':
        out = put(out, op.path, structuredClone(get(out, op.from)), 'add');
        break;
      case 'move': {
        const v = get(out, op.from);
        if (v === undefined) throw new PatchError(`path ${op.from} does not exist`);
        out = put(remove(out, op.from), op.path, v, 'add');
        break;
      }
      case 'test':
        if (JSON.stringify(get(out, op.path)) !== JSON.stringify(op.value)) throw new PatchError(`test failed at ${op.path}`);
        break;
      default:
        throw new PatchError(`unknown op ${(op as { op: string }).op}`);
    }
  }
  return out as T;
}
