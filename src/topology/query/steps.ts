// Step implementations over the traversal state. Every store read goes through EvalContext so
// the visit budget and the deadline apply.
import type { Direction, GraphEdge, GraphNode } from '../types.ts';
import type { ElementFilter, Step } from './ast.ts';
import type { EvalContext } from './context.ts';
import { compileFilter, compileHasNot, fieldGetter, type ElementMatcher } from './match.ts';
import { QueryError } from './errors.ts';
import { aggregates, metricsOf, type MetricMap } from './metrics-steps.ts';
import { withSkydiveFields } from './flow-fields.ts';
import { socketsOfFlows, socketsOfNodes, type SocketMap } from './sockets-step.ts';
import { observedPaths, type PathRow } from '../flow-path.ts';

export type State =
  | { kind: 'nodes'; items: GraphNode[] }
  | { kind: 'edges'; items: GraphEdge[] }
  | { kind: 'values'; items: unknown[] }
  | { kind: 'count'; value: number }
  | { kind: 'paths'; items: GraphNode[][] }
  | { kind: 'graph'; nodes: GraphNode[]; edges: GraphEdge[] }
  /** Flow rows wrapped as pseudo-nodes (Metadata = the row) so Has/Sort/Dedup/Values apply as is. */
  | { kind: 'flows'; items: GraphNode[] }
  /** Metrics(): node ID (or 'Aggregated') → interface metrics. */
  | { kind: 'metrics'; items: MetricMap }
  /** Sockets(): node ID or flow UUID → sockets. */
  | { kind: 'sockets'; items: SocketMap };

let flowSeq = 0;
/** Wraps flow rows so the element matchers and sorters work on them. */
export function flowItems(rows: Record<string, unknown>[]): GraphNode[] {
  return rows.map((r) => ({
    ID: `flow-${++flowSeq}`,
    Metadata: withSkydiveFields(r),
    Host: String(r.exporter ?? ''),
    Origin: String(r.protocol ?? ''),
    CreatedAt: typeof r.first === 'number' ? r.first : 0,
    UpdatedAt: typeof r.last === 'number' ? r.last : 0,
    Revision: 0,
  }));
}

/** The flows of the current nodes, from the context's flow source. */
export function flowsOf(ctx: EvalContext, nodeIds: string[] | undefined, pos: number): GraphNode[] {
  if (!ctx.flowSource)
    throw new QueryError('unsupported', 'Flows() needs flow collection (sFlow/NetFlow/IPFIX) running in this collector', pos);
  const rows = ctx.flowSource({ nodeIds });
  ctx.tick(rows.length);
  return flowItems(rows);
}

const ALWAYS: ElementMatcher = () => true;
const matcherOf = (f: ElementFilter | undefined): ElementMatcher => (f ? compileFilter(f) : ALWAYS);
const isOwnership = (e: GraphEdge) => e.Metadata.RelationType === 'ownership';

/** Neighbour nodes: out = children (node is Parent), in = parents, both = the other end. */
function adjacent(ctx: EvalContext, nodes: GraphNode[], dir: Direction, match: ElementMatcher): GraphNode[] {
  const out: GraphNode[] = [];
  for (const n of nodes) {
    for (const e of ctx.edgesOf(n.ID, dir)) {
      const other = dir === 'out' ? e.Child : dir === 'in' ? e.Parent : e.Parent === n.ID ? e.Child : e.Parent;
      const m = ctx.node(other);
      if (m && match(m)) out.push(m);
    }
  }
  return out;
}

function adjacentEdges(ctx: EvalContext, nodes: GraphNode[], dir: Direction, match: ElementMatcher): GraphEdge[] {
  const out: GraphEdge[] = [];
  for (const n of nodes) for (const e of ctx.edgesOf(n.ID, dir)) if (match(e)) out.push(e);
  return out;
}

/** Edge ends. Skydive's InV yields the Parent and OutV the Child; kept as is for compatibility. */
function edgeEnds(ctx: EvalContext, edges: GraphEdge[], which: 'parent' | 'child' | 'both', match: ElementMatcher): GraphNode[] {
  const out: GraphNode[] = [];
  for (const e of edges) {
    const ids = which === 'parent' ? [e.Parent] : which === 'child' ? [e.Child] : [e.Parent, e.Child];
    for (const id of ids) {
      const n = ctx.node(id);
      if (n && match(n)) out.push(n);
    }
  }
  return out;
}

