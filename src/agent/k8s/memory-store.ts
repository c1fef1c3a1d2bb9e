// A thin in-memory GraphStore for the agent's Kubernetes probe (docs/architecture.md#agent): the
// probe writes the cluster's objects here exactly as it writes the collector's store, and the agent
// publishes what it holds as part of its sub-graph. Nodes and edges are kept as the objects the
// agent sends, replaced (never mutated) on change, so the agent's diff skips unchanged ones by
// reference. No history, no aliases: the collector keeps those for everything it receives.
import type { GraphReader, GraphStore, GraphTx, GraphListener } from '../../topology/store/graph-store.ts';
import type { Direction, EdgeInput, GraphEdge, GraphEvent, GraphNode, Metadata, NodeInput } from '../../topology/types.ts';
import { getPath } from '../../topology/metadata.ts';

const sameJson = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);

export class MemoryGraphStore implements GraphStore, GraphTx {
  readonly nodes = new Map<string, GraphNode>();
  readonly edges = new Map<string, GraphEdge>();
  private readonly touching = new Map<string, Set<string>>();
  private readonly listeners = new Set<GraphListener>();
  private pending: GraphEvent[] | null = null;
  private seq = 0;

  constructor(private readonly now: () => number = Date.now) {}

  write<T>(fn: (tx: GraphTx) => T): T {
    if (this.pending) return fn(this);
    this.pending = [];
    let events: GraphEvent[];
    try {
      return fn(this);
    } finally {
      events = this.pending;
      this.pending = null;
      // Like the real store: listeners hear of a write once it is done, in one batch.
      if (events.length) for (const l of this.listeners) l(events);
    }
  }

  private emit(ev: { type: GraphEvent['type']; node?: GraphNode; edge?: GraphEdge }): void {
    (this.pending ?? []).push({ ...ev, seq: ++this.seq } as GraphEvent);
  }

  private next<T extends GraphNode>(existing: T | undefined, input: NodeInput, merge: boolean, extra: Partial<T>): T | undefined {
    const now = input.UpdatedAt ?? this.now();
    const md: Metadata = merge && existing ? { ...existing.Metadata, ...input.Metadata } : input.Metadata;
    if (
      existing &&
      sameJson(existing.Metadata, md) &&
      (input.Host ?? existing.Host) === existing.Host &&
      (input.Origin ?? existing.Origin) === existing.Origin
    )
      return undefined;
    return {
      ID: input.ID,
      Metadata: md,
      Host: input.Host ?? existing?.Host ?? '',
      Origin: input.Origin ?? existing?.Origin ?? '',
      CreatedAt: existing?.CreatedAt ?? input.CreatedAt ?? now,
      UpdatedAt: now,
      Revision: (existing?.Revision ?? 0) + 1,
      ...extra,
    } as T;
  }

  upsertNode(input: NodeInput, opts: { merge?: boolean } = {}): GraphNode | undefined {
    const existing = this.nodes.get(input.ID);
    const n = this.next(existing, input, opts.merge ?? false, {});
    if (!n) return undefined;
    this.nodes.set(n.ID, n);
    this.emit({ type: existing ? 'NodeUpdated' : 'NodeAdded', node: n });
    return n;
  }

  upsertEdge(input: EdgeInput, opts: { merge?: boolean } = {}): GraphEdge | undefined {
    if (!this.nodes.has(input.Parent)) throw new Error(`edge ${input.ID}: parent node ${input.Parent} does not exist`);
    if (!this.nodes.has(input.Child)) throw new Error(`edge ${input.ID}: child node ${input.Child} does not exist`);
    const existing = this.edges.get(input.ID);
    const e = this.next<GraphEdge>(existing, input, opts.merge ?? false, { Parent: input.Parent, Child: input.Child });
    if (!e) return undefined;
    if (existing) this.untouch(existing);
    this.edges.set(e.ID, e);
    for (const end of [e.Parent, e.Child]) {
      let s = this.touching.get(end);
      if (!s) this.touching.set(end, (s = new Set()));
      s.add(e.ID);
    }
    this.emit({ type: existing ? 'EdgeUpdated' : 'EdgeAdded', edge: e });
    return e;
  }

  private untouch(e: GraphEdge): void {
    for (const end of [e.Parent, e.Child]) {
      const s = this.touching.get(end);
      s?.delete(e.ID);
      if (s?.size === 0) this.touching.delete(end);
    }
  }

  deleteNode(id: string): boolean {
    const n = this.nodes.get(id);
    if (!n) return false;
    for (const eid of [...(this.touching.get(id) ?? [])]) this.deleteEdge(eid);
    this.nodes.delete(id);
    this.emit({ type: 'NodeDeleted', node: n });
    return true;
  }

  deleteEdge(id: string): boolean {
    const e = this.edges.get(id);
    if (!e) return false;
    this.untouch(e);
    this.edges.delete(id);
    this.emit({ type: 'EdgeDeleted', edge: e });
    return true;
  }

  getNode(id: string): GraphNode | undefined {
    return this.nodes.get(id);
  }

  getEdge(id: string): GraphEdge | undefined {
    return this.edges.get(id);
  }

  private static matches(md: Metadata, key: string, value: string | number | boolean): boolean {
    const v = getPath(md, key);
    return Array.isArray(v) ? v.includes(value) : v === value;
  }

  findNodes(key: string, value: string | number | boolean): GraphNode[] {
    return [...this.nodes.values()].filter((n) => MemoryGraphStore.matches(n.Metadata, key, value));
  }

  findEdges(key: string, value: string | number | boolean): GraphEdge[] {
    return [...this.edges.values()].filter((e) => MemoryGraphStore.matches(e.Metadata, key, value));
  }

  allNodes(): Iterable<GraphNode> {
    return this.nodes.values();
  }

  allEdges(): Iterable<GraphEdge> {
    return this.edges.values();
  }

  edgesOf(nodeId: string, dir: Direction): GraphEdge[] {
    const out: GraphEdge[] = [];
    for (const id of this.touching.get(nodeId) ?? []) {
      const e = this.edges.get(id)!;
      if (dir === 'both' || (dir === 'out' ? e.Parent === nodeId : e.Child === nodeId)) out.push(e);
    }
    return out;
  }

  nodeCount(): number {
    return this.nodes.size;
  }

  edgeCount(): number {
    return this.edges.size;
  }

  /** No history is kept: the graph as it is now. */
  at(): GraphReader {
    return this;
  }

  historyOf(id: string): (GraphNode | GraphEdge)[] {
    const x = this.nodes.get(id) ?? this.edges.get(id);
    return x ? [x] : [];
  }

  /** No history is kept: the live elements last written within (from, to]. */
  revisionsBetween(from: number, to: number): (GraphNode | GraphEdge)[] {
    return [...this.nodes.values(), ...this.edges.values()].filter((x) => x.UpdatedAt > from && x.UpdatedAt <= to);
  }

  subscribe(listener: GraphListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  resolveAlias(): string | undefined {
    return undefined;
  }

  setAlias(): void {
    // Aliases are the collector's (its identity table): nothing to keep here.
  }

  idsByOrigin(origin: string): { nodes: string[]; edges: string[] } {
    return {
      nodes: [...this.nodes.values()].filter((n) => n.Origin === origin).map((n) => n.ID),
      edges: [...this.edges.values()].filter((e) => e.Origin === origin).map((e) => e.ID),
    };
  }

  prune(): { nodes: number; edges: number } {
    return { nodes: 0, edges: 0 };
  }

  close(): void {
    this.listeners.clear();
  }
}
