// The flood of docs/reliability.md#flood, shortened for the suite (`npm run flood` runs 60 s): a
// real collector process at 3× the loss-free rate it showed in the same run stays up, under its
// RSS bound, counts its drops in /metrics, stores every accepted flow record, and keeps answering
// GET /api/status and a Gremlin query.
import { describe, expect, it } from 'vitest';
import { floodFailures } from '../../bench/lib/flood-checks.ts';
import { runFlood } from '../../bench/lib/flood.ts';

describe('flood', () => {
  it('3× the loss-free rate for 6 s: up, bounded, drops counted, every accepted record stored, API answering', async () => {
    const r = await runFlood({
      seconds: 6,
      factor: 3,
      stepSeconds: 2,
      rssMax: 512 * 1024 * 1024,
      keysPerMinute: 120_000,
      maxRate: 160_000,
      refine: 0,
      progress: (l) => process.stderr.write(`flood: ${l}\n`),
    });
    process.stderr.write(`flood report: ${JSON.stringify(r)}\n`);
    expect(floodFailures(r)).toEqual([]);
    // The flood did what it is for: more was offered than the collector could take.
    expect(r.dropped.socket_overflow! + r.dropped.queue_full!).toBeGreaterThan(0);
    expect(r.records).toBeGreaterThan(0);
  }, 60_000);
});
