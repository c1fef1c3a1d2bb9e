// The storage interface the rest of Canopy uses. SQLite implements it today; a PostgreSQL
// backend for multi-collector deployments will implement the same interface.
import type { Direction, EdgeInput, GraphEdge, GraphEvent, GraphNode, NodeInput } from '../types.ts';

/** Read access to one consistent view of the graph (live, or as it was at an instant). */
export interface GraphReader {
  getNode(id: string): GraphNode | undefined;
  getEdge(id: string): GraphEdge | undefined;
  /**
   * Nodes whose metadata key (dotted path) equals value (for list-valued keys: contains it).
   * Indexed keys (see INDEXED_KEYS) do not scan; others fall back to a scan.
   */
  findNodes(key: string, value: string | number | boolean): GraphNode[];
  /** Same for edges (RelationType is indexed). */
  findEdges(key: string, value: string | number | boolean): GraphEdge[];
  allNodes(): Iterable<GraphNode>;
  allEdges(): Iterable<GraphEdge>;
  /** Edges touching a node: out = node is Parent, in = node is Child. */
  edgesOf(nodeId: string, dir: Direction): GraphEdge[];
  nodeCount(): number;
  edgeCount(): number;
}

/** Writes inside one transaction; readers never see half of it. */
export interface GraphTx extends GraphReader {
  /** Creates or updates (merging Metadata only when merge=true; otherwise replacing it). */
  upsertNode(input: NodeInput, opts?: { merge?: boolean }): GraphNode | undefined;
  upsertEdge(input: EdgeInput, opts?: { merge?: boolean }): GraphEdge | undefined;
  /** Deletes a node and every edge touching it. Returns false when unknown. */
  deleteNode(id: string, at?: number): boolean;
  deleteEdge(id: string, at?: number): boolean;
  /** Alias table (docs/architecture.md#identity): alias key → canonical ID, persistent. */
  resolveAlias(key: string): string | undefined;
  setAlias(key: string, id: string): void;
}

export type GraphListener = (events: readonly GraphEvent[]) => void;

export interface GraphStore extends GraphReader {
  /** Runs fn in one transaction; change events are delivered after commit, in commit order. */
  write<T>(fn: (tx: GraphTx) => T): T;
  /** The graph as it was at instant t (epoch ms). */
  at(t: number): GraphReader;
  /** Revisions of one element within retention, oldest first, the live one last (DeletedAt on the final one when deleted). */
  historyOf(id: string): (GraphNode | GraphEdge)[];
  /**
   * Elements that changed within (from, to] (added, updated or deleted): for each, its revisions valid at
   * some instant of [from, to] (the one valid at `from` first, when there was one), oldest first,
   * grouped by element; a deletion is the revision carrying DeletedAt. One indexed read, not one per element.
   */
  revisionsBetween(from: number, to: number): (GraphNode | GraphEdge)[];
  /** Subscribes to the change feed; returns an unsubscribe function. */
  subscribe(listener: GraphListener): () => void;
  resolveAlias(key: string): string | undefined;
  /** IDs of live elements written by one origin (publisher Sync, DeleteOnDisconnect). */
  idsByOrigin(origin: string): { nodes: string[]; edges: string[] };
  /** Removes archived revisions and deleted elements older than the cut-off (epoch ms). */
  prune(olderThan: number): { nodes: number; edges: number };
  close(): void;
}

/** Metadata keys kept in an index table (plus Type and Name, which are columns). */
export const INDEXED_KEYS = [
  'MAC',
  'IPV4',
  'IPV6',
  'IfIndex',
  'MgmtAddress',
  'LLDP.ChassisID',
  'K8s.Name',
  'K8s.Namespace',
  'Role',
] as const;
