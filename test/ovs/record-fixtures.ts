// Records fixtures/ovsdb/*.jsonl from a real ovsdb-server (run as root: `npx tsx test/ovs/record-fixtures.ts`).
// Three connections monitor the same database at once — monitor (update), monitor_cond (update2),
// monitor_cond_since (update3) — while ovs-vsctl makes one scripted series of changes, so the three
// recordings describe the same rows and must replay to the same state. Each line is one message
// as the server sent it ({"dir":"in","msg":…}) or as we sent it ({"dir":"out",…}).
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { JsonStream } from '../../src/ovs/json-stream.ts';
import { OVS_COLUMNS } from '../../src/ovs/model.ts';
import { startOvsPeer } from './ovs-peer.ts';

const OUT = resolve(import.meta.dirname, '../../fixtures/ovsdb');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Recorder {
  readonly lines: string[] = [];
  private readonly replies = new Map<number, (v: unknown) => void>();
  private id = 1;
  private readonly framer = new JsonStream(1 << 26);
  constructor(private readonly sock: Socket) {
    sock.on('data', (b: Buffer) => {
      for (const m of this.framer.push(b)) {
        this.lines.push(JSON.stringify({ dir: 'in', msg: m }));
        const o = m as { id?: unknown; method?: string; params?: unknown };
        if (o.method === 'echo') this.send({ result: o.params, error: null, id: o.id });
        else if (typeof o.id === 'number') this.replies.get(o.id)?.(m);
      }
    });
  }
  send(m: unknown) {
    this.lines.push(JSON.stringify({ dir: 'out', msg: m }));
    this.sock.write(JSON.stringify(m));
  }
  request(method: string, params: unknown): Promise<unknown> {
    const id = this.id++;
    return new Promise((r) => {
      this.replies.set(id, r);
      this.send({ method, params, id });
    });
  }
}

async function open(path: string): Promise<Recorder> {
  const s = connect({ path });
  await new Promise<void>((r) => s.once('connect', () => r()));
  return new Recorder(s);
}

const ovs = await startOvsPeer({ systemId: 'rec-system-id', hostname: 'rec-host', vswitchd: false });
try {
  const requests = Object.fromEntries(Object.entries(OVS_COLUMNS).map(([t, columns]) => [t, { columns }]));
  const rec: Record<string, Recorder> = {};
  let lastTxn = '';
  for (const m of ['monitor', 'monitor_cond', 'monitor_cond_since'] as const) {
    const r = (rec[m] = await open(ovs.unix));
    await r.request('list_dbs', []);
    await r.request('get_schema', ['Open_vSwitch']);
    const params: unknown[] = ['Open_vSwitch', 'canopy', requests];
    if (m === 'monitor_cond_since') params.push('00000000-0000-0000-0000-000000000000');
    await r.request(m, params);
  }
  const v = (...a: string[]) => ovs.vsctl('--no-wait', ...a);
  await v('add-br', 'br0');
  await v('add-port', 'br0', 'p1', '--', 'set', 'interface', 'p1', 'type=internal', 'external_ids:attached-mac=02:00:00:00:00:01');
  await v('set', 'port', 'p1', 'tag=10');
  await v('set', 'interface', 'p1', 'external_ids:iface-id=vm1-eth0', 'external_ids:attached-mac=02:00:00:00:00:02');
  await v('add-br', 'br1');
  await v(
    ...['add-port', 'br0', 'patch-a', '--', 'set', 'interface', 'patch-a', 'type=patch', 'options:peer=patch-b'],
    ...['--', 'add-port', 'br1', 'patch-b', '--', 'set', 'interface', 'patch-b', 'type=patch', 'options:peer=patch-a'],
  );
  await v('add-port', 'br1', 'vx1', '--', 'set', 'interface', 'vx1', 'type=vxlan', 'options:remote_ip=192.0.2.7');
  await v('--', '--id=@s', 'create', 'sflow', 'targets="127.0.0.1:6343"', 'sampling=64', '--', 'set', 'bridge', 'br0', 'sflow=@s');
  await v('remove', 'interface', 'p1', 'external_ids', 'attached-mac');
  await v('set', 'port', 'p1', 'trunks=20,30');
  await v('clear', 'bridge', 'br0', 'sflow');
  await v('del-port', 'br0', 'p1');
  await sleep(500);
  const since = rec.monitor_cond_since!;
  for (const l of since.lines) {
    const m = (JSON.parse(l) as { msg: { method?: string; params?: unknown[] } }).msg;
    if (m.method === 'update3') lastTxn = String(m.params?.[1]);
  }
  // A second session resuming from the last transaction ID: what the server answers a reconnect.
  const again = await open(ovs.unix);
  await again.request('monitor_cond_since', ['Open_vSwitch', 'canopy', requests, lastTxn]);
  mkdirSync(OUT, { recursive: true });
  for (const [m, r] of Object.entries(rec)) writeFileSync(join(OUT, `${m}.jsonl`), r.lines.join('\n') + '\n');
  writeFileSync(join(OUT, 'monitor_cond_since-resume.jsonl'), again.lines.join('\n') + '\n');
  const version = (await ovs.exec(null, 'ovsdb-server', ['--version'])).split('\n')[0];
  process.stdout.write(`recorded from ${version}; last txn ${lastTxn}\n`);
} finally {
  await ovs.stop();
}

