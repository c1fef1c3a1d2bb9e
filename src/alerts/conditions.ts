// The condition kinds (docs/alerts.md#conditions): each turns a rule's query result and what the
// collector knows (port series, exporters and SNMP devices heard from, a cabling plan) into the
// subjects the alert holds for now, one per element.
import { readFileSync, statSync } from 'node:fs';
import type { GraphReader, GraphStore } from '../topology/store/graph-store.ts';
import type { GraphEdge, GraphNode } from '../topology/types.ts';
import type { PortSeriesStore, SeriesStep } from '../topology/store/port-series.ts';
import { runQuery } from '../topology/query/index.ts';
import { parseCablingPlan, type PlannedCable } from '../cabling/plan.ts';
import { verifyCabling } from '../cabling/verify.ts';
import type { Condition } from './config.ts';
import type { Subject } from './state.ts';

/** Something that sends to the collector (an exporter, an SNMP device) and when it was last heard. */
export interface Heard {
  key: string;
  kind: 'exporter' | 'snmp';
  name: string;
  /** Epoch ms; undefined when never heard since the collector started. */
  lastSeen: number | undefined;
  /** When the collector started expecting it (so a device never heard goes silent too). */
  since: number;
  /** Its graph node, when known (a query scopes silent rules through it). */
  nodeId?: string;
}

export interface ConditionContext {
  store: GraphStore;
  now: number;
  limits: { maxResults: number; timeoutMs: number };
  series?: PortSeriesStore;
  /** Raw port series are kept this long (ms); longer windows read 1-minute rollups. */
  rawSeriesMs: number;
  heard: () => Heard[];
  /** When the rule started being evaluated: `new-device` fires for devices created after it. */
  ruleSince: number;
  /** Query results of this cycle: rules sharing a query (every default one) run it once. */
  memo?: Map<string, QueryOutcome>;
  /** What the default queries select, kept from the change feed (live-set.ts); else they run. */
  live?: { downLinks(): GraphEdge[]; placeholders(): GraphNode[] };
  /**
   * Cabling results kept between evaluations: the check reads every ownership and layer2 edge
   * (seconds on a 100k-node graph), so it runs again only when the plan file changed, or when
   * `generation` (bumped on link, ownership and device changes) moved and `minIntervalMs` passed.
   */
  cabling?: { cache: Map<string, CablingResult>; generation: number; minIntervalMs: number };
}

export interface CablingResult {
  mtimeMs: number;
  generation: number;
  at: number;
  subjects: Subject[];
}

const PLACEHOLDER_TYPES = new Set(['switch', 'host', 'device']);
/** What DEFAULT_QUERY selects for link-down and new-device, as predicates (for live sets). */
export const isDownLink = (e: GraphEdge) => e.Metadata.RelationType === 'layer2' && e.Metadata.State === 'DOWN';
export const isPlaceholder = (n: GraphNode) => n.Metadata.Probe === 'lldp' && PLACEHOLDER_TYPES.has(String(n.Metadata.Type));

export interface QueryOutcome {
  elements: Element[];
  truthy: boolean;
}

/** The query each kind uses when the rule gives none. */
export const DEFAULT_QUERY: Record<Condition['kind'], string | undefined> = {
  match: undefined,
  'link-down': "G.E().Has('RelationType', 'layer2', 'State', 'DOWN')",
  utilisation: "G.V().Has('Type', 'port')",
  silent: undefined,
  'new-device': "G.V().Has('Probe', 'lldp', 'Type', Within('switch', 'host', 'device'))",
  cabling: undefined,
};

type Element = GraphNode | GraphEdge;
const isEdge = (e: Element): e is GraphEdge => 'Parent' in e && 'Child' in e;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Runs the rule's query; a result of elements, a count or values. */
export function runRuleQuery(ctx: ConditionContext, query: string): QueryOutcome {
  const hit = ctx.memo?.get(query);
  if (hit) return hit;
  const out = queryOutcome(ctx, query);
  ctx.memo?.set(query, out);
  return out;
}

function queryOutcome(ctx: ConditionContext, query: string): QueryOutcome {
  const r = runQuery(ctx.store, query, { ...ctx.limits, now: ctx.now });
  switch (r.kind) {
    case 'nodes':
    case 'edges':
      return { elements: r.value, truthy: r.value.length > 0 };
    case 'count':
      return { elements: [], truthy: r.value > 0 };
    case 'paths':
      return { elements: r.value.flat(), truthy: r.value.length > 0 };
    case 'graph':
      return { elements: [...r.value[0].Nodes, ...r.value[0].Edges], truthy: r.value[0].Nodes.length > 0 };
    default:
      return { elements: [], truthy: r.value.length > 0 && r.value.some((v) => v !== false && v !== 0 && v !== null) };
  }
}

