// The OVSDB client on recorded ovsdb-server 3.1 sessions (fixtures/ovsdb/, see its README): the same
// changes seen through monitor (update), monitor_cond (update2 diffs) and monitor_cond_since
// (update3) replay to one and the same replica; a resume the server cannot honour replaces the
// replica; bad input closes the connection with a counted reason and never throws.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OvsdbClient, type Tables } from '../../src/ovs/client.ts';
import { ovsdbSection } from '../../src/ovs/config.ts';
import { parseEndpoint } from '../../src/ovs/endpoint.ts';
import { buildOvsGraph, col, OVS_COLUMNS } from '../../src/ovs/model.ts';
import type { CloseReason } from '../../src/ovs/rpc.ts';
import { loadSession, startReplay, type Line, type ReplayServer } from './replay-server.ts';

const cfg = ovsdbSection.parse({ reconnectMin: 10, reconnectMax: 10, requestTimeout: 2, maxMessageBytes: 200_000 });
let servers: ReplayServer[] = [];
let clients: OvsdbClient[] = [];
afterEach(async () => {
  for (const c of clients) c.stop();
  for (const s of servers) await s.close();
  servers = [];
  clients = [];
});

/** Plain JSON of a replica, rows sorted, for comparing. */
function plain(t: Tables): Record<string, Record<string, Record<string, unknown>>> {
  const out: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const [tn, rows] of [...t].sort()) {
    out[tn] = {};
    for (const [u, r] of [...rows].sort()) {
      const o: Record<string, unknown> = {};
      for (const [c, v] of [...r].sort()) o[c] = v instanceof Map ? [...v].sort() : Array.isArray(v) ? [...v].sort() : v;
      out[tn][u] = o;
    }
  }
  return out;
}

async function replay(lines: Line[], after: (string | Buffer)[] = []) {
  const server = await startReplay(lines, { after });
  servers.push(server);
  const closes: { reason: CloseReason; detail: string }[] = [];
  const notifications: string[] = [];
  const changes: boolean[] = [];
  const client = new OvsdbClient(parseEndpoint(`unix:${server.path}`), cfg, OVS_COLUMNS, {
    onChange: (resync) => changes.push(resync),
    onClose: (reason, detail) => closes.push({ reason, detail }),
    onNotification: (m) => notifications.push(m),
  });
  clients.push(client);
  client.start();
  const expected = lines.filter((l) => l.dir === 'in' && typeof l.msg.method === 'string' && l.msg.method.startsWith('update')).length;
  const end = Date.now() + 5000;
  while (Date.now() < end && !(after.length ? closes.length > 0 : client.synced && notifications.length >= expected))
    await new Promise((r) => setTimeout(r, 10));
  return { client, closes, notifications, changes, server };
}

