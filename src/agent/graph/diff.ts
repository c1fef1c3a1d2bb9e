// Increments between two builds of the agent's sub-graph: what /ws/agent's Publisher applies
// (NodeAdded/NodeUpdated upsert, *Deleted remove). Nodes before the edges that need them; edges
// gone before the nodes they hang from.
import type { OutEdge, OutNode, SubGraph } from './build.ts';

export interface GraphEventOut {
  Type: 'NodeAdded' | 'NodeUpdated' | 'NodeDeleted' | 'EdgeAdded' | 'EdgeUpdated' | 'EdgeDeleted';
  Obj: OutNode | OutEdge | { ID: string };
}

// Key by key, by reference first: unchanged parts (a host's 1,000 Sockets) are the same objects
// from one build to the next, so only values that may differ are serialised.
function same(a: OutNode | OutEdge, b: OutNode | OutEdge): boolean {
  if (a === b) return true;
  if ((a as OutEdge).Parent !== (b as OutEdge).Parent || (a as OutEdge).Child !== (b as OutEdge).Child) return false;
  const ka = Object.keys(a.Metadata);
  if (ka.length !== Object.keys(b.Metadata).length) return false;
  for (const k of ka) {
    const x = a.Metadata[k];
    const y = b.Metadata[k];
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (JSON.stringify(x) !== JSON.stringify(y)) return false;
  }
  return true;
}

export function diffGraphs(prev: SubGraph, next: SubGraph): GraphEventOut[] {
  const out: GraphEventOut[] = [];
  for (const [id, n] of next.nodes) {
    const p = prev.nodes.get(id);
    if (!p) out.push({ Type: 'NodeAdded', Obj: n });
    else if (!same(p, n)) out.push({ Type: 'NodeUpdated', Obj: n });
  }
  for (const [id, e] of next.edges) {
    const p = prev.edges.get(id);
    if (!p) out.push({ Type: 'EdgeAdded', Obj: e });
    else if (!same(p, e)) out.push({ Type: 'EdgeUpdated', Obj: e });
  }
  for (const id of prev.edges.keys()) if (!next.edges.has(id)) out.push({ Type: 'EdgeDeleted', Obj: { ID: id } });
  for (const id of prev.nodes.keys()) if (!next.nodes.has(id)) out.push({ Type: 'NodeDeleted', Obj: { ID: id } });
  return out;
}

export const emptyGraph = (): SubGraph => ({ nodes: new Map(), edges: new Map() });
