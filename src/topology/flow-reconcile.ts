// Flow vs counters per link (docs/flow-path.md): what the flows sampled at each end of a layer2
// link add up to (bytes × sampling rate, already scaled in the rows) against the interface
// counters of both ends over the same window. An end whose flows miss the counters by more than
// the tolerance is flagged with its likely cause. Pure: rows in, verdicts out.
import type { GraphReader } from './store/graph-store.ts';
import type { SeriesBucket } from './store/port-series.ts';

export interface ReconcileRow {
  deviceId: string;
  exporter: string;
  inPortId: string | null;
  outPortId: string | null;
  bytes: number;
  packets: number;
  /** First and last sample time of the row (ms); a row reaching past the window counts by its overlap. */
  first?: number;
  last?: number;
}

export interface ReconcileOptions {
  /** |flows / counters − 1| above this flags the end (0.3 = 30 %). */
  tolerance: number;
  /** Links carrying less than this (counters, bytes/s) are not judged: too little to compare. */
  minBytesPerSec: number;
  /** Ethernet header bytes a flow row's IP bytes lack per packet (interface octets include it). */
  l2HeaderBytes?: number;
}

export type MismatchCause = 'sampling-rate' | 'unmonitored-ingress';

export interface LinkEnd {
  portId: string;
  port: string;
  deviceId: string;
  device: string;
  /** rx + tx of the port, bytes/s (null: no counter reading in the window). */
  counterBytesPerSec: number | null;
  counterSource: string | null;
  /** Bytes/s of the flows this end's device sampled crossing the port (null: the device exports no flows). */
  flowBytesPerSec: number | null;
  exporters: string[];
  /** flow / counters of the link (null when not judged). */
  ratio: number | null;
  mismatch: boolean;
}

export interface LinkReconciliation {
  linkId: string;
  ends: [LinkEnd, LinkEnd];
  /** The link's counters (both ends' mean), bytes/s. */
  counterBytesPerSec: number | null;
  mismatch: boolean;
  cause?: MismatchCause;
  detail?: string;
}

const PREFERENCE = ['sflow', 'snmp', 'agent'];
const rank = (s: string) => (PREFERENCE.includes(s) ? PREFERENCE.indexOf(s) : PREFERENCE.length);

/**
 * Per port: rx+tx bytes/s of its best counter source within [from, to). A reading straddling an
 * edge counts by its overlap (its bytes spread evenly over its interval); the rate is over the time
 * the readings cover, so a gap in them is not read as silence.
 */
function counterRates(series: readonly SeriesBucket[], from: number, to: number): Map<string, { rate: number; source: string }> {
  const sums = new Map<string, Map<string, { bytes: number; covered: number }>>();
  for (const b of series) {
    if (b.span <= 0) continue;
    const overlap = Math.min(b.t, to) - Math.max(b.t - b.span, from);
    if (overlap <= 0) continue;
    let m = sums.get(b.nodeId);
    if (!m) sums.set(b.nodeId, (m = new Map()));
    const s = m.get(b.source) ?? { bytes: 0, covered: 0 };
    s.bytes += ((b.rxBytes + b.txBytes) * overlap) / b.span;
    s.covered += overlap;
    m.set(b.source, s);
  }
  const out = new Map<string, { rate: number; source: string }>();
  for (const [node, m] of sums) {
    const best = [...m].sort((a, b) => rank(a[0]) - rank(b[0]))[0];
    if (best) out.set(node, { rate: best[1].bytes / (best[1].covered / 1000), source: best[0] });
  }
  return out;
}

/**
 * The span every port's counter readings cover within a window: from the latest first reading's
 * start to the earliest last reading. Flows are summed over this span, so a reading not yet stored
 * (series are buffered) or one straddling the window's start does not skew the comparison.
 */
export function counterCoverage(series: readonly SeriesBucket[]): { from: number; to: number } | undefined {
  const best = new Map<string, string>();
  for (const b of series) {
    const cur = best.get(b.nodeId);
    if (cur === undefined || rank(b.source) < rank(cur)) best.set(b.nodeId, b.source);
  }
  const span = new Map<string, { from: number; to: number }>();
  for (const b of series) {
    if (best.get(b.nodeId) !== b.source || b.span <= 0) continue;
    const s = span.get(b.nodeId);
    const start = b.t - b.span;
    if (!s) span.set(b.nodeId, { from: start, to: b.t });
    else {
      s.from = Math.min(s.from, start);
      s.to = Math.max(s.to, b.t);
    }
  }
  if (span.size === 0) return undefined;
  const from = Math.max(...[...span.values()].map((s) => s.from));
  const to = Math.min(...[...span.values()].map((s) => s.to));
  return to > from ? { from, to } : undefined;
}

/**
 * The part of a row's bytes inside the window, its samples taken as spread evenly over [first, last].
 * The window is often narrowed to what the counter readings cover (a port's newest reading not
 * stored yet), and a row (one flush, or several summed by the query) can reach past it: counted
 * whole, its bytes outside the window would read as flows above the counters.
 */
function overlapShare(r: ReconcileRow, w: { from: number; to: number }): number {
  if (r.first === undefined || r.last === undefined) return 1;
  if (r.last <= r.first) return r.last >= w.from && r.first <= w.to ? 1 : 0;
  const overlap = Math.min(r.last, w.to) - Math.max(r.first, w.from);
  return Math.max(0, Math.min(1, overlap / (r.last - r.first)));
}

