// Flow ingest end to end over loopback: real datagrams (fixtures) into a running collector,
// flows and counters read back through the API.
import { describe, it, expect, afterEach } from 'vitest';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { udpPayloads } from '../../../src/collectors/common/pcap.ts';
import { ids } from '../../../src/topology/ids.ts';
import { startTestCollector, type TestCollector } from '../../api/helpers.ts';

const pcap = (name: string) => [...udpPayloads(readFileSync(`fixtures/pcaps/${name}`))].map((u) => u.payload);
const raw = (name: string) => readFileSync(`fixtures/pcaps/${name}`);

let t: TestCollector | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

function portOf(t: TestCollector, component: string, i = 0): number {
  const st = t.collector.status() as { components: Record<string, { listen: string[] }> };
  return Number(st.components[component]!.listen[i]!.split(':').pop());
}

async function send(port: number, payloads: Buffer[]): Promise<void> {
  const s = dgram.createSocket('udp4');
  for (const p of payloads) await new Promise<void>((r, j) => s.send(p, port, '127.0.0.1', (e) => (e ? j(e) : r())));
  s.close();
}

async function get<T>(path: string): Promise<T> {
  const r = await fetch(t!.base + path);
  expect(r.status, path).toBe(200);
  return (await r.json()) as T;
}

interface Flow {
  srcAddr: string;
  dstAddr: string;
  bytes: number;
  packets: number;
  flows: number;
  inIf: number;
  outIf: number;
  deviceId: string;
  inPortId: string;
  proto: number;
  srcPort: number;
  dstPort: number;
}

