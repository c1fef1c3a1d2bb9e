// GraphStore on PostgreSQL (docs/architecture.md, "Storage"). The graph is read into memory at
// open; write(fn) applies a batch to it at once (undone when fn throws), delivers its events, and
// queues the batch's rows as one transaction behind: live rows, archived revisions (history, for
// At()), aliases, and one change-log row that other collectors replay through LISTEN/NOTIFY.
import { randomUUID } from 'node:crypto';
import type { EdgeInput, GraphEdge, GraphEvent, GraphNode, NodeInput } from '../types.ts';
import type { GraphListener, GraphReader, GraphStore, GraphTx } from './graph-store.ts';
import { nextRevision } from './revision.ts';
import { MemoryGraph } from './memory-graph.ts';
import type { PostgresLink } from './postgres-link.ts';
import type { ChangeRow, Stmt } from './postgres-protocol.ts';
import { rowToEdge, rowToNode, type RawRow } from './rows.ts';
import { historyRow, archivedAt, nodeRow, edgeRow, graphStatements, type HistoryRow } from './postgres-graph-sql.ts';
import { PostgresAtReader } from './postgres-at-reader.ts';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Event = DistributiveOmit<GraphEvent, 'seq'>;

export class PostgresGraphIntegrityError extends Error {}

interface Batch {
  events: GraphEvent[];
  undo: (() => void)[];
  history: HistoryRow[];
  nodes: Set<string>;
  edges: Set<string>;
  aliases: Map<string, string>;
}

export class PostgresGraphStore extends MemoryGraph implements GraphStore, GraphTx {
  private readonly listeners = new Set<GraphListener>();
  private readonly aliasMap = new Map<string, string>();
  private batch: Batch | null = null;
  private seq = 0;
  /** Marks this process's rows in the change log (they are already applied here). */
  readonly instance = randomUUID();

