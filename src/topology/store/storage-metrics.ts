// Metrics of a network storage backend, read from its link when scraped: writes waiting to be
// committed, retried and failed for good, and whether the change feed is connected.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { LinkStats } from './postgres-link.ts';

export function storageMetrics(reg: Registry, backend: { stats(): Readonly<LinkStats> }): void {
  const stats = () => backend.stats();
  new Gauge({
    name: 'canopy_storage_queued_writes',
    help: 'Write batches sent to the storage server and not yet committed',
    registers: [reg],
    collect() {
      this.set(stats().queued);
    },
  });
  new Gauge({
    name: 'canopy_storage_feed_up',
    help: '1 while the change feed (LISTEN connection) is connected',
    registers: [reg],
    collect() {
      this.set(stats().feedUp ? 1 : 0);
    },
  });
  // Counters follow the link's totals: each scrape adds what happened since the last one.
  const follow = (name: string, help: string, read: (s: Readonly<LinkStats>) => number) => {
    let seen = 0;
    new Counter({
      name,
      help,
      registers: [reg],
      collect() {
        const now = read(stats());
        if (now > seen) this.inc(now - seen);
        seen = now;
      },
    });
  };
  follow('canopy_storage_write_retries_total', 'Write transactions retried after a connection failure', (s) => s.retries);
  follow('canopy_storage_backend_write_failures_total', 'Write batches that failed for good (logged; flush() rejects)', (s) => s.failed);
}
