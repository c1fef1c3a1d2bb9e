// An indexed in-memory graph: what a network backend answers reads from (docs/architecture.md,
// "Reads are synchronous"). Type, Name and INDEXED_KEYS are indexed by typed value (7 and '7' stay
// apart), edges by RelationType and by end; other keys scan, as on SQLite.
import type { Direction, GraphEdge, GraphNode } from '../types.ts';
import type { GraphReader } from './graph-store.ts';
import { INDEXED_KEYS } from './graph-store.ts';
import { getPath, indexValues, valueMatches } from '../metadata.ts';

const NODE_KEYS = ['Type', 'Name', ...INDEXED_KEYS];
const vkey = (v: string | number) => (typeof v === 'number' ? `n${v}` : `s${v}`);
const lookupKey = (v: string | number | boolean) => vkey(typeof v === 'boolean' ? String(v) : v);

type Index = Map<string, Map<string, Set<string>>>;

function add(ix: Index, key: string, v: string, id: string): void {
  let m = ix.get(key);
  if (!m) ix.set(key, (m = new Map()));
  let s = m.get(v);
  if (!s) m.set(v, (s = new Set()));
  s.add(id);
}

function remove(ix: Index, key: string, v: string, id: string): void {
  const m = ix.get(key);
  const s = m?.get(v);
  if (!s) return;
  s.delete(id);
  if (s.size === 0) m!.delete(v);
}

export class MemoryGraph implements GraphReader {
  readonly nodes = new Map<string, GraphNode>();
  readonly edges = new Map<string, GraphEdge>();
  private readonly ix: Index = new Map();
  private readonly out = new Map<string, Set<string>>();
  private readonly in = new Map<string, Set<string>>();

  private indexNode(n: GraphNode, on: boolean): void {
    for (const key of NODE_KEYS) {
      const v = getPath(n.Metadata, key);
      if (v === undefined) continue;
      for (const x of indexValues(v)) (on ? add : remove)(this.ix, key, vkey(x), n.ID);
    }
  }

  private indexEdge(e: GraphEdge, on: boolean): void {
    const rel = e.Metadata.RelationType;
    if (typeof rel === 'string') (on ? add : remove)(this.ix, '@rel', rel, e.ID);
    const ends: [Map<string, Set<string>>, string][] = [
      [this.out, e.Parent],
      [this.in, e.Child],
    ];
    for (const [m, end] of ends) {
      let s = m.get(end);
      if (on) {
        if (!s) m.set(end, (s = new Set()));
        s.add(e.ID);
      } else if (s) {
        s.delete(e.ID);
        if (s.size === 0) m.delete(end);
      }
    }
  }

  /** Puts (or replaces) a node; returns the one it replaced. */
  setNode(n: GraphNode): GraphNode | undefined {
    const old = this.nodes.get(n.ID);
    if (old) this.indexNode(old, false);
    this.nodes.set(n.ID, n);
    this.indexNode(n, true);
    return old;
  }

  removeNode(id: string): GraphNode | undefined {
    const old = this.nodes.get(id);
    if (!old) return undefined;
    this.indexNode(old, false);
    this.nodes.delete(id);
    return old;
  }

  setEdge(e: GraphEdge): GraphEdge | undefined {
    const old = this.edges.get(e.ID);
    if (old) this.indexEdge(old, false);
    this.edges.set(e.ID, e);
    this.indexEdge(e, true);
    return old;
  }

  removeEdge(id: string): GraphEdge | undefined {
    const old = this.edges.get(id);
    if (!old) return undefined;
    this.indexEdge(old, false);
    this.edges.delete(id);
    return old;
  }

  getNode(id: string): GraphNode | undefined {
    return this.nodes.get(id);
  }

  getEdge(id: string): GraphEdge | undefined {
    return this.edges.get(id);
  }

  findNodes(key: string, value: string | number | boolean): GraphNode[] {
    if (!NODE_KEYS.includes(key)) return [...this.nodes.values()].filter((n) => valueMatches(getPath(n.Metadata, key), value));
    const ids = this.ix.get(key)?.get(lookupKey(value));
    const out: GraphNode[] = [];
    for (const id of ids ?? []) {
      const n = this.nodes.get(id)!;
      if (valueMatches(getPath(n.Metadata, key), value)) out.push(n);
    }
    return out;
  }

  findEdges(key: string, value: string | number | boolean): GraphEdge[] {
    if (key === 'RelationType' && typeof value === 'string')
      return [...(this.ix.get('@rel')?.get(value) ?? [])].map((id) => this.edges.get(id)!);
    return [...this.edges.values()].filter((e) => valueMatches(getPath(e.Metadata, key), value));
  }

  allNodes(): Iterable<GraphNode> {
    return this.nodes.values();
  }

  allEdges(): Iterable<GraphEdge> {
    return this.edges.values();
  }

  edgesOf(nodeId: string, dir: Direction): GraphEdge[] {
    const out: GraphEdge[] = [];
    if (dir !== 'in') for (const id of this.out.get(nodeId) ?? []) out.push(this.edges.get(id)!);
    if (dir !== 'out') for (const id of this.in.get(nodeId) ?? []) out.push(this.edges.get(id)!);
    return out;
  }

  nodeCount(): number {
    return this.nodes.size;
  }

  edgeCount(): number {
    return this.edges.size;
  }
}