// A clustered database keeps transaction history: a resume from the last transaction ID is found
// and the server sends only what changed since.
const cl = await startOvsPeer({ systemId: 'rec-cluster-id', hostname: 'rec-cluster', vswitchd: false, clustered: true });
try {
  const requests = Object.fromEntries(Object.entries(OVS_COLUMNS).map(([t, columns]) => [t, { columns }]));
  const v = (...a: string[]) => cl.vsctl('--no-wait', ...a);
  await v('add-br', 'br0');
  await v('add-port', 'br0', 'p1', '--', 'set', 'interface', 'p1', 'type=internal');
  const first = await open(cl.unix);
  await first.request('list_dbs', []);
  await first.request('get_schema', ['Open_vSwitch']);
  const r = (await first.request('monitor_cond_since', ['Open_vSwitch', 'canopy', requests, '00000000-0000-0000-0000-000000000000'])) as {
    result: [boolean, string, unknown];
  };
  let last = r.result[1];
  await v('set', 'interface', 'p1', 'external_ids:k=v1');
  await sleep(300);
  for (const l of first.lines) {
    const m = (JSON.parse(l) as { msg: { method?: string; params?: unknown[] } }).msg;
    if (m.method === 'update3') last = String(m.params?.[1]);
  }
  // The client is away: changes happen, then it resumes from `last`.
  await v('add-port', 'br0', 'p2', '--', 'set', 'interface', 'p2', 'type=internal');
  await v('del-port', 'br0', 'p1');
  await v('set', 'bridge', 'br0', 'external_ids:owner=ops');
  const resume = await open(cl.unix);
  await resume.request('list_dbs', []);
  await resume.request('get_schema', ['Open_vSwitch']);
  await resume.request('monitor_cond_since', ['Open_vSwitch', 'canopy', requests, last]);
  // And a fresh full snapshot of the same moment, to compare with.
  const fresh = await open(cl.unix);
  await fresh.request('list_dbs', []);
  await fresh.request('get_schema', ['Open_vSwitch']);
  await fresh.request('monitor_cond', ['Open_vSwitch', 'canopy', requests]);
  writeFileSync(join(OUT, 'cluster-first.jsonl'), first.lines.join('\n') + '\n');
  writeFileSync(join(OUT, 'cluster-resume.jsonl'), resume.lines.join('\n') + '\n');
  writeFileSync(join(OUT, 'cluster-fresh.jsonl'), fresh.lines.join('\n') + '\n');
  process.stdout.write(`clustered: resumed from ${last}\n`);
} finally {
  await cl.stop();
}
process.exit(0);
