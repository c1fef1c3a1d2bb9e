// Port series at scale (docs/architecture.md#port-metrics): PORTS ports read every 60 s for one
// hour through the counter tracker and the SQLite port series store (raw rows and 1 m / 5 m / 1 h
// rollups, one transaction per minute's batch), then 23 more hours for READ_PORTS of them, so one
// port's last 24 h read goes through the 1-minute rollups of a full day on a table of the hour's
// size. Figures: ingest CPU per 1,000 samples, storage bytes per day (rollups kept per day at
// steady state, from the measured bytes per rollup row) and the raw window's size, one port's last
// 24 h read (p50/p99). CANOPY_BENCH_SERIES_PORTS shrinks the run on a small machine.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench, Emit } from './run.ts';
import { openSqliteStorage } from '../src/topology/store/sqlite-storage.ts';
import { CounterTracker } from '../src/collectors/common/counter-rates.ts';
import type { PortSeriesRow } from '../src/topology/store/port-series.ts';
import { portRates, type SeriesRetention } from '../src/topology/query/port-rates.ts';

const PORTS = Number(process.env.CANOPY_BENCH_SERIES_PORTS ?? 50_000);
const READ_PORTS = Math.min(1000, PORTS);
const MIN = 60_000;
const DAY = 86_400_000;
const RETENTION: SeriesRetention = { raw: 3_600_000, m1: 2 * DAY, m5: 14 * DAY, h1: 400 * DAY };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function run(emit: Emit): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-series-bench-'));
  const storage = openSqliteStorage({ path: join(dir, 'canopy.db') });
  const db = storage.graph.database;
  try {
    const now = Math.floor(Date.now() / MIN) * MIN;
    const t0 = now - DAY;
    const tracker = new CounterTracker();
    const counters = new Float64Array(PORTS);
    /** One minute's readings of ports [0, n), appended in one batch. */
    const minute = (at: number, n: number) => {
      const rows: PortSeriesRow[] = [];
      for (let i = 0; i < n; i++) {
        // 1–100 Mbit/s per port, varying.
        counters[i]! += 7_500_000 * (1 + ((i * 7919 + at / MIN) % 100));
        const c = counters[i]!;
        const s = tracker.add(
          `p${i}|snmp`,
          {
            at,
            c: {
              rxBytes: c,
              txBytes: c / 2,
              rxPackets: c / 800,
              txPackets: c / 1600,
              rxErrors: 0,
              txErrors: 0,
              rxDropped: 0,
              txDropped: 0,
            },
            bytesWidth: 64,
            packetsWidth: 64,
            uptimeMs: at - t0 + 1_000_000,
            speed: 1e10,
            oper: 1,
          },
          MIN,
        );
        if (s) rows.push({ nodeId: `port-${i}`, source: 'snmp', ...s });
      }
      storage.portSeries.append(rows);
      return rows.length;
    };

    // 23 hours for the ports that will be read, then the full hour for every port.
    for (let m = 0; m < 23 * 60; m++) minute(t0 + m * MIN, READ_PORTS);
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    let samples = 0;
    for (let m = 23 * 60; m <= 24 * 60; m++) samples += minute(t0 + m * MIN, PORTS);
    const cpu = process.cpuUsage(cpu0);
    const wallMs = performance.now() - wall0;
    emit({
      bench: 'portSeries.ingestCpuPer1000',
      value: +((cpu.user + cpu.system) / 1000 / (samples / 1000)).toFixed(3),
      unit: 'ms CPU per 1,000 samples',
      ports: PORTS,
      samples,
      samplesPerSec: Math.round(samples / (wallMs / 1000)),
    });

    const size = (name: string) =>
      (db.prepare('SELECT coalesce(sum(pgsize), 0) AS b FROM dbstat WHERE name = ?').get(name) as { b: number }).b;
    const rollupBytes = size('port_metrics_rollup') + size('port_metrics_rollup_age');
    const rollupRows = (db.prepare('SELECT count(*) AS n FROM port_metrics_rollup').get() as { n: number }).n;
    const rawRows = (db.prepare('SELECT count(*) AS n FROM port_metrics').get() as { n: number }).n;
    const rawBytes = size('port_metrics') + size('port_metrics_node') + size('port_metrics_last');
    const perRollupRow = rollupBytes / rollupRows;
    // Each day adds 1,440 + 288 + 24 rollup rows per port (kept for their retentions); raw rows live one window.
    emit({
      bench: 'portSeries.bytesPerDay',
      value: Math.round(perRollupRow * PORTS * (1440 + 288 + 24)),
      unit: 'bytes/day',
      ports: PORTS,
      bytesPerRollupRow: +perRollupRow.toFixed(1),
    });
    emit({
      bench: 'portSeries.rawWindowBytes',
      value: Math.round((rawBytes / rawRows) * PORTS * (RETENTION.raw / MIN)),
      unit: 'bytes',
      window: '1h',
      bytesPerRawRow: +(rawBytes / rawRows).toFixed(1),
    });

    // One port's last 24 h as GET /api/metrics reads it (1-minute rollups, 1,440 points).
    const times: number[] = [];
    let points = 0;
    for (let i = 0; i < 400; i++) {
      const id = `port-${(i * 37) % READ_PORTS}`;
      const t = performance.now();
      const r = portRates(storage.portSeries, { nodeId: id, from: now - DAY, to: now + 1, step: MIN }, now + 1, RETENTION);
      times.push(performance.now() - t);
      points = r.points.length;
    }
    times.sort((a, b) => a - b);
    emit({
      bench: 'portSeries.read24h.p99',
      value: +percentile(times, 99).toFixed(2),
      unit: 'ms',
      p50: +percentile(times, 50).toFixed(2),
      points,
    });
  } finally {
    storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const benches: Bench[] = [{ name: 'portSeries', run }];
