// Graph element shapes (Skydive-compatible JSON field names, docs/architecture.md#the-graph).

export type Metadata = Record<string, unknown>;

export interface GraphNode {
  ID: string;
  Metadata: Metadata;
  Host: string;
  Origin: string;
  CreatedAt: number;
  UpdatedAt: number;
  DeletedAt?: number;
  Revision: number;
}

export interface GraphEdge extends GraphNode {
  Parent: string;
  Child: string;
}

export type GraphElement = GraphNode | GraphEdge;

export function isEdge(e: GraphElement): e is GraphEdge {
  return typeof (e as GraphEdge).Parent === 'string' && typeof (e as GraphEdge).Child === 'string';
}

/** What a writer hands the store: ID and bookkeeping fields are optional, the store fills them. */
export interface NodeInput {
  ID: string;
  Metadata: Metadata;
  Host?: string;
  Origin?: string;
  CreatedAt?: number;
  UpdatedAt?: number;
  /** When given, a write carrying an older revision than the stored one is ignored. */
  Revision?: number;
}

export interface EdgeInput extends NodeInput {
  Parent: string;
  Child: string;
}

export type GraphEventType = 'NodeAdded' | 'NodeUpdated' | 'NodeDeleted' | 'EdgeAdded' | 'EdgeUpdated' | 'EdgeDeleted';

export type GraphEvent =
  | { type: 'NodeAdded' | 'NodeUpdated' | 'NodeDeleted'; seq: number; node: GraphNode }
  | { type: 'EdgeAdded' | 'EdgeUpdated' | 'EdgeDeleted'; seq: number; edge: GraphEdge };

export type Direction = 'out' | 'in' | 'both';