describe('recorded sessions', () => {
  it('update, update2 and update3 replay to the same replica', async () => {
    const v1 = await replay(loadSession('monitor.jsonl'));
    const v2 = await replay(loadSession('monitor_cond.jsonl'));
    const v3 = await replay(loadSession('monitor_cond_since.jsonl'));
    expect(v1.client.method).toBe('monitor');
    expect(v2.client.method).toBe('monitor_cond');
    expect(v3.client.method).toBe('monitor_cond_since');
    expect(new Set(v1.notifications)).toEqual(new Set(['update']));
    expect(new Set(v2.notifications)).toEqual(new Set(['update2']));
    expect(new Set(v3.notifications)).toEqual(new Set(['update3']));
    for (const r of [v1, v2, v3]) expect(r.closes).toEqual([]);
    const a = plain(v1.client.tables);
    expect(plain(v2.client.tables)).toEqual(a);
    expect(plain(v3.client.tables)).toEqual(a);
  });

  it('the replica holds the scripted end state (diffs on maps, sets and optional columns applied)', async () => {
    const { client } = await replay(loadSession('monitor_cond.jsonl'));
    const byName = (t: string, n: string) => [...client.tables.get(t)!.values()].find((r) => col.str(r, 'name') === n);
    expect(byName('Port', 'p1')).toBeUndefined();
    expect(byName('Interface', 'p1')).toBeUndefined();
    expect(col.map(byName('Interface', 'patch-a'), 'options')).toEqual(new Map([['peer', 'patch-b']]));
    expect(col.map(byName('Interface', 'vx1'), 'options')).toEqual(new Map([['remote_ip', '192.0.2.7']]));
    // sFlow was set and then cleared on br0: the optional reference toggled back to empty.
    expect(col.set(byName('Bridge', 'br0'), 'sflow')).toEqual([]);
    expect(client.tables.get('sFlow')!.size).toBe(0);
    const g = buildOvsGraph(client.tables, 'host-id', 'ovsdb.rec-host', 'rec-host');
    expect(
      g.nodes
        .filter((n) => n.Metadata.Type === 'ovsbridge')
        .map((n) => n.Metadata.Name)
        .sort(),
    ).toEqual(['br0', 'br1']);
    expect(g.edges.filter((e) => e.Metadata.RelationType === 'layer2')).toHaveLength(1);
  });

  it('intermediate diffs: a map key changed in place, then removed; trunks added to a set', async () => {
    const lines = loadSession('monitor_cond.jsonl');
    // Stop before the del-port: p1 still there with every diff before it applied.
    const cut = lines.findIndex((l) => JSON.stringify(l.msg).includes('"delete":null') && JSON.stringify(l.msg).includes('"Port"'));
    expect(cut).toBeGreaterThan(0);
    const { client } = await replay(lines.slice(0, cut));
    const p1 = [...client.tables.get('Port')!.values()].find((r) => col.str(r, 'name') === 'p1')!;
    expect(col.int(p1, 'tag')).toBe(10);
    expect(col.set(p1, 'trunks').sort()).toEqual([20, 30]);
    const i1 = [...client.tables.get('Interface')!.values()].find((r) => col.str(r, 'name') === 'p1')!;
    expect(col.map(i1, 'external_ids')).toEqual(new Map([['iface-id', 'vm1-eth0']]));
  });

  it('a resume the server cannot honour (found=false, standalone database) replaces the replica', async () => {
    const first = await replay(loadSession('monitor_cond_since.jsonl'));
    const before = plain(first.client.tables);
    // A row the server no longer has (deleted while we were away) must not survive the resume.
    first.client.tables.get('Port')!.set('11111111-1111-4111-8111-111111111111', new Map([['name', 'ghost']]));
    // The reconnect: list_dbs and get_schema as before, then the recorded resume.
    const hello = loadSession('monitor_cond_since.jsonl').filter(
      (l) => ['list_dbs', 'get_schema'].includes(String(l.msg.method)) || (l.dir === 'in' && (l.msg.id === 1 || l.msg.id === 2)),
    );
    expect(hello).toHaveLength(4);
    first.server.setSession([...hello, ...loadSession('monitor_cond_since-resume.jsonl')]);
    // Reconnect soon: the backoff in this file is long so that bad-input cases close just once.
    (first.client as unknown as { backoffMs: number }).backoffMs = 50;
    for (const s of first.server.sockets) s.destroy();
    const end = Date.now() + 15_000;
    while (Date.now() < end && !(first.client.connects >= 2 && first.client.synced)) await new Promise((r) => setTimeout(r, 20));
    expect(first.client.connects).toBe(2);
    expect(plain(first.client.tables)).toEqual(before);
  }, 20_000);

  it('a resume the server honours (found=true) keeps the replica and applies only what followed', async () => {
    // Real messages of a one-server cluster (fixtures/ovsdb/cluster-*.jsonl). ovsdb-server 3.1 here
    // answered our recorded resume with found=false (cluster-resume.jsonl), so the found=true reply
    // is composed: [true, <the txn ID the client resumed from>, {}] followed by the update3
    // notifications the server sent after that ID — each one recorded. The result must equal a
    // fresh snapshot the server gave at the end (cluster-fresh.jsonl).
    const first = loadSession('cluster-first.jsonl');
    const firstUpdate = first.findIndex((l) => l.msg.method === 'update3');
    const resumeFrom = String((first[firstUpdate]!.msg.params as unknown[])[1]);
    const upTo = first.slice(0, firstUpdate + 1);
    const a = await replay(upTo);
    expect(a.client.lastTxnId).toBe(resumeFrom);
    const later = first.slice(firstUpdate + 1).filter((l) => l.msg.method === 'update3');
    expect(later.length).toBeGreaterThan(0);
    const hello = upTo.filter(
      (l) => ['list_dbs', 'get_schema'].includes(String(l.msg.method)) || (l.dir === 'in' && (l.msg.id === 1 || l.msg.id === 2)),
    );
    const since = upTo.find((l) => l.msg.method === 'monitor_cond_since')!;
    a.server.setSession([
      ...hello,
      { dir: 'out', msg: { ...since.msg, id: 3 } },
      { dir: 'in', msg: { id: 3, result: [true, resumeFrom, {}], error: null } },
      ...later,
    ]);
    const before = a.changes.length;
    (a.client as unknown as { backoffMs: number }).backoffMs = 50;
    for (const s of a.server.sockets) s.destroy();
    const last = String((later.at(-1)!.msg.params as unknown[])[1]);
    const end = Date.now() + 5000;
    while (Date.now() < end && a.client.lastTxnId !== last) await new Promise((r) => setTimeout(r, 20));
    expect(a.client.connects).toBe(2);
    // Each later update applied as a diff; no full replacement on the resume.
    expect(a.changes.slice(before)).toEqual([false, ...later.map(() => false)]);
    const fresh = await replay(loadSession('cluster-fresh.jsonl'));
    expect(plain(a.client.tables)).toEqual(plain(fresh.client.tables));
  });
});

