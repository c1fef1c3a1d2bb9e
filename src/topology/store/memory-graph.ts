// An immutable in-memory view of the graph, used for past instants (At) where the rows come from
// both the live tables and the history table. Metadata is parsed lazily: a snapshot of 100k nodes
// is mostly filtered on Type/Name, which are kept unparsed beside it.
import type { Direction, GraphEdge, GraphNode } from '../types.ts';
import type { GraphReader } from './graph-store.ts';
import { getPath, valueMatches } from '../metadata.ts';

export interface RawRow {
  id: string;
  type?: string | null;
  name?: string | null;
  parent?: string | null;
  child?: string | null;
  relation?: string | null;
  host: string;
  origin: string;
  created_at: number;
  updated_at: number;
  deleted_at?: number | null;
  revision: number;
  metadata: string;
}

export function rowToNode(r: RawRow): GraphNode {
  const n: GraphNode = {
    ID: r.id,
    Metadata: JSON.parse(r.metadata) as GraphNode['Metadata'],
    Host: r.host,
    Origin: r.origin,
    CreatedAt: r.created_at,
    UpdatedAt: r.updated_at,
    Revision: r.revision,
  };
  if (r.deleted_at != null) n.DeletedAt = r.deleted_at;
  return n;
}

export function rowToEdge(r: RawRow): GraphEdge {
  return { ...rowToNode(r), Parent: r.parent ?? '', Child: r.child ?? '' };
}

export class MemoryGraph implements GraphReader {
  private readonly nodeRows = new Map<string, RawRow>();
  private readonly edgeRows = new Map<string, RawRow>();
  private readonly nodeCache = new Map<string, GraphNode>();
  private readonly edgeCache = new Map<string, GraphEdge>();
  private readonly outAdj = new Map<string, string[]>();
  private readonly inAdj = new Map<string, string[]>();
  private readonly byType = new Map<string, string[]>();
  private readonly byName = new Map<string, string[]>();

  constructor(nodes: Iterable<RawRow>, edges: Iterable<RawRow>) {
    const push = (m: Map<string, string[]>, k: string | null | undefined, id: string) => {
      if (k == null) return;
      const l = m.get(k);
      if (l) l.push(id);
      else m.set(k, [id]);
    };
    for (const r of nodes) {
      this.nodeRows.set(r.id, r);
      push(this.byType, r.type, r.id);
      push(this.byName, r.name, r.id);
    }
    for (const r of edges) {
      if (!this.nodeRows.has(r.parent ?? '') || !this.nodeRows.has(r.child ?? '')) continue;
      this.edgeRows.set(r.id, r);
      push(this.outAdj, r.parent, r.id);
      push(this.inAdj, r.child, r.id);
    }
  }

  getNode(id: string): GraphNode | undefined {
    let n = this.nodeCache.get(id);
    if (n) return n;
    const r = this.nodeRows.get(id);
    if (!r) return undefined;
    n = rowToNode(r);
    this.nodeCache.set(id, n);
    return n;
  }

  getEdge(id: string): GraphEdge | undefined {
    let e = this.edgeCache.get(id);
    if (e) return e;
    const r = this.edgeRows.get(id);
    if (!r) return undefined;
    e = rowToEdge(r);
    this.edgeCache.set(id, e);
    return e;
  }

  findNodes(key: string, value: string | number | boolean): GraphNode[] {
    if (key === 'Type' || key === 'Name') {
      const ids = (key === 'Type' ? this.byType : this.byName).get(String(value)) ?? [];
      return ids.map((id) => this.getNode(id)!).filter((n) => valueMatches(n.Metadata[key], value));
    }
    const out: GraphNode[] = [];
    for (const id of this.nodeRows.keys()) {
      const n = this.getNode(id)!;
      if (valueMatches(getPath(n.Metadata, key), value)) out.push(n);
    }
    return out;
  }

  findEdges(key: string, value: string | number | boolean): GraphEdge[] {
    const out: GraphEdge[] = [];
    for (const id of this.edgeRows.keys()) {
      const e = this.getEdge(id)!;
      if (valueMatches(getPath(e.Metadata, key), value)) out.push(e);
    }
    return out;
  }

  allNodes(): GraphNode[] {
    return [...this.nodeRows.keys()].map((id) => this.getNode(id)!);
  }

  allEdges(): GraphEdge[] {
    return [...this.edgeRows.keys()].map((id) => this.getEdge(id)!);
  }

  edgesOf(nodeId: string, dir: Direction): GraphEdge[] {
    const ids: string[] = [];
    if (dir !== 'in') ids.push(...(this.outAdj.get(nodeId) ?? []));
    if (dir !== 'out') ids.push(...(this.inAdj.get(nodeId) ?? []));
    return ids.map((id) => this.getEdge(id)!);
  }

  nodeCount(): number {
    return this.nodeRows.size;
  }

  edgeCount(): number {
    return this.edgeRows.size;
  }
}
