// The graph at a past instant t, read lazily from SQL: a live row unchanged since t, or the
// archived revision valid at t (valid_from <= t < valid_to). Indexed lookups stay indexed, so
// At() queries cost about what live ones do instead of rebuilding the whole graph.
import type { Database, Statement } from 'better-sqlite3';
import type { Direction, GraphEdge, GraphNode } from '../types.ts';
import type { GraphReader } from './graph-store.ts';
import { INDEXED_KEYS } from './graph-store.ts';
import { getPath, valueMatches } from '../metadata.ts';
import { rowToEdge, rowToNode, type RawRow } from './rows.ts';

const N_COLS = 'id, type, name, host, origin, created_at, updated_at, revision, metadata';
const E_COLS = 'id, parent, child, relation, host, origin, created_at, updated_at, revision, metadata';
const LIVE_N = `SELECT ${N_COLS} FROM nodes WHERE updated_at <= @t`;
const HIST_N = `SELECT ${N_COLS} FROM history WHERE kind = 'n' AND valid_from <= @t AND valid_to > @t`;
const LIVE_E = `SELECT ${E_COLS} FROM edges WHERE updated_at <= @t`;
const HIST_E = `SELECT ${E_COLS} FROM history WHERE kind = 'e' AND valid_from <= @t AND valid_to > @t`;
const indexed = new Set<string>(INDEXED_KEYS);

const cache = new WeakMap<Database, Record<string, Statement>>();

function statements(db: Database): Record<string, Statement> {
  let s = cache.get(db);
  if (s) return s;
  const p = (sql: string) => db.prepare(sql);
  s = {
    node: p(`${LIVE_N} AND id = @id UNION ALL ${HIST_N} AND id = @id`),
    edge: p(`${LIVE_E} AND id = @id UNION ALL ${HIST_E} AND id = @id`),
    byType: p(`${LIVE_N} AND type = @v UNION ALL ${HIST_N} AND type = @v`),
    byName: p(`${LIVE_N} AND name = @v UNION ALL ${HIST_N} AND name = @v`),
    // The key index covers live values; archived revisions valid at t are few and are scanned.
    byKeyLive: p(`SELECT n.id, n.type, n.name, n.host, n.origin, n.created_at, n.updated_at, n.revision, n.metadata
                  FROM node_keys k JOIN nodes n ON n.id = k.id WHERE k.key = @k AND k.value = @v AND n.updated_at <= @t`),
    histNodes: p(HIST_N),
    byRel: p(`${LIVE_E} AND relation = @v UNION ALL ${HIST_E} AND relation = @v`),
    allNodes: p(`${LIVE_N} UNION ALL ${HIST_N}`),
    allEdges: p(`${LIVE_E} UNION ALL ${HIST_E}`),
    out: p(`${LIVE_E} AND parent = @id UNION ALL ${HIST_E} AND parent = @id`),
    in: p(`${LIVE_E} AND child = @id UNION ALL ${HIST_E} AND child = @id`),
    nodeCount: p(
      `SELECT (SELECT count(*) FROM nodes WHERE updated_at <= @t) + (SELECT count(*) FROM history WHERE kind = 'n' AND valid_from <= @t AND valid_to > @t) AS c`,
    ),
    edgeCount: p(
      `SELECT (SELECT count(*) FROM edges WHERE updated_at <= @t) + (SELECT count(*) FROM history WHERE kind = 'e' AND valid_from <= @t AND valid_to > @t) AS c`,
    ),
  };
  cache.set(db, s);
  return s;
}

export class SqliteAtReader implements GraphReader {
  private readonly s: Record<string, Statement>;

  constructor(
    db: Database,
    private readonly t: number,
  ) {
    this.s = statements(db);
  }

  getNode(id: string): GraphNode | undefined {
    const r = this.s.node!.get({ t: this.t, id }) as RawRow | undefined;
    return r ? rowToNode(r) : undefined;
  }

  getEdge(id: string): GraphEdge | undefined {
    const r = this.s.edge!.get({ t: this.t, id }) as RawRow | undefined;
    return r && this.endsExist(r) ? rowToEdge(r) : undefined;
  }

  private endsExist(r: RawRow): boolean {
    // An edge is only part of the graph at t when both its nodes are.
    return this.s.node!.get({ t: this.t, id: r.parent }) !== undefined && this.s.node!.get({ t: this.t, id: r.child }) !== undefined;
  }

  findNodes(key: string, value: string | number | boolean): GraphNode[] {
    let rows: RawRow[];
    if (key === 'Type') rows = this.s.byType!.all({ t: this.t, v: String(value) }) as RawRow[];
    else if (key === 'Name') rows = this.s.byName!.all({ t: this.t, v: String(value) }) as RawRow[];
    else if (indexed.has(key)) {
      const v = typeof value === 'boolean' ? String(value) : value;
      rows = [...(this.s.byKeyLive!.all({ t: this.t, k: key, v }) as RawRow[]), ...(this.s.histNodes!.all({ t: this.t }) as RawRow[])];
    } else rows = this.s.allNodes!.all({ t: this.t }) as RawRow[];
    return rows.map(rowToNode).filter((n) => valueMatches(getPath(n.Metadata, key), value));
  }

  findEdges(key: string, value: string | number | boolean): GraphEdge[] {
    const rows = (
      key === 'RelationType' ? this.s.byRel!.all({ t: this.t, v: String(value) }) : this.s.allEdges!.all({ t: this.t })
    ) as RawRow[];
    return rows
      .filter((r) => this.endsExist(r))
      .map(rowToEdge)
      .filter((e) => valueMatches(getPath(e.Metadata, key), value));
  }

  allNodes(): GraphNode[] {
    return (this.s.allNodes!.all({ t: this.t }) as RawRow[]).map(rowToNode);
  }

  allEdges(): GraphEdge[] {
    return (this.s.allEdges!.all({ t: this.t }) as RawRow[]).filter((r) => this.endsExist(r)).map(rowToEdge);
  }

  edgesOf(nodeId: string, dir: Direction): GraphEdge[] {
    const rows: RawRow[] = [];
    if (dir !== 'in') rows.push(...(this.s.out!.all({ t: this.t, id: nodeId }) as RawRow[]));
    if (dir !== 'out') rows.push(...(this.s.in!.all({ t: this.t, id: nodeId }) as RawRow[]));
    return rows.filter((r) => this.endsExist(r)).map(rowToEdge);
  }

  nodeCount(): number {
    return (this.s.nodeCount!.get({ t: this.t }) as { c: number }).c;
  }

  edgeCount(): number {
    return this.allEdges().length;
  }
}