const nameOf = (g: GraphReader, id: string): string => {
  const v = g.getNode(id)?.Metadata.Name;
  return typeof v === 'string' ? v : id;
};

/** Every layer2 link between two ports whose devices are known, reconciled over [window.from, window.to). */
export function reconcileLinks(
  g: GraphReader,
  flows: readonly ReconcileRow[],
  series: readonly SeriesBucket[],
  window: { from: number; to: number },
  o: ReconcileOptions,
): LinkReconciliation[] {
  const l2 = o.l2HeaderBytes ?? 14;
  const secs = (window.to - window.from) / 1000;
  const portFlow = new Map<string, { bytes: number; exporters: Set<string> }>();
  const exportingDevices = new Set<string>();
  for (const r of flows) {
    exportingDevices.add(r.deviceId);
    const share = overlapShare(r, window);
    if (share <= 0) continue;
    // A packet in and out of the same port (hairpin) crossed the link twice: counted twice, as the counters do.
    for (const p of [r.inPortId, r.outPortId]) {
      if (p === null) continue;
      const s = portFlow.get(p) ?? { bytes: 0, exporters: new Set<string>() };
      s.bytes += share * (r.bytes + l2 * r.packets);
      s.exporters.add(r.exporter);
      portFlow.set(p, s);
    }
  }
  const counters = counterRates(series, window.from, window.to);
  const deviceOf = (port: string): string | undefined => g.edgesOf(port, 'in').find((e) => e.Metadata.RelationType === 'ownership')?.Parent;

  const out: LinkReconciliation[] = [];
  for (const e of g.findEdges('RelationType', 'layer2')) {
    const ends = [e.Parent, e.Child].map((portId): LinkEnd => {
      const deviceId = deviceOf(portId) ?? '';
      const c = counters.get(portId);
      const f = portFlow.get(portId);
      const exports = deviceId !== '' && exportingDevices.has(deviceId);
      return {
        portId,
        port: nameOf(g, portId),
        deviceId,
        device: deviceId ? nameOf(g, deviceId) : '',
        counterBytesPerSec: c ? c.rate : null,
        counterSource: c ? c.source : null,
        flowBytesPerSec: exports ? (f?.bytes ?? 0) / secs : null,
        exporters: f ? [...f.exporters].sort() : [],
        ratio: null,
        mismatch: false,
      };
    }) as [LinkEnd, LinkEnd];
    const cs = ends.map((x) => x.counterBytesPerSec).filter((x): x is number => x !== null);
    const counter = cs.length ? cs.reduce((a, b) => a + b, 0) / cs.length : null;
    const r: LinkReconciliation = { linkId: e.ID, ends, counterBytesPerSec: counter, mismatch: false };
    if (counter !== null && counter >= o.minBytesPerSec) {
      for (const end of ends) {
        if (end.flowBytesPerSec === null) continue;
        end.ratio = end.flowBytesPerSec / counter;
        end.mismatch = Math.abs(end.ratio - 1) > o.tolerance;
      }
    }
    r.mismatch = ends.some((x) => x.mismatch);
    if (ends.some((x) => x.flowBytesPerSec !== null || x.counterBytesPerSec !== null)) out.push(r);
  }
  explain(out, o.tolerance);
  return out;
}

/**
 * Names the likely cause of each flagged link. A wrong or missing sampling rate scales everything
 * an exporter reports by the same factor: its other judged links are off alike (or flows exceed
 * the counters, which only an overstated rate does). Flows short on one link only, where the
 * exporter's other links agree, mean traffic entering that device where nothing samples it.
 */
function explain(links: LinkReconciliation[], tolerance: number): void {
  const ratiosOf = new Map<string, number[]>();
  for (const l of links) {
    for (const e of l.ends) {
      if (e.ratio === null) continue;
      const a = ratiosOf.get(e.deviceId) ?? [];
      a.push(e.ratio);
      ratiosOf.set(e.deviceId, a);
    }
  }
  for (const l of links) {
    if (!l.mismatch) continue;
    const bad = l.ends.filter((e) => e.mismatch);
    const parts: string[] = [];
    let cause: MismatchCause = 'sampling-rate';
    for (const e of bad) {
      const ratio = e.ratio!;
      const all = ratiosOf.get(e.deviceId) ?? [ratio];
      const alike = all.every((x) => Math.abs(x / ratio - 1) <= tolerance);
      const c: MismatchCause = ratio > 1 || alike ? 'sampling-rate' : 'unmonitored-ingress';
      if (c === 'unmonitored-ingress') cause = c;
      const pct = Math.round(ratio * 100);
      parts.push(
        c === 'sampling-rate'
          ? `${e.device} ${e.port}: flows are ${pct} % of the counters on all ${all.length} judged link(s) of ${e.exporters.join(', ') || e.device} — its declared sampling rate is wrong or missing (×${ratio.toFixed(2)})`
          : `${e.device} ${e.port}: flows are ${pct} % of the counters while its other links agree — traffic enters ${e.device} where it is not sampled (unmonitored ingress)`,
      );
    }
    l.cause = cause;
    l.detail = parts.join('; ');
  }
}
