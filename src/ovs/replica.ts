// The replicated tables of one OVSDB monitor (docs/architecture.md#ovsdb): applies a monitor reply or
// an update/update2/update3 notification, strictly decoded against the schema. A message that fails
// half-way changes nothing (work is done on copies of the touched tables).
import { applyDiff, decodeRow, decodeValue, ProtocolError, type DbSchema, type Row, type TableSchema } from './datum.ts';

export type Tables = Map<string, Map<string, Row>>;
export const MONITOR_ID = 'canopy';
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class Replica {
  readonly tables: Tables = new Map();
  schema: DbSchema | null = null;
  lastTxnId = '00000000-0000-0000-0000-000000000000';
  private columns = new Map<string, string[]>();

  constructor(private readonly onChange: (resync: boolean) => void) {}

  /** The schema from get_schema and the columns wanted → the monitor requests to send. */
  setSchema(schema: DbSchema, wanted: Record<string, readonly string[]>): Record<string, { columns: string[] }> {
    this.schema = schema;
    const requests: Record<string, { columns: string[] }> = {};
    this.columns.clear();
    for (const [t, cols] of Object.entries(wanted)) {
      const ts = schema.tables.get(t);
      if (!ts) continue;
      const have = cols.filter((c) => ts.columns.has(c));
      this.columns.set(t, have);
      requests[t] = { columns: have };
    }
    return requests;
  }

  /** A notification from the server; throws ProtocolError for anything malformed. */
  notification(method: string, params: unknown): void {
    if (!Array.isArray(params)) throw new ProtocolError(`${method}: params is not an array`);
    if (method === 'update' || method === 'update2') {
      if (params.length !== 2 || params[0] !== MONITOR_ID) throw new ProtocolError(`${method}: not for our monitor`);
      if (method === 'update') this.applyUpdates(params[1], false);
      else this.applyUpdates2(params[1], false);
    } else if (method === 'update3') {
      if (params.length !== 3 || params[0] !== MONITOR_ID || typeof params[1] !== 'string')
        throw new ProtocolError('update3: malformed params');
      this.applyUpdates2(params[2], false);
      this.lastTxnId = params[1];
    }
    // Other notifications (locked, stolen …) need nothing from a read-only replica.
    else if (method === 'monitor_canceled') throw new ProtocolError('the server cancelled our monitor');
  }

  private tableOf(name: string): { schema: TableSchema; cols: string[] } {
    const schema = this.schema?.tables.get(name);
    const cols = this.columns.get(name);
    if (!schema || !cols) throw new ProtocolError(`update for a table we did not monitor: ${name.slice(0, 40)}`);
    return { schema, cols };
  }

  /** RFC 7047 table-updates: {table: {uuid: {old?, new?}}}; new carries every monitored column. */
  applyUpdates(v: unknown, replace: boolean): void {
    if (!isObj(v)) throw new ProtocolError('table-updates is not an object');
    const next = this.staged(v, replace);
    for (const [t, rows] of Object.entries(v)) {
      const { schema, cols } = this.tableOf(t);
      if (!isObj(rows)) throw new ProtocolError(`${t}: not an object`);
      const table = next.get(t)!;
      for (const [uuid, u] of Object.entries(rows)) {
        if (!isObj(u)) throw new ProtocolError(`${t}/${uuid}: row update is not an object`);
        if (u.new === undefined || u.new === null) table.delete(uuid);
        else table.set(uuid, decodeRow(u.new, schema, cols, `${t}/${uuid}`));
      }
    }
    this.commit(next, replace);
  }

  /** update2 table-updates: {table: {uuid: {initial|insert|delete|modify}}}. */
  applyUpdates2(v: unknown, replace: boolean): void {
    if (!isObj(v)) throw new ProtocolError('table-updates2 is not an object');
    const next = this.staged(v, replace);
    for (const [t, rows] of Object.entries(v)) {
      const { schema, cols } = this.tableOf(t);
      if (!isObj(rows)) throw new ProtocolError(`${t}: not an object`);
      const table = next.get(t)!;
      for (const [uuid, u] of Object.entries(rows)) {
        const where = `${t}/${uuid}`;
        if (!isObj(u)) throw new ProtocolError(`${where}: row update is not an object`);
        const keys = Object.keys(u);
        if (keys.length !== 1) throw new ProtocolError(`${where}: expected one of initial/insert/delete/modify`);
        const k = keys[0]!;
        if (k === 'initial' || k === 'insert') table.set(uuid, decodeRow(u[k], schema, cols, where));
        else if (k === 'delete') table.delete(uuid);
        else if (k === 'modify') {
          const old = table.get(uuid);
          if (!old) throw new ProtocolError(`${where}: modify of a row we do not have`);
          const diff = u.modify;
          if (!isObj(diff)) throw new ProtocolError(`${where}: modify is not an object`);
          const row: Row = new Map(old);
          for (const [c, d] of Object.entries(diff)) {
            const ct = schema.columns.get(c);
            if (!ct) throw new ProtocolError(`${where}: unknown column ${c.slice(0, 40)}`);
            if (!row.has(c)) continue;
            row.set(c, applyDiff(row.get(c)!, decodeValue(d, ct, `${where}.${c}`, true), ct));
          }
          table.set(uuid, row);
        } else throw new ProtocolError(`${where}: unknown row update ${k.slice(0, 20)}`);
      }
    }
    this.commit(next, replace);
  }

  /** Work on copies of the touched tables: a message that fails half-way changes nothing. */
  private staged(v: Record<string, unknown>, replace: boolean): Tables {
    const next: Tables = new Map();
    if (replace) {
      for (const t of this.columns.keys()) next.set(t, new Map());
    } else for (const t of Object.keys(v)) next.set(t, new Map(this.tables.get(t) ?? []));
    return next;
  }

  private commit(next: Tables, replace: boolean): void {
    if (replace) this.tables.clear();
    for (const [t, rows] of next) this.tables.set(t, rows);
    this.onChange(replace);
  }
}
