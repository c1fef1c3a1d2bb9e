// OVSDB values (RFC 7047 §5.1): atoms, sets and maps decoded strictly against the column types the
// server's own schema gives (get_schema), so a value of the wrong shape is a protocol error, not a
// silently odd node. Also the update2 "modify" diff rules (ovsdb-server(7) §4.1.14): a column of
// at most one value carries its new value, a set the elements that changed side, a map the keys
// added, removed (same value) or changed (new value).

export type AtomType = 'integer' | 'real' | 'boolean' | 'string' | 'uuid';
export type Atom = string | number | boolean;
/** A scalar column's atom, a set's atoms, or a map. */
export type Value = Atom | Atom[] | Map<Atom, Atom>;

export interface ColumnType {
  key: AtomType;
  value?: AtomType;
  min: number;
  /** Infinity for "unlimited". */
  max: number;
}

export type ColumnKind = 'scalar' | 'set' | 'map';

export interface TableSchema {
  columns: Map<string, ColumnType>;
}

export interface DbSchema {
  name: string;
  version: string;
  tables: Map<string, TableSchema>;
}

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

const ATOM_TYPES = new Set<AtomType>(['integer', 'real', 'boolean', 'string', 'uuid']);
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function baseType(v: unknown, where: string): AtomType {
  const t = isObj(v) ? v.type : v;
  if (typeof t !== 'string' || !ATOM_TYPES.has(t as AtomType))
    throw new ProtocolError(`${where}: unknown atomic type ${JSON.stringify(t)}`);
  return t as AtomType;
}

function columnType(v: unknown, where: string): ColumnType {
  if (typeof v === 'string') return { key: baseType(v, where), min: 1, max: 1 };
  if (!isObj(v)) throw new ProtocolError(`${where}: column type is not a string or object`);
  const min = v.min === undefined ? 1 : v.min;
  const max = v.max === undefined ? 1 : v.max === 'unlimited' ? Infinity : v.max;
  if (typeof min !== 'number' || !Number.isInteger(min) || min < 0 || min > 1) throw new ProtocolError(`${where}: bad min`);
  if (typeof max !== 'number' || !(max === Infinity || (Number.isInteger(max) && max >= 1))) throw new ProtocolError(`${where}: bad max`);
  const t: ColumnType = { key: baseType(v.key, `${where}.key`), min, max };
  if (v.value !== undefined) t.value = baseType(v.value, `${where}.value`);
  return t;
}

/** The database schema as get_schema returns it; only what decoding needs is kept. */
export function parseSchema(v: unknown): DbSchema {
  if (!isObj(v) || typeof v.name !== 'string' || !isObj(v.tables)) throw new ProtocolError('schema: not a database schema');
  const tables = new Map<string, TableSchema>();
  for (const [tn, tv] of Object.entries(v.tables)) {
    if (!isObj(tv) || !isObj(tv.columns)) throw new ProtocolError(`schema: table ${tn} has no columns`);
    const columns = new Map<string, ColumnType>();
    for (const [cn, cv] of Object.entries(tv.columns)) {
      if (!isObj(cv)) throw new ProtocolError(`schema: ${tn}.${cn} is not an object`);
      columns.set(cn, columnType(cv.type, `schema ${tn}.${cn}`));
    }
    tables.set(tn, { columns });
  }
  return { name: v.name, version: typeof v.version === 'string' ? v.version : '', tables };
}

export function kindOf(t: ColumnType): ColumnKind {
  if (t.value !== undefined) return 'map';
  return t.min === 1 && t.max === 1 ? 'scalar' : 'set';
}

export function decodeAtom(v: unknown, t: AtomType, where: string): Atom {
  switch (t) {
    case 'integer':
      if (typeof v === 'number' && Number.isInteger(v)) return v;
      break;
    case 'real':
      if (typeof v === 'number' && Number.isFinite(v)) return v;
      break;
    case 'boolean':
      if (typeof v === 'boolean') return v;
      break;
    case 'string':
      if (typeof v === 'string') return v;
      break;
    case 'uuid':
      if (Array.isArray(v) && v.length === 2 && v[0] === 'uuid' && typeof v[1] === 'string' && UUID_RE.test(v[1])) return v[1];
      break;
  }
  throw new ProtocolError(`${where}: expected ${t}, got ${JSON.stringify(v)?.slice(0, 80)}`);
}

