// Canopy's own Prometheus metrics. Components get the registry injected; names are fixed by
// docs/architecture.md#configuration-and-metrics (scripts rely on them), so every component creates them through here.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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

export function histogram<L extends string>(
  reg: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  buckets: number[],
): Histogram<L> {
  const existing = reg.getSingleMetric(name);
  if (existing) return existing as Histogram<L>;
  return new Histogram({ name, help, labelNames, buckets, registers: [reg] });
}

/**
 * Creates every combination of the given label values at 0, so that alert rules and rate()
 * have a series to match before the first event (a counter without series matches nothing).
 */
export function preset<L extends string>(c: Counter<L>, values: { [K in L]: readonly string[] }): void {
  let sets: Partial<Record<L, string>>[] = [{}];
  for (const k of Object.keys(values) as L[]) sets = sets.flatMap((s) => values[k].map((v) => ({ ...s, [k]: v })));
  for (const s of sets) c.inc(s, 0);
}

/** The fixed flow-protocol metrics of docs/architecture.md#configuration-and-metrics. */
export function flowMetrics(reg: Registry) {
  return {
    received: counter(reg, 'canopy_datagrams_received_total', 'Datagrams received', ['protocol']),
    dropped: counter(reg, 'canopy_datagrams_dropped_total', 'Datagrams dropped', ['protocol', 'reason']),
    decodeErrors: counter(reg, 'canopy_decode_errors_total', 'Decode errors', ['protocol', 'code']),
    records: counter(reg, 'canopy_flow_records_total', 'Flow records decoded', ['protocol']),
  };
}
