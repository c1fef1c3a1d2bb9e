// Port series → rates per time bucket, for GET /api/metrics, Metrics() and the wall
// (docs/architecture.md#port-metrics). The finest stored resolution that still covers the range is
// read and summed into buckets of the asked step; a bucket's rate is its deltas over the time its
// rows cover, so a bucket with no reading is absent (a gap), never a zero.
import type { InterfaceMetric, MetricSource } from './metrics-steps.ts';
import { ROLLUP_STEPS, type PortSeriesStore, type SeriesBucket, type SeriesCutoffs, type SeriesStep } from '../store/port-series.ts';

export type { PortSeriesStore };

/** How long each resolution is kept (ms). */
export interface SeriesRetention {
  raw: number;
  m1: number;
  m5: number;
  h1: number;
}

export function seriesCutoffs(r: SeriesRetention, now: number): SeriesCutoffs {
  return { 0: now - r.raw, 60_000: now - r.m1, 300_000: now - r.m5, 3_600_000: now - r.h1 };
}

const RESOLUTIONS: SeriesStep[] = [0, ...ROLLUP_STEPS];
const keep = (r: SeriesRetention, s: SeriesStep) => (s === 0 ? r.raw : s === 60_000 ? r.m1 : s === 300_000 ? r.m5 : r.h1);
/** Steps a default step is rounded up to. */
const NICE = [10_000, 30_000, 60_000, 300_000, 900_000, 3_600_000, 21_600_000, 86_400_000];
/** Points a default step aims at. */
const TARGET_POINTS = 300;

/** The stored resolution to read for [from, to) at `step`, and the step actually used (never finer than what is stored). */
export function resolutionFor(from: number, step: number, now: number, r: SeriesRetention): { resolution: SeriesStep; step: number } {
  const covering = RESOLUTIONS.filter((s) => from >= now - keep(r, s));
  const pick = covering.find((s) => s <= step) ?? covering[0] ?? 3_600_000;
  return { resolution: pick, step: Math.max(step, pick) };
}

export function defaultStep(from: number, to: number): number {
  const want = (to - from) / TARGET_POINTS;
  return NICE.find((s) => s >= want) ?? NICE[NICE.length - 1]!;
}

export interface RatePoint {
  /** Bucket start, epoch ms. */
  t: number;
  inBitsPerSec: number;
  outBitsPerSec: number;
  inPktsPerSec: number;
  outPktsPerSec: number;
  /** Counts within the bucket. */
  inErrors: number;
  outErrors: number;
  inDiscards: number;
  outDiscards: number;
  source: string;
  /** Worst ifOperStatus seen in the bucket (1 up, 2 down), when a source said. */
  operStatus?: number;
}

/** Which source a bucket shows when several have one: sFlow counters over SNMP, as for Metric. */
const PREFERENCE = ['sflow', 'snmp', 'agent', 'netflow'];
const rank = (s: string) => {
  const i = PREFERENCE.indexOf(s);
  return i < 0 ? PREFERENCE.length : i;
};

type Sum = SeriesBucket;

function add(into: Sum, b: SeriesBucket): void {
  into.span += b.span;
  into.rxBytes += b.rxBytes;
  into.txBytes += b.txBytes;
  into.rxPackets += b.rxPackets;
  into.txPackets += b.txPackets;
  into.rxErrors += b.rxErrors;
  into.txErrors += b.txErrors;
  into.rxDropped += b.rxDropped;
  into.txDropped += b.txDropped;
  if (b.oper !== null && (into.oper === null || b.oper > into.oper)) into.oper = b.oper;
}

/** Stored rows summed per (source, step bucket). */
export function bucketize(rows: readonly SeriesBucket[], step: number): Map<number, Map<string, Sum>> {
  const out = new Map<number, Map<string, Sum>>();
  for (const r of rows) {
    const t = Math.floor(r.t / step) * step;
    let m = out.get(t);
    if (!m) out.set(t, (m = new Map()));
    const s = m.get(r.source);
    if (s) add(s, r);
    else m.set(r.source, { ...r, t });
  }
  return out;
}

