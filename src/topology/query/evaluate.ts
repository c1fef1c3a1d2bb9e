// Query entry points: parseQuery (text → validated AST) and runQuery (parse + evaluate against a
// GraphStore, live or at a past instant, within result/visit/time limits).
import type { GraphReader, GraphStore } from '../store/graph-store.ts';
import type { Ast } from './ast.ts';
import { DEFAULT_LIMITS, EvalContext, type FlowSource, type Limits } from './context.ts';
import { QueryError } from './errors.ts';
import { edgeJson, nodeJson, type QueryResult } from './json.ts';
import { parseRaw } from './parser.ts';
import { sourceEdges, sourceNodes } from './source.ts';
import { applyStep, flowsOf, type State } from './steps.ts';
import { resolveInstant } from './time-spec.ts';
import { UnionReader } from './union-reader.ts';
import { validate } from './validate.ts';
import { metricsJson, type MetricSource } from './metrics-steps.ts';

export interface RunOptions {
  /** "Now" for relative At() times (epoch ms); defaults to Date.now(). */
  now?: number;
  maxResults?: number;
  maxVisited?: number;
  timeoutMs?: number;
  /** Where Flows() reads from (the collector's flow store). */
  flows?: FlowSource;
  /** Where Metrics() reads a time window's series from (the port series store). */
  metrics?: MetricSource;
}

export function parseQuery(text: string): Ast {
  return validate(parseRaw(text));
}

/** The reader a query runs against: live, one past instant, or a window (union of both ends). */
export function readerFor(store: GraphStore, ast: Ast, now: number): GraphReader {
  const spec = ast.time;
  if (!spec) return store;
  const at = (t: number): GraphReader => (t >= now ? store : store.at(t));
  const t = resolveInstant(spec, now);
  if (spec.durationMs === 0) return at(t);
  return new UnionReader(at(t), at(t - spec.durationMs));
}

export function runQuery(store: GraphStore, query: string | Ast, opts: RunOptions = {}): QueryResult {
  const startedAt = performance.now();
  const ast = typeof query === 'string' ? parseQuery(query) : query;
  const limits: Limits = {
    maxResults: opts.maxResults ?? DEFAULT_LIMITS.maxResults,
    maxVisited: opts.maxVisited ?? DEFAULT_LIMITS.maxVisited,
    timeoutMs: opts.timeoutMs ?? DEFAULT_LIMITS.timeoutMs,
  };
  const now = opts.now ?? Date.now();
  const ctx = new EvalContext(readerFor(store, ast, now), limits, startedAt, opts.flows, opts.metrics);
  if (ast.time && ast.time.durationMs > 0) {
    const t = resolveInstant(ast.time, now);
    ctx.timeSlice = { from: t - ast.time.durationMs, to: t };
  }
  let state: State =
    ast.source.kind === 'V'
      ? { kind: 'nodes', items: sourceNodes(ast, ctx) }
      : ast.source.kind === 'E'
        ? { kind: 'edges', items: sourceEdges(ast, ctx) }
        : { kind: 'flows', items: flowsOf(ctx, undefined, ast.source.pos) };
  for (const step of ast.steps) state = applyStep(ctx, state, step);
  return shape(state, limits.maxResults);
}

function shape(s: State, maxResults: number): QueryResult {
  const size =
    s.kind === 'count' || s.kind === 'metrics'
      ? 0
      : s.kind === 'graph'
        ? s.nodes.length + s.edges.length
        : s.kind === 'sockets'
          ? Object.keys(s.items).length
          : s.items.length;
  if (size > maxResults) {
    throw new QueryError(
      'limit',
      `query returns ${size} elements; the limit is ${maxResults} (add Limit()/Range() or a more selective Has())`,
    );
  }
  switch (s.kind) {
    case 'nodes':
      return { kind: 'nodes', value: s.items.map(nodeJson) };
    case 'edges':
      return { kind: 'edges', value: s.items.map(edgeJson) };
    case 'count':
      return { kind: 'count', value: s.value };
    case 'values':
      return { kind: 'values', value: s.items };
    case 'paths':
      return { kind: 'paths', value: s.items.map((p) => p.map(nodeJson)) };
    case 'graph':
      return { kind: 'graph', value: [{ Nodes: s.nodes.map(nodeJson), Edges: s.edges.map(edgeJson) }] };
    case 'flows':
      return { kind: 'flows', value: s.items.map((f) => f.Metadata) };
    case 'metrics':
      return { kind: 'metrics', value: metricsJson(s.items) };
    case 'sockets':
      return { kind: 'sockets', value: [s.items] };
  }
}
