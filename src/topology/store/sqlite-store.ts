// The embedded graph store (better-sqlite3 12, WAL). Writes run in one transaction per batch;
// change events are delivered after commit, in commit order. Replaced and deleted revisions go to
// the history table, so At(t) can rebuild any instant within retention.
import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EdgeInput, GraphEdge, GraphEvent, GraphNode, NodeInput, Metadata } from '../types.ts';
import type { GraphListener, GraphReader, GraphStore, GraphTx } from './graph-store.ts';
import { INDEXED_KEYS } from './graph-store.ts';
import { getPath, indexValues } from '../metadata.ts';
import { nextRevision } from './revision.ts';
import { checkVersion, migrate } from './sqlite-migrations.ts';
import { SqliteReader } from './sqlite-reader.ts';
import { type RawRow } from './rows.ts';
import { SqliteAtReader } from './sqlite-at-reader.ts';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

type HistRow = RawRow & { kind: string };

function histElement(r: HistRow): GraphNode | GraphEdge {
  const el: GraphNode = {
    ID: r.id,
    Metadata: JSON.parse(r.metadata) as Metadata,
    Host: r.host,
    Origin: r.origin,
    CreatedAt: r.created_at,
    UpdatedAt: r.updated_at,
    Revision: r.revision,
  };
  if (r.deleted_at != null) el.DeletedAt = r.deleted_at;
  return r.kind === 'e' ? { ...el, Parent: r.parent ?? '', Child: r.child ?? '' } : el;
}

export class GraphIntegrityError extends Error {}

export interface SqliteStoreOptions {
  /** File path or ':memory:'. */
  path: string;
  now?: () => number;
  /** Opened read-only (e.g. `canopy query --data-dir` beside a running collector). */
  readonly?: boolean;
}

