// Turns the parser's generic calls into typed steps: arity, argument types, predicate shapes,
// step order (At only after G; what may follow Count, Values, …). All failures are QueryErrors
// pointing at the offending argument or step.
import type { Ast, ElementFilter, KeyFilter, Literal, Predicate, RawQuery, RawStep, RawValue, Step, StepKind } from './ast.ts';
import { QueryError } from './errors.ts';
import { regexRisk } from './regex-guard.ts';
import { timeSpec } from './time-spec.ts';

/** Range/Limit bounds: anything larger is certainly a mistake (or an attack). */
export const MAX_RANGE = 1_000_000_000;
export const MAX_TREE_DEPTH = 1024;

const bad = (pos: number, msg: string): never => {
  throw QueryError.invalid(pos, msg);
};

function describe(v: RawValue): string {
  return v.kind === 'call' ? `${v.name}(…)` : v.kind === 'keyword' ? v.name : v.kind;
}

function str(v: RawValue | undefined, pos: number, what: string): string {
  if (v?.kind !== 'string') return bad(v?.pos ?? pos, `${what} must be a string${v ? `, not ${describe(v)}` : ''}`);
  return v.value;
}

function literal(v: RawValue, what: string): Literal {
  if (v.kind === 'string' || v.kind === 'number' || v.kind === 'bool') return v.value;
  return bad(v.pos, `${what} must be a string, a number or a boolean, not ${describe(v)}`);
}

function num(v: RawValue | undefined, pos: number, what: string): number {
  if (v?.kind !== 'number') return bad(v?.pos ?? pos, `${what} must be a number`);
  return v.value;
}

function int(v: RawValue | undefined, pos: number, what: string, max: number): number {
  const n = num(v, pos, what);
  if (n > max) bad(v!.pos, `${what} ${n} is above the limit ${max}`);
  if (!Number.isSafeInteger(n) || n < 0) bad(v!.pos, `${what} must be a non-negative integer`);
  return n;
}

function arity(c: { args: RawValue[]; pos: number; name: string }, min: number, max: number): void {
  if (c.args.length < min || c.args.length > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    bad(c.pos, `${c.name}() takes ${want} argument${max === 1 ? '' : 's'}, got ${c.args.length}`);
  }
}

function ipv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const b = m.slice(1).map(Number);
  if (b.some((x) => x > 255)) return undefined;
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}
export { ipv4 as parseIpv4 };

/** A Has value: a literal (equality) or a predicate call. */
export function predicate(v: RawValue): Predicate {
  if (v.kind !== 'call') return { op: 'eq', value: literal(v, 'a Has value') };
  const c = v;
  switch (c.name) {
    case 'NE':
      arity(c, 1, 1);
      return { op: 'ne', value: literal(c.args[0]!, 'NE() value') };
    case 'Within':
    case 'Without':
      arity(c, 1, Infinity);
      return { op: c.name === 'Within' ? 'within' : 'without', values: c.args.map((a) => literal(a, `${c.name}() value`)) };
    case 'Regex': {
      arity(c, 1, 1);
      const source = str(c.args[0], c.pos, 'Regex() pattern');
      const risk = regexRisk(source);
      if (risk) bad(c.args[0]!.pos, `Regex() pattern refused: ${risk}`);
      try {
        // Anchored, as in Skydive: Regex('eth.*') matches the whole value.
        return { op: 'regex', source, re: new RegExp(`^(?:${source})$`) };
      } catch (e) {
        return bad(c.args[0]!.pos, `Regex() pattern is invalid: ${(e as Error).message}`);
      }
    }
    case 'Lt':
    case 'Gt':
    case 'Lte':
    case 'Gte':
      arity(c, 1, 1);
      return { op: c.name.toLowerCase() as 'lt', value: num(c.args[0], c.pos, `${c.name}() value`) };
    case 'Inside':
    case 'Outside':
    case 'Between':
      arity(c, 2, 2);
      return {
        op: c.name.toLowerCase() as 'inside',
        from: num(c.args[0], c.pos, `${c.name}() lower bound`),
        to: num(c.args[1], c.pos, `${c.name}() upper bound`),
      };
    case 'Ipv4Range': {
      arity(c, 1, 1);
      const cidr = str(c.args[0], c.pos, 'Ipv4Range() network');
      const [addr, lenText] = cidr.split('/');
      const len = lenText === undefined ? 32 : Number(lenText);
      const ip = ipv4(addr ?? '');
      if (ip === undefined || !Number.isInteger(len) || len < 0 || len > 32 || lenText === '') {
        return bad(c.args[0]!.pos, `Ipv4Range() needs an IPv4 CIDR like '10.0.0.0/8', got '${cidr.slice(0, 40)}'`);
      }
      const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
      return { op: 'ipv4range', cidr, net: (ip & mask) >>> 0, mask };
    }
    default:
      return bad(c.pos, `${c.name}() is not a predicate here`);
  }
}

