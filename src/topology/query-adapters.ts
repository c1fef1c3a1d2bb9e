// Glue between the query engine and its two API consumers: the REST query runner and the
// WebSocket subscriber filters.
import type { GraphStore } from './store/graph-store.ts';
import type { GraphEdge, GraphNode } from './types.ts';
import { compileElementFilter, parseQuery, runQuery } from './query/index.ts';
import type { QueryResult } from './query/index.ts';
import type { FlowSource } from './query/context.ts';
import type { SubscriberFilter } from '../api/ws/filter.ts';

export function makeQueryRunner(store: GraphStore, limits: { maxResults: number; timeoutMs: number }, flows?: FlowSource) {
  return (q: string): unknown => runQuery(store, q, { ...limits, flows }).value;
}

function elements(r: QueryResult): { nodes: GraphNode[]; edges: GraphEdge[] } {
  switch (r.kind) {
    case 'nodes': return { nodes: r.value, edges: [] };
    case 'edges': return { nodes: [], edges: r.value };
    case 'graph': return { nodes: r.value[0].Nodes, edges: r.value[0].Edges };
    case 'paths': {
      const nodes = new Map<string, GraphNode>();
      for (const p of r.value) for (const n of p) nodes.set(n.ID, n);
      return { nodes: [...nodes.values()], edges: [] };
    }
    default: return { nodes: [], edges: [] };
  }
}

export function makeFilterCompiler(store: GraphStore, limits: { maxResults: number; timeoutMs: number }) {
  return (text: string): SubscriberFilter => {
    const ast = parseQuery(text);
    const simple = compileElementFilter(ast);
    if (simple.simple) return { kind: 'element', target: simple.elements === 'nodes' ? 'V' : 'E', match: simple.match };
    return {
      kind: 'query',
      evaluate: (time?: number) =>
        elements(runQuery(store, time === undefined ? ast : { ...ast, time: { at: { kind: 'absolute', ms: time }, durationMs: 0, pos: 0 } }, limits)),
    };
  };
}
