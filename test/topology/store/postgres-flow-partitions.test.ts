// Flow tables on PostgreSQL are partitioned by day: today and the next days have partitions before
// their rows come, retention drops whole days (then deletes the rest in bounded steps), and a
// database from before partitioning keeps its flows through the migration. A real server; skips with
// the reason when postgresql is not installed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowEntry } from '../../../src/topology/store/flow-records.ts';
import { PostgresFlowStore } from '../../../src/topology/store/postgres-flows.ts';
import { PostgresLink } from '../../../src/topology/store/postgres-link.ts';
import { migratePostgres, PG_SCHEMA_VERSION } from '../../../src/topology/store/postgres-migrations.ts';
import { postgresMissing, startPostgres, type PostgresServer } from '../../support/postgres-server.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const D = 20_000; // a day number (2024-10-04)
const entry = (last: number, o: Partial<FlowEntry> = {}): FlowEntry => ({
  protocol: 'netflow',
  exporter: '10.0.0.1',
  deviceId: 'dev',
  inIf: 1,
  outIf: 2,
  inPortId: 'p1',
  outPortId: null,
  vlan: 0,
  srcAddr: '192.0.2.1',
  dstAddr: '192.0.2.2',
  proto: 6,
  srcPort: 1000,
  dstPort: 443,
  srcMac: '',
  dstMac: '',
  etherType: 0x0800,
  first: last,
  last,
  bytes: 100,
  packets: 1,
  flows: 1,
  samplingRate: 1,
  samplingMissing: false,
  ...o,
});

