// At(t, duration): Skydive returns every element alive at any point of [t - duration, t]. The store
// exposes instants only, so the window is approximated by the union of the graph at both ends:
// elements alive at either end are included (the later revision wins); an element created and
// deleted strictly inside the window is missed.
import type { GraphReader } from '../store/graph-store.ts';
import type { Direction, GraphEdge, GraphNode } from '../types.ts';

function union<T extends { ID: string }>(later: T[], earlier: T[]): T[] {
  if (earlier.length === 0) return later;
  const seen = new Set(later.map((x) => x.ID));
  const out = later.slice();
  for (const x of earlier) if (!seen.has(x.ID)) out.push(x);
  return out;
}

export class UnionReader implements GraphReader {
  constructor(
    private readonly later: GraphReader,
    private readonly earlier: GraphReader,
  ) {}

  getNode(id: string): GraphNode | undefined {
    return this.later.getNode(id) ?? this.earlier.getNode(id);
  }
  getEdge(id: string): GraphEdge | undefined {
    return this.later.getEdge(id) ?? this.earlier.getEdge(id);
  }
  findNodes(key: string, value: string | number | boolean): GraphNode[] {
    return union(this.later.findNodes(key, value), this.earlier.findNodes(key, value));
  }
  findEdges(key: string, value: string | number | boolean): GraphEdge[] {
    return union(this.later.findEdges(key, value), this.earlier.findEdges(key, value));
  }
  allNodes(): GraphNode[] {
    return union([...this.later.allNodes()], [...this.earlier.allNodes()]);
  }
  allEdges(): GraphEdge[] {
    return union([...this.later.allEdges()], [...this.earlier.allEdges()]);
  }
  edgesOf(nodeId: string, dir: Direction): GraphEdge[] {
    return union(this.later.edgesOf(nodeId, dir), this.earlier.edgesOf(nodeId, dir));
  }
  nodeCount(): number {
    return this.allNodes().length;
  }
  edgeCount(): number {
    return this.allEdges().length;
  }
}
