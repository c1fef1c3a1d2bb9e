// Query AST. Two layers: the parser produces generic calls (Raw*), validate.ts turns them into
// typed steps whose arguments are already checked, so the evaluator never meets a bad argument.

export type Literal = string | number | boolean;

export type RawValue =
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'number'; value: number; pos: number; raw: string }
  | { kind: 'bool'; value: boolean; pos: number }
  | { kind: 'keyword'; name: 'NOW' | 'ASC' | 'DESC'; pos: number }
  | { kind: 'call'; name: string; args: RawValue[]; pos: number };

export interface RawStep {
  /** Canonical step name (e.g. 'HasKey') whatever the case the user typed. */
  name: string;
  args: RawValue[];
  pos: number;
}

export interface RawQuery {
  text: string;
  steps: RawStep[];
}

/** A value matcher: a literal (equality, list values match any element) or a predicate. */
export type Predicate =
  | { op: 'eq'; value: Literal }
  | { op: 'ne'; value: Literal }
  | { op: 'within'; values: Literal[] }
  | { op: 'without'; values: Literal[] }
  | { op: 'regex'; source: string; re: RegExp }
  | { op: 'lt' | 'gt' | 'lte' | 'gte'; value: number }
  | { op: 'inside' | 'outside' | 'between'; from: number; to: number }
  | { op: 'ipv4range'; cidr: string; net: number; mask: number };

/** One key constraint: key present (pred undefined) or key value matching pred. */
export interface KeyFilter {
  key: string;
  pred: Predicate | undefined;
}

/** Conjunction (Has, Out(k, v…), Metadata(…)) or disjunction (HasEither) of key filters. */
export interface ElementFilter {
  mode: 'and' | 'or';
  terms: KeyFilter[];
}

export type StepKind = 'nodes' | 'edges' | 'values' | 'count' | 'paths' | 'graph' | 'flows' | 'metrics' | 'sockets';

export type Step =
  | { type: 'has'; filter: ElementFilter; pos: number }
  | { type: 'hasNot'; key: string; pos: number }
  | { type: 'out' | 'in' | 'both'; filter: ElementFilter | undefined; pos: number }
  | { type: 'outE' | 'inE' | 'bothE'; filter: ElementFilter | undefined; pos: number }
  | { type: 'outV' | 'inV' | 'bothV'; filter: ElementFilter | undefined; pos: number }
  | { type: 'dedup'; keys: string[]; pos: number }
  | { type: 'count'; pos: number }
  | { type: 'values'; key: string; pos: number }
  | { type: 'keys'; pos: number }
  | { type: 'sort'; order: 'asc' | 'desc'; key: string; pos: number }
  | { type: 'range'; from: number; to: number; pos: number }
  | { type: 'shortestPathTo'; target: ElementFilter; edgeFilter: ElementFilter | undefined; pos: number }
  | { type: 'subGraph'; pos: number }
  /** Flows seen on the current nodes (or all flows as a source), optionally filtered like Has. */
  | { type: 'flows'; filter: ElementFilter | undefined; pos: number }
  /** The observed paths of the current flows (docs/flow-path.md): values, one per path. */
  | { type: 'flowPath'; pos: number }
  | { type: 'descendants' | 'ascendants'; depth: number; pos: number }
  /** Interface counters of the current nodes, as Skydive's Metrics(): one source ('sflow', 'snmp') or the one feeding Metric. */
  | { type: 'metrics'; source: string | undefined; pos: number }
  /** Skydive's Aggregates([seconds]): every node's metrics summed into slices (default 30 s). */
  | { type: 'aggregates'; sliceMs: number; pos: number }
  /** Skydive's Sockets(): the Sockets of the current nodes, or of the hosts at either end of the current flows (by 5-tuple). */
  | { type: 'sockets'; pos: number };

/** Time context: At(t[, duration]) / Context(…). */
export interface TimeSpec {
  /** Epoch ms, or 'now' (the live graph). Relative times are resolved at evaluation. */
  at: { kind: 'now' } | { kind: 'absolute'; ms: number } | { kind: 'relative'; offsetMs: number };
  /** Window length in ms before `at` (0 = a point in time). */
  durationMs: number;
  pos: number;
}

export interface Ast {
  text: string;
  time: TimeSpec | undefined;
  source: { kind: 'V' | 'E' | 'F'; id: string | undefined; pos: number };
  steps: Step[];
  /** What the last step yields, decided statically by validate.ts. */
  resultKind: StepKind;
}
