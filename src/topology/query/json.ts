// Result shapes as Skydive's API returns them (docs/architecture.md#http-api): nodes carry ID, Metadata, Host, Origin,
// CreatedAt, UpdatedAt, Revision (DeletedAt when set); edges add Parent and Child.
import type { GraphEdge, GraphNode } from '../types.ts';

/** The element's own fields only (readers may hand out richer objects). */
export type NodeJson = GraphNode;
export type EdgeJson = GraphEdge;

export function nodeJson(n: GraphNode): NodeJson {
  const o: NodeJson = {
    ID: n.ID,
    Metadata: n.Metadata,
    Host: n.Host,
    Origin: n.Origin,
    CreatedAt: n.CreatedAt,
    UpdatedAt: n.UpdatedAt,
    Revision: n.Revision,
  };
  if (n.DeletedAt !== undefined && n.DeletedAt !== null) o.DeletedAt = n.DeletedAt;
  return o;
}

export function edgeJson(e: GraphEdge): EdgeJson {
  return { ...nodeJson(e), Parent: e.Parent, Child: e.Child };
}

export type QueryResult =
  | { kind: 'nodes'; value: NodeJson[] }
  | { kind: 'edges'; value: EdgeJson[] }
  | { kind: 'count'; value: number }
  /** Values(k) and Keys(). */
  | { kind: 'values'; value: unknown[] }
  /** ShortestPathTo: one list of nodes per source that reaches a target, source first. */
  | { kind: 'paths'; value: NodeJson[][] }
  /** SubGraph: a one-element list holding {Nodes, Edges}, as Skydive marshals a graph. */
  | { kind: 'graph'; value: [{ Nodes: NodeJson[]; Edges: EdgeJson[] }] }
  /** Flows(): flow rows (the /api/flows shape). */
  | { kind: 'flows'; value: Record<string, unknown>[] }
  /** Metrics()/Aggregates(): [{ nodeID: [InterfaceMetric…] }], or [] (Skydive's shape). */
  | { kind: 'metrics'; value: Record<string, unknown[]>[] }
  /** Sockets(): [{ nodeID or flow UUID: [socket…] }], always one map (Skydive's shape). */
  | { kind: 'sockets'; value: [Record<string, unknown[]>] };
