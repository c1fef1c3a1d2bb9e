// One real sFlow capture (fixtures/pcaps/ovs-sflow.pcap) into collectors whose graphs are SQLite
// and whose flows are in SQLite, in PostgreSQL (flows.store: postgres) and in ClickHouse
// (flows.store: clickhouse), and one with the graph on PostgreSQL and the flows in SQLite:
// /api/flows and Flows() give the same answers from each; `--check`
// reaches ClickHouse and names the key and reason when it cannot. Real servers (temp dirs, loopback,
// stopped by PID); skips with the reason when postgresql or clickhouse-server is absent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dgram from 'node:dgram';
import { createServer, type AddressInfo } from 'node:net';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { udpPayloads } from '../../../src/collectors/common/pcap.ts';
import { decodeFiles } from '../../../src/cli/decode.ts';
import type { FlowRecord } from '../../../src/collectors/common/flow-record.ts';
import { ids } from '../../../src/topology/ids.ts';
import { startTestCollector, type TestCollector } from '../../api/helpers.ts';
import { postgresMissing, startPostgres, type PostgresServer } from '../../support/postgres-server.ts';
import { clickhouseMissing, startClickhouse, type ClickhouseServer } from '../../support/clickhouse-server.ts';

const CAPTURE = 'fixtures/pcaps/ovs-sflow.pcap';
const sum = (rs: { bytes?: number }[]) => rs.reduce((s, r) => s + (r.bytes ?? 0), 0);
const want = () => sum(decodeFiles([CAPTURE]).records.filter((r): r is FlowRecord => (r as FlowRecord).type === 'flow'));
const missing = clickhouseMissing ?? postgresMissing;

/** A row as compared across stores: every field but the times (each collector received the capture at its own), rows in a fixed order. */
const canonical = (rows: Record<string, unknown>[]) =>
  rows
    .map((r) =>
      JSON.stringify(
        Object.entries(r)
          .filter(([k]) => k !== 'first' && k !== 'last')
          .sort(([a], [b]) => a.localeCompare(b)),
      ),
    )
    .sort();

