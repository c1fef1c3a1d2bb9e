// Gremlin filters of WebSocket subscribers. Simple filters (G.V()/G.E() with Has-style steps) are
// matched per changed element; filters with traversal steps are re-run, debounced.
import type { GraphEdge, GraphNode } from '../../topology/types.ts';

export type SubscriberFilter =
  | { kind: 'all' }
  | { kind: 'element'; target: 'V' | 'E'; match: (el: GraphNode | GraphEdge) => boolean }
  /** Re-run as a whole (debounced); `time` (epoch ms) asks for a past instant. */
  | { kind: 'query'; evaluate: (time?: number) => { nodes: GraphNode[]; edges: GraphEdge[] } };

/** Compiles a filter text; throws an Error with status 400 for a bad filter. */
export type FilterCompiler = (text: string) => SubscriberFilter;