export function ratePoint(s: Sum): RatePoint | undefined {
  if (s.span <= 0) return undefined;
  const secs = s.span / 1000;
  const p: RatePoint = {
    t: s.t,
    inBitsPerSec: (s.rxBytes * 8) / secs,
    outBitsPerSec: (s.txBytes * 8) / secs,
    inPktsPerSec: s.rxPackets / secs,
    outPktsPerSec: s.txPackets / secs,
    inErrors: s.rxErrors,
    outErrors: s.txErrors,
    inDiscards: s.rxDropped,
    outDiscards: s.txDropped,
    source: s.source,
  };
  if (s.oper !== null) p.operStatus = s.oper;
  return p;
}

export interface RateQuery {
  nodeId: string;
  from: number;
  to: number;
  /** Bucket length (ms); default: about 300 points over the range. */
  step?: number;
  /** One source only (the others are kept for comparison); default: per bucket, sFlow over SNMP. */
  source?: string;
}

export function portRates(store: PortSeriesStore, q: RateQuery, now: number, r: SeriesRetention): { step: number; points: RatePoint[] } {
  const { resolution, step } = resolutionFor(q.from, q.step ?? defaultStep(q.from, q.to), now, r);
  // Raw rows carry their end time; a rollup bucket starting before `from` still has data in range.
  const from = resolution === 0 ? q.from : Math.floor(q.from / resolution) * resolution;
  const rows = store.read([q.nodeId], resolution, from, q.to).filter((b) => !q.source || b.source === q.source);
  const points: RatePoint[] = [];
  for (const [, bySource] of [...bucketize(rows, step)].sort((a, b) => a[0] - b[0])) {
    const best = [...bySource.values()].filter((s) => s.span > 0).sort((a, b) => rank(a.source) - rank(b.source))[0];
    const p = best && ratePoint(best);
    if (p) points.push(p);
  }
  return { step, points };
}

/** Metrics() within At(t, duration): each node's stored rows in the window, at the finest resolution still kept. */
export function seriesMetricSource(store: PortSeriesStore, r: SeriesRetention, now: () => number = Date.now): MetricSource {
  return ({ nodes, from, to, source }) => {
    const out = new Map<string, InterfaceMetric[]>();
    if (nodes.length === 0) return out;
    const { resolution } = resolutionFor(from, 0, now(), r);
    const lo = resolution === 0 ? from : Math.floor(from / resolution) * resolution;
    const rows = store.read(
      nodes.map((n) => n.ID),
      resolution,
      lo,
      to + 1,
    );
    const bySource = new Map<string, Map<string, SeriesBucket[]>>();
    for (const b of rows) {
      let m = bySource.get(b.nodeId);
      if (!m) bySource.set(b.nodeId, (m = new Map()));
      const l = m.get(b.source);
      if (l) l.push(b);
      else m.set(b.source, [b]);
    }
    for (const n of nodes) {
      const m = bySource.get(n.ID);
      if (!m) continue;
      // One source per port, as Metric: the asked one, else the one feeding Metric, else by preference.
      const feeding = (n.Metadata.Metric as { Source?: unknown } | undefined)?.Source;
      const pick =
        source ?? (typeof feeding === 'string' && m.has(feeding) ? feeding : [...m.keys()].sort((a, b) => rank(a) - rank(b))[0]!);
      const list = m.get(pick);
      if (!list) continue;
      out.set(
        n.ID,
        list.map((b) => ({
          Start: resolution === 0 ? b.t - b.span : b.t,
          Last: resolution === 0 ? b.t : b.t + resolution,
          RxBytes: b.rxBytes,
          TxBytes: b.txBytes,
          RxPackets: b.rxPackets,
          TxPackets: b.txPackets,
          RxErrors: b.rxErrors,
          TxErrors: b.txErrors,
          RxDropped: b.rxDropped,
          TxDropped: b.txDropped,
        })),
      );
    }
    return out;
  };
}
