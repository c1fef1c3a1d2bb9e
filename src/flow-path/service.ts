// Observed paths and flow-vs-counter reconciliation (docs/flow-path.md) over the collector's
// readers: flows through the flows reader, counters from the port series, links from the graph.
import type { FlowsReader } from '../collectors/flows/flows-reader.ts';
import type { FlowQuery } from '../collectors/flows/flow-store.ts';
import type { GraphReader } from '../topology/store/graph-store.ts';
import type { PortSeriesStore } from '../topology/store/port-series.ts';
import { observedPaths, type FlowPathResult } from '../topology/flow-path.ts';
import { reconcileLinks, type LinkReconciliation } from '../topology/flow-reconcile.ts';
import type { ReconcileConfig } from './config.ts';

/** Rows a path or a reconciliation reads at most (the flow store's answers are biggest first). */
const MAX_ROWS = 200_000;

export interface PathQuery {
  src: string;
  dst: string;
  proto?: number;
  sport?: number;
  dport?: number;
  from?: number;
  to?: number;
}

export interface Reconciliation {
  at: number;
  from: number;
  to: number;
  tolerance: number;
  links: LinkReconciliation[];
}

export class FlowPaths {
  constructor(
    private readonly graph: GraphReader,
    private readonly flows: FlowsReader,
    private readonly series: PortSeriesStore,
    readonly config: ReconcileConfig,
  ) {}

  /** The hops the flows from src to dst were sampled at, grouped into paths (ECMP: several, with shares). */
  path(q: PathQuery, now = Date.now()): FlowPathResult {
    const fq: FlowQuery = { src: q.src, dst: q.dst, top: MAX_ROWS };
    if (q.proto !== undefined) fq.proto = q.proto;
    if (q.from !== undefined) fq.from = q.from;
    if (q.to !== undefined) fq.to = q.to;
    const rows = this.flows
      .query(fq, now)
      .filter((r) => (q.sport === undefined || r.srcPort === q.sport) && (q.dport === undefined || r.dstPort === q.dport));
    return observedPaths(this.graph, rows);
  }

  /**
   * Every layer2 link's flows against its counters within [windowFrom, windowTo) (narrowed to what
   * the counters cover). `settled`: read the flows stored so far and stop where they end, instead
   * of flushing the flow table and waiting for the writer (the periodic run on the receive thread).
   */
  reconcile(windowFrom: number, windowTo: number, now = Date.now(), settled = false): Reconciliation {
    const ports = new Set<string>();
    for (const e of this.graph.findEdges('RelationType', 'layer2')) {
      ports.add(e.Parent);
      ports.add(e.Child);
    }
    // No links, nothing to judge: the flows are not read at all.
    if (ports.size === 0) return { at: now, from: windowFrom, to: windowTo, tolerance: this.config.tolerance, links: [] };
    let to = windowTo;
    if (settled) {
      // Only what the writer has stored: the table and the writer's backlog are not waited for.
      to = Math.min(to, this.flows.storedThrough());
      if (to - windowFrom < 1000) return { at: now, from: windowFrom, to: windowFrom, tolerance: this.config.tolerance, links: [] };
    }
    const from = windowFrom;
    const q = { from, to, top: MAX_ROWS };
    // Flows first: the unsettled read flushes the flow table and the buffered counter readings
    // with it, so the series read next holds every reading up to now (read before, a window
    // cut where the last flush was, mid-traffic, read as 0.3× or 1.6× in short lab runs).
    const rows = settled ? this.flows.stored(q, now) : this.flows.query(q, now);
    // Each link is compared over the span its ports' counter readings cover (reconcileLinks).
    const series = this.series.read([...ports], 0, from, to);
    const links = reconcileLinks(
      this.graph,
      rows,
      series,
      { from, to },
      {
        tolerance: this.config.tolerance,
        minBytesPerSec: this.config.minBytesPerSec,
      },
    );
    return { at: now, from, to, tolerance: this.config.tolerance, links };
  }
}
