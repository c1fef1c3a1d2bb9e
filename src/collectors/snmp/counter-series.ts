// SNMP counter reads → the port series (docs/architecture.md#port-metrics). The graph's Metric is
// graph-writer.ts's; this keeps SNMP's own series beside sFlow's, with wraps (HC 64-bit or ifTable
// 32-bit), reboots (sysUpTime going back) and silences handled by counter-rates.ts. Rows are
// buffered and written in one transaction per flush.
import { CounterTracker } from '../common/counter-rates.ts';
import { ids } from '../../topology/ids.ts';
import type { GraphReader } from '../../topology/store/graph-store.ts';
import type { PortSeriesRow, PortSeriesStore } from '../../topology/store/port-series.ts';
import { seriesCounters, type IfState } from './parse-if.ts';

const MAX_BUFFER = 50_000;

export class SnmpCounterSeries {
  readonly tracker = new CounterTracker();
  private buffer: PortSeriesRow[] = [];

  constructor(
    private readonly graph: GraphReader,
    private readonly store: PortSeriesStore,
  ) {}

  record(switchId: string, states: Map<number, IfState>, uptimeMs: number | undefined, at: number, nominalMs: number): void {
    for (const st of states.values()) {
      if (!st.counters) continue;
      const nodeId = ids.port(switchId, st.ifIndex);
      const node = this.graph.getNode(nodeId);
      if (!node) continue;
      const c = st.counters;
      const speed = typeof node.Metadata.Speed === 'number' ? node.Metadata.Speed : undefined;
      const sample = this.tracker.add(
        `${nodeId}|snmp`,
        {
          at,
          c: seriesCounters(c),
          bytesWidth: st.width ?? 64,
          packetsWidth: st.width ?? 64,
          uptimeMs,
          speed,
          oper: st.oper ?? undefined,
        },
        nominalMs,
      );
      if (sample) this.buffer.push({ nodeId, source: 'snmp', ...sample });
    }
    if (this.buffer.length >= MAX_BUFFER) this.flush();
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    const rows = this.buffer;
    this.buffer = [];
    this.store.append(rows);
  }
}
