// GET /api/flows through a running collector and real HTTP, fed with a real Open vSwitch sFlow
// capture (fixtures/pcaps/ovs-sflow.pcap: hosts sfx-h1 10.98.0.1 / 02:00:00:00:a1:01 on ifIndex 2
// and sfx-h2 10.98.0.2 / 02:00:00:00:a2:01 on ifIndex 3 of agent 10.98.0.254, sampling 1): flows of
// a host by its TOR port and MACs/addresses, protocol names, non-IP rows with MACs and EtherType,
// src/dst/since, and the parameter list in the OpenAPI description.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { udpPayloads } from '../../../src/collectors/common/pcap.ts';
import { decodeFiles } from '../../../src/cli/decode.ts';
import type { FlowRecord } from '../../../src/collectors/common/flow-record.ts';
import { ids } from '../../../src/topology/ids.ts';
import { startTestCollector, type TestCollector } from '../../api/helpers.ts';

const CAPTURE = 'fixtures/pcaps/ovs-sflow.pcap';
const LIVE_ETH = 'fixtures/pcaps/gopacket__sflow_test-SFlowEthernetFramePacket-live.bin';
const H1_MAC = '02:00:00:00:a1:01';
const H2_MAC = '02:00:00:00:a2:01';

interface Row {
  protocol: string;
  exporter: string;
  deviceId: string;
  inIf: number;
  outIf: number;
  inPortId: string | null;
  outPortId: string | null;
  srcAddr: string;
  dstAddr: string;
  proto: number;
  protoName: string;
  srcPort: number;
  dstPort: number;
  srcMac: string;
  dstMac: string;
  etherType: number;
  etherTypeName: string;
  bytes: number;
  packets: number;
  flows: number;
}

/** The capture's flow records, decoded on their own (what the collector should have stored). */
const records = (file: string) => decodeFiles([file]).records.filter((r): r is FlowRecord => (r as FlowRecord).type === 'flow');
const sum = (rs: { bytes?: number }[]) => rs.reduce((s, r) => s + (r.bytes ?? 0), 0);

let t: TestCollector;
let sw: string;
const port = (i: number) => ids.port(sw, i);

async function send(payloads: Buffer[]): Promise<void> {
  const st = t.collector.status() as { components: Record<string, { listen: string[] }> };
  const p = Number(st.components.sflow!.listen[0]!.split(':').pop());
  const s = dgram.createSocket('udp4');
  for (const d of payloads) await new Promise<void>((r, j) => s.send(d, p, '127.0.0.1', (e) => (e ? j(e) : r())));
  s.close();
}

async function get<T = Row[]>(path: string, status = 200): Promise<T> {
  const r = await fetch(t.base + path);
  expect(r.status, path).toBe(status);
  return (await r.json()) as T;
}

async function post(path: string, body: unknown): Promise<string> {
  const r = await fetch(t.base + path, { method: 'POST', body: JSON.stringify(body) });
  expect(r.status, path).toBeLessThan(300);
  return ((await r.json()) as { ID: string }).ID;
}

/** A host as the stitcher leaves it: host → NIC (MAC) by ownership, NIC ↔ TOR port by a layer2 link. */
async function host(name: string, md: Record<string, unknown>, nic?: { mac: string; torIfIndex: number }): Promise<string> {
  const h = await post('/api/node', { Metadata: { Type: 'host', Name: name, ...md } });
  if (nic) {
    const i = await post('/api/node', { Metadata: { Type: 'device', Name: `${name}-eth0`, MAC: nic.mac } });
    await post('/api/edge', { Parent: h, Child: i, Metadata: { RelationType: 'ownership' } });
    await post('/api/edge', { Parent: i, Child: port(nic.torIfIndex), Metadata: { RelationType: 'layer2' } });
  }
  return h;
}