describe('sFlow ingest', () => {
  it('scales flows by the sampling rate, attributes them to an exporter node and its ports', async () => {
    t = await startTestCollector();
    await send(portOf(t, 'sflow'), pcap('akvorado__data-1140.pcap'));
    const flows = await expect
      .poll(() => get<Flow[]>('/api/flows?exporter=172.16.0.3'), { timeout: 5000 })
      .toHaveLength(3)
      .then(() => get<Flow[]>('/api/flows?exporter=172.16.0.3'));
    // Flows 1, 3 and 5 share one key (manifest: "flows 3 and 5 are the same as flow 1").
    const ssh = flows.find((f) => f.dstPort === 22)!;
    expect(ssh).toMatchObject({
      srcAddr: '2a0c:8880:2:0:185:21:130:38',
      proto: 6,
      srcPort: 46026,
      inIf: 27,
      outIf: 28,
      flows: 3,
      bytes: 3 * 1500 * 1024,
      packets: 3 * 1024,
    });
    const https = flows.find((f) => f.srcPort === 443)!;
    expect(https).toMatchObject({ srcAddr: '104.26.8.24', dstAddr: '45.90.161.46', bytes: 421 * 1024, inIf: 49001, outIf: 25 });
    expect(flows[0]!.bytes).toBeGreaterThanOrEqual(flows[1]!.bytes); // biggest first
    const exporterId = ids.exporter('172.16.0.3', 0);
    expect(ssh.deviceId).toBe(exporterId);
    expect(ssh.inPortId).toBe(ids.port(exporterId, 27));
    const node = await get<{ Metadata: { Type: string; Name: string } }>(`/api/node/${exporterId}`);
    expect(node.Metadata).toMatchObject({ Type: 'exporter', Name: '172.16.0.3' });
    const ports = await (
      await fetch(t.base + '/api/topology', {
        method: 'POST',
        body: JSON.stringify({ GremlinQuery: `G.V('${exporterId}').Out().Values('IfIndex')` }),
      })
    ).json();
    expect((ports as number[]).sort((a, b) => a - b)).toEqual([25, 27, 28, 49001]);
    // Filters.
    expect(await get<Flow[]>('/api/flows?addr=104.26.8.24')).toHaveLength(1);
    expect(await get<Flow[]>(`/api/flows?node=${ids.port(exporterId, 28)}`)).toHaveLength(2);
    expect(await get<Flow[]>('/api/flows?port=22&proto=6')).toHaveLength(1);
    expect(await get<Flow[]>('/api/flows?top=1')).toHaveLength(1);
    expect((await fetch(t.base + '/api/flows?top=abc')).status).toBe(400);
    expect((await fetch(t.base + '/api/flows?bogus=1')).status).toBe(400);
    expect((await fetch(t.base + '/api/flows?from=yesterday')).status).toBe(400);
    const m = await (await fetch(t.base + '/metrics')).text();
    expect(m).toMatch(/canopy_datagrams_received_total\{protocol="sflow"\} 1/);
    expect(m).toMatch(/canopy_flow_records_total\{protocol="sflow"\} 5/);
    expect(m).toMatch(/canopy_sflow_samples_total\{type="flow"\} 5/);
  });

  it('turns counter samples into Metric/LastUpdateMetric on the port, and counts lost datagrams', async () => {
    t = await startTestCollector({ 'storage.counterUpdateInterval': 0 });
    const dgs = pcap('ovs-sflow.pcap');
    await send(portOf(t, 'sflow'), dgs);
    const dev = ids.exporter('10.98.0.254', 0);
    const port = ids.port(dev, 2);
    await expect
      .poll(async () => (await get<{ Metadata: { LastUpdateMetric?: unknown } }>(`/api/node/${port}`)).Metadata.LastUpdateMetric, {
        timeout: 5000,
      })
      .toBeDefined();
    const n = await get<{ Metadata: Record<string, any> }>(`/api/node/${port}`);
    expect(n.Metadata).toMatchObject({ Type: 'port', IfIndex: 2, State: 'UP', Speed: 10_000_000_000 });
    expect(n.Metadata.Metric.Source).toBe('sflow');
    expect(n.Metadata.Metric.RxBytes).toBeGreaterThan(0);
    expect(n.Metadata.LastUpdateMetric.Last).toBeGreaterThanOrEqual(n.Metadata.LastUpdateMetric.Start);
    // The OVS port name record (1005) names the port.
    expect(n.Metadata.Name).not.toMatch(/^ifIndex /);
    const st = t.collector.status() as any;
    expect(st.components.sflow.exporters[0]).toMatchObject({
      protocol: 'sflow',
      address: '10.98.0.254',
      datagrams: dgs.length,
      decodeErrors: 0,
    });
    // A fresh agent sequence (sub-agent 7) with holes: 1, 2, 5, 6, 10 loses 2 + 3 datagrams.
    const before = st.components.sflow.exporters[0].sequenceGaps as number;
    const seqs = [1, 2, 5, 6, 10].map((seq) => {
      const d = Buffer.from(dgs[0]!);
      d.writeUInt32BE(7, 12); // sub-agent ID
      d.writeUInt32BE(seq, 16); // datagram sequence
      return d;
    });
    await send(portOf(t, 'sflow'), seqs);
    await expect
      .poll(() => ((t!.collector.status() as any).components.sflow.exporters[0].sequenceGaps as number) - before, { timeout: 5000 })
      .toBe(5);
    expect(await (await fetch(t.base + '/metrics')).text()).toMatch(
      /canopy_sequence_gaps_total\{protocol="sflow",exporter="10.98.0.254"\} \d+/,
    );
  });

  it('counts malformed datagrams and keeps serving', async () => {
    t = await startTestCollector();
    const good = pcap('akvorado__data-1140.pcap')[0]!;
    await send(portOf(t, 'sflow'), [Buffer.from('garbage'), good.subarray(0, 40), Buffer.alloc(0), good]);
    await expect.poll(() => get<Flow[]>('/api/flows?exporter=172.16.0.3'), { timeout: 5000 }).toHaveLength(3);
    const m = await (await fetch(t.base + '/metrics')).text();
    expect(m).toMatch(/canopy_decode_errors_total\{protocol="sflow",code="[a-z-]+"\} \d/);
    expect(m).toMatch(/canopy_datagrams_dropped_total\{protocol="sflow",reason="malformed"\} [1-9]/);
  });
});

