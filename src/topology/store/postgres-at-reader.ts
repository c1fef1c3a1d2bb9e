// The graph at a past instant t on PostgreSQL, without reloading it: the collector holds the live
// graph in memory, so only what changed since t comes from the server — the archived revisions
// valid at t (history rows with valid_from <= t < valid_to, found through the valid_to index). An
// element is at t either that archived revision or, unchanged since t, its live self (the rule
// SQLite's reader applies in SQL). Queries cost about what live ones do plus one indexed read.
import type { Direction, GraphEdge, GraphNode } from '../types.ts';
import type { GraphReader } from './graph-store.ts';
import { getPath, valueMatches } from '../metadata.ts';

export class PostgresAtReader implements GraphReader {
  private readonly nodes = new Map<string, GraphNode>();
  private readonly edges = new Map<string, GraphEdge>();

  constructor(
    private readonly live: GraphReader,
    private readonly t: number,
    archived: { nodes: GraphNode[]; edges: GraphEdge[] },
  ) {
    for (const n of archived.nodes) this.nodes.set(n.ID, n);
    for (const e of archived.edges) this.edges.set(e.ID, e);
  }

  private unchanged<T extends GraphNode | GraphEdge>(x: T | undefined, archived: Map<string, T>): T | undefined {
    return x && x.UpdatedAt <= this.t && !archived.has(x.ID) ? x : undefined;
  }

  getNode(id: string): GraphNode | undefined {
    return this.nodes.get(id) ?? this.unchanged(this.live.getNode(id), this.nodes);
  }

  /** An edge is only part of the graph at t when both its nodes are. */
  private whole(e: GraphEdge): boolean {
    return this.getNode(e.Parent) !== undefined && this.getNode(e.Child) !== undefined;
  }

  getEdge(id: string): GraphEdge | undefined {
    const e = this.edges.get(id) ?? this.unchanged(this.live.getEdge(id), this.edges);
    return e && this.whole(e) ? e : undefined;
  }

  findNodes(key: string, value: string | number | boolean): GraphNode[] {
    const out = this.live.findNodes(key, value).filter((n) => this.unchanged(n, this.nodes));
    for (const n of this.nodes.values()) if (valueMatches(getPath(n.Metadata, key), value)) out.push(n);
    return out;
  }

  findEdges(key: string, value: string | number | boolean): GraphEdge[] {
    const out = this.live.findEdges(key, value).filter((e) => this.unchanged(e, this.edges));
    for (const e of this.edges.values()) if (valueMatches(getPath(e.Metadata, key), value)) out.push(e);
    return out.filter((e) => this.whole(e));
  }

  *allNodes(): Iterable<GraphNode> {
    for (const n of this.live.allNodes()) if (this.unchanged(n, this.nodes)) yield n;
    yield* this.nodes.values();
  }

  *allEdges(): Iterable<GraphEdge> {
    for (const e of this.live.allEdges()) if (this.unchanged(e, this.edges) && this.whole(e)) yield e;
    for (const e of this.edges.values()) if (this.whole(e)) yield e;
  }

  edgesOf(nodeId: string, dir: Direction): GraphEdge[] {
    const out = this.live.edgesOf(nodeId, dir).filter((e) => this.unchanged(e, this.edges));
    for (const e of this.edges.values()) if ((dir !== 'in' && e.Parent === nodeId) || (dir !== 'out' && e.Child === nodeId)) out.push(e);
    return out.filter((e) => this.whole(e));
  }

  nodeCount(): number {
    let c = 0;
    for (const _ of this.allNodes()) c++;
    return c;
  }

  edgeCount(): number {
    let c = 0;
    for (const _ of this.allEdges()) c++;
    return c;
  }
}