beforeAll(async () => {
  t = await startTestCollector();
  // The TOR switch as the SNMP poller writes it: the sFlow agent address is its management address.
  sw = await post('/api/node', {
    ID: ids.switchByChassis(4, '02:00:00:00:00:fe'),
    Metadata: { Type: 'switch', Name: 'sfx-sw', MgmtAddress: '10.98.0.254' },
  });
  for (const i of [2, 3, 5]) {
    await post('/api/node', { ID: port(i), Metadata: { Type: 'port', Name: `sw-p${i}`, IfIndex: i } });
    await post('/api/edge', { Parent: sw, Child: port(i), Metadata: { RelationType: 'ownership' } });
  }
  await send([...udpPayloads(readFileSync(CAPTURE))].map((u) => u.payload));
  // /api/flows flushes the flow table: once the listener has handed every datagram over, all is there.
  const want = sum(records(CAPTURE));
  for (let i = 0; i < 100 && sum(await get('/api/flows?exporter=10.98.0.254&top=10000')) !== want; i++)
    await new Promise((r) => setTimeout(r, 50));
  expect(sum(await get('/api/flows?exporter=10.98.0.254&top=10000'))).toBe(want);
}, 30_000);
afterAll(async () => {
  await t?.stop();
});

describe('flows of a host', () => {
  it('are the flows its TOR port saw for its MAC', async () => {
    const h1 = await host('sfx-h1', {}, { mac: H1_MAC, torIfIndex: 2 });
    const rows = await get(`/api/flows?node=${h1}&top=10000`);
    const want = records(CAPTURE).filter((r) => (r.inIf === 2 || r.outIf === 2) && (r.srcMac === H1_MAC || r.dstMac === H1_MAC));
    expect(want.length).toBeGreaterThan(10);
    expect(sum(rows)).toBe(sum(want));
    expect(rows.reduce((s, r) => s + r.flows, 0)).toBe(want.length);
    for (const r of rows) {
      expect([r.inPortId, r.outPortId]).toContain(port(2));
      expect([r.srcMac, r.dstMac]).toContain(H1_MAC);
    }
    // Both directions, IP and non-IP (its ARP broadcast).
    expect(rows.some((r) => r.srcAddr === '10.98.0.1' && r.inPortId === port(2))).toBe(true);
    expect(rows.some((r) => r.dstAddr === '10.98.0.1' && r.outPortId === port(2))).toBe(true);
    expect(rows.some((r) => r.etherTypeName === 'ARP' && r.srcMac === H1_MAC && r.dstMac === 'ff:ff:ff:ff:ff:ff')).toBe(true);
    // The same through Flows() in the query language.
    const r = await fetch(t.base + '/api/topology', {
      method: 'POST',
      body: JSON.stringify({ GremlinQuery: `G.V('${h1}').Flows().Values('bytes')` }),
    });
    expect(((await r.json()) as number[]).reduce((s, b) => s + b, 0)).toBe(sum(want));
    // The interface node alone has the same scope as its host.
    const nic = (await (
      await fetch(t.base + '/api/topology', { method: 'POST', body: JSON.stringify({ GremlinQuery: `G.V('${h1}').Out().Values('ID')` }) })
    ).json()) as string[];
    expect(sum(await get(`/api/flows?node=${nic[0]}&top=10000`))).toBe(sum(want));
  });

  it('are found by its addresses once a source reports them, and are empty (not an error) when nothing is known', async () => {
    const h2 = await host('sfx-h2', { IPV4: ['10.98.0.2/24'] });
    const rows = await get(`/api/flows?node=${h2}&top=10000`);
    const want = records(CAPTURE).filter((r) => r.srcAddr === '10.98.0.2' || r.dstAddr === '10.98.0.2');
    expect(sum(rows)).toBe(sum(want));
    expect(rows.every((r) => r.srcAddr === '10.98.0.2' || r.dstAddr === '10.98.0.2')).toBe(true);
    const unknown = await host('nobody', {});
    expect(await get(`/api/flows?node=${unknown}`)).toEqual([]);
  });

  it('a host MAC seen on a port that is not its TOR port does not count', async () => {
    // h1's MAC, but the host says it sits on port 5: only flows on port 5 with that MAC (none).
    const odd = await host('elsewhere', {}, { mac: H1_MAC, torIfIndex: 5 });
    expect(await get(`/api/flows?node=${odd}`)).toEqual([]);
  });
});