describe('NetFlow/IPFIX ingest', () => {
  it('decodes v9 after its template, attributes flows, and keeps templates across a restart', async () => {
    t = await startTestCollector();
    const dir = t.dir;
    const port = portOf(t, 'netflow');
    await send(port, [raw('goflow2__netflow_test-nfv9-template260.bin')]);
    await expect.poll(() => (t!.collector.status() as any).components.netflow.templates, { timeout: 5000 }).toBeGreaterThan(0);
    await t.stop(true);
    // Restart on the same data dir: data decodes with no new template.
    t = await startTestCollector({ 'storage.dataDir': dir });
    expect((t.collector.status() as any).components.netflow.templatesLoaded).toBeGreaterThan(0);
    await send(portOf(t, 'netflow'), [raw('goflow2__netflow_test-nfv9-data260.bin')]);
    const flows = await expect
      .poll(() => get<Flow[]>('/api/flows?exporter=127.0.0.1'), { timeout: 5000 })
      .not.toHaveLength(0)
      .then(() => get<Flow[]>('/api/flows?exporter=127.0.0.1'));
    const total = flows.reduce((s, f) => s + f.flows, 0);
    expect(total).toBe(21); // goflow2's data260 message carries 21 records
    const m = await (await fetch(t.base + '/metrics')).text();
    expect(m).toMatch(/canopy_flow_records_total\{protocol="netflow9"\} 21/);
  });

  it('flags flows with no known sampling rate instead of silently using 1; IPFIX arrives on its own port', async () => {
    t = await startTestCollector();
    await send(portOf(t, 'netflow', 1), [
      raw('logstash-codec-netflow__ipfix_test_openbsd_pflow_tpl.dat'),
      raw('logstash-codec-netflow__ipfix_test_openbsd_pflow_data.dat'),
    ]);
    await expect.poll(() => get<Flow[]>('/api/flows?exporter=127.0.0.1'), { timeout: 5000 }).not.toHaveLength(0);
    const st = (t.collector.status() as any).components.netflow;
    expect(st.samplingRateMissing).toBeGreaterThan(0);
    const m = await (await fetch(t.base + '/metrics')).text();
    expect(m).toMatch(/canopy_sampling_rate_missing_total\{protocol="ipfix"\} [1-9]/);
  });

  it('v5 header sampling scales the flows', async () => {
    t = await startTestCollector({ 'netflow.samplingOverrides': [{ exporter: '127.0.0.1', rate: 10 }] });
    await send(portOf(t, 'netflow'), [raw('goflow2__netflowlegacy_test-nfv5.bin')]);
    const flows = await expect
      .poll(() => get<Flow[]>('/api/flows'), { timeout: 5000 })
      .not.toHaveLength(0)
      .then(() => get<Flow[]>('/api/flows'));
    // The override wins over anything the exporter says: packets are 10 × the record's.
    expect(flows.every((f) => f.packets % 10 === 0)).toBe(true);
  });
});

describe('Flows() in the query language', () => {
  it('reads the flow store: G.Flows(), flows of nodes, Has/Sort/Limit/Count/Values on flows', async () => {
    t = await startTestCollector();
    await send(portOf(t, 'sflow'), pcap('akvorado__data-1140.pcap'));
    const q = async (g: string) => {
      const r = await fetch(t!.base + '/api/topology', { method: 'POST', body: JSON.stringify({ GremlinQuery: g }) });
      expect(r.status, g).toBe(200);
      return r.json();
    };
    await expect.poll(() => q('G.Flows().Count()'), { timeout: 5000 }).toBe(3);
    expect(await q("G.Flows('dstPort', 22).Values('bytes')")).toEqual([3 * 1500 * 1024]);
    const dev = ids.exporter('172.16.0.3', 0);
    expect(await q(`G.V('${dev}').Flows().Sort(DESC, 'bytes').Limit(1).Values('srcPort')`)).toEqual([46026]);
    // Flows of one port (as in or out interface): port 28 carries the SSH flow (out) and flow 4 (in).
    expect(await q(`G.V('${dev}').Out().Has('IfIndex', 28).Flows().Count()`)).toBe(2);
    expect(await q(`G.V('${dev}').Out().Has('IfIndex', 28).Flows().Has('proto', 6).Dedup('srcAddr').Count()`)).toBe(2);
    expect(await q("G.Flows().Has('srcAddr', Regex('104\\\\..*')).Values('dstAddr')")).toEqual(['45.90.161.46']);
  });
});

