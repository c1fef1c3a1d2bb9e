// The figures of docs/scale-out.md "Flows on ClickHouse", on a clickhouse-server of its own (as
// nobody, temp dir, loopback): insert rate through the flow store (rows in flow-table-flush sized
// batches until the server has confirmed them all, and the collector thread's own share of it), then
// /api/flows answer times from a collector on `flows.store: clickhouse` over those rows.
// Run: npx tsx bench/clickhouse-flows.ts   (ROWS=300000 BATCH=10000 by default)
import { ClickhouseFlowStore } from '../src/topology/store/clickhouse-flows.ts';
import { INSERT_QUERY, rowLine } from '../src/topology/store/clickhouse-sql.ts';
import type { FlowEntry } from '../src/topology/store/flow-records.ts';
import { clickhouseMissing, startClickhouse } from '../test/support/clickhouse-server.ts';
import { startTestCollector } from '../test/api/helpers.ts';

if (clickhouseMissing) {
  console.log(`skipped: ${clickhouseMissing}`);
  process.exit(0);
}
const ROWS = Number(process.env.ROWS ?? 300_000);
const BATCH = Number(process.env.BATCH ?? 10_000);
const now = Date.now();
// 20 exporters, 2,000 ports, 50,000 host pairs, spread over the last 50 minutes.
const row = (i: number): FlowEntry => ({
  protocol: i % 3 ? 'sflow' : 'ipfix',
  exporter: `10.0.0.${i % 20}`,
  deviceId: `dev${i % 20}`,
  inIf: i % 48,
  outIf: (i * 7) % 48,
  inPortId: `port${i % 2000}`,
  outPortId: `port${(i * 13) % 2000}`,
  vlan: i % 10,
  srcAddr: `10.${(i >> 8) & 255}.${i & 255}.${(i % 50_000) & 255}`,
  dstAddr: `192.168.${(i * 31) & 255}.${((i % 50_000) >> 8) & 255}`,
  proto: i % 5 ? 6 : 17,
  srcPort: 1024 + (i % 50_000),
  dstPort: [443, 80, 53, 22][i % 4]!,
  srcMac: '',
  dstMac: '',
  etherType: 0x0800,
  first: now - 3_000_000 + (i % 3_000_000),
  last: now - 3_000_000 + (i % 3_000_000) + 500,
  bytes: 64 + (i % 1500),
  packets: 1 + (i % 10),
  flows: 1,
  samplingRate: 1000,
  samplingMissing: false,
});

const server = await startClickhouse();
try {
  const url = `${server.url}/bench`;
  const store = new ClickhouseFlowStore({ url, maxQueuedRows: ROWS });
  // Schema first (the worker creates it before its first request).
  store.query({ top: 1 }, 0);
  const t0 = performance.now();
  let onThread = 0;
  for (let i = 0; i < ROWS; i += BATCH) {
    // Made per batch, as a flow-table flush would hand them over (a million rows held at once would measure the GC).
    const b = Array.from({ length: Math.min(BATCH, ROWS - i) }, (_, k) => row(i + k));
    const s = performance.now();
    store.writeSome(b, 0, Infinity);
    onThread += performance.now() - s;
    // Let the worker's notices in, as the collector's event loop would between flushes.
    await new Promise((r) => setImmediate(r));
  }
  await store.flush();
  const secs = (performance.now() - t0) / 1000;
  console.log(
    `insert: ${ROWS} rows in ${BATCH}-row batches: ${secs.toFixed(1)} s, ${Math.round(ROWS / secs)} rows/s ` +
      `(collector thread: ${(onThread / 1000).toFixed(1)} s, ${Math.round(ROWS / (onThread / 1000))} rows/s; dropped ${store.stats.droppedRows})`,
  );
  store.close();

  // The server alone: the same rows as prepared 50,000-row JSONEachRow bodies, one insert after the other.
  const bodies: string[] = [];
  for (let i = 0; i < 10; i++) bodies.push(Array.from({ length: 50_000 }, (_, k) => rowLine(row(ROWS + i * 50_000 + k))).join('\n'));
  const t1 = performance.now();
  for (const body of bodies) {
    const r = await fetch(`${server.url}/?database=bench&query=${encodeURIComponent(INSERT_QUERY)}`, { method: 'POST', body });
    if (!r.ok) throw new Error(await r.text());
  }
  const s1 = (performance.now() - t1) / 1000;
  console.log(
    `server: 500000 rows in 50000-row inserts (raw table + three rollup views): ${s1.toFixed(1)} s, ${Math.round(500_000 / s1)} rows/s`,
  );

  const c = await startTestCollector({ 'flows.store': 'clickhouse', 'flows.clickhouse.url': url });
  try {
    const time = async (q: string, n = 15) => {
      const ms: number[] = [];
      let rows = 0;
      for (let i = 0; i < n; i++) {
        const s = performance.now();
        const r = await fetch(`${c.base}/api/flows?${q}`);
        rows = ((await r.json()) as unknown[]).length;
        ms.push(performance.now() - s);
      }
      ms.sort((a, b) => a - b);
      console.log(`/api/flows?${q}: p50 ${ms[n >> 1]!.toFixed(0)} ms, max ${ms[n - 1]!.toFixed(0)} ms (${rows} rows)`);
    };
    await time('top=100');
    await time('node=port42&top=100');
    await time('addr=192.168.31.0&top=100');
    await time('since=-1h&top=100');
    await time('since=-2h&top=100'); // before the window: the 1-minute rollups
  } finally {
    await c.stop();
  }
} finally {
  await server.stop();
}