describe('flow rows', () => {
  it('carry protocol names beside numbers, and proto filters by name', async () => {
    const rows = await get('/api/flows?exporter=10.98.0.254&top=10000');
    expect(rows.find((r) => r.proto === 6)).toMatchObject({ protoName: 'TCP', etherType: 0x0800, etherTypeName: 'IPv4' });
    expect(rows.find((r) => r.proto === 17)).toMatchObject({ protoName: 'UDP' });
    expect(rows.find((r) => r.proto === 58)).toMatchObject({ protoName: 'ICMPv6', etherTypeName: 'IPv6' });
    const tcp = await get('/api/flows?proto=tcp&top=10000');
    expect(tcp.length).toBeGreaterThan(0);
    expect(tcp).toEqual(await get('/api/flows?proto=6&top=10000'));
    expect(await get('/api/flows?proto=TCP&top=10000')).toEqual(tcp);
    expect(await get('/api/flows?proto=ICMP&top=10000')).toEqual(await get('/api/flows?proto=1&top=10000'));
  });

  it('non-IP rows carry MACs and EtherType, and stations are not folded together', async () => {
    const arp = (await get('/api/flows?exporter=10.98.0.254&top=10000')).filter((r) => r.srcAddr === '');
    const want = records(CAPTURE).filter((r) => !r.srcAddr);
    expect(arp).toHaveLength(want.length);
    for (const r of arp) expect(r).toMatchObject({ dstAddr: '', proto: 0, protoName: '', etherType: 0x0806, etherTypeName: 'ARP' });
    expect(arp.map((r) => `${r.srcMac}>${r.dstMac}`).sort()).toEqual([`${H1_MAC}>ff:ff:ff:ff:ff:ff`, `${H2_MAC}>${H1_MAC}`]);
    // A live router's Ethernet-frame-data samples (format 2: MACs and EtherType, no IP): one exporter,
    // one interface pair, several destination stations — one row per station pair.
    await send([readFileSync(LIVE_ETH)]);
    const live = records(LIVE_ETH);
    const pairs = new Set(live.map((r) => `${r.srcMac}>${r.dstMac}`));
    expect(pairs.size).toBeGreaterThan(1);
    const rows = await expect
      .poll(() => get('/api/flows?exporter=185.120.22.246'), { timeout: 5000 })
      .toHaveLength(pairs.size)
      .then(() => get('/api/flows?exporter=185.120.22.246'));
    expect(new Set(rows.map((r) => `${r.srcMac}>${r.dstMac}`))).toEqual(pairs);
    expect(sum(rows)).toBe(live.reduce((s, r) => s + r.bytes! * r.samplingRate!, 0));
    const from0 = new Set(live.filter((r) => r.srcMac === live[0]!.srcMac).map((r) => r.dstMac));
    expect(await get(`/api/flows?exporter=185.120.22.246&src=${live[0]!.srcMac!.toUpperCase()}`)).toHaveLength(from0.size);
  });
});