function labelsOf(e: Element): Record<string, string> {
  const l: Record<string, string> = { id: e.ID };
  const name = str(e.Metadata.Name);
  const type = str(e.Metadata.Type) ?? str(e.Metadata.RelationType);
  if (name) l.name = name;
  if (type) l.type = type;
  return l;
}

/** The device owning a port (its ownership parent), or the node itself when it is a device. */
function deviceOf(g: GraphReader, id: string): GraphNode | undefined {
  const n = g.getNode(id);
  if (!n) return undefined;
  const owner = g.edgesOf(id, 'in').find((e) => e.Metadata.RelationType === 'ownership');
  return owner ? (g.getNode(owner.Parent) ?? n) : n;
}

function endName(g: GraphReader, id: string): string {
  const port = g.getNode(id);
  const dev = deviceOf(g, id);
  const p = str(port?.Metadata.Name) ?? id;
  return dev && dev.ID !== id ? `${str(dev.Metadata.Name) ?? dev.ID}:${p}` : p;
}

function linkDown(ctx: ConditionContext, elements: Element[], role: string): Subject[] {
  const out: Subject[] = [];
  for (const e of elements) {
    if (!isEdge(e) || e.Metadata.State !== 'DOWN') continue;
    const ends = [e.Parent, e.Child];
    const roles = ends.map((id) => deviceOf(ctx.store, id)?.Metadata.Role);
    if (!roles.includes(role)) continue;
    const [a, b] = ends.map((id) => endName(ctx.store, id));
    out.push({
      key: e.ID,
      labels: { ...labelsOf(e), a: a!, b: b! },
      summary: `link ${a} — ${b} is DOWN (a ${role} link)`,
    });
  }
  return out;
}

interface Sum {
  rx: number;
  tx: number;
  span: number;
}

function utilisation(ctx: ConditionContext, elements: Element[], above: number, windowS: number): Subject[] {
  if (!ctx.series) return [];
  const ports = elements.filter((e): e is GraphNode => !isEdge(e) && typeof e.Metadata.Speed === 'number' && e.Metadata.Speed > 0);
  if (ports.length === 0) return [];
  const windowMs = windowS * 1000;
  const step: SeriesStep = windowMs <= ctx.rawSeriesMs ? 0 : 60_000;
  const rows = ctx.series.read(
    ports.map((p) => p.ID),
    step,
    ctx.now - windowMs,
    ctx.now + 1,
  );
  // Per port and source: a port polled by SNMP and sampled by sFlow has two series of one traffic.
  const sums = new Map<string, Map<string, Sum>>();
  for (const r of rows) {
    const bySource = sums.get(r.nodeId) ?? new Map<string, Sum>();
    sums.set(r.nodeId, bySource);
    const s = bySource.get(r.source) ?? { rx: 0, tx: 0, span: 0 };
    s.rx += r.rxBytes;
    s.tx += r.txBytes;
    s.span += r.span;
    bySource.set(r.source, s);
  }
  const out: Subject[] = [];
  for (const p of ports) {
    const bySource = sums.get(p.ID);
    if (!bySource) continue;
    let pct = 0;
    for (const s of bySource.values()) {
      if (s.span <= 0) continue;
      const bps = (Math.max(s.rx, s.tx) * 8 * 1000) / s.span;
      pct = Math.max(pct, (bps / (p.Metadata.Speed as number)) * 100);
    }
    if (pct <= above) continue;
    const name = endName(ctx.store, p.ID);
    out.push({
      key: p.ID,
      labels: { ...labelsOf(p), port: name },
      summary: `${name} at ${pct.toFixed(1)} % of its speed (above ${above} %)`,
    });
  }
  return out;
}

function silent(ctx: ConditionContext, scope: Set<string> | undefined, afterS: number): Subject[] {
  const out: Subject[] = [];
  for (const h of ctx.heard()) {
    if (scope && !(h.nodeId && scope.has(h.nodeId))) continue;
    const last = h.lastSeen ?? h.since;
    const quiet = ctx.now - last;
    if (quiet < afterS * 1000) continue;
    out.push({
      key: h.key,
      labels: { kind: h.kind, name: h.name, ...(h.nodeId ? { id: h.nodeId } : {}) },
      summary: `${h.kind === 'snmp' ? 'SNMP device' : 'exporter'} ${h.name} silent for ${Math.round(quiet / 1000)} s`,
    });
  }
  return out;
}