/** Key/value pairs as in Has(k, v, …) and Out(k, v, …); a single key means "key present". */
export function keyValues(args: RawValue[], pos: number, mode: 'and' | 'or', what: string): ElementFilter {
  if (args.length === 0) bad(pos, `${what}() needs at least one key`);
  if (args.length === 1) return { mode, terms: [{ key: str(args[0], pos, `${what}() key`), pred: undefined }] };
  if (args.length % 2 !== 0) bad(args[args.length - 1]!.pos, `${what}() takes key, value pairs; the last key has no value`);
  const terms: KeyFilter[] = [];
  for (let i = 0; i < args.length; i += 2) {
    terms.push({ key: str(args[i], pos, `${what}() key`), pred: predicate(args[i + 1]!) });
  }
  return { mode, terms };
}

function optionalFilter(s: RawStep): ElementFilter | undefined {
  return s.args.length === 0 ? undefined : keyValues(s.args, s.pos, 'and', s.name);
}

function metadataArg(v: RawValue | undefined, pos: number): ElementFilter {
  if (v?.kind !== 'call' || v.name !== 'Metadata') return bad(v?.pos ?? pos, 'ShortestPathTo() takes Metadata(k, v, …) arguments');
  if (v.args.length < 2) bad(v.pos, 'Metadata() takes key, value pairs');
  return keyValues(v.args, v.pos, 'and', 'Metadata');
}

