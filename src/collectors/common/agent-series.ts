// Agent interfaces' counters → the port series (docs/architecture.md#port-metrics), source `agent`:
// an agent publishes each interface's `Metric` (Linux's 64-bit counters, read every
// `agent.countersInterval`); each new reading (a new `Metric.Last`) closes an interval under the
// same counter rules as SNMP and sFlow (resets and reboots give a gap, never a spike).
import { CounterTracker } from './counter-rates.ts';
import { METRIC_KEYS } from './port-metrics.ts';
import type { GraphStore } from '../../topology/store/graph-store.ts';
import type { InterfaceCounters, PortSeriesRow, PortSeriesStore } from '../../topology/store/port-series.ts';
import type { GraphNode } from '../../topology/types.ts';

function reading(n: GraphNode): { at: number; c: InterfaceCounters } | undefined {
  const m = n.Metadata.Metric as Record<string, unknown> | undefined;
  if (!m || typeof m !== 'object' || typeof m.Last !== 'number') return undefined;
  const c = {} as InterfaceCounters;
  for (const [k, src] of METRIC_KEYS) {
    const v = m[src];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return undefined;
    c[k] = v;
  }
  return { at: m.Last, c };
}

export class AgentSeries {
  private readonly tracker = new CounterTracker();
  private readonly lastAt = new Map<string, number>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly graph: GraphStore,
    private readonly series: PortSeriesStore,
  ) {}

  start(): void {
    this.unsubscribe = this.graph.subscribe((evs) => {
      const rows: PortSeriesRow[] = [];
      for (const ev of evs) {
        if (!('node' in ev)) continue;
        const n = ev.node;
        if (ev.type === 'NodeDeleted') {
          this.lastAt.delete(n.ID);
          continue;
        }
        if (!n.Origin.startsWith('agent.')) continue;
        const r = reading(n);
        if (!r || this.lastAt.get(n.ID) === r.at) continue;
        this.lastAt.set(n.ID, r.at);
        const speed = typeof n.Metadata.Speed === 'number' && n.Metadata.Speed > 0 ? n.Metadata.Speed : undefined;
        const oper = n.Metadata.State === 'UP' ? 1 : n.Metadata.State === 'DOWN' ? 2 : undefined;
        const s = this.tracker.add(`${n.ID}|agent`, {
          ...r,
          bytesWidth: 64,
          packetsWidth: 64,
          ...(speed ? { speed } : {}),
          ...(oper ? { oper } : {}),
        });
        if (s) rows.push({ nodeId: n.ID, source: 'agent', ...s });
      }
      if (rows.length) this.series.append(rows);
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}
