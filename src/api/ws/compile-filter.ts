// WebSocket subscriber filters from query text: a simple element filter when the query is one,
// else a query re-run against the store for each change.
import type { GraphStore } from '../../topology/store/graph-store.ts';
import type { GraphEdge, GraphNode } from '../../topology/types.ts';
import { compileElementFilter, parseQuery, runQuery } from '../../topology/query/index.ts';
import type { QueryResult } from '../../topology/query/index.ts';
import type { SubscriberFilter } from './filter.ts';

function elements(r: QueryResult): { nodes: GraphNode[]; edges: GraphEdge[] } {
  switch (r.kind) {
    case 'nodes':
      return { nodes: r.value, edges: [] };
    case 'edges':
      return { nodes: [], edges: r.value };
    case 'graph':
      return { nodes: r.value[0].Nodes, edges: r.value[0].Edges };
    case 'paths': {
      const nodes = new Map<string, GraphNode>();
      for (const p of r.value) for (const n of p) nodes.set(n.ID, n);
      return { nodes: [...nodes.values()], edges: [] };
    }
    default:
      return { nodes: [], edges: [] };
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
        elements(
          runQuery(
            store,
            time === undefined ? ast : { ...ast, time: { at: { kind: 'absolute', ms: time }, durationMs: 0, pos: 0 } },
            limits,
          ),
        ),
    };
  };
}