describe('parameters', () => {
  it('src and dst are the address (or MAC) as source and destination; addr is either', async () => {
    const src = await get('/api/flows?src=10.98.0.1&top=10000');
    expect(src.length).toBeGreaterThan(0);
    expect(src.every((r) => r.srcAddr === '10.98.0.1')).toBe(true);
    const dst = await get('/api/flows?dst=10.98.0.1&top=10000');
    expect(dst.length).toBeGreaterThan(0);
    expect(dst.every((r) => r.dstAddr === '10.98.0.1')).toBe(true);
    expect(sum(await get('/api/flows?addr=10.98.0.1&top=10000'))).toBe(sum(src) + sum(dst));
    const byMac = await get(`/api/flows?src=${H2_MAC}&dst=${H1_MAC}&top=10000`);
    expect(sum(byMac)).toBe(sum(records(CAPTURE).filter((r) => r.srcMac === H2_MAC && r.dstMac === H1_MAC)));
    // IPv6 in any spelling finds the decoder's RFC 5952 text.
    expect(await get('/api/flows?src=FE80:0:0:0:0:FF:FE00:A101&top=10000')).toEqual(
      await get('/api/flows?src=fe80::ff:fe00:a101&top=10000'),
    );
    const bad = await get<{ detail: string; parameter: string }>('/api/flows?src=not-an-address', 400);
    expect(bad).toMatchObject({ parameter: 'src' });
    expect(bad.detail).toMatch(/^src: /);
  });

  it('since is from (relative times included); a time range in the future finds nothing', async () => {
    // Rows of equal bytes come in no fixed order (another filter, another plan): compare as sets.
    const sorted = (rs: Row[]) => rs.map((r) => JSON.stringify(r)).sort();
    const all = await get('/api/flows?top=10000');
    expect(sorted(await get('/api/flows?since=-1h&top=10000'))).toEqual(sorted(all));
    expect(await get(`/api/flows?since=${Math.floor(Date.now() / 1000) + 3600}`)).toEqual([]);
    expect((await get<{ parameter: string }>('/api/flows?since=yesterday', 400)).parameter).toBe('since');
    expect((await get<{ detail: string }>('/api/flows?since=-1h&from=-2h', 400)).detail).toMatch(/^since: .*one of them/);
  });

  it('an unknown parameter is a 400 that names it and lists the valid ones', async () => {
    const p = await get<{ detail: string; parameter: string }>('/api/flows?sport=22', 400);
    expect(p.parameter).toBe('sport');
    expect(p.detail).toBe('sport: unknown parameter; valid parameters: node, exporter, addr, src, dst, port, proto, from, since, to, top');
    expect((await get<{ parameter: string }>('/api/flows?proto=bogus', 400)).parameter).toBe('proto');
    expect((await get<{ parameter: string }>('/api/flows?proto=256', 400)).parameter).toBe('proto');
  });

  it('/api/openapi.json documents every parameter the handler accepts, and nothing else', async () => {
    const doc = await get<{
      paths: Record<
        string,
        { get?: { parameters: { name: string; in: string; description: string }[]; responses: Record<string, unknown> } }
      >;
    }>('/api/openapi.json');
    const op = doc.paths['/api/flows']?.get;
    expect(op).toBeDefined();
    const names = op!.parameters.map((p) => p.name);
    for (const n of ['node', 'exporter', 'addr', 'src', 'dst', 'port', 'proto', 'from', 'since', 'to', 'top']) expect(names).toContain(n);
    for (const p of op!.parameters) {
      expect(p.in).toBe('query');
      expect(p.description.length).toBeGreaterThan(10);
    }
    // Each documented parameter is accepted (with a value of its kind) …
    const sample: Record<string, string> = {
      node: sw,
      exporter: '10.98.0.254',
      addr: '10.98.0.1',
      src: '10.98.0.1',
      dst: '10.98.0.2',
      port: '8080',
      proto: 'tcp',
      from: '-1h',
      since: '-1h',
      to: String(Date.now()),
      top: '5',
    };
    for (const n of names) expect((await fetch(`${t.base}/api/flows?${n}=${encodeURIComponent(sample[n]!)}`)).status, n).toBe(200);
    // … and the 400 for an unknown one lists exactly the documented set.
    const p = await get<{ detail: string }>('/api/flows?nope=1', 400);
    expect(p.detail.split('valid parameters: ')[1]!.split(', ').sort()).toEqual([...names].sort());
    expect(Object.keys(op!.responses)).toEqual(expect.arrayContaining(['200', '400']));
  });
});
