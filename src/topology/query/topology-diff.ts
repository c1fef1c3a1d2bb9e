// The graph at one instant against the graph at another (G.At(t1) vs G.At(t2)): added, removed and
// changed nodes and edges, each change as the metadata keys (dotted paths) with old and new values.
// Only elements the store says changed in (from, to] are compared, so the cost follows the changes,
// not the size of the graph.
import type { GraphStore } from '../store/graph-store.ts';
import { isEdge, type GraphEdge, type GraphNode, type Metadata } from '../types.ts';
import { groupRevisions, stateAt } from './changes.ts';

export interface KeyChange {
  Key: string;
  Old?: unknown;
  New?: unknown;
}

export interface ChangedElement {
  ID: string;
  Type: string;
  Name?: string;
  Parent?: string;
  Child?: string;
  Keys: KeyChange[];
}

export interface TopologyDiff {
  From: number;
  To: number;
  Nodes: { Added: GraphNode[]; Removed: GraphNode[]; Changed: ChangedElement[] };
  Edges: { Added: GraphEdge[]; Removed: GraphEdge[]; Changed: ChangedElement[] };
}

const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Leaf-by-leaf comparison of two metadata objects; arrays compare whole. */
export function metadataChanges(a: Metadata, b: Metadata, prefix = '', out: KeyChange[] = []): KeyChange[] {
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[k];
    const y = b[k];
    const key = prefix + k;
    if (isPlain(x) && isPlain(y)) metadataChanges(x, y, key + '.', out);
    else if (JSON.stringify(x) !== JSON.stringify(y)) {
      const c: KeyChange = { Key: key };
      if (x !== undefined) c.Old = x;
      if (y !== undefined) c.New = y;
      out.push(c);
    }
  }
  return out;
}

export function topologyDiff(store: GraphStore, from: number, to: number): TopologyDiff {
  const diff: TopologyDiff = {
    From: from,
    To: to,
    Nodes: { Added: [], Removed: [], Changed: [] },
    Edges: { Added: [], Removed: [], Changed: [] },
  };
  for (const list of groupRevisions(store.revisionsBetween(from, to)).values()) {
    const before = stateAt(list, from);
    const after = stateAt(list, to);
    const el = after ?? before;
    if (!el) continue; // came and went within the window
    const part = isEdge(el) ? diff.Edges : diff.Nodes;
    const strip = <T extends GraphNode>(x: T): T => {
      const { DeletedAt: _d, ...rest } = x;
      return rest as T;
    };
    if (!before) part.Added.push(strip(after!));
    else if (!after) part.Removed.push(strip(before));
    else {
      const keys = metadataChanges(before.Metadata, after.Metadata);
      if (isEdge(before) && isEdge(after)) {
        if (before.Parent !== after.Parent) keys.push({ Key: 'Parent', Old: before.Parent, New: after.Parent });
        if (before.Child !== after.Child) keys.push({ Key: 'Child', Old: before.Child, New: after.Child });
      }
      if (keys.length === 0) continue; // changed and changed back
      const c: ChangedElement = { ID: el.ID, Type: String((isEdge(el) ? el.Metadata.RelationType : el.Metadata.Type) ?? ''), Keys: keys };
      if (typeof el.Metadata.Name === 'string') c.Name = el.Metadata.Name;
      if (isEdge(el)) {
        c.Parent = el.Parent;
        c.Child = el.Child;
      }
      part.Changed.push(c);
    }
  }
  const byId = (x: { ID: string }, y: { ID: string }) => x.ID.localeCompare(y.ID);
  for (const p of [diff.Nodes, diff.Edges]) {
    p.Added.sort(byId);
    p.Removed.sort(byId);
    p.Changed.sort(byId);
  }
  return diff;
}