/** Opens the file, refusing one from a newer Canopy and migrating an older one (unless read-only). */
export function openSqliteDatabase(opts: SqliteStoreOptions): Db {
  if (opts.path !== ':memory:' && !opts.readonly) mkdirSync(dirname(opts.path), { recursive: true });
  const db = new Database(opts.path, { readonly: opts.readonly ?? false });
  try {
    if (opts.readonly) checkVersion(db, opts.path);
    else migrate(db, opts.path);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

/** The graph store alone (the other stores of the same file: openSqliteStorage). */
export function openGraphStore(opts: SqliteStoreOptions): SqliteGraphStore {
  return new SqliteGraphStore(openSqliteDatabase(opts), opts.now ?? Date.now);
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;
}

export class SqliteGraphStore extends SqliteReader implements GraphStore, GraphTx {
  private readonly w: Record<string, Statement>;
  private readonly listeners = new Set<GraphListener>();
  private pending: GraphEvent[] | null = null;
  private seq = 0;
  private readonly runTx: <T>(fn: () => T) => T;
  private revStmt: Statement | undefined;
  private liveStmt: Statement | undefined;

  constructor(
    readonly database: Db,
    private readonly now: () => number,
  ) {
    super(database);
    const p = (sql: string) => database.prepare(sql);
    if (database.readonly) {
      this.w = {};
    } else {
      this.w = {
        insNode: p(`INSERT INTO nodes(id, type, name, host, origin, created_at, updated_at, revision, metadata) VALUES (?,?,?,?,?,?,?,?,?)
                    ON CONFLICT(id) DO UPDATE SET type=excluded.type, name=excluded.name, host=excluded.host, origin=excluded.origin,
                    updated_at=excluded.updated_at, revision=excluded.revision, metadata=excluded.metadata`),
        insEdge:
          p(`INSERT INTO edges(id, parent, child, relation, host, origin, created_at, updated_at, revision, metadata) VALUES (?,?,?,?,?,?,?,?,?,?)
                    ON CONFLICT(id) DO UPDATE SET parent=excluded.parent, child=excluded.child, relation=excluded.relation, host=excluded.host,
                    origin=excluded.origin, updated_at=excluded.updated_at, revision=excluded.revision, metadata=excluded.metadata`),
        archive:
          p(`INSERT INTO history(kind, id, revision, valid_from, valid_to, deleted_at, type, name, parent, child, relation, host, origin, created_at, updated_at, metadata)
                    VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`),
        delNode: p('DELETE FROM nodes WHERE id = ?'),
        delEdge: p('DELETE FROM edges WHERE id = ?'),
        delKeys: p('DELETE FROM node_keys WHERE id = ?'),
        insKey: p('INSERT INTO node_keys(key, value, id) VALUES (?,?,?)'),
        alias: p('SELECT id FROM aliases WHERE key = ?'),
        exists: p('SELECT 1 FROM nodes WHERE id = ?'),
        setAlias: p('INSERT INTO aliases(key, id, created_at) VALUES (?,?,?) ON CONFLICT(key) DO UPDATE SET id = excluded.id'),
        pruneHist: p('DELETE FROM history WHERE valid_to < ?'),
        pruneCount: p('SELECT kind, count(*) AS c FROM history WHERE valid_to < ? GROUP BY kind'),
      };
    }
    // IMMEDIATE: the flow writer thread writes the same file on its own connection, and a deferred
    // transaction that read first cannot take the write lock after that thread committed (SQLITE_BUSY at
    // once, no busy wait).
    this.runTx = (fn) => database.transaction(fn).immediate();
  }

  write<T>(fn: (tx: GraphTx) => T): T {
    if (this.pending) return fn(this); // nested: part of the enclosing batch
    this.pending = [];
    let events: GraphEvent[];
    let result: T;
    try {
      result = this.runTx(() => fn(this));
      events = this.pending;
    } finally {
      this.pending = null;
    }
    if (events.length) for (const l of this.listeners) l(events);
    return result;
  }

  private emit(ev: DistributiveOmit<GraphEvent, 'seq'>): void {
    const e = { ...ev, seq: ++this.seq };
    if (this.pending) this.pending.push(e);
    else for (const l of this.listeners) l([e]);
  }

  private requireTx(): void {
    if (!this.pending) throw new Error('graph writes must run inside store.write()');
  }

  private archive(kind: 'n' | 'e', el: GraphNode | GraphEdge, validTo: number, deletedAt: number | null): void {
    const e = el as GraphEdge;
    this.w.archive!.run(
      kind,
      el.ID,
      el.Revision,
      el.UpdatedAt,
      validTo,
      deletedAt,
      str(el.Metadata.Type),
      str(el.Metadata.Name),
      e.Parent ?? null,
      e.Child ?? null,
      str(el.Metadata.RelationType),
      el.Host,
      el.Origin,
      el.CreatedAt,
      el.UpdatedAt,
      JSON.stringify(el.Metadata),
    );
  }

  private indexKeys(id: string, md: Metadata): void {
    this.w.delKeys!.run(id);
    for (const key of INDEXED_KEYS) {
      const v = getPath(md, key);
      if (v === undefined) continue;
      for (const x of indexValues(v)) this.w.insKey!.run(key, x, id);
    }
  }

  private next<T extends GraphNode>(existing: T | undefined, input: NodeInput, merge: boolean, extra: Partial<T>): T | undefined {
    return nextRevision(existing, input, merge, extra, this.now());
  }

  upsertNode(input: NodeInput, opts: { merge?: boolean } = {}): GraphNode | undefined {
    this.requireTx();
    const existing = this.getNode(input.ID);
    const n = this.next(existing, input, opts.merge ?? false, {});
    if (!n) return undefined;
    if (existing) this.archive('n', existing, n.UpdatedAt, null);
    this.w.insNode!.run(
      n.ID,
      str(n.Metadata.Type),
      str(n.Metadata.Name),
      n.Host,
      n.Origin,
      n.CreatedAt,
      n.UpdatedAt,
      n.Revision,
      JSON.stringify(n.Metadata),
    );
    this.indexKeys(n.ID, n.Metadata);
    this.emit({ type: existing ? 'NodeUpdated' : 'NodeAdded', node: n });
    return n;
  }

  private nodeExists(id: string): boolean {
    return this.w.exists!.get(id) !== undefined;
  }

  upsertEdge(input: EdgeInput, opts: { merge?: boolean } = {}): GraphEdge | undefined {
    this.requireTx();
    if (!this.nodeExists(input.Parent)) throw new GraphIntegrityError(`edge ${input.ID}: parent node ${input.Parent} does not exist`);
    if (!this.nodeExists(input.Child)) throw new GraphIntegrityError(`edge ${input.ID}: child node ${input.Child} does not exist`);
    const existing = this.getEdge(input.ID);
    const e = this.next<GraphEdge>(existing, input, opts.merge ?? false, { Parent: input.Parent, Child: input.Child });
    if (!e) return undefined;
    if (existing) this.archive('e', existing, e.UpdatedAt, null);
    this.w.insEdge!.run(
      e.ID,
      e.Parent,
      e.Child,
      str(e.Metadata.RelationType),
      e.Host,
      e.Origin,
      e.CreatedAt,
      e.UpdatedAt,
      e.Revision,
      JSON.stringify(e.Metadata),
    );
    this.emit({ type: existing ? 'EdgeUpdated' : 'EdgeAdded', edge: e });
    return e;
  }

  deleteEdge(id: string, at?: number): boolean {
    this.requireTx();
    const e = this.getEdge(id);
    if (!e) return false;
    const t = Math.max(at ?? this.now(), e.UpdatedAt);
    this.archive('e', e, t, t);
    this.w.delEdge!.run(id);
    this.emit({ type: 'EdgeDeleted', edge: { ...e, DeletedAt: t } });
    return true;
  }

  deleteNode(id: string, at?: number): boolean {
    this.requireTx();
    const n = this.getNode(id);
    if (!n) return false;
    const t = Math.max(at ?? this.now(), n.UpdatedAt);
    for (const e of this.edgesOf(id, 'both')) this.deleteEdge(e.ID, t);
    this.archive('n', n, t, t);
    this.w.delNode!.run(id);
    this.w.delKeys!.run(id);
    this.emit({ type: 'NodeDeleted', node: { ...n, DeletedAt: t } });
    return true;
  }

  resolveAlias(key: string): string | undefined {
    return (this.w.alias?.get(key) as { id: string } | undefined)?.id;
  }

  setAlias(key: string, id: string): void {
    this.requireTx();
    this.w.setAlias!.run(key, id, this.now());
  }

  idsByOrigin(origin: string): { nodes: string[]; edges: string[] } {
    const pluck = (sql: string) => this.database.prepare(sql).pluck().all(origin) as string[];
    return { nodes: pluck('SELECT id FROM nodes WHERE origin = ?'), edges: pluck('SELECT id FROM edges WHERE origin = ?') };
  }

  subscribe(listener: GraphListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The graph at instant t: live rows unchanged since t, plus the history revision valid at t. */
  at(t: number): GraphReader {
    return new SqliteAtReader(this.database, t);
  }

  /** Revisions of one element, oldest first, the live one last (DeletedAt on the final one when deleted). */
  historyOf(id: string): (GraphNode | GraphEdge)[] {
    const rows = this.database.prepare('SELECT * FROM history WHERE id = ? ORDER BY valid_from, revision').all(id) as HistRow[];
    const out = rows.map(histElement);
    const live = this.getNode(id) ?? this.getEdge(id);
    if (live) out.push(live);
    return out;
  }

  revisionsBetween(from: number, to: number): (GraphNode | GraphEdge)[] {
    // Touched = a revision began or ended in (from, to]; each arm is one index range read.
    const touched = `SELECT id FROM history WHERE valid_to > @from AND valid_to <= @to
      UNION SELECT id FROM history WHERE kind = 'n' AND valid_from > @from AND valid_from <= @to
      UNION SELECT id FROM history WHERE kind = 'e' AND valid_from > @from AND valid_from <= @to
      UNION SELECT id FROM nodes WHERE updated_at > @from AND updated_at <= @to
      UNION SELECT id FROM edges WHERE updated_at > @from AND updated_at <= @to`;
    this.revStmt ??= this.database.prepare(
      `WITH t(id) AS (${touched})
       SELECT h.* FROM t CROSS JOIN history h ON h.id = t.id AND h.valid_to > @from AND h.valid_from <= @to
       ORDER BY h.id, h.valid_from, h.revision`,
    );
    this.liveStmt ??= this.database.prepare(
      `WITH t(id) AS (${touched})
       SELECT 'n' AS kind, n.id, n.host, n.origin, n.created_at, n.updated_at, n.revision, n.metadata, NULL AS parent, NULL AS child
         FROM t CROSS JOIN nodes n ON n.id = t.id WHERE n.updated_at <= @to
       UNION ALL
       SELECT 'e', e.id, e.host, e.origin, e.created_at, e.updated_at, e.revision, e.metadata, e.parent, e.child
         FROM t CROSS JOIN edges e ON e.id = t.id WHERE e.updated_at <= @to`,
    );
    const byId = new Map<string, (GraphNode | GraphEdge)[]>();
    const add = (el: GraphNode | GraphEdge) => {
      const list = byId.get(el.ID);
      if (list) list.push(el);
      else byId.set(el.ID, [el]);
    };
    for (const r of this.revStmt.all({ from, to }) as HistRow[]) add(histElement(r));
    for (const r of this.liveStmt.all({ from, to }) as HistRow[]) add(histElement({ ...r, deleted_at: null }));
    return [...byId.values()].flat();
  }

  prune(olderThan: number): { nodes: number; edges: number } {
    const counts = this.w.pruneCount!.all(olderThan) as { kind: string; c: number }[];
    this.w.pruneHist!.run(olderThan);
    return { nodes: counts.find((c) => c.kind === 'n')?.c ?? 0, edges: counts.find((c) => c.kind === 'e')?.c ?? 0 };
  }

  close(): void {
    this.listeners.clear();
    this.database.close();
  }
}
