// Rows of the nodes/edges/history tables and their conversion to graph elements.
import type { GraphEdge, GraphNode } from '../types.ts';

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
