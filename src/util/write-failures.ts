// Storage writes that failed (a full disk, an I/O error): counted per store, logged rate-limited,
// and what could not be written is dropped and counted, so a writer on a timer or in a receive
// path never takes the collector down and keeps going when the space comes back.
import type { Counter, Registry } from 'prom-client';
import { RateLimitedLog, type Logger } from './log.ts';
import { counter } from './metrics.ts';

export class WriteFailures {
  private readonly failures: Counter<'store'>;
  private readonly dropped: Counter<'store'>;
  private readonly warn: RateLimitedLog;

  constructor(registry: Registry, log: Logger) {
    this.failures = counter(registry, 'canopy_storage_write_failures_total', 'Storage writes that failed (disk full, I/O error)', [
      'store',
    ]);
    this.dropped = counter(registry, 'canopy_storage_rows_dropped_total', 'Rows dropped because their write failed', ['store']);
    this.warn = new RateLimitedLog(log);
  }

  /** The series at 0 for these stores, so alert rules match before the first failure. */
  preset(stores: readonly string[]): void {
    for (const store of stores) {
      this.failures.inc({ store }, 0);
      this.dropped.inc({ store }, 0);
    }
  }

  record(store: string, err: unknown, rows: number): void {
    this.failures.inc({ store });
    if (rows > 0) this.dropped.inc({ store }, rows);
    const code = (err as { code?: unknown } | undefined)?.code;
    this.warn.error(`write:${store}:${String(code ?? 'error')}`, { err, store, rows }, `${store} write failed; rows dropped`);
  }
}
