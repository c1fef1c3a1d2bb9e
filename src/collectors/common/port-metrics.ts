// Interface counters → `Metric` / `LastUpdateMetric` on port nodes plus a per-source time series
// (docs/architecture.md#flows). Per port one source feeds Metric: sFlow counters while they keep arriving (seen
// within two of their intervals), else SNMP; Metric.Source says which. Graph updates are
// throttled per port (history would otherwise archive every counter sample); state changes are not.
import type { GraphStore } from '../../topology/store/graph-store.ts';
import type { InterfaceCounters, PortSeriesRow, PortSeriesStore } from '../../topology/store/port-series.ts';
import type { Metadata } from '../../topology/types.ts';
import { CounterTracker, type ReadingInfo } from './counter-rates.ts';

export type CounterSource = 'sflow' | 'snmp' | 'netflow';
const SOURCES: CounterSource[] = ['sflow', 'snmp', 'netflow'];

interface Last {
  at: number;
  c: InterfaceCounters;
  graphAt: number;
  /** Typical interval between this source's samples for this port (ms). */
  interval: number;
}

/** Port-series counter names ↔ Skydive's `Metric` names. */
export const METRIC_KEYS: [keyof InterfaceCounters, string][] = [
  ['rxBytes', 'RxBytes'],
  ['txBytes', 'TxBytes'],
  ['rxPackets', 'RxPackets'],
  ['txPackets', 'TxPackets'],
  ['rxErrors', 'RxErrors'],
  ['txErrors', 'TxErrors'],
  ['rxDropped', 'RxDropped'],
  ['txDropped', 'TxDropped'],
];

const MAX_SERIES_BUFFER = 50_000;

/** Counter widths per source when the caller does not say: sFlow's octets are 64-bit, its packets 32-bit. */
const WIDTHS: Record<CounterSource, Pick<ReadingInfo, 'bytesWidth' | 'packetsWidth'>> = {
  sflow: { bytesWidth: 64, packetsWidth: 32 },
  snmp: { bytesWidth: 64, packetsWidth: 64 },
  netflow: { bytesWidth: 64, packetsWidth: 64 },
};

export class PortMetrics {
  private readonly last = new Map<string, Last>();
  /** Last State written per port, to spot changes without reading the graph. */
  private readonly states = new Map<string, unknown>();
  private series: PortSeriesRow[] = [];
  /** Deltas for the series: wraps, reboots, resets and gaps handled (counter-rates.ts). */
  readonly tracker = new CounterTracker();
  /** Counts and logs a failed series write; the rows are dropped. Without it the error is thrown. */
  onFailure: ((err: unknown, rows: number) => void) | undefined;

  constructor(
    private readonly store: GraphStore,
    private readonly stored: PortSeriesStore,
    private readonly graphIntervalMs: number,
  ) {}