/** Which input kinds each step accepts, and what it yields. */
function stepOf(s: RawStep): { step: Step; accepts: StepKind[]; yields: (k: StepKind) => StepKind } {
  const same = (k: StepKind) => k;
  const el: StepKind[] = ['nodes', 'edges', 'flows'];
  const p = s.pos;
  switch (s.name) {
    case 'Has':
      return { step: { type: 'has', filter: keyValues(s.args, p, 'and', 'Has'), pos: p }, accepts: el, yields: same };
    case 'HasEither':
      return { step: { type: 'has', filter: keyValues(s.args, p, 'or', 'HasEither'), pos: p }, accepts: el, yields: same };
    case 'HasKey':
      arity(s, 1, 1);
      return {
        step: { type: 'has', filter: { mode: 'and', terms: [{ key: str(s.args[0], p, 'HasKey() key'), pred: undefined }] }, pos: p },
        accepts: el,
        yields: same,
      };
    case 'HasNot':
      arity(s, 1, 1);
      return { step: { type: 'hasNot', key: str(s.args[0], p, 'HasNot() key'), pos: p }, accepts: el, yields: same };
    case 'Out':
    case 'In':
    case 'Both':
      return {
        step: { type: s.name.toLowerCase() as 'out', filter: optionalFilter(s), pos: p },
        accepts: ['nodes'],
        yields: () => 'nodes',
      };
    case 'OutE':
    case 'InE':
    case 'BothE': {
      const type = (s.name[0]!.toLowerCase() + s.name.slice(1)) as 'outE';
      return { step: { type, filter: optionalFilter(s), pos: p }, accepts: ['nodes'], yields: () => 'edges' };
    }
    case 'OutV':
    case 'InV':
    case 'BothV': {
      const type = (s.name[0]!.toLowerCase() + s.name.slice(1)) as 'outV';
      return { step: { type, filter: optionalFilter(s), pos: p }, accepts: ['edges'], yields: () => 'nodes' };
    }
    case 'Dedup':
      return {
        step: { type: 'dedup', keys: s.args.map((a) => str(a, p, 'Dedup() key')), pos: p },
        accepts: ['nodes', 'edges', 'values', 'paths', 'flows'],
        yields: (k) => (k === 'paths' ? 'nodes' : k),
      };
    case 'Count':
      arity(s, 0, 0);
      return { step: { type: 'count', pos: p }, accepts: ['nodes', 'edges', 'values', 'paths', 'flows', 'metrics'], yields: () => 'count' };
    case 'Metrics': {
      arity(s, 0, 1);
      // Skydive: no argument = LastUpdateMetric (the source feeding Metric); 'sflow' its sFlow counters.
      const k = s.args[0] ? str(s.args[0], p, 'Metrics() key') : 'LastUpdateMetric';
      const source = k === 'LastUpdateMetric' ? undefined : k === 'SFlow.LastUpdateMetric' ? 'sflow' : k;
      if (source !== undefined && !/^[a-z][a-z0-9.-]*$/.test(source))
        bad(s.args[0]!.pos, `Metrics() takes LastUpdateMetric or a source (sflow, snmp), not ${k}`);
      return { step: { type: 'metrics', source, pos: p }, accepts: ['nodes'], yields: () => 'metrics' };
    }
    case 'Aggregates': {
      arity(s, 0, 1);
      const secs = s.args[0] ? int(s.args[0], p, 'Aggregates() slice length (seconds)', 86_400 * 366) : 30;
      if (secs <= 0) bad(s.args[0]!.pos, 'Aggregates() slice length must be a positive number of seconds');
      return { step: { type: 'aggregates', sliceMs: secs * 1000, pos: p }, accepts: ['metrics'], yields: () => 'metrics' };
    }
    case 'Values':
      arity(s, 1, 1);
      return { step: { type: 'values', key: str(s.args[0], p, 'Values() key'), pos: p }, accepts: el, yields: () => 'values' };
    case 'Keys':
      arity(s, 0, 0);
      return { step: { type: 'keys', pos: p }, accepts: el, yields: () => 'values' };
    case 'Sort': {
      arity(s, 0, 2);
      let order: 'asc' | 'desc' = 'asc';
      let rest = s.args;
      const first = s.args[0];
      if (first?.kind === 'keyword' && (first.name === 'ASC' || first.name === 'DESC')) {
        order = first.name === 'ASC' ? 'asc' : 'desc';
        rest = s.args.slice(1);
      } else if (s.args.length === 2) bad(first!.pos, 'Sort() takes ASC or DESC before the key');
      const key = rest[0] ? str(rest[0], p, 'Sort() key') : 'CreatedAt';
      return { step: { type: 'sort', order, key, pos: p }, accepts: el, yields: same };
    }
    case 'Range': {
      arity(s, 2, 2);
      const from = int(s.args[0], p, 'Range() start', MAX_RANGE);
      const to = int(s.args[1], p, 'Range() end', MAX_RANGE);
      if (to < from) bad(s.args[1]!.pos, `Range() end ${to} is before its start ${from}`);
      return { step: { type: 'range', from, to, pos: p }, accepts: ['nodes', 'edges', 'values', 'paths', 'flows'], yields: same };
    }
    case 'Limit':
      arity(s, 1, 1);
      return {
        step: { type: 'range', from: 0, to: int(s.args[0], p, 'Limit() count', MAX_RANGE), pos: p },
        accepts: ['nodes', 'edges', 'values', 'paths', 'flows'],
        yields: same,
      };
    case 'ShortestPathTo':
      arity(s, 1, 2);
      return {
        step: {
          type: 'shortestPathTo',
          target: metadataArg(s.args[0], p),
          edgeFilter: s.args[1] ? metadataArg(s.args[1], p) : undefined,
          pos: p,
        },
        accepts: ['nodes'],
        yields: () => 'paths',
      };
    case 'SubGraph':
      arity(s, 0, 0);
      return { step: { type: 'subGraph', pos: p }, accepts: ['nodes', 'edges', 'paths'], yields: () => 'graph' };
    case 'Descendants':
    case 'Ascendants':
      arity(s, 0, 1);
      return {
        // Skydive: default depth 1, 0 = unbounded (the evaluation budget still applies).
        step: {
          type: s.name === 'Descendants' ? 'descendants' : 'ascendants',
          depth: s.args[0] ? int(s.args[0], p, `${s.name}() depth`, MAX_TREE_DEPTH) : 1,
          pos: p,
        },
        accepts: ['nodes'],
        yields: () => 'nodes',
      };
    case 'Flows':
      return { step: { type: 'flows', filter: optionalFilter(s), pos: p }, accepts: ['nodes'], yields: () => 'flows' };
    case 'FlowPath':
      arity(s, 0, 0);
      return { step: { type: 'flowPath', pos: p }, accepts: ['flows'], yields: () => 'values' };
    case 'Sockets':
      arity(s, 0, 0);
      return { step: { type: 'sockets', pos: p }, accepts: ['nodes', 'flows'], yields: () => 'sockets' };
    case 'At':
    case 'Context':
      return bad(p, `${s.name}() must come right after G`);
    case 'V':
    case 'E':
      return bad(p, `${s.name}() must come right after G (or G.At(…))`);
    default:
      return bad(p, `unknown step ${s.name}()`);
  }
}

