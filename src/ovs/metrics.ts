// The ovsdb component's Prometheus metrics, on the injected registry (docs/architecture.md#configuration-and-metrics).
import type { Registry } from 'prom-client';
import { counter, gauge, preset } from '../util/metrics.ts';

export type OvsdbMetrics = ReturnType<typeof ovsdbMetrics>;

export function ovsdbMetrics(reg: Registry, endpoints: readonly string[]) {
  const m = {
    connected: gauge(reg, 'canopy_ovsdb_connected', 'OVSDB endpoint connected and monitoring (1) or not (0)', ['endpoint']),
    closed: counter(
      reg,
      'canopy_ovsdb_connections_closed_total',
      'OVSDB connections closed, by reason (protocol errors, oversized or malformed messages, timeouts …)',
      ['endpoint', 'reason'],
    ),
    notifications: counter(reg, 'canopy_ovsdb_notifications_total', 'OVSDB notifications received (update, update2, update3 …)', [
      'endpoint',
      'method',
    ]),
    resyncs: counter(reg, 'canopy_ovsdb_resyncs_total', 'Full snapshots applied (first sync, or a reconnect the server could not resume)', [
      'endpoint',
    ]),
    writes: counter(reg, 'canopy_ovsdb_graph_writes_total', 'Graph elements written or deleted from OVSDB', ['endpoint']),
  };
  for (const e of endpoints) m.connected.set({ endpoint: e }, 0);
  preset(m.closed, { endpoint: endpoints, reason: ['protocol', 'oversized', 'bad_json', 'not_object', 'timeout'] });
  preset(m.resyncs, { endpoint: endpoints });
  return m;
}