function dedup<T extends GraphNode>(items: T[], keys: string[]): T[] {
  const seen = new Set<string>();
  const getters = keys.map(fieldGetter);
  return items.filter((el) => {
    let k: string;
    if (getters.length === 0) k = el.ID;
    else {
      const vals = getters.map((g) => g(el)).filter((v) => v !== undefined);
      if (vals.length === 0) return true; // Skydive keeps elements that have none of the keys
      k = JSON.stringify(vals);
    }
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function compareValues(a: unknown, b: unknown): number {
  const ua = a === undefined || a === null;
  const ub = b === undefined || b === null;
  if (ua || ub) return ua && ub ? 0 : ua ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  const sa = typeof a === 'string' ? a : JSON.stringify(a);
  const sb = typeof b === 'string' ? b : JSON.stringify(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function sortBy<T extends GraphNode>(items: T[], key: string, order: 'asc' | 'desc'): T[] {
  const get = fieldGetter(key);
  const keyed = items.map((el) => ({ el, v: get(el) }));
  const sign = order === 'asc' ? 1 : -1;
  keyed.sort((x, y) => {
    const missX = x.v === undefined || x.v === null;
    const missY = y.v === undefined || y.v === null;
    if (missX || missY) return missX === missY ? 0 : missX ? 1 : -1; // missing last either way
    return sign * compareValues(x.v, y.v);
  });
  return keyed.map((k) => k.el);
}

function values(items: GraphNode[], key: string): unknown[] {
  const get = fieldGetter(key);
  const out: unknown[] = [];
  for (const el of items) {
    const v = get(el);
    if (v === undefined || v === null) continue;
    if (typeof v === 'object' && Object.keys(v).length === 0) continue; // Skydive skips empty lists/maps
    out.push(v);
  }
  return out;
}

/** Metadata keys, dotted down to the leaves ('LLDP.ChassisID'), first-seen order, no repeats. */
function keys(items: GraphNode[]): string[] {
  const seen = new Set<string>();
  const walk = (o: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(o)) {
      const path = prefix + k;
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0)
        walk(v as Record<string, unknown>, path + '.');
      else seen.add(path);
    }
  };
  for (const el of items) walk(el.Metadata, '');
  return [...seen];
}

/** Breadth-first search over edges in both directions, nearest target first (one path per source). */
function shortestPaths(ctx: EvalContext, sources: GraphNode[], target: ElementMatcher, edgeOk: ElementMatcher): GraphNode[][] {
  const paths: GraphNode[][] = [];
  const done = new Set<string>();
  for (const src of sources) {
    if (done.has(src.ID)) continue;
    done.add(src.ID);
    if (target(src)) {
      paths.push([src]);
      continue;
    }
    const prev = new Map<string, string>([[src.ID, '']]);
    const queue = [src.ID];
    let found: string | undefined;
    for (let qi = 0; qi < queue.length && found === undefined; qi++) {
      const id = queue[qi]!;
      for (const e of ctx.edgesOf(id, 'both')) {
        if (!edgeOk(e)) continue;
        const nb = e.Parent === id ? e.Child : e.Parent;
        if (prev.has(nb)) continue;
        prev.set(nb, id);
        const node = ctx.node(nb);
        if (!node) continue;
        if (target(node)) {
          found = nb;
          break;
        }
        queue.push(nb);
      }
    }
    if (found === undefined) continue;
    const path: GraphNode[] = [];
    for (let id: string | undefined = found; id; id = prev.get(id)) path.push(ctx.node(id)!);
    paths.push(path.reverse());
  }
  return paths;
}

/** Skydive's Descendants/Ascendants: the start nodes plus ownership children/parents, depth levels (0 = all). */
function tree(ctx: EvalContext, start: GraphNode[], dir: 'out' | 'in', depth: number): GraphNode[] {
  const seen = new Set<string>();
  const out: GraphNode[] = [];
  let level = start;
  for (let d = 0; level.length > 0; d++) {
    const fresh = level.filter((n) => !seen.has(n.ID) && (seen.add(n.ID), true));
    out.push(...fresh);
    if (depth !== 0 && d >= depth) break;
    const next: GraphNode[] = [];
    for (const n of fresh) {
      for (const e of ctx.edgesOf(n.ID, dir)) {
        if (!isOwnership(e)) continue;
        const m = ctx.node(dir === 'out' ? e.Child : e.Parent);
        if (m && !seen.has(m.ID)) next.push(m);
      }
    }
    level = next;
  }
  return out;
}

/** Nodes plus the edges among them (Skydive's SubGraph). */
function subGraphOfNodes(ctx: EvalContext, nodes: GraphNode[]): State {
  const ids = new Set<string>();
  const uniq = nodes.filter((n) => !ids.has(n.ID) && (ids.add(n.ID), true));
  const edges = new Map<string, GraphEdge>();
  for (const n of uniq) for (const e of ctx.edgesOf(n.ID, 'out')) if (ids.has(e.Child)) edges.set(e.ID, e);
  return { kind: 'graph', nodes: uniq, edges: [...edges.values()] };
}

/** Edges plus their end nodes. */
function subGraphOfEdges(ctx: EvalContext, edges: GraphEdge[]): State {
  const nids = new Set<string>();
  const nodes = edgeEnds(ctx, edges, 'both', ALWAYS).filter((n) => !nids.has(n.ID) && (nids.add(n.ID), true));
  const eids = new Set<string>();
  return { kind: 'graph', nodes, edges: edges.filter((e) => !eids.has(e.ID) && (eids.add(e.ID), true)) };
}

export function applyStep(ctx: EvalContext, s: State, step: Step): State {
  ctx.checkTime();
  switch (step.type) {
    case 'has': {
      const m = compileFilter(step.filter);
      if (s.kind === 'flows') return { kind: 'flows', items: s.items.filter(m) };
      return s.kind === 'edges'
        ? { kind: 'edges', items: s.items.filter(m) }
        : { kind: 'nodes', items: (s as { items: GraphNode[] }).items.filter(m) };
    }
    case 'hasNot': {
      const m = compileHasNot(step.key);
      if (s.kind === 'flows') return { kind: 'flows', items: s.items.filter(m) };
      return s.kind === 'edges'
        ? { kind: 'edges', items: s.items.filter(m) }
        : { kind: 'nodes', items: (s as { items: GraphNode[] }).items.filter(m) };
    }
    case 'flows': {
      const items = flowsOf(
        ctx,
        nodesOf(s).map((n) => n.ID),
        step.pos,
      );
      return { kind: 'flows', items: step.filter ? items.filter(compileFilter(step.filter)) : items };
    }
    case 'flowPath': {
      // Flows() rows carry the stored key (deviceId, in/out ports): the path is built from them as /api/flows/path does.
      const rows = (s as { items: GraphNode[] }).items.map((n) => n.Metadata as unknown as PathRow);
      ctx.tick(rows.length);
      return { kind: 'values', items: observedPaths(ctx.reader, rows).paths };
    }
    case 'out':
    case 'in':
    case 'both':
      return { kind: 'nodes', items: adjacent(ctx, nodesOf(s), step.type, matcherOf(step.filter)) };
    case 'outE':
    case 'inE':
    case 'bothE': {
      const dir = step.type === 'outE' ? 'out' : step.type === 'inE' ? 'in' : 'both';
      return { kind: 'edges', items: adjacentEdges(ctx, nodesOf(s), dir, matcherOf(step.filter)) };
    }
    case 'outV':
    case 'inV':
    case 'bothV': {
      const which = step.type === 'inV' ? 'parent' : step.type === 'outV' ? 'child' : 'both';
      return { kind: 'nodes', items: edgeEnds(ctx, (s as { items: GraphEdge[] }).items, which, matcherOf(step.filter)) };
    }
    case 'dedup':
      if (s.kind === 'values') {
        const seen = new Set<string>();
        return {
          kind: 'values',
          items: s.items.filter((v) => {
            const k = JSON.stringify(v);
            return !seen.has(k) && (seen.add(k), true);
          }),
        };
      }
      if (s.kind === 'paths') return { kind: 'nodes', items: dedup(s.items.flat(), step.keys) };
      if (s.kind === 'edges') return { kind: 'edges', items: dedup(s.items, step.keys) };
      if (s.kind === 'flows') return { kind: 'flows', items: dedup(s.items, step.keys) };
      return { kind: 'nodes', items: dedup(nodesOf(s), step.keys) };
    case 'count':
      // Skydive counts a Metrics() step's nodes.
      if (s.kind === 'metrics') return { kind: 'count', value: s.items.size };
      return { kind: 'count', value: (s as { items: unknown[] }).items.length };
    case 'metrics':
      return { kind: 'metrics', items: metricsOf(ctx, nodesOf(s), step.source) };
    case 'aggregates':
      return { kind: 'metrics', items: aggregates(ctx, (s as { items: MetricMap }).items, step.sliceMs) };
    case 'values':
      return { kind: 'values', items: values((s as { items: GraphNode[] }).items, step.key) };
    case 'keys':
      return { kind: 'values', items: keys((s as { items: GraphNode[] }).items) };
    case 'sort':
      if (s.kind === 'flows') return { kind: 'flows', items: sortBy(s.items, step.key, step.order) };
      return s.kind === 'edges'
        ? { kind: 'edges', items: sortBy(s.items, step.key, step.order) }
        : { kind: 'nodes', items: sortBy(nodesOf(s), step.key, step.order) };
    case 'range':
      return { ...s, items: (s as { items: unknown[] }).items.slice(step.from, step.to) } as State;
    case 'shortestPathTo':
      return { kind: 'paths', items: shortestPaths(ctx, nodesOf(s), compileFilter(step.target), matcherOf(step.edgeFilter)) };
    case 'subGraph':
      if (s.kind === 'edges') return subGraphOfEdges(ctx, s.items);
      return subGraphOfNodes(ctx, s.kind === 'paths' ? s.items.flat() : nodesOf(s));
    case 'sockets':
      return { kind: 'sockets', items: s.kind === 'flows' ? socketsOfFlows(ctx, s.items) : socketsOfNodes(ctx, nodesOf(s)) };
    case 'descendants':
    case 'ascendants':
      return { kind: 'nodes', items: tree(ctx, nodesOf(s), step.type === 'descendants' ? 'out' : 'in', step.depth) };
  }
}

function nodesOf(s: State): GraphNode[] {
  return (s as { items: GraphNode[] }).items;
}
