// Two real collectors on `storage.backend: postgres`, one database: A takes a real Open vSwitch sFlow
// capture (fixtures/pcaps/ovs-sflow.pcap, agent 10.98.0.254) and graph writes through its API; B
// answers Gremlin and /api/flows with them. A restarted collector loads the graph back from the server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dgram from 'node:dgram';
import WebSocket from 'ws';
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

const CAPTURE = 'fixtures/pcaps/ovs-sflow.pcap';
const sum = (rs: { bytes?: number }[]) => rs.reduce((s, r) => s + (r.bytes ?? 0), 0);
// Every flow record of the capture (all from agent 10.98.0.254), decoded on its own.
const want = () => sum(decodeFiles([CAPTURE]).records.filter((r): r is FlowRecord => (r as FlowRecord).type === 'flow'));

async function until<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, ms = 3000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what} (last: ${JSON.stringify(v).slice(0, 300)})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.skipIf(postgresMissing)(`collectors on storage.backend: postgres${postgresMissing ? ` (${postgresMissing})` : ''}`, () => {
  let server: PostgresServer;
  let url: string;
  let a: TestCollector | undefined;
  let b: TestCollector | undefined;
  const pgConfig = () => ({ 'storage.backend': 'postgres', 'storage.postgres.url': url });
  beforeAll(async () => {
    server = await startPostgres();
    url = server.createDatabase('collectors');
    a = await startTestCollector(pgConfig());
    b = await startTestCollector(pgConfig());
  }, 120_000);
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await server?.stop();
  });

  const gremlin = async (t: TestCollector, q: string) =>
    (await (await fetch(t.base + '/api/topology', { method: 'POST', body: JSON.stringify({ GremlinQuery: q }) })).json()) as unknown[];
  const post = async (t: TestCollector, path: string, body: unknown) => {
    const r = await fetch(t.base + path, { method: 'POST', body: JSON.stringify(body) });
    expect(r.status, path).toBeLessThan(300);
  };

  it("A's sFlow observation and graph writes are answered by B (Gremlin, /api/flows), and survive A's restart", async () => {
    const sw = ids.switchByChassis(4, '02:00:00:00:00:fe');
    await post(a!, '/api/node', { ID: sw, Metadata: { Type: 'switch', Name: 'sfx-sw', MgmtAddress: '10.98.0.254' } });
    for (const i of [2, 3]) {
      await post(a!, '/api/node', { ID: ids.port(sw, i), Metadata: { Type: 'port', Name: `sw-p${i}`, IfIndex: i } });
      await post(a!, '/api/edge', { Parent: sw, Child: ids.port(sw, i), Metadata: { RelationType: 'ownership' } });
    }
    // B's graph follows A's writes through the change feed.
    await until(
      'B sees the switch and its ports',
      () => gremlin(b!, "G.V().Has('Name', 'sfx-sw').Out().Values('Name')"),
      (v) => v.length === 2,
    );

    const st = a!.collector.status() as { components: Record<string, { listen: string[] }> };
    const port = Number(st.components.sflow!.listen[0]!.split(':').pop());
    const s = dgram.createSocket('udp4');
    for (const u of udpPayloads(readFileSync(CAPTURE)))
      await new Promise<void>((r, j) => s.send(u.payload, port, '127.0.0.1', (e) => (e ? j(e) : r())));
    s.close();
    const total = want();
    expect(total).toBeGreaterThan(0);
    const flows = (t: TestCollector) => async () =>
      sum((await (await fetch(t.base + '/api/flows?exporter=10.98.0.254&top=10000')).json()) as []);
    // A's /api/flows flushes its flow table into PostgreSQL; B reads the same rows.
    await until('A has every flow', flows(a!), (v) => v === total, 5000);
    await until('B answers with A’s flows', flows(b!), (v) => v === total, 5000);
    // Flows() in B's query language, attributed to A's switch port.
    const viaB = await until(
      "B's Flows() on the switch",
      () => gremlin(b!, `G.V('${sw}').Flows().Values('bytes')`),
      (v) => v.length > 0,
    );
    expect((viaB as number[]).reduce((x, y) => x + y, 0)).toBe(total);

    // The backend's own metrics: feed connected, nothing failed, nothing left queued.
    const metrics = await until(
      'A metrics',
      async () => (await fetch(a!.base + '/metrics')).text(),
      (m) => /canopy_storage_queued_writes 0/.test(m),
    );
    expect(metrics).toMatch(/canopy_storage_feed_up 1/);
    expect(metrics).toMatch(/canopy_storage_backend_write_failures_total 0/);

    // A restarts: its graph is loaded back from the server.
    await a!.stop();
    a = await startTestCollector(pgConfig());
    expect(await gremlin(a, `G.V('${sw}').Out().Values('IfIndex')`)).toEqual(expect.arrayContaining([2, 3]));
  }, 60_000);

  it('`canopy collector --check` reaches the server, and names the file, key and reason when it cannot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'canopy-pgcheck-'));
    try {
      const check = (u: string) => {
        const f = join(dir, 'canopy.yaml');
        writeFileSync(f, `storage:\n  backend: postgres\n  postgres:\n    url: ${u}\n    connectTimeout: 3s\n`);
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
      const ok = check(url);
      expect(ok.stderr).toBe('');
      expect(ok.status).toBe(0);
      expect(ok.stdout).toContain('config OK');
      // Port 1 on loopback: nothing listens there.
      const dead = check(`postgres://canopy@127.0.0.1:1/collectors`);
      expect(dead.status).toBe(1);
      expect(dead.stderr).toContain(`${dead.f}: storage.postgres.url: cannot use postgres://canopy@127.0.0.1:1/collectors`);
      expect(dead.stderr).toMatch(/ECONNREFUSED/);
      const noDb = check(url.replace(/collectors$/, 'missing_db'));
      expect(noDb.status).toBe(1);
      expect(noDb.stderr).toMatch(/database "missing_db" does not exist/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("B's WebSocket subscriber gets the node, edge and delete that A's API made, in order, within 3 s each", async () => {
    const msgs: { Type: string; Obj: { ID?: string } }[] = [];
    const ws = new WebSocket(b!.ws + '/ws/subscriber', { headers: { 'X-Client-Type': 'test', 'X-Host-ID': 'sub-b' } });
    ws.on('message', (d) => msgs.push(JSON.parse(String(d)) as (typeof msgs)[number]));
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
    try {
      const made = async (path: string, body: unknown) =>
        ((await (await fetch(a!.base + path, { method: 'POST', body: JSON.stringify(body) })).json()) as { ID: string }).ID;
      const types = async () => msgs.map((m) => m.Type);
      const h = await made('/api/node', { Metadata: { Type: 'host', Name: 'ws-host' } });
      await until('NodeAdded on B', types, (t) => t.includes('NodeAdded'));
      const nic = await made('/api/node', { Metadata: { Type: 'device', Name: 'ws-host-eth0' } });
      await made('/api/edge', { Parent: h, Child: nic, Metadata: { RelationType: 'ownership' } });
      await until('EdgeAdded on B', types, (t) => t.includes('EdgeAdded'));
      await fetch(`${a!.base}/api/node/${nic}`, { method: 'DELETE' });
      await until('NodeDeleted on B', types, (t) => t.includes('NodeDeleted'));
      expect(msgs.map((m) => m.Type)).toEqual(['NodeAdded', 'NodeAdded', 'EdgeAdded', 'EdgeDeleted', 'NodeDeleted']);
      expect(msgs[0]!.Obj.ID).toBe(h);
    } finally {
      ws.close();
    }
  });
});
