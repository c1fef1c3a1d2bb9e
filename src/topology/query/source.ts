// Where a traversal starts. For G.V() followed by Has steps, pick the most selective indexed
// equality (or Within over an indexed key) among the leading Has steps and ask the store's index
// for it; the Has steps themselves still run afterwards, so the index only has to return a superset.
import { INDEXED_KEYS } from '../store/graph-store.ts';
import type { GraphEdge, GraphNode } from '../types.ts';
import type { Ast, Literal, Step } from './ast.ts';
import type { EvalContext } from './context.ts';

/** Lower is more selective: identities first, then names, then coarse classifiers. */
const NODE_KEY_RANK: Record<string, number> = {
  ID: 0,
  MAC: 1,
  IPV4: 1,
  IPV6: 1,
  MgmtAddress: 2,
  'LLDP.ChassisID': 2,
  Name: 3,
  'K8s.Name': 4,
  IfIndex: 6,
  Role: 7,
  Type: 9,
};
for (const k of INDEXED_KEYS) NODE_KEY_RANK[k] ??= 5;

const EDGE_KEY_RANK: Record<string, number> = { ID: 0, RelationType: 9 };

export interface IndexChoice {
  key: string;
  values: Literal[];
  rank: number;
}

/** The index lookup the evaluator will use for this query, if any (exported for tests/explain). */
export function chooseIndex(ast: Ast): IndexChoice | undefined {
  const ranks = ast.source.kind === 'V' ? NODE_KEY_RANK : EDGE_KEY_RANK;
  let best: IndexChoice | undefined;
  for (const step of leadingHas(ast.steps)) {
    const f = step.filter;
    if (f.mode === 'or' && f.terms.length > 1) continue;
    for (const t of f.terms) {
      const rank = ranks[t.key];
      if (rank === undefined || !t.pred) continue;
      let values: Literal[];
      if (t.pred.op === 'eq') values = [t.pred.value];
      else if (t.pred.op === 'within') values = t.pred.values;
      else continue;
      // Several lookups cost more than one; a long Within on IDs still beats a scan.
      const cost = rank + Math.log2(values.length);
      if (!best || cost < best.rank) best = { key: t.key, values, rank: cost };
    }
  }
  return best;
}

function* leadingHas(steps: Step[]): Generator<Extract<Step, { type: 'has' }>> {
  for (const s of steps) {
    if (s.type !== 'has') return;
    yield s;
  }
}

function dedupById<T extends { ID: string }>(lists: T[][]): T[] {
  if (lists.length === 1) return lists[0]!;
  const seen = new Set<string>();
  const out: T[] = [];
  for (const l of lists) {
    for (const x of l) {
      if (seen.has(x.ID)) continue;
      seen.add(x.ID);
      out.push(x);
    }
  }
  return out;
}

export function sourceNodes(ast: Ast, ctx: EvalContext): GraphNode[] {
  const r = ctx.reader;
  if (ast.source.id !== undefined) {
    const n = ctx.node(ast.source.id);
    return n ? [n] : [];
  }
  const choice = chooseIndex(ast);
  let out: GraphNode[];
  if (!choice) {
    out = [...r.allNodes()];
  } else if (choice.key === 'ID') {
    out = choice.values.flatMap((v) => {
      const n = typeof v === 'string' ? ctx.node(v) : undefined;
      return n ? [n] : [];
    });
  } else {
    out = dedupById(choice.values.map((v) => r.findNodes(choice.key, v)));
  }
  ctx.tick(out.length);
  for (const n of out) ctx.remember(n);
  return out;
}

export function sourceEdges(ast: Ast, ctx: EvalContext): GraphEdge[] {
  const r = ctx.reader;
  if (ast.source.id !== undefined) {
    const e = r.getEdge(ast.source.id);
    ctx.tick();
    return e ? [e] : [];
  }
  const choice = chooseIndex(ast);
  let out: GraphEdge[];
  if (!choice) out = [...r.allEdges()];
  else if (choice.key === 'ID') {
    out = choice.values.flatMap((v) => {
      const e = typeof v === 'string' ? r.getEdge(v) : undefined;
      return e ? [e] : [];
    });
  } else out = dedupById(choice.values.map((v) => r.findEdges(choice.key, v)));
  ctx.tick(out.length);
  return out;
}