describe('exporters mapped to polled switches', () => {
  it('flows from an agent whose address is a switch management address land on that switch and its ports', async () => {
    t = await startTestCollector();
    const post = async (path: string, body: unknown) =>
      (await (await fetch(t!.base + path, { method: 'POST', body: JSON.stringify(body) })).json()) as { ID: string };
    // What the SNMP poller writes for a polled switch (identity by chassis, MgmtAddress = polled address).
    const sw = await post('/api/node', {
      ID: ids.switchByChassis(4, '02:00:00:00:00:aa'),
      Metadata: { Type: 'switch', Name: 'edge-rtr', MgmtAddress: '172.16.0.3' },
    });
    const p27 = await post('/api/node', { ID: ids.port(sw.ID, 27), Metadata: { Type: 'port', Name: 'xe-0/0/27', IfIndex: 27 } });
    await post('/api/edge', { Parent: sw.ID, Child: p27.ID, Metadata: { RelationType: 'ownership' } });
    await send(portOf(t, 'sflow'), pcap('akvorado__data-1140.pcap'));
    const flows = await expect
      .poll(() => get<Flow[]>('/api/flows?exporter=172.16.0.3'), { timeout: 5000 })
      .toHaveLength(3)
      .then(() => get<Flow[]>('/api/flows?exporter=172.16.0.3'));
    for (const f of flows) expect(f.deviceId).toBe(sw.ID);
    expect(flows.find((f) => f.dstPort === 22)!.inPortId).toBe(p27.ID);
    // No exporter node was made for an address a switch already answers on.
    expect((await fetch(`${t.base}/api/node/${ids.exporter('172.16.0.3', 0)}`)).status).toBe(404);
  });
});

describe('flow table bounds in /api/status and /metrics', () => {
  it('reports the table against its bounds, counts records refused at the bound, and the process memory', async () => {
    t = await startTestCollector({ 'storage.flowTableMaxEntries': 2 });
    // 1140: three distinct keys in five records, two of them new once the table holds two.
    await send(portOf(t, 'sflow'), pcap('akvorado__data-1140.pcap'));
    type Status = {
      memory: { rssBytes: number; heapUsedBytes: number };
      components: { flows: { table: { entries: number; bytes: number; maxEntries: number; maxBytes: number; evicted: number } } };
    };
    const status = async () => (await (await fetch(t!.base + '/api/status')).json()) as Status;
    await expect.poll(async () => (await status()).components.flows.table.evicted, { timeout: 5000 }).toBeGreaterThan(0);
    const st = await status();
    expect(st.components.flows.table).toMatchObject({ entries: 2, maxEntries: 2, maxBytes: 768 * 1024 * 1024 });
    expect(st.components.flows.table.bytes).toBeGreaterThan(0);
    expect(st.memory.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(st.memory.heapUsedBytes).toBeGreaterThan(1024 * 1024);
    const m = await (await fetch(t.base + '/metrics')).text();
    expect(m).toMatch(new RegExp(`^canopy_flow_table_evictions_total ${st.components.flows.table.evicted}$`, 'm'));
    expect(m).toMatch(/^canopy_flow_table_entries 2$/m);
  });
});