describe('bad input closes the connection, counted, never a throw', () => {
  const base = () => loadSession('monitor_cond.jsonl');
  const cases: [string, (string | Buffer)[], CloseReason][] = [
    ['malformed JSON', ['{"method":"update2","params":["canopy",{,}]}'], 'bad_json'],
    ['not an object at top level', ['[1,2,3]'], 'not_object'],
    ['oversized message', [`{"method":"update2","params":["canopy",{"Bridge":{"x":"${'a'.repeat(250_000)}"}}]}`], 'oversized'],
    ['reply to a request never sent', ['{"id":999,"result":{},"error":null}'], 'protocol'],
    ['update for another monitor', ['{"id":null,"method":"update2","params":["other",{}]}'], 'protocol'],
    [
      'modify of an unknown row',
      ['{"id":null,"method":"update2","params":["canopy",{"Bridge":{"22222222-2222-4222-8222-222222222222":{"modify":{"name":"x"}}}}]}'],
      'protocol',
    ],
    [
      'a string where an integer belongs',
      [
        '{"id":null,"method":"update2","params":["canopy",{"sFlow":{"22222222-2222-4222-8222-222222222222":{"insert":{"sampling":"64"}}}}]}',
      ],
      'protocol',
    ],
    [
      'a malformed uuid atom',
      [
        '{"id":null,"method":"update2","params":["canopy",{"Bridge":{"22222222-2222-4222-8222-222222222222":{"insert":{"ports":["uuid","nope"]}}}}]}',
      ],
      'protocol',
    ],
    [
      'a map that is not tagged',
      [
        '{"id":null,"method":"update2","params":["canopy",{"Bridge":{"22222222-2222-4222-8222-222222222222":{"insert":{"external_ids":{"a":"b"}}}}}]}',
      ],
      'protocol',
    ],
    ['an unknown table', ['{"id":null,"method":"update2","params":["canopy",{"Nope":{}}]}'], 'protocol'],
  ];
  for (const [what, after, reason] of cases) {
    it(what, async () => {
      const r = await replay(base(), after);
      expect(r.closes.map((c) => c.reason)).toContain(reason);
      // The replica is what the good messages built: nothing half-applied.
      expect([...r.client.tables.get('Bridge')!.values()].map((b) => col.str(b, 'name')).sort()).toEqual(['br0', 'br1']);
    });
  }
});

describe('liveness', () => {
  it("answers the server's echo with its params and id, and keeps the connection", async () => {
    const r = await replay(loadSession('monitor_cond.jsonl'));
    const sock = r.server.sockets[0]!;
    const got = new Promise<string>((res) => {
      let buf = '';
      sock.on('data', (b: Buffer) => {
        buf += b.toString();
        if (buf.includes('"e-1"')) res(buf);
      });
    });
    sock.write(JSON.stringify({ method: 'echo', params: ['ping', 7], id: 'e-1' }));
    expect(JSON.parse(await got)).toEqual({ result: ['ping', 7], error: null, id: 'e-1' });
    expect(r.closes).toEqual([]);
    expect(r.client.synced).toBe(true);
  });

  it('probes a silent server with echo and closes (timeout) when nothing comes back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'canopy-ovsdb-silent-'));
    const path = join(dir, 's.sock');
    const lines = loadSession('monitor_cond.jsonl');
    const reply = (m: string) => lines.find((l, i) => l.dir === 'in' && lines[i - 1]?.msg.method === m)!.msg;
    let echoes = 0;
    // Answers the handshake like the recorded server, then never says anything again.
    const srv = createServer((s) => {
      s.on('error', () => {});
      s.on('data', (b: Buffer) => {
        for (const part of b.toString().split(/(?<=\})(?=\{)/)) {
          const m = JSON.parse(part) as { method: string; id: unknown };
          if (m.method === 'echo') echoes++;
          else if (m.method === 'list_dbs' || m.method === 'get_schema' || m.method === 'monitor_cond')
            s.write(JSON.stringify({ ...reply(m.method), id: m.id }));
          else s.write(JSON.stringify({ result: null, error: 'unknown method', id: m.id }));
        }
      });
    });
    await new Promise<void>((res) => srv.listen(path, () => res()));
    const closes: CloseReason[] = [];
    const c = new OvsdbClient(
      parseEndpoint(`unix:${path}`),
      ovsdbSection.parse({ probeInterval: 0.2, requestTimeout: 0.3, reconnectMin: 10 }),
      OVS_COLUMNS,
      {
        onChange: () => {},
        onClose: (reason) => closes.push(reason),
      },
    );
    clients.push(c);
    c.start();
    const end = Date.now() + 5000;
    while (Date.now() < end && !closes.includes('timeout')) await new Promise((res) => setTimeout(res, 20));
    expect(echoes).toBeGreaterThan(0);
    expect(closes).toContain('timeout');
    c.stop();
    await new Promise<void>((res) => srv.close(() => res()));
    rmSync(dir, { recursive: true, force: true });
  });
});
