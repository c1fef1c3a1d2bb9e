// flows.store: clickhouse against a real clickhouse-server (one for this file, a fresh database per
// case): the flow conformance suite SQLite and PostgreSQL pass, the 5 m / 1 h rollups, partition
// retention, and a server that dies or hangs never blocking or failing the writer. Skips with the
// reason when clickhouse-server is not installed.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ClickhouseFlowStore } from '../../../src/topology/store/clickhouse-flows.ts';
import type { FlowEntry } from '../../../src/topology/store/flow-records.ts';
import { clickhouseMissing, startClickhouse, type ClickhouseServer } from '../../support/clickhouse-server.ts';
import { flowConformance, type FlowHarness } from './conformance-flows.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const entry = (o: Partial<FlowEntry> = {}): FlowEntry => ({
  protocol: 'ipfix',
  exporter: '10.0.0.1',
  deviceId: 'dev',
  inIf: 1,
  outIf: 2,
  inPortId: 'p1',
  outPortId: null,
  vlan: 0,
  srcAddr: '192.0.2.1',
  dstAddr: '192.0.2.2',
  proto: 17,
  srcPort: 5000,
  dstPort: 53,
  srcMac: '',
  dstMac: '',
  etherType: 0x0800,
  first: 0,
  last: 0,
  bytes: 100,
  packets: 1,
  flows: 1,
  samplingRate: 1,
  samplingMissing: false,
  ...o,
});

