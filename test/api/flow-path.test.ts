// GET /api/flows/path and /api/flows/reconcile through a running collector and real HTTP, fed
// with a real Open vSwitch sFlow capture (fixtures/pcaps/ovs-sflow.pcap: 10.98.0.1 on ifIndex 2
// and 10.98.0.2 on ifIndex 3 of agent 10.98.0.254, sampling 1): the one-switch path, its hosts'
// links, the parameter checks (4xx naming the parameter) and the reconcile entry in /api/status.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { udpPayloads } from '../../src/collectors/common/pcap.ts';
import { ids } from '../../src/topology/ids.ts';
import { startTestCollector, type TestCollector } from './helpers.ts';

const CAPTURE = 'fixtures/pcaps/ovs-sflow.pcap';
let t: TestCollector;
let sw: string;
const port = (i: number) => ids.port(sw, i);

async function get<T = any>(path: string, status = 200): Promise<T> {
  const r = await fetch(t.base + path);
  expect(r.status, path).toBe(status);
  return (await r.json()) as T;
}
async function post(path: string, body: unknown): Promise<string> {
  const r = await fetch(t.base + path, { method: 'POST', body: JSON.stringify(body) });
  expect(r.status, path).toBeLessThan(300);
  return ((await r.json()) as { ID: string }).ID;
}

beforeAll(async () => {
  t = await startTestCollector();
  sw = await post('/api/node', {
    ID: ids.switchByChassis(4, '02:00:00:00:00:fe'),
    Metadata: { Type: 'switch', Name: 'sfx-sw', MgmtAddress: '10.98.0.254' },
  });
  for (const i of [2, 3]) {
    await post('/api/node', { ID: port(i), Metadata: { Type: 'port', Name: `sw-p${i}`, IfIndex: i } });
    await post('/api/edge', { Parent: sw, Child: port(i), Metadata: { RelationType: 'ownership' } });
    // Each port cabled to a host NIC (what the stitcher leaves): the path's end links.
    const nic = await post('/api/node', { Metadata: { Type: 'device', Name: `h${i - 1}-eth0` } });
    await post('/api/edge', { Parent: nic, Child: port(i), Metadata: { RelationType: 'layer2' } });
  }
  const st = t.collector.status() as { components: Record<string, { listen: string[] }> };
  const p = Number(st.components.sflow!.listen[0]!.split(':').pop());
  const s = dgram.createSocket('udp4');
  for (const u of udpPayloads(readFileSync(CAPTURE)))
    await new Promise<void>((r, j) => s.send(u.payload, p, '127.0.0.1', (e) => (e ? j(e) : r())));
  s.close();
  for (let i = 0; i < 100; i++) {
    const r = await get<{ flows: number }>('/api/flows/path?src=10.98.0.1&dst=10.98.0.2');
    if (r.flows > 0) break;
    await new Promise((res) => setTimeout(res, 50));
  }
}, 30_000);
afterAll(async () => {
  await t?.stop();
});

describe('GET /api/flows/path', () => {
  it('names the switch with the in and out port the flows from 10.98.0.1 to 10.98.0.2 were sampled on', async () => {
    const r = await get('/api/flows/path?src=10.98.0.1&dst=10.98.0.2&proto=tcp');
    const all = await get<{ srcPort: number; dstPort: number; bytes: number }[]>(
      '/api/flows?src=10.98.0.1&dst=10.98.0.2&proto=tcp&top=10000',
    );
    expect(all.length).toBeGreaterThan(0);
    expect(r.paths).toHaveLength(1);
    const p = r.paths[0];
    expect(p.hops).toEqual([
      expect.objectContaining({ deviceId: sw, device: 'sfx-sw', inPortId: port(2), inPort: 'sw-p2', outPortId: port(3), outPort: 'sw-p3' }),
    ]);
    expect(p.byteShare).toBe(1);
    expect(r.bytes).toBe(all.reduce((s, x) => s + x.bytes, 0));
    expect(r.flows).toBe(new Set(all.map((x) => `${x.srcPort}/${x.dstPort}`)).size);
    // The host links at both ends are part of what the wall lights up.
    expect(r.edges).toHaveLength(2);
    expect(r.nodes).toEqual(expect.arrayContaining([sw, port(2), port(3)]));
    const one = all[0]!;
    const single = await get(`/api/flows/path?src=10.98.0.1&dst=10.98.0.2&proto=6&sport=${one.srcPort}&dport=${one.dstPort}`);
    expect(single.flows).toBe(1);
    expect((await get('/api/flows/path?src=10.98.0.1&dst=10.98.0.2&from=-1s&to=-1s')).flows).toBeLessThanOrEqual(r.flows);
  });

  it('answers 400 naming the parameter for bad input', async () => {
    for (const [q, param] of [
      ['dst=10.98.0.2', 'src'],
      ['src=10.98.0.1', 'dst'],
      ['src=nope&dst=10.98.0.2', 'src'],
      ['src=10.98.0.1&dst=10.98.0.2&sport=70000', 'sport'],
      ['src=10.98.0.1&dst=10.98.0.2&proto=bogus', 'proto'],
      ['src=10.98.0.1&dst=10.98.0.2&from=yesterday', 'from'],
      ['src=10.98.0.1&dst=10.98.0.2&colour=red', 'colour'],
    ]) {
      const r = await get<{ parameter: string; detail: string }>(`/api/flows/path?${q}`, 400);
      expect(r.parameter, q).toBe(param);
    }
    expect((await get('/api/flows/reconcile?from=-1m&to=-2m', 400)).parameter).toBe('to');
  });

  it('is described in /api/openapi.json', async () => {
    const doc = await get<{ paths: Record<string, unknown> }>('/api/openapi.json');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/flows/path', '/api/flows/reconcile']));
  });
});

describe('flow vs counters', () => {
  it('/api/flows/reconcile lists the links with their ends; /api/status shows the reconcile component', async () => {
    const r = await get<{ links: { linkId: string; ends: { portId: string }[] }[]; tolerance: number }>('/api/flows/reconcile?from=-1h');
    expect(r.tolerance).toBe(0.3);
    // The capture's flows cross both host links; no counters in it here, so nothing is judged.
    expect(r.links.map((l) => l.ends.map((e) => e.portId).find((x) => x === port(2) || x === port(3))).sort()).toEqual(
      [port(2), port(3)].sort(),
    );
    const st = await get('/api/status');
    expect(st.components.reconcile).toMatchObject({ enabled: true, tolerance: 0.3, windowSeconds: 60, mismatchedLinks: [] });
  });
});