  constructor(
    private readonly link: PostgresLink,
    private readonly now: () => number,
  ) {
    super();
    // One snapshot: the live graph and the change log position it corresponds to.
    const [, nodes, edges, aliases, pos] = link.sync(
      [
        { sql: 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ' },
        { sql: 'SELECT * FROM nodes' },
        { sql: 'SELECT * FROM edges' },
        { sql: 'SELECT key, id FROM aliases' },
        { sql: 'SELECT coalesce(max(seq), 0) AS seq FROM graph_changes' },
      ],
      true,
    );
    for (const r of nodes!.rows) this.setNode(rowToNode(r as unknown as RawRow));
    for (const r of edges!.rows) this.setEdge(rowToEdge(r as unknown as RawRow));
    for (const r of aliases!.rows) this.aliasMap.set(String(r.key), String(r.id));
    link.onChanges = (rows) => this.replay(rows);
    link.follow(Number(pos!.rows[0]!.seq));
  }

  write<T>(fn: (tx: GraphTx) => T): T {
    if (this.batch) return fn(this); // nested: part of the enclosing batch
    const b: Batch = (this.batch = { events: [], undo: [], history: [], nodes: new Set(), edges: new Set(), aliases: new Map() });
    let result: T;
    try {
      result = fn(this);
    } catch (e) {
      for (let i = b.undo.length - 1; i >= 0; i--) b.undo[i]!();
      this.seq -= b.events.length;
      throw e;
    } finally {
      this.batch = null;
    }
    this.send(b);
    if (b.events.length) for (const l of this.listeners) l(b.events);
    return result;
  }

  private send(b: Batch): void {
    if (b.events.length === 0 && b.aliases.size === 0 && b.history.length === 0) return;
    const nodes = [...b.nodes].map((id) => this.nodes.get(id));
    const edges = [...b.edges].map((id) => this.edges.get(id));
    const stmts: Stmt[] = graphStatements({
      history: b.history,
      deletedNodes: [...b.nodes].filter((_, i) => !nodes[i]),
      deletedEdges: [...b.edges].filter((_, i) => !edges[i]),
      nodes: nodes.filter((n) => n !== undefined).map(nodeRow),
      edges: edges.filter((e) => e !== undefined).map(edgeRow),
      aliases: [...b.aliases].map(([key, id]) => ({ key, id, created_at: this.now() })),
      change: {
        instance: this.instance,
        at: this.now(),
        events: b.events.map(({ seq: _seq, ...e }) => e),
        aliases: [...b.aliases].map(([key, id]) => ({ key, id })),
      },
    });
    this.link.send(stmts, true);
  }

  private tx(): Batch {
    if (!this.batch) throw new Error('graph writes must run inside store.write()');
    return this.batch;
  }

  private emit(ev: Event): void {
    this.tx().events.push({ ...ev, seq: ++this.seq });
  }

  private putNode(n: GraphNode): void {
    const b = this.tx();
    const old = this.setNode(n);
    b.nodes.add(n.ID);
    b.undo.push(() => (old ? this.setNode(old) : this.removeNode(n.ID)));
  }

  private putEdge(e: GraphEdge): void {
    const b = this.tx();
    const old = this.setEdge(e);
    b.edges.add(e.ID);
    b.undo.push(() => (old ? this.setEdge(old) : this.removeEdge(e.ID)));
  }

  private next<T extends GraphNode>(existing: T | undefined, input: NodeInput, merge: boolean, extra: Partial<T>): T | undefined {
    return nextRevision(existing, input, merge, extra, this.now());
  }

  upsertNode(input: NodeInput, opts: { merge?: boolean } = {}): GraphNode | undefined {
    const b = this.tx();
    const existing = this.getNode(input.ID);
    const n = this.next(existing, input, opts.merge ?? false, {});
    if (!n) return undefined;
    if (existing) b.history.push(historyRow('n', existing, n.UpdatedAt, null));
    this.putNode(n);
    this.emit({ type: existing ? 'NodeUpdated' : 'NodeAdded', node: n });
    return n;
  }

  upsertEdge(input: EdgeInput, opts: { merge?: boolean } = {}): GraphEdge | undefined {
    const b = this.tx();
    if (!this.nodes.has(input.Parent))
      throw new PostgresGraphIntegrityError(`edge ${input.ID}: parent node ${input.Parent} does not exist`);
    if (!this.nodes.has(input.Child)) throw new PostgresGraphIntegrityError(`edge ${input.ID}: child node ${input.Child} does not exist`);
    const existing = this.getEdge(input.ID);
    const e = this.next<GraphEdge>(existing, input, opts.merge ?? false, { Parent: input.Parent, Child: input.Child });
    if (!e) return undefined;
    if (existing) b.history.push(historyRow('e', existing, e.UpdatedAt, null));
    this.putEdge(e);
    this.emit({ type: existing ? 'EdgeUpdated' : 'EdgeAdded', edge: e });
    return e;
  }

  deleteEdge(id: string, at?: number): boolean {
    const b = this.tx();
    const e = this.getEdge(id);
    if (!e) return false;
    const t = Math.max(at ?? this.now(), e.UpdatedAt);
    b.history.push(historyRow('e', e, t, t));
    this.removeEdge(id);
    b.edges.add(id);
    b.undo.push(() => this.setEdge(e));
    this.emit({ type: 'EdgeDeleted', edge: { ...e, DeletedAt: t } });
    return true;
  }

  deleteNode(id: string, at?: number): boolean {
    const b = this.tx();
    const n = this.getNode(id);
    if (!n) return false;
    const t = Math.max(at ?? this.now(), n.UpdatedAt);
    for (const e of this.edgesOf(id, 'both')) this.deleteEdge(e.ID, t);
    b.history.push(historyRow('n', n, t, t));
    this.removeNode(id);
    b.nodes.add(id);
    b.undo.push(() => this.setNode(n));
    this.emit({ type: 'NodeDeleted', node: { ...n, DeletedAt: t } });
    return true;
  }

  resolveAlias(key: string): string | undefined {
    return this.aliasMap.get(key);
  }

  setAlias(key: string, id: string): void {
    const b = this.tx();
    const old = this.aliasMap.get(key);
    this.aliasMap.set(key, id);
    b.aliases.set(key, id);
    b.undo.push(() => (old === undefined ? this.aliasMap.delete(key) : this.aliasMap.set(key, old)));
  }

  idsByOrigin(origin: string): { nodes: string[]; edges: string[] } {
    const pick = (els: Iterable<GraphNode>) => [...els].filter((x) => x.Origin === origin).map((x) => x.ID);
    return { nodes: pick(this.nodes.values()), edges: pick(this.edges.values()) };
  }

  subscribe(listener: GraphListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The graph at t: the live graph in memory, overlaid with the revisions valid at t (read after the queued writes). */
  at(t: number): GraphReader {
    return new PostgresAtReader(this, t, archivedAt(this.link, t));
  }

  historyOf(id: string): (GraphNode | GraphEdge)[] {
    const rows = this.link.query<RawRow & { kind: string }>('SELECT * FROM history WHERE id = $1 ORDER BY valid_from, revision', [id]);
    const out: (GraphNode | GraphEdge)[] = rows.map((r) => (r.kind === 'e' ? rowToEdge(r) : rowToNode(r)));
    const live = this.getNode(id) ?? this.getEdge(id);
    if (live) out.push(live);
    return out;
  }

  revisionsBetween(from: number, to: number): (GraphNode | GraphEdge)[] {
    // The live graph is in memory: only archived revisions are read from the table.
    const rows = this.link.query<RawRow & { kind: string }>(
      `WITH t AS (SELECT id FROM history WHERE valid_to > $1 AND valid_to <= $2
                  UNION SELECT id FROM history WHERE valid_from > $1 AND valid_from <= $2)
       SELECT h.* FROM t JOIN history h ON h.id = t.id AND h.valid_to > $1 AND h.valid_from <= $2
       ORDER BY h.id, h.valid_from, h.revision`,
      [from, to],
    );
    const byId = new Map<string, (GraphNode | GraphEdge)[]>();
    const add = (el: GraphNode | GraphEdge) => {
      const list = byId.get(el.ID);
      if (list) list.push(el);
      else byId.set(el.ID, [el]);
    };
    for (const r of rows) add(r.kind === 'e' ? rowToEdge(r) : rowToNode(r));
    for (const el of [...this.allNodes(), ...this.allEdges()]) {
      if (el.UpdatedAt > to) continue;
      if (el.UpdatedAt > from || byId.has(el.ID)) add(el);
    }
    return [...byId.values()].flat();
  }

  prune(olderThan: number): { nodes: number; edges: number } {
    const [counts] = this.link.sync(
      [
        { sql: 'SELECT kind, count(*) AS c FROM history WHERE valid_to < $1 GROUP BY kind', params: [olderThan] },
        { sql: 'DELETE FROM history WHERE valid_to < $1', params: [olderThan] },
        // Collectors replay the log within seconds; the history table keeps what At() needs.
        { sql: 'DELETE FROM graph_changes WHERE at < $1', params: [Math.min(olderThan, this.now() - 600_000)] },
      ],
      true,
    );
    const c = (k: string) => Number(counts!.rows.find((r) => r.kind === k)?.c ?? 0);
    return { nodes: c('n'), edges: c('e') };
  }

  /** Batches other collectors committed, in commit order: applied here and told to subscribers. */
  private replay(rows: ChangeRow[]): void {
    for (const row of rows) {
      if (row.instance === this.instance) continue;
      const events: GraphEvent[] = [];
      const out = (e: Event) => events.push({ ...e, seq: ++this.seq });
      for (const ev of row.events as Event[]) {
        if ('node' in ev) {
          const local = this.nodes.get(ev.node.ID);
          if (ev.type === 'NodeDeleted') {
            if (!local) continue;
            for (const e of this.edgesOf(local.ID, 'both')) {
              this.removeEdge(e.ID);
              out({ type: 'EdgeDeleted', edge: { ...e, DeletedAt: ev.node.DeletedAt } });
            }
            this.removeNode(local.ID);
            out(ev);
          } else if (!local || ev.node.Revision >= local.Revision) {
            // Two collectors writing one element converge on the higher revision.
            this.setNode(ev.node);
            out({ type: local ? 'NodeUpdated' : 'NodeAdded', node: ev.node });
          }
        } else {
          const local = this.edges.get(ev.edge.ID);
          if (ev.type === 'EdgeDeleted') {
            if (!local) continue;
            this.removeEdge(local.ID);
            out(ev);
          } else if ((!local || ev.edge.Revision >= local.Revision) && this.nodes.has(ev.edge.Parent) && this.nodes.has(ev.edge.Child)) {
            this.setEdge(ev.edge);
            out({ type: local ? 'EdgeUpdated' : 'EdgeAdded', edge: ev.edge });
          }
        }
      }
      for (const a of row.aliases as { key: string; id: string }[]) this.aliasMap.set(a.key, a.id);
      if (events.length) for (const l of this.listeners) l(events);
    }
  }

  close(): void {
    this.listeners.clear();
  }
}