  /**
   * Records one reading. `extra` (Speed, State …) is merged into the node at the same time; a
   * State change is written at once whatever the throttle says.
   */
  record(
    portId: string,
    source: CounterSource,
    c: InterfaceCounters,
    now: number,
    extra: Metadata = {},
    info: Partial<ReadingInfo> = {},
  ): void {
    const key = `${portId}|${source}`;
    const prev = this.last.get(key);
    const speed = typeof extra.Speed === 'number' ? extra.Speed : undefined;
    const oper = extra.State === 'UP' ? 1 : extra.State === 'DOWN' ? 2 : undefined;
    const sample = this.tracker.add(key, { ...WIDTHS[source], speed, oper, ...info, at: now, c });
    // The graph is read only when something is due to be written: counters arrive per port per
    // interval from every exporter, and most readings only feed the time series.
    const stateChanged = extra.State !== undefined && extra.State !== this.states.get(portId);
    if (!prev) {
      const node = this.store.getNode(portId);
      if (!node) return;
      this.last.set(key, { at: now, c, graphAt: 0, interval: 0 });
      if (Object.keys(extra).some((k) => node.Metadata[k] !== extra[k])) {
        this.store.write((tx) => tx.upsertNode({ ID: portId, Metadata: extra }, { merge: true }));
      }
      if (extra.State !== undefined) this.states.set(portId, extra.State);
      return;
    }
    // No sample (a reboot, a reset, a gap): the series shows a gap and LastUpdateMetric stays.
    let d: Record<string, number> | undefined;
    if (sample) {
      d = {};
      for (const [k, name] of METRIC_KEYS) d[name] = sample[k];
      this.series.push({ nodeId: portId, source, ...sample });
      if (this.series.length >= MAX_SERIES_BUFFER) this.flushSeries();
    }
    const interval = prev.interval ? (prev.interval * 3 + (now - prev.at)) / 4 : now - prev.at;
    const next: Last = { at: now, c, graphAt: prev.graphAt, interval };
    this.last.set(key, next);
    const due = now - prev.graphAt >= this.graphIntervalMs;
    if (!due && !stateChanged) return;
    const node = this.store.getNode(portId);
    if (!node) return;
    const cur = node.Metadata.Metric as { Source?: string; Last?: number } | undefined;
    // SNMP yields to sFlow counters that are still arriving.
    const otherFresh =
      source !== 'sflow' &&
      cur?.Source === 'sflow' &&
      typeof cur.Last === 'number' &&
      now - cur.Last < 2 * Math.max(this.sflowInterval(portId), 1000);
    if ((due && !otherFresh) || stateChanged) {
      const md: Metadata = { ...extra };
      if (!otherFresh) {
        const metric: Record<string, unknown> = { Source: source, Start: prev.graphAt || prev.at, Last: now };
        for (const [k, name] of METRIC_KEYS) metric[name] = c[k];
        md.Metric = metric;
        if (d) md.LastUpdateMetric = { ...d, Start: prev.at, Last: now, Source: source };
      }
      this.store.write((tx) => tx.upsertNode({ ID: portId, Metadata: md }, { merge: true }));
      next.graphAt = now;
      if (extra.State !== undefined) this.states.set(portId, extra.State);
    }
  }

  /** Writes buffered time-series rows in one transaction (the flow pipeline calls this on its timer). */
  flushSeries(): void {
    if (this.series.length === 0) return;
    const rows = this.series;
    this.series = [];
    try {
      this.stored.append(rows);
    } catch (err) {
      // Called from timers: a full disk must cost these rows, not the process.
      if (this.onFailure) this.onFailure(err, rows.length);
      else throw err;
    }
  }

  private sflowInterval(portId: string): number {
    return this.last.get(`${portId}|sflow`)?.interval ?? 0;
  }

  /** Forget a port (deleted). */
  forget(portId: string): void {
    for (const s of SOURCES) {
      this.last.delete(`${portId}|${s}`);
      this.tracker.forget(`${portId}|${s}`);
    }
    this.states.delete(portId);
  }

  /**
   * Ports merged away (old ID → canonical ID): their last readings continue on the canonical port
   * (unless it has its own from that source), so the next delta spans the merge and no byte
   * counted by the device is lost; buffered and stored series rows follow.
   */
  repoint(moved: ReadonlyMap<string, string>): void {
    if (moved.size === 0) return;
    for (const [from, to] of moved) {
      for (const s of SOURCES) {
        this.tracker.move(`${from}|${s}`, `${to}|${s}`);
        const l = this.last.get(`${from}|${s}`);
        if (!l) continue;
        this.last.delete(`${from}|${s}`);
        if (!this.last.has(`${to}|${s}`)) this.last.set(`${to}|${s}`, l);
      }
      if (this.states.has(from)) {
        if (!this.states.has(to)) this.states.set(to, this.states.get(from));
        this.states.delete(from);
      }
    }
    for (const r of this.series) r.nodeId = moved.get(r.nodeId) ?? r.nodeId;
    this.stored.repoint(moved);
  }
}