const KIND_NAME: Record<StepKind, string> = {
  nodes: 'nodes',
  edges: 'edges',
  values: 'values',
  count: 'a count',
  paths: 'paths',
  graph: 'a sub-graph',
  flows: 'flows',
  metrics: 'metrics',
  sockets: 'sockets',
};

export function validate(raw: RawQuery): Ast {
  const steps = raw.steps;
  let i = 0;
  let time: Ast['time'];
  const first = steps[0]!;
  if (first.name === 'At' || first.name === 'Context') {
    time = timeSpec(first.args, first.pos);
    i++;
  }
  const src = steps[i];
  if (!src || (src.name !== 'V' && src.name !== 'E' && src.name !== 'Flows')) {
    return bad(src?.pos ?? raw.text.length, `expected V(), E() or Flows() after G${time ? '.At(…)' : ''}`);
  }
  i++;
  let id: string | undefined;
  const out: Step[] = [];
  if (src.name === 'Flows') {
    // G.Flows(k, v, …): every flow, filtered like Has.
    if (src.args.length > 0) out.push({ type: 'has', filter: keyValues(src.args, src.pos, 'and', 'Flows'), pos: src.pos });
  } else if (src.args.length === 1) id = str(src.args[0], src.pos, `${src.name}() ID`);
  else if (src.args.length > 1) {
    // Skydive accepts G.V(k, v, …) as G.V().Has(k, v, …).
    out.push({ type: 'has', filter: keyValues(src.args, src.pos, 'and', src.name), pos: src.pos });
  }
  let kind: StepKind = src.name === 'V' ? 'nodes' : src.name === 'E' ? 'edges' : 'flows';
  for (; i < steps.length; i++) {
    const s = steps[i]!;
    const { step, accepts, yields } = stepOf(s);
    if (!accepts.includes(kind)) bad(s.pos, `${s.name}() cannot follow a step that yields ${KIND_NAME[kind]}`);
    out.push(step);
    kind = yields(kind);
  }
  const sourceKind = src.name === 'Flows' ? 'F' : src.name;
  return { text: raw.text, time, source: { kind: sourceKind, id, pos: src.pos }, steps: out, resultKind: kind };
}