describe.skipIf(postgresMissing)(`flows on PostgreSQL, partitioned by day${postgresMissing ? ` (${postgresMissing})` : ''}`, () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(() => server?.stop());

  const open = (url: string, now: { t: number }) => {
    const link = new PostgresLink({ url });
    migratePostgres(link);
    return { link, flows: new PostgresFlowStore(link, () => now.t) };
  };
  const where = (db: string, table: string) =>
    server
      .psql(db, `SELECT t || '=' || n FROM (SELECT tableoid::regclass::text AS t, count(*) AS n FROM ${table} GROUP BY 1) x ORDER BY 1`)
      .trim()
      .split('\n')
      .filter((l) => l);

  it('has partitions ahead of the rows, drops whole days at retention and deletes the rest in bounded steps', () => {
    const url = server.createDatabase('days');
    const now = { t: D * DAY + 12 * HOUR };
    const { link, flows } = open(url, now);
    try {
      expect(
        server
          .psql(
            'days',
            "SELECT count(*) FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid WHERE c.relname IN ('flows', 'flows_1m')",
          )
          .trim(),
      ).toBe('2');
      // An old straggler (no partition of its own), today, tomorrow.
      flows.writeSome(
        [
          entry((D - 10) * DAY),
          entry(D * DAY + HOUR, { srcPort: 1 }),
          entry(D * DAY + 2 * HOUR, { srcPort: 2 }),
          entry((D + 1) * DAY + HOUR, { srcPort: 3 }),
        ],
        0,
        Infinity,
      );
      expect(flows.query({ top: 100 }, 0)).toHaveLength(4);
      expect(where('days', 'flows')).toEqual(['flows_d20000=2', 'flows_d20001=1', 'flows_default=1']);
      expect(where('days', 'flows_1m')).toEqual(['flows_1m_d20000=2', 'flows_1m_d20001=1', 'flows_1m_default=1']);

      // Two days later, a window cut inside day D+1: day D goes whole, then the rest one row at a time.
      now.t = (D + 2) * DAY + HOUR;
      const cut = (D + 1) * DAY + 2 * HOUR;
      expect(flows.prune(cut, 0, 1)).toBe(2);
      expect(where('days', 'flows')).toEqual(['flows_d20001=1', 'flows_default=1']);
      expect(flows.prune(cut, 0, 1)).toBe(1);
      expect(flows.prune(cut, 0, 1)).toBe(1);
      expect(flows.prune(cut, 0, 1)).toBe(0);
      expect(flows.query({ top: 100 }, 0)).toEqual([]);
      // The rollups keep their days until their own cut; the days ahead exist for both tables.
      expect(where('days', 'flows_1m')).toEqual(['flows_1m_d20000=2', 'flows_1m_d20001=1', 'flows_1m_default=1']);
      const names = server
        .psql('days', "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relname ~ '^flows(_1m)?_d[0-9]+$'")
        .trim();
      expect(names).toBe(
        'flows_1m_d20000,flows_1m_d20001,flows_1m_d20002,flows_1m_d20003,flows_1m_d20004,flows_d20001,flows_d20002,flows_d20003,flows_d20004',
      );
      expect(flows.prune(cut, (D + 1) * DAY, 10)).toBe(2); // flows_1m_d20000 dropped
      expect(flows.query({ from: 0, top: 100 }, DAY * 1e3)).toHaveLength(2);
    } finally {
      link.close();
    }
  });

  it('keeps the flows of a database from before partitioning through the migration', () => {
    const url = server.createDatabase('legacy');
    const now = { t: D * DAY };
    // Schema version 3 as it was (before partitioning, migration 4): the flow tables unpartitioned, with rows
    // in them, and no table of a later migration.
    open(url, now).link.close();
    server.psql(
      'legacy',
      `CREATE TABLE f (LIKE flows INCLUDING DEFAULTS); DROP TABLE flows; ALTER TABLE f RENAME TO flows;
       CREATE TABLE r (LIKE flows_1m INCLUDING DEFAULTS); DROP TABLE flows_1m; ALTER TABLE r RENAME TO flows_1m;
       ALTER TABLE flows_1m ADD PRIMARY KEY (minute, protocol, exporter, in_if, out_if, vlan, src_addr, dst_addr, proto, src_port, dst_port, src_mac, dst_mac, ether_type);
       INSERT INTO flows (first, last, protocol, exporter, device_id, in_if, out_if, vlan, src_addr, dst_addr, proto, src_port, dst_port, bytes, packets, flows, sampling_rate, sampling_missing)
         VALUES (1, ${D * DAY + 5}, 'sflow', 'e', 'dev', 1, 2, 0, '198.51.100.1', '198.51.100.2', 17, 53, 53, 777, 7, 1, 1, false);
       INSERT INTO flows_1m (minute, protocol, exporter, device_id, in_if, out_if, vlan, src_addr, dst_addr, proto, src_port, dst_port, bytes, packets, flows)
         VALUES (${D * DAY}, 'sflow', 'e', 'dev', 1, 2, 0, '198.51.100.1', '198.51.100.2', 17, 53, 53, 777, 7, 1);
       DROP TABLE alert_rules;
       UPDATE canopy_schema SET version = 3;`,
    );
    expect(
      server
        .psql('legacy', "SELECT count(*) FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid WHERE c.relname = 'flows'")
        .trim(),
    ).toBe('0');
    const { link, flows } = open(url, now);
    try {
      expect(server.psql('legacy', 'SELECT max(version) FROM canopy_schema').trim()).toBe(String(PG_SCHEMA_VERSION));
      expect(flows.query({}, 0)).toEqual([expect.objectContaining({ srcAddr: '198.51.100.1', bytes: 777 })]);
      expect(flows.query({ from: 0 }, DAY * 1e3)).toEqual([expect.objectContaining({ bytes: 777 })]);
      expect(where('legacy', 'flows')).toEqual(['flows_default=1']);
      // New rows of the same day still upsert into the rollup next to the migrated one.
      flows.writeSome(
        [
          entry(D * DAY + 10, {
            srcAddr: '198.51.100.1',
            dstAddr: '198.51.100.2',
            proto: 17,
            srcPort: 53,
            dstPort: 53,
            protocol: 'sflow',
            exporter: 'e',
            inPortId: null,
            etherType: 0,
            bytes: 3,
          }),
        ],
        0,
        Infinity,
      );
      expect(flows.query({ from: 0 }, DAY * 1e3)).toEqual([expect.objectContaining({ bytes: 780 })]);
    } finally {
      link.close();
    }
  });
});