if (clickhouseMissing) {
  describe.skip(`flow store: clickhouse (${clickhouseMissing})`, () => it('skipped'));
} else {
  let server: ClickhouseServer;
  let n = 0;
  beforeAll(async () => {
    server = await startClickhouse();
  }, 90_000);
  afterAll(() => server?.stop());

  describe('flow store conformance: clickhouse', () => {
    let h: (FlowHarness & { storage: { flows: ClickhouseFlowStore } }) | undefined;
    beforeEach(() => {
      const url = `${server.url}/conformance_${++n}`;
      const harness = {
        storage: { flows: new ClickhouseFlowStore({ url }) },
        reopen() {
          harness.storage.flows.close();
          harness.storage = { flows: new ClickhouseFlowStore({ url }) };
          return harness.storage;
        },
      };
      h = harness;
    });
    afterEach(() => {
      h?.storage.flows.close();
      h = undefined;
    });
    flowConformance(() => h!, { wholePrune: true });
  });

  describe('clickhouse specifics', () => {
    it('keeps 5-minute and 1-hour rollups, answers from them past the 1-minute retention, and drops whole partitions', async () => {
      const now = 40 * DAY;
      const f = new ClickhouseFlowStore({
        url: `${server.url}/tiers`,
        retention5mMs: 10 * DAY,
        retention1hMs: 35 * DAY,
        now: () => now,
      });
      try {
        // Three days ago (two minutes of one 5-minute bucket), and twenty days ago.
        const d3 = now - 3 * DAY;
        const d20 = now - 20 * DAY;
        f.writeSome([entry({ first: d3, last: d3 + 10 }), entry({ first: d3 + MIN, last: d3 + MIN + 5, bytes: 50 })], 0, Infinity);
        f.writeSome([entry({ first: d20, last: d20 + 7, bytes: 7 })], 0, Infinity);
        // Window 1 h, 1-minute rollups 2 days.
        f.prune(now - HOUR, now - 2 * DAY);
        const from = (t: number) => f.query({ from: t }, now - HOUR);
        // 1 m rollups are gone past 2 days: 3 days back comes from the 5 m tier, at 5-minute resolution.
        const r3 = from(now - 4 * DAY);
        expect(r3).toEqual([expect.objectContaining({ bytes: 150, packets: 2, flows: 2, first: Math.floor(d3 / 300_000) * 300_000 })]);
        // 20 days back is past the 5 m tier (10 days): the 1 h tier answers, with both.
        const r20 = from(now - 30 * DAY);
        expect(r20).toEqual([expect.objectContaining({ bytes: 157, packets: 3, flows: 3 })]);
        expect(r20[0]!.first).toBe(Math.floor(d20 / HOUR) * HOUR);
        // Whole days past each cut are dropped partitions; the raw table is empty.
        await f.flush();
        const parts = await server.query(
          "SELECT table, uniqExact(partition) FROM system.parts WHERE database = 'tiers' AND active GROUP BY table ORDER BY table FORMAT TSV",
        );
        expect(parts.trim().split('\n')).toEqual(['canopy_flows_1h\t2', 'canopy_flows_5m\t1']);
      } finally {
        f.close();
      }
    });

    it('round-trips quotes, backslashes, control and non-ASCII characters in stored values and in query literals', () => {
      const f = new ClickhouseFlowStore({ url: `${server.url}/escapes` });
      try {
        const odd = ["it's", 'back\\slash', 'quote"d', 'line\nbreak\ttab', 'ünï\u2028cödé', "'); DROP TABLE canopy_flows; --"];
        f.writeSome(
          odd.map((id, i) => entry({ deviceId: id, inPortId: id, exporter: id, srcPort: i, last: 1 })),
          0,
          Infinity,
        );
        for (const id of odd) {
          expect(f.query({ node: id }, 0), id).toEqual([expect.objectContaining({ deviceId: id, inPortId: id, exporter: id })]);
          expect(f.query({ exporter: id }, 0)).toHaveLength(1);
        }
        expect(f.query({ top: 100 }, 0)).toHaveLength(odd.length);
      } finally {
        f.close();
      }
    });

    it('does not send an insert again when the server took it but did not answer in time (no flow stored twice)', async () => {
      const f = new ClickhouseFlowStore({ url: `${server.url}/stalled`, requestTimeoutMs: 300 });
      try {
        f.writeSome([entry({ last: 1 })], 0, Infinity);
        expect(f.query({}, 0)).toHaveLength(1);
        // A stopped server: the connection is accepted by the kernel, the insert waits unanswered.
        process.kill(server.pid, 'SIGSTOP');
        try {
          f.writeSome(
            Array.from({ length: 100 }, (_, i) => entry({ srcPort: i + 1, last: 2 })),
            0,
            Infinity,
          );
          await f.flush(); // gives up after the insert timeout (6 × 300 ms)
        } finally {
          process.kill(server.pid, 'SIGCONT');
        }
        expect(f.stats.droppedRows).toBe(100);
        // Whatever the server made of the abandoned request, the rows are there at most once.
        await new Promise((r) => setTimeout(r, 1000));
        const rows = Number((await server.query('SELECT count() FROM stalled.canopy_flows')).trim());
        expect([1, 101]).toContain(rows);
        f.writeSome([entry({ srcPort: 1000, last: 3 })], 0, Infinity);
        expect(f.query({ top: 1000 }, 0)).toHaveLength(rows + 1);
      } finally {
        f.close();
      }
    }, 30_000);

    it('never blocks or fails the writer while the server is down: bounded queue, counted drops, fast failing reads, then catches up', async () => {
      const problems: string[] = [];
      const f = new ClickhouseFlowStore({
        url: `${server.url}/outage`,
        maxQueuedRows: 1000,
        requestTimeoutMs: 2000,
        onProblem: (what) => problems.push(what),
      });
      try {
        f.writeSome([entry({ last: 1 })], 0, Infinity);
        expect(f.query({}, 0)).toHaveLength(1);
        await server.halt(true);
        const batch = Array.from({ length: 400 }, (_, i) => entry({ srcPort: i, last: 2 }));
        const t0 = performance.now();
        for (let i = 0; i < 5; i++) expect(f.writeSome(batch, 0, Infinity)).toBe(400);
        expect(performance.now() - t0).toBeLessThan(200);
        // Two batches fit in the 1000 rows; the other three were dropped and counted.
        expect(f.stats.droppedRows).toBe(1200);
        const t1 = Date.now();
        expect(() => f.query({}, 0)).toThrow(/clickhouse/);
        expect(Date.now() - t1).toBeLessThan(3000);
        expect(f.prune(10, 0)).toBe(0); // retention waits for the server, without throwing
        await new Promise((r) => setTimeout(r, 300));
        expect(f.stats.up).toBe(false);
        expect(problems).toContain('dropped');
        expect(problems).toContain('down');
        await server.start();
        await f.flush();
        expect(f.stats.up).toBe(true);
        expect(f.stats.queuedRows).toBe(0);
        // What was queued during the outage landed once: key 1 (last=1) plus 400 distinct keys.
        expect(f.query({ top: 10_000 }, 0)).toHaveLength(401);
      } finally {
        f.close();
      }
    }, 60_000);
  });
}
