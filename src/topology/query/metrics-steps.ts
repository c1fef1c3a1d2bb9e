// Metrics() and Aggregates() in Skydive's shape (docs/architecture.md#port-metrics): a map node ID →
// list of interface metrics {Start, Last, RxBytes, TxBytes, RxPackets, TxPackets, RxErrors, TxErrors,
// RxDropped, TxDropped}, marshalled as a one-element list (an empty list when no node has any).
// Without a time window (At(t, duration)) a node's metric is its LastUpdateMetric, as Skydive's;
// with one, the stored series rows within it.
import type { GraphNode } from '../types.ts';
import type { EvalContext } from './context.ts';

export interface InterfaceMetric {
  Start: number;
  Last: number;
  RxBytes: number;
  TxBytes: number;
  RxPackets: number;
  TxPackets: number;
  RxErrors: number;
  TxErrors: number;
  RxDropped: number;
  TxDropped: number;
}

const FIELDS = ['RxBytes', 'TxBytes', 'RxPackets', 'TxPackets', 'RxErrors', 'TxErrors', 'RxDropped', 'TxDropped'] as const;

/** Stored series rows of some nodes within [from, to], per node, oldest first; `source` undefined = the node's Metric source. */
export type MetricSource = (q: {
  nodes: GraphNode[];
  from: number;
  to: number;
  source: string | undefined;
}) => Map<string, InterfaceMetric[]>;

export type MetricMap = Map<string, InterfaceMetric[]>;

function fromLastUpdate(n: GraphNode, source: string | undefined): InterfaceMetric | undefined {
  const m = n.Metadata.LastUpdateMetric as Record<string, unknown> | undefined;
  if (!m || typeof m.Start !== 'number' || typeof m.Last !== 'number') return undefined;
  if (source !== undefined && m.Source !== source) return undefined;
  const out = { Start: m.Start, Last: m.Last } as InterfaceMetric;
  for (const f of FIELDS) out[f] = typeof m[f] === 'number' ? m[f] : 0;
  return out;
}

export function metricsOf(ctx: EvalContext, nodes: GraphNode[], source: string | undefined): MetricMap {
  const w = ctx.timeSlice;
  if (w && ctx.metricSource) {
    const m = ctx.metricSource({ nodes, from: w.from, to: w.to, source });
    for (const rows of m.values()) ctx.tick(rows.length);
    return m;
  }
  const out: MetricMap = new Map();
  for (const n of nodes) {
    const m = fromLastUpdate(n, source);
    if (m) out.set(n.ID, [m]);
  }
  return out;
}

/** The part of `m` inside [start, last), its counters scaled by the overlap (Skydive splits by ratio). */
function slice(m: InterfaceMetric, start: number, last: number): InterfaceMetric | undefined {
  const a = Math.max(m.Start, start);
  const b = Math.min(m.Last, last);
  const len = m.Last - m.Start;
  // A zero-length reading counts whole in the slice holding it.
  if (len === 0) return m.Start >= start && m.Start < last ? { ...m } : undefined;
  if (b <= a) return undefined;
  const ratio = (b - a) / len;
  const out = { Start: start, Last: last } as InterfaceMetric;
  for (const f of FIELDS) out[f] = Math.round(m[f] * ratio);
  return out;
}

export function aggregates(ctx: EvalContext, metrics: MetricMap, sliceMs: number): MetricMap {
  let start = ctx.timeSlice?.from ?? 0;
  let last = ctx.timeSlice?.to ?? 0;
  if (!ctx.timeSlice) {
    for (const rows of metrics.values()) {
      for (const r of rows) {
        if (start === 0 || r.Start < start) start = r.Start;
        if (r.Last > last) last = r.Last;
      }
    }
  }
  const steps = Math.max(1, Math.ceil((last - start) / sliceMs));
  const acc: (InterfaceMetric | undefined)[] = new Array(steps);
  for (const rows of metrics.values()) {
    for (const r of rows) {
      const first = Math.max(0, Math.floor((r.Start - start) / sliceMs));
      for (let i = first; i < steps; i++) {
        const s0 = start + i * sliceMs;
        if (s0 > r.Last) break;
        const part = slice(r, s0, Math.min(s0 + sliceMs, last));
        if (!part) continue;
        const into = acc[i];
        if (!into) acc[i] = { ...part, Start: s0, Last: Math.min(s0 + sliceMs, last) };
        else for (const f of FIELDS) into[f] += part[f];
      }
      ctx.checkTime();
    }
  }
  return new Map([['Aggregated', acc.filter((x): x is InterfaceMetric => x !== undefined)]]);
}

/** Skydive marshals the step's map as a one-element list, or an empty list when there is none. */
export function metricsJson(m: MetricMap): Record<string, InterfaceMetric[]>[] {
  return m.size === 0 ? [] : [Object.fromEntries(m)];
}