function newDevice(ctx: ConditionContext, elements: Element[]): Subject[] {
  return elements
    .filter((e) => !isEdge(e) && e.CreatedAt >= ctx.ruleSince)
    .map((e) => ({
      key: e.ID,
      labels: labelsOf(e),
      summary: `new unknown ${str(e.Metadata.Type) ?? 'device'} ${str(e.Metadata.Name) ?? e.ID} (seen by ${str(e.Metadata.Probe) ?? e.Origin})`,
    }));
}

const plans = new Map<string, { mtimeMs: number; plan: PlannedCable[] }>();

/** The plan file, parsed once per modification (a bad file throws; the engine counts it as a rule error). */
function planOf(file: string): PlannedCable[] {
  const mtimeMs = statSync(file).mtimeMs;
  const hit = plans.get(file);
  if (hit && hit.mtimeMs === mtimeMs) return hit.plan;
  const plan = parseCablingPlan(readFileSync(file, 'utf8'), /\.csv$/i.test(file) ? 'csv' : undefined);
  plans.set(file, { mtimeMs, plan });
  return plan;
}

const endText = (e: { device: string; port: string }) => `${e.device}:${e.port}`;
const cableKey = (a: { device: string; port: string }, b: { device: string; port: string }) => [endText(a), endText(b)].sort().join(' — ');

function cabling(ctx: ConditionContext, intent: string): Subject[] {
  const c = ctx.cabling;
  if (!c) return checkCabling(ctx, intent);
  const mtimeMs = statSync(intent).mtimeMs;
  const hit = c.cache.get(intent);
  if (hit && hit.mtimeMs === mtimeMs && (hit.generation === c.generation || ctx.now - hit.at < c.minIntervalMs)) return hit.subjects;
  const subjects = checkCabling(ctx, intent);
  c.cache.set(intent, { mtimeMs, generation: c.generation, at: ctx.now, subjects });
  return subjects;
}

function checkCabling(ctx: ConditionContext, intent: string): Subject[] {
  const r = verifyCabling(ctx.store, planOf(intent));
  const out: Subject[] = [];
  const add = (problem: string, key: string, summary: string) =>
    out.push({ key: `${problem}:${key}`, labels: { problem, cable: key }, summary });
  for (const m of r.missing)
    add('missing', cableKey(m.planned.a, m.planned.b), `planned cable ${cableKey(m.planned.a, m.planned.b)} missing: ${m.reason}`);
  for (const m of r.miswired) {
    const planned = cableKey(m.planned.a, m.planned.b);
    add('miswired', planned, `planned cable ${planned} miswired: ${endText(m.expected)} expected, found ${endText(m.found)}`);
  }
  for (const u of r.unexpected) add('unexpected', cableKey(u.a, u.b), `unexpected cable ${cableKey(u.a, u.b)}`);
  for (const s of r.speedMismatch) add('speed', cableKey(s.a, s.b), `speed differs across ${cableKey(s.a, s.b)}`);
  for (const s of r.mtuMismatch) add('mtu', cableKey(s.a, s.b), `MTU differs across ${cableKey(s.a, s.b)}`);
  return out;
}

/** The subjects a rule's condition holds for now. Throws on a bad query or plan (the engine counts it). */
export function evaluateCondition(ctx: ConditionContext, condition: Condition, query: string | undefined): Subject[] {
  const q = query ?? DEFAULT_QUERY[condition.kind];
  const live =
    query !== undefined || !ctx.live
      ? undefined
      : condition.kind === 'link-down'
        ? ctx.live.downLinks()
        : condition.kind === 'new-device'
          ? ctx.live.placeholders()
          : undefined;
  const result = live ? { elements: live, truthy: live.length > 0 } : q === undefined ? undefined : runRuleQuery(ctx, q);
  const elements = result?.elements ?? [];
  switch (condition.kind) {
    case 'match':
      if (!result) return [];
      if (elements.length === 0) return result.truthy ? [{ key: 'value', labels: {}, summary: `query ${q} holds` }] : [];
      return elements.map((e) => ({ key: e.ID, labels: labelsOf(e), summary: `${str(e.Metadata.Name) ?? e.ID} matches ${q}` }));
    case 'link-down':
      return linkDown(ctx, elements, condition.role);
    case 'utilisation':
      return utilisation(ctx, elements, condition.above, condition.window);
    case 'silent':
      return silent(ctx, result ? new Set(elements.map((e) => e.ID)) : undefined, condition.after);
    case 'new-device':
      return newDevice(ctx, elements);
    case 'cabling':
      return cabling(ctx, condition.intent);
  }
}