function setElements(v: unknown, where: string): unknown[] {
  // A one-element set may be sent as the bare atom (RFC 7047 §5.1); a uuid atom is itself an array.
  if (Array.isArray(v) && v[0] === 'set') {
    if (v.length !== 2 || !Array.isArray(v[1])) throw new ProtocolError(`${where}: malformed set`);
    return v[1] as unknown[];
  }
  return [v];
}

/** A column value in wire form → Value, checked against its type (also used for update2 diffs, which may exceed max). */
export function decodeValue(v: unknown, t: ColumnType, where: string, diff = false): Value {
  const kind = kindOf(t);
  if (kind === 'scalar') return decodeAtom(v, t.key, where);
  if (kind === 'set') {
    const out = setElements(v, where).map((a, i) => decodeAtom(a, t.key, `${where}[${i}]`));
    if (!diff && (out.length > t.max || out.length < t.min))
      throw new ProtocolError(`${where}: ${out.length} elements outside [${t.min}, ${t.max}]`);
    return out;
  }
  if (!Array.isArray(v) || v.length !== 2 || v[0] !== 'map' || !Array.isArray(v[1])) throw new ProtocolError(`${where}: malformed map`);
  const m = new Map<Atom, Atom>();
  for (const [i, pair] of (v[1] as unknown[]).entries()) {
    if (!Array.isArray(pair) || pair.length !== 2) throw new ProtocolError(`${where}[${i}]: malformed map pair`);
    m.set(decodeAtom(pair[0], t.key, `${where}[${i}].key`), decodeAtom(pair[1], t.value!, `${where}[${i}].value`));
  }
  if (!diff && m.size > t.max) throw new ProtocolError(`${where}: ${m.size} pairs over max ${t.max}`);
  return m;
}

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** The value of a column the server omitted (update2 initial/insert rows leave defaults out). */
export function defaultValue(t: ColumnType): Value {
  const kind = kindOf(t);
  if (kind === 'map') return new Map();
  if (kind === 'set') return [];
  switch (t.key) {
    case 'integer':
    case 'real':
      return 0;
    case 'boolean':
      return false;
    case 'string':
      return '';
    case 'uuid':
      return ZERO_UUID;
  }
}

/** Applies one update2 modify diff for a column to its old value. */
export function applyDiff(old: Value, diff: Value, t: ColumnType): Value {
  const kind = kindOf(t);
  // "Single value" means at most one (ovsdb-server sends an optional column's new value, e.g.
  // ["set", []] when Bridge.sflow is cleared — seen in fixtures/ovsdb/monitor_cond.jsonl).
  if (kind === 'scalar' || (kind === 'set' && t.max === 1)) return diff;
  if (kind === 'set') {
    const next = new Set(old as Atom[]);
    for (const a of diff as Atom[]) {
      if (next.has(a)) next.delete(a);
      else next.add(a);
    }
    return [...next];
  }
  const next = new Map(old as Map<Atom, Atom>);
  for (const [k, v] of diff as Map<Atom, Atom>) {
    if (next.has(k) && next.get(k) === v) next.delete(k);
    else next.set(k, v);
  }
  return next;
}

export type Row = Map<string, Value>;

/** A full row (update/initial/insert) → Row with every monitored column (defaults filled). */
export function decodeRow(v: unknown, table: TableSchema, columns: readonly string[], where: string): Row {
  if (!isObj(v)) throw new ProtocolError(`${where}: row is not an object`);
  const row: Row = new Map();
  for (const c of columns) {
    const t = table.columns.get(c);
    if (!t) continue;
    row.set(c, c in v ? decodeValue(v[c], t, `${where}.${c}`) : defaultValue(t));
  }
  for (const k of Object.keys(v))
    if (k !== '_uuid' && k !== '_version' && !table.columns.has(k)) throw new ProtocolError(`${where}: unknown column ${k}`);
  return row;
}

/** Wire form of a value for a transact operation (maps and sets in their tagged forms). */
export function encodeValue(v: Value, t: ColumnType): unknown {
  const atom = (a: Atom, at: AtomType) => (at === 'uuid' ? ['uuid', a] : a);
  const kind = kindOf(t);
  if (kind === 'scalar') return atom(v as Atom, t.key);
  if (kind === 'set') return ['set', (v as Atom[]).map((a) => atom(a, t.key))];
  return ['map', [...(v as Map<Atom, Atom>)].map(([k, x]) => [atom(k, t.key), atom(x, t.value!)])];
}

export const isUuid = (s: string) => UUID_RE.test(s);
