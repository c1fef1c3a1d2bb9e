// Canopy's own Prometheus metrics. Components get the registry injected; names are fixed by
// DESIGN §2 (scripts rely on them), so every component creates them through here.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export function createRegistry(defaults = true): Registry {
  const r = new Registry();
  if (defaults) collectDefaultMetrics({ register: r, prefix: 'canopy_process_' });
  return r;
}

/** Returns the metric already registered under name, or creates it (components share names). */
export function counter<L extends string>(reg: Registry, name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
  const existing = reg.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [reg] });
}

export function gauge<L extends string>(reg: Registry, name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
  const existing = reg.getSingleMetric(name);
  if (existing) return existing as Gauge<L>;
  return new Gauge({ name, help, labelNames, registers: [reg] });
}

/** The fixed flow-protocol metrics of DESIGN §2. */
export function flowMetrics(reg: Registry) {
  return {
    received: counter(reg, 'canopy_datagrams_received_total', 'Datagrams received', ['protocol']),
    dropped: counter(reg, 'canopy_datagrams_dropped_total', 'Datagrams dropped', ['protocol', 'reason']),
    decodeErrors: counter(reg, 'canopy_decode_errors_total', 'Decode errors', ['protocol', 'code']),
    records: counter(reg, 'canopy_flow_records_total', 'Flow records decoded', ['protocol']),
  };
}