describe.skipIf(missing)(`flows.store sqlite | postgres | clickhouse${missing ? ` (${missing})` : ''}`, () => {
  let ch: ClickhouseServer;
  let pg: PostgresServer;
  let freePort = 0;
  // Graph in SQLite (but the last); flows in the store named.
  const stores = (): Record<string, Record<string, unknown>> => ({
    sqlite: {},
    postgres: { 'flows.store': 'postgres', 'storage.postgres.url': pg.url('flows') },
    clickhouse: { 'flows.store': 'clickhouse', 'flows.clickhouse.url': `${ch.url}/canopy` },
    // And the other way round: the graph on PostgreSQL, the flows in the SQLite file.
    'sqlite beside a postgres graph': { 'storage.backend': 'postgres', 'storage.postgres.url': pg.url('graph'), 'flows.store': 'sqlite' },
  });
  const sw = ids.switchByChassis(4, '02:00:00:00:00:fe');
  beforeAll(async () => {
    [ch, pg] = await Promise.all([startClickhouse(), startPostgres()]);
    // A loopback port nothing listens on (fetch refuses the well-known ones like 1 or 9).
    const s = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => s.once('listening', r));
    freePort = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    pg.createDatabase('flows');
    pg.createDatabase('graph');
  }, 120_000);
  afterAll(async () => {
    await Promise.all([ch?.stop(), pg?.stop()]);
  });

  const post = async (t: TestCollector, path: string, body: unknown) => {
    const r = await fetch(t.base + path, { method: 'POST', body: JSON.stringify(body) });
    expect(r.status, path).toBeLessThan(300);
  };
  const gremlin = async (t: TestCollector, q: string) =>
    (await (await fetch(t.base + '/api/topology', { method: 'POST', body: JSON.stringify({ GremlinQuery: q }) })).json()) as unknown[];
  const flows = async (t: TestCollector, q: string) =>
    (await (await fetch(`${t.base}/api/flows?${q}`)).json()) as Record<string, unknown>[];

  it('answers /api/flows and Flows() the same from each store', async () => {
    const total = want();
    expect(total).toBeGreaterThan(0);
    const queries = [
      'top=10000',
      'exporter=10.98.0.254&top=10000',
      `node=${encodeURIComponent(ids.port(sw, 2))}`,
      'proto=6&top=10000',
      'since=-1h',
    ];
    const answers: Record<string, { api: string[][]; flows: number[]; metrics: string }> = {};
    // One collector at a time: the sFlow receive path is per process (a second collector in the same process hears nothing).
    for (const [kind, overrides] of Object.entries(stores())) {
      const t = await startTestCollector(overrides);
      try {
        // The capture's switch and ports, so that flows are attributed to nodes.
        await post(t, '/api/node', { ID: sw, Metadata: { Type: 'switch', Name: 'sfx-sw', MgmtAddress: '10.98.0.254' } });
        for (const i of [2, 3]) {
          await post(t, '/api/node', { ID: ids.port(sw, i), Metadata: { Type: 'port', Name: `sw-p${i}`, IfIndex: i } });
          await post(t, '/api/edge', { Parent: sw, Child: ids.port(sw, i), Metadata: { RelationType: 'ownership' } });
        }
        const st = t.collector.status() as { components: Record<string, { listen: string[] }> };
        const port = Number(st.components.sflow!.listen[0]!.split(':').pop());
        const s = dgram.createSocket('udp4');
        for (const u of udpPayloads(readFileSync(CAPTURE)))
          await new Promise<void>((r, j) => s.send(u.payload, port, '127.0.0.1', (e) => (e ? j(e) : r())));
        s.close();
        // UDP on loopback: wait until it has taken every datagram (/api/flows flushes the flow table).
        const end = Date.now() + 10_000;
        while (sum(await flows(t, 'exporter=10.98.0.254&top=10000')) !== total) {
          if (Date.now() > end) throw new Error(`${kind}: not every flow within 10 s`);
          await new Promise((r) => setTimeout(r, 50));
        }
        answers[kind] = {
          api: await Promise.all(queries.map(async (q) => canonical(await flows(t, q)))),
          flows: ((await gremlin(t, `G.V('${sw}').Flows().Values('bytes')`)) as number[]).sort(),
          metrics: await (await fetch(t.base + '/metrics')).text(),
        };
      } finally {
        await t.stop();
      }
    }
    const base = answers.sqlite!;
    queries.forEach((q, i) => expect(base.api[i]!.length, q).toBeGreaterThan(0));
    expect(base.flows.reduce((x, y) => x + y, 0)).toBe(total);
    for (const kind of ['postgres', 'clickhouse', 'sqlite beside a postgres graph']) {
      queries.forEach((q, i) => expect(answers[kind]!.api[i], `${kind}: ${q}`).toEqual(base.api[i]));
      expect(answers[kind]!.flows, `${kind}: Flows()`).toEqual(base.flows);
    }
    // ClickHouse's own metrics: answering, nothing dropped.
    expect(answers.clickhouse!.metrics).toMatch(/canopy_flow_store_up 1/);
    expect(answers.clickhouse!.metrics).toMatch(/canopy_flow_store_dropped_rows_total 0/);
  }, 60_000);

  it('`canopy collector --check` reaches ClickHouse, and names the file, key and reason when it cannot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'canopy-chcheck-'));
    try {
      const check = (u: string) => {
        const f = join(dir, 'canopy.yaml');
        writeFileSync(f, `flows:\n  store: clickhouse\n  clickhouse:\n    url: ${u}\n`);
        const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CANOPY_')));
        return {
          f,
          ...spawnSync(process.execPath, [resolve('bin/canopy.js'), 'collector', '--config', f, '--check'], {
            env,
            encoding: 'utf8',
            timeout: 60_000,
          }),
        };
      };
      const ok = check(`${ch.url}/canopy`);
      expect(ok.stderr).toBe('');
      expect(ok.status).toBe(0);
      const closed = `http://127.0.0.1:${freePort}`;
      const dead = check(`${closed}/canopy`);
      expect(dead.status).toBe(1);
      expect(dead.stderr).toContain(`${dead.f}: flows.clickhouse.url: cannot use ${closed}/canopy`);
      expect(dead.stderr).toMatch(/ECONNREFUSED/);
      // A user the server does not know: refused with the server's reason.
      const badUser = check(ch.url.replace('http://', 'http://nobody-here:x@'));
      expect(badUser.status).toBe(1);
      expect(badUser.stderr).toMatch(/flows\.clickhouse\.url: cannot use .*HTTP \d+/);
      expect(badUser.stderr).not.toContain(':x@');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
