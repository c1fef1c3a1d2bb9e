// The ovsdb component's Prometheus metrics, on the injected registry (docs/architecture.md#configuration-and-metrics).
import { Registry } from 'prom-client';
import { counter, gauge, preset } from '../util/metrics.ts';

export type OvsdbMetrics = ReturnType<typeof ovsdbMetrics>;

export function ovsdbMetrics(registry: Registry, endpoints: readonly string[]) {
  // Every family has its series at 0 from the start (docs/architecture.md#configuration-and-metrics);
  // with no endpoint there is no series to give, so the families stay off /metrics altogether.
  const reg = endpoints.length ? registry : new Registry();
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
  preset(m.notifications, { endpoint: endpoints, method: ['update', 'update2', 'update3'] });
  preset(m.writes, { endpoint: endpoints });
  return m;
}
