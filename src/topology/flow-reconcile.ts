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

/** Per port: its preferred counter source and the span [from, to] its readings of that source cover. */
function portCoverage(series: readonly SeriesBucket[]): Map<string, { source: string; from: number; to: number }> {
  const out = new Map<string, { source: string; from: number; to: number }>();
  for (const b of series) {
    if (b.span <= 0) continue;
    const cur = out.get(b.nodeId);
    const start = b.t - b.span;
    if (cur === undefined || rank(b.source) < rank(cur.source)) out.set(b.nodeId, { source: b.source, from: start, to: b.t });
    else if (cur.source === b.source) {
      cur.from = Math.min(cur.from, start);
      cur.to = Math.max(cur.to, b.t);
    }
  }
  return out;
}

/**
 * A port's rx+tx bytes/s from its source's readings within [from, to): a reading straddling an
 * edge counts by its overlap (its bytes spread evenly over its interval), and the rate is over the
 * time the readings cover, so a gap in them is not read as silence.
 */
function counterRate(buckets: readonly SeriesBucket[], source: string, from: number, to: number): number | undefined {
  let bytes = 0;
  let covered = 0;
  for (const b of buckets) {
    if (b.source !== source || b.span <= 0) continue;
    const overlap = Math.min(b.t, to) - Math.max(b.t - b.span, from);
    if (overlap <= 0) continue;
    bytes += ((b.rxBytes + b.txBytes) * overlap) / b.span;
    covered += overlap;
  }
  return covered > 0 ? bytes / (covered / 1000) : undefined;
}

/**
 * The span every port's counter readings cover within a window: from the latest first reading's
 * start to the earliest last reading (series are buffered: a port's newest reading may not be
 * stored yet). reconcileLinks compares each link over its own two ports' span.
 */
export function counterCoverage(series: readonly SeriesBucket[]): { from: number; to: number } | undefined {
  const spans = [...portCoverage(series).values()];
  if (spans.length === 0) return undefined;
  const from = Math.max(...spans.map((s) => s.from));
  const to = Math.min(...spans.map((s) => s.to));
  return to > from ? { from, to } : undefined;
}

/**
 * The part of a row's bytes inside the window, its samples taken as spread evenly over [first, last].
 * A row (one flush, or several summed by the query) can reach past the span a link's counters
 * cover: counted whole, its bytes outside would read as flows above the counters.
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

/**
 * Every layer2 link between two ports whose devices are known, reconciled within [window.from,
 * window.to): each link over the span its two ports' counter readings both cover (one port's
 * sparse or late readings do not narrow every other link's comparison), flows counted by their
 * overlap with that span.
 */
export function reconcileLinks(
  g: GraphReader,
  flows: readonly ReconcileRow[],
  series: readonly SeriesBucket[],
  window: { from: number; to: number },
  o: ReconcileOptions,
): LinkReconciliation[] {
  const l2 = o.l2HeaderBytes ?? 14;
  const portRows = new Map<string, ReconcileRow[]>();
  const exportingDevices = new Set<string>();
  for (const r of flows) {
    exportingDevices.add(r.deviceId);
    // A packet in and out of the same port (hairpin) crossed the link twice: counted twice, as the counters do.
    for (const p of [r.inPortId, r.outPortId]) {
      if (p === null) continue;
      const a = portRows.get(p);
      if (a) a.push(r);
      else portRows.set(p, [r]);
    }
  }
  const coverage = portCoverage(series);
  const byPort = new Map<string, SeriesBucket[]>();
  for (const b of series) {
    const a = byPort.get(b.nodeId);
    if (a) a.push(b);
    else byPort.set(b.nodeId, [b]);
  }
  const deviceOf = (port: string): string | undefined => g.edgesOf(port, 'in').find((e) => e.Metadata.RelationType === 'ownership')?.Parent;

  const out: LinkReconciliation[] = [];
  for (const e of g.findEdges('RelationType', 'layer2')) {
    const ports = [e.Parent, e.Child];
    // The link's span: the window, narrowed to what both ends' readings cover (either, if one has none).
    let from = window.from;
    let to = window.to;
    for (const p of ports) {
      const c = coverage.get(p);
      if (!c) continue;
      from = Math.max(from, c.from);
      to = Math.min(to, c.to);
    }
    if (to - from < 1000) {
      from = window.from;
      to = window.to;
    }
    const w = { from, to };
    const secs = (to - from) / 1000;
    const ends = ports.map((portId): LinkEnd => {
      const deviceId = deviceOf(portId) ?? '';
      const c = coverage.get(portId);
      const rate = c ? counterRate(byPort.get(portId) ?? [], c.source, from, to) : undefined;
      const rows = portRows.get(portId) ?? [];
      let bytes = 0;
      const exporters = new Set<string>();
      for (const r of rows) {
        const share = overlapShare(r, w);
        if (share <= 0) continue;
        bytes += share * (r.bytes + l2 * r.packets);
        exporters.add(r.exporter);
      }
      const exports = deviceId !== '' && exportingDevices.has(deviceId);
      return {
        portId,
        port: nameOf(g, portId),
        deviceId,
        device: deviceId ? nameOf(g, deviceId) : '',
        counterBytesPerSec: rate ?? null,
        counterSource: rate !== undefined ? c!.source : null,
        flowBytesPerSec: exports ? bytes / secs : null,
        exporters: [...exporters].sort(),
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
