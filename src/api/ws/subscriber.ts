// /ws/subscriber: SyncRequest → SyncReply, then the change feed, filtered per subscriber.
import type { WebSocket } from 'ws';
import type { GraphEvent, GraphEdge, GraphNode } from '../../topology/types.ts';
import type { GraphReader, GraphStore } from '../../topology/store/graph-store.ts';
import type { Logger } from '../../util/log.ts';
import { envelope, parseEnvelope } from './envelope.ts';
import type { FilterCompiler, SubscriberFilter } from './filter.ts';

const REQUERY_INTERVAL_MS = 1000;
/** A subscriber that stops reading is cut off rather than buffering without bound. */
const MAX_BUFFERED = 64 * 1024 * 1024;

function snapshot(reader: GraphReader, f: SubscriberFilter, time?: number): { Nodes: GraphNode[]; Edges: GraphEdge[] } {
  if (f.kind === 'query') {
    const r = f.evaluate(time);
    return { Nodes: r.nodes, Edges: r.edges };
  }
  const Nodes = [...reader.allNodes()];
  const Edges = [...reader.allEdges()];
  if (f.kind === 'all') return { Nodes, Edges };
  if (f.target === 'V') {
    const nodes = Nodes.filter(f.match);
    const ids = new Set(nodes.map((n) => n.ID));
    return { Nodes: nodes, Edges: Edges.filter((e) => ids.has(e.Parent) && ids.has(e.Child)) };
  }
  return { Nodes: [], Edges: Edges.filter(f.match) };
}

export class Subscriber {
  private filter: SubscriberFilter;
  private readonly unsubscribe: () => void;
  private requeryTimer: NodeJS.Timeout | undefined;
  private lastRequery = 0;
  private known = new Map<string, { rev: number; edge: boolean }>(); // query filters: what was last sent

  constructor(
    private readonly ws: WebSocket,
    private readonly store: GraphStore,
    private readonly compile: FilterCompiler,
    initialFilter: string | undefined,
    private readonly log: Logger,
  ) {
    this.filter = initialFilter ? compile(initialFilter) : { kind: 'all' };
    if (this.filter.kind === 'query') this.remember(snapshot(store, this.filter));
    this.unsubscribe = store.subscribe((evs) => this.onEvents(evs));
    ws.on('message', (data) => this.onMessage(String(data)));
    ws.on('close', () => this.close());
    ws.on('error', () => this.close());
  }

  private send(type: string, obj: unknown, extra: { UUID?: string; Status?: number } = {}): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > MAX_BUFFERED) {
      this.log.warn('subscriber too slow; closing');
      this.ws.close(1013, 'too slow');
      return;
    }
    this.ws.send(JSON.stringify(envelope(type, obj, extra)));
  }

  private remember(s: { Nodes: GraphNode[]; Edges: GraphEdge[] }): void {
    this.known = new Map();
    for (const n of s.Nodes) this.known.set(n.ID, { rev: n.Revision, edge: false });
    for (const e of s.Edges) this.known.set(e.ID, { rev: e.Revision, edge: true });
  }

  private onMessage(text: string): void {
    const msg = parseEnvelope(text);
    if (!msg) {
      this.send('Error', 'message is not a JSON envelope', { Status: 400 });
      return;
    }
    if (msg.Type !== 'SyncRequest') return;
    const obj = (msg.Obj ?? {}) as { GremlinFilter?: unknown; Time?: unknown };
    try {
      if (typeof obj.GremlinFilter === 'string') this.filter = obj.GremlinFilter ? this.compile(obj.GremlinFilter) : { kind: 'all' };
      const t = typeof obj.Time === 'number' && obj.Time > 0 ? obj.Time : undefined;
      const reader = t !== undefined ? this.store.at(t) : this.store;
      const snap = snapshot(reader, this.filter, t);
      if (this.filter.kind === 'query' && t === undefined) this.remember(snap);
      this.send('SyncReply', snap, { UUID: msg.UUID, Status: 200 });
    } catch (e) {
      this.send('SyncReply', (e as Error).message, { UUID: msg.UUID, Status: 400 });
    }
  }

  private onEvents(evs: readonly GraphEvent[]): void {
    const f = this.filter;
    if (f.kind === 'query') {
      this.scheduleRequery();
      return;
    }
    for (const ev of evs) {
      if ('node' in ev) {
        if (f.kind === 'element' && (f.target !== 'V' || !f.match(ev.node))) continue;
        this.send(ev.type, ev.node);
      } else {
        if (f.kind === 'element') {
          if (f.target === 'E' ? !f.match(ev.edge) : !this.endpointsMatch(ev.edge, f.match)) continue;
        }
        this.send(ev.type, ev.edge);
      }
    }
  }

  private endpointsMatch(e: GraphEdge, match: (el: GraphNode) => boolean): boolean {
    // Deleted edges may point at nodes already gone; judge those by the last known state.
    const p = this.store.getNode(e.Parent);
    const c = this.store.getNode(e.Child);
    return (!p || match(p)) && (!c || match(c)) && (p !== undefined || c !== undefined || e.DeletedAt !== undefined);
  }

  private scheduleRequery(): void {
    if (this.requeryTimer) return;
    const wait = Math.max(0, this.lastRequery + REQUERY_INTERVAL_MS - Date.now());
    this.requeryTimer = setTimeout(() => {
      this.requeryTimer = undefined;
      this.lastRequery = Date.now();
      this.requery();
    }, wait);
  }

  private requery(): void {
    if (this.filter.kind !== 'query' || this.ws.readyState !== this.ws.OPEN) return;
    let snap: { Nodes: GraphNode[]; Edges: GraphEdge[] };
    try {
      snap = snapshot(this.store, this.filter);
    } catch (e) {
      this.log.warn({ err: e }, 'subscriber filter failed');
      return;
    }
    const now = new Map<string, { rev: number; edge: boolean }>();
    // Nodes before edges on add, edges before nodes on delete, as a graph replica needs.
    for (const n of snap.Nodes) {
      now.set(n.ID, { rev: n.Revision, edge: false });
      const k = this.known.get(n.ID);
      if (!k) this.send('NodeAdded', n);
      else if (k.rev !== n.Revision) this.send('NodeUpdated', n);
    }
    for (const e of snap.Edges) {
      now.set(e.ID, { rev: e.Revision, edge: true });
      const k = this.known.get(e.ID);
      if (!k) this.send('EdgeAdded', e);
      else if (k.rev !== e.Revision) this.send('EdgeUpdated', e);
    }
    const gone = [...this.known].filter(([id]) => !now.has(id));
    for (const [id, k] of gone) if (k.edge) this.send('EdgeDeleted', this.store.getEdge(id) ?? { ID: id });
    for (const [id, k] of gone) if (!k.edge) this.send('NodeDeleted', this.store.getNode(id) ?? { ID: id });
    this.known = now;
  }

  close(): void {
    this.unsubscribe();
    if (this.requeryTimer) clearTimeout(this.requeryTimer);
    this.requeryTimer = undefined;
  }
}
