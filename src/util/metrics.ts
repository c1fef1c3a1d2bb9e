// Canopy's own Prometheus metrics. Components get the registry injected; names are fixed by
// docs/architecture.md#configuration-and-metrics (scripts rely on them), so every component creates them through here.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createRegistry(defaults = true): Registry {
  const r = new Registry();
  if (defaults) collectDefaultMetrics({ register: r, prefix: 'canopy_process_' });
  return r;
}

/** Returns the metric already registered under name, or creates it (components share names). */
export function counter<L extends string>(
  reg: Registry,
  name: string,
  help: string,
  labelNames: readonly L[] = [],
  /** Runs before each read of the metric (a scrape): counts kept elsewhere are added then. */
  collect?: () => void,
): Counter<L> {
  const existing = reg.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [reg], ...(collect ? { collect } : {}) });
}

export function gauge<L extends string>(reg: Registry, name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
  const existing = reg.getSingleMetric(name);
  if (existing) return existing as Gauge<L>;
  return new Gauge({ name, help, labelNames, registers: [reg] });
}

/**
 * A counter whose total lives elsewhere (a plain number kept on a hot path): read at each scrape
 * and the difference added, so the hot path never calls prom-client.
 */
export function counterOf(reg: Registry, name: string, help: string, read: () => number): Counter {
  const existing = reg.getSingleMetric(name);
  if (existing) return existing as Counter;
  let seen = 0;
  return new Counter({
    name,
    help,
    registers: [reg],
    collect() {
      const now = read();
      if (now > seen) this.inc(now - seen);
      seen = now;
    },
  });
}

/** A gauge read at each scrape. */
export function gaugeOf(reg: Registry, name: string, help: string, read: () => number): Gauge {
  const existing = reg.getSingleMetric(name);
  if (existing) return existing as Gauge;
  return new Gauge({
    name,
    help,
    registers: [reg],
    collect() {
      this.set(read());
    },
  });
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
