// /api/topology: the whole graph, or a Gremlin query's result (JSON or Graphviz DOT).
import type { Context } from 'hono';
import type { ApiApp, ApiDeps, ApiEnv } from '../app.ts';
import { json, problem } from '../problem.ts';
import { elementsOf, toDot } from '../dot.ts';

function wantsDot(c: Context<ApiEnv>): boolean {
  return (c.req.header('accept') ?? '').includes('text/vnd.graphviz');
}

export function registerTopologyRoutes(app: ApiApp, deps: ApiDeps): void {
  const answer = (c: Context<ApiEnv>, query: string | undefined) => {
    if (query === undefined) {
      const Nodes = [...deps.store.allNodes()];
      const Edges = [...deps.store.allEdges()];
      if (wantsDot(c)) return c.body(toDot(Nodes, Edges), 200, { 'Content-Type': 'text/vnd.graphviz' });
      return json(c, { Nodes, Edges });
    }
    if (query.trim() === '') return c.body(null, 204);
    let result: unknown;
    try {
      result = deps.query(query);
    } catch (e) {
      const err = e as Error & { status?: number; position?: number; expected?: string };
      if (err.status && err.status >= 400 && err.status < 500) {
        return problem(c, err.status as 400, 'Bad Gremlin query', err.message, {
          ...(err.position !== undefined ? { position: err.position } : {}),
          ...(err.expected !== undefined ? { expected: err.expected } : {}),
        });
      }
      throw e;
    }
    if (wantsDot(c)) {
      const els = elementsOf(result);
      if (!els) return problem(c, 406, 'Not Acceptable', 'this query result is not a graph; ask for application/json');
      return c.body(toDot(els.nodes, els.edges), 200, { 'Content-Type': 'text/vnd.graphviz' });
    }
    return json(c, result);
  };

  app.get('/api/topology', (c) => answer(c, c.req.query('q') ?? c.req.query('GremlinQuery')));
  app.post('/api/topology', async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return problem(c, 400, 'Bad Request', 'the body must be JSON: {"GremlinQuery": "G.V()…"}');
    }
    const q = (body as { GremlinQuery?: unknown } | null)?.GremlinQuery;
    if (q !== undefined && typeof q !== 'string') return problem(c, 400, 'Bad Request', 'GremlinQuery must be a string');
    return answer(c, q ?? '');
  });
}
