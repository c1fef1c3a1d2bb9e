// GET /api/metrics, Gremlin Metrics()/Aggregates() and the opt-in /metrics/interfaces on a real
// collector. The series rows go in through the storage interface (the ingest paths that produce
// them are tested in test/collectors/snmp/counter-series.test.ts and the lab test).
import { afterEach, describe, expect, it } from 'vitest';
import type { PortSeriesRow } from '../../src/topology/store/port-series.ts';
import { startTestCollector, type TestCollector } from './helpers.ts';

let t: TestCollector | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

const row = (nodeId: string, source: string, start: number, last: number, rxBytes: number, txBytes: number): PortSeriesRow => ({
  nodeId,
  source,
  start,
  last,
  rxBytes,
  txBytes,
  rxPackets: rxBytes / 100,
  txPackets: txBytes / 100,
  rxErrors: 1,
  txErrors: 0,
  rxDropped: 0,
  txDropped: 2,
  oper: 1,
});

/** A switch with two ports cabled to each other's peer, and the ports' series. */
async function fabric(overrides: Record<string, unknown> = {}) {
  t = await startTestCollector(overrides);
  const store = t.collector.store;
  store.write((tx) => {
    tx.upsertNode({ ID: 'sw1', Metadata: { Type: 'switch', Name: 'leaf1', Role: 'leaf' } });
    tx.upsertNode({ ID: 'sw2', Metadata: { Type: 'switch', Name: 'spine1' } });
    for (const [id, name, sw] of [
      ['p1', 'eth3', 'sw1'],
      ['p2', 'eth1', 'sw2'],
    ] as const) {
      tx.upsertNode({
        ID: id,
        Metadata: {
          Type: 'port',
          Name: name,
          State: 'UP',
          Speed: 1e9,
          Metric: { Source: 'snmp' },
          LastUpdateMetric: {
            RxBytes: 6_000_000,
            TxBytes: 1_500_000,
            RxPackets: 60_000,
            TxPackets: 15_000,
            RxErrors: 3,
            TxErrors: 0,
            RxDropped: 0,
            TxDropped: 1,
            Start: 1_000_000,
            Last: 1_060_000,
            Source: 'snmp',
          },
        },
      });
      tx.upsertEdge({ ID: `own-${id}`, Parent: sw, Child: id, Metadata: { RelationType: 'ownership' } });
    }
    tx.upsertEdge({ ID: 'link1', Parent: 'p1', Child: 'p2', Metadata: { RelationType: 'layer2' } });
  });
  return t;
}

const get = async (path: string) => {
  const r = await fetch(t!.base + path);
  return { status: r.status, body: (await r.json()) as any };
};
const gremlin = async (q: string) => {
  const r = await fetch(t!.base + '/api/topology', { method: 'POST', body: JSON.stringify({ GremlinQuery: q }) });
  return (await r.json()) as any;
};

describe('GET /api/metrics', () => {
  it("a port's rates per bucket (sFlow preferred over SNMP in a bucket, each kept), a gap where no reading was, a link's two ends", async () => {
    await fabric();
    const now = Date.now();
    const m0 = Math.floor(now / 60_000) * 60_000 - 10 * 60_000;
    const series = t!.collector.storage.portSeries;
    // Minute 0 and 1: SNMP, 60 s each, 7.5 MB in = 1 Mbit/s; minute 1 also sFlow at 2 Mbit/s; minutes 2–4: nothing; minute 5: SNMP.
    series.append([
      row('p1', 'snmp', m0 - 60_000, m0, 7_500_000, 750_000),
      row('p1', 'snmp', m0, m0 + 60_000, 7_500_000, 750_000),
      row('p1', 'sflow', m0 + 30_000, m0 + 60_000, 7_500_000, 0),
      row('p1', 'snmp', m0 + 4 * 60_000, m0 + 5 * 60_000, 15_000_000, 0),
      row('p2', 'snmp', m0, m0 + 60_000, 750_000, 7_500_000),
    ]);
    const r = await get(`/api/metrics?node=p1&from=${m0 - 1}&to=${m0 + 6 * 60_000}&step=60`);
    expect(r.status).toBe(200);
    expect(r.body.node).toBe('p1');
    expect(r.body.step).toBe(60_000);
    const pts = r.body.points as any[];
    expect(pts.map((p) => [p.t, p.source, Math.round(p.inBitsPerSec)])).toEqual([
      [m0, 'snmp', 1_000_000],
      [m0 + 60_000, 'sflow', 2_000_000],
      [m0 + 5 * 60_000, 'snmp', 2_000_000],
    ]);
    expect(pts[0]).toMatchObject({ outBitsPerSec: 100_000, inPktsPerSec: 1250, inErrors: 1, outDiscards: 2, operStatus: 1 });
    // The other source, for comparison.
    const snmp = await get(`/api/metrics?node=p1&from=${m0 - 1}&to=${m0 + 6 * 60_000}&step=60&source=snmp`);
    expect(snmp.body.points.map((p: any) => [p.t, Math.round(p.inBitsPerSec)])).toEqual([
      [m0, 1_000_000],
      [m0 + 60_000, 1_000_000],
      [m0 + 5 * 60_000, 2_000_000],
    ]);
    // A coarser step sums what falls in it; the 5-minute bucket with the gap averages only covered time.
    const five = await get(`/api/metrics?node=p1&from=${m0 - 5 * 60_000}&to=${m0 + 10 * 60_000}&step=5m&source=snmp`);
    expect(five.body.step).toBe(300_000);
    expect(five.body.points.every((p: any) => p.inBitsPerSec > 0)).toBe(true);
    const link = await get(`/api/metrics?node=link1&from=${m0 - 1}&to=${m0 + 6 * 60_000}&step=60`);
    expect(link.status).toBe(200);
    expect(link.body.ends.map((e: any) => [e.node, e.points.length])).toEqual([
      ['p1', 3],
      ['p2', 1],
    ]);
    expect(Math.round(link.body.ends[1].points[0].outBitsPerSec)).toBe(1_000_000);
  });

  it('answers bad input with a 400 naming the parameter, an unknown node with 404, and is in the OpenAPI document', async () => {
    await fabric();
    expect((await get('/api/metrics')).body).toMatchObject({ status: 400, parameter: 'node' });
    expect((await get('/api/metrics?node=p1&step=abc')).body).toMatchObject({ status: 400, parameter: 'step' });
    expect((await get('/api/metrics?node=p1&from=-1h&step=1s&to=-1ms')).status).toBe(200);
    expect((await get('/api/metrics?node=p1&from=-30d&step=1')).body).toMatchObject({ status: 400, parameter: 'step' });
    expect((await get('/api/metrics?node=p1&bogus=1')).body).toMatchObject({ status: 400, parameter: 'bogus' });
    expect((await get('/api/metrics?node=p1&from=-1h&to=-2h')).body).toMatchObject({ status: 400, parameter: 'to' });
    expect((await get('/api/metrics?node=own-p1')).body).toMatchObject({ status: 400, parameter: 'node' });
    expect((await get('/api/metrics?node=nope')).status).toBe(404);
    const doc = (await get('/api/openapi.json')).body;
    expect(doc.paths['/api/metrics'].get.parameters.map((p: any) => p.name)).toEqual(['node', 'from', 'to', 'step', 'source']);
  });
});

describe("Gremlin Metrics() and Aggregates() in Skydive's shape", () => {
  it('Metrics() gives each node its LastUpdateMetric; Aggregates() sums them into 30 s slices under "Aggregated"', async () => {
    await fabric();
    const m = await gremlin("G.V().Has('Type','port','Name','eth3').Metrics()");
    expect(m).toEqual([
      {
        p1: [
          {
            Start: 1_000_000,
            Last: 1_060_000,
            RxBytes: 6_000_000,
            TxBytes: 1_500_000,
            RxPackets: 60_000,
            TxPackets: 15_000,
            RxErrors: 3,
            TxErrors: 0,
            RxDropped: 0,
            TxDropped: 1,
          },
        ],
      },
    ]);
    const a = await gremlin("G.V().Has('Type','port').Metrics().Aggregates()");
    expect(Object.keys(a[0])).toEqual(['Aggregated']);
    expect(a[0].Aggregated.map((x: any) => [x.Start, x.Last, x.RxBytes])).toEqual([
      [1_000_000, 1_030_000, 6_000_000],
      [1_030_000, 1_060_000, 6_000_000],
    ]);
    expect(await gremlin("G.V().Has('Type','port').Metrics().Count()")).toBe(2);
    expect(await gremlin("G.V().Has('Type','switch').Metrics()")).toEqual([]);
    const bad = await fetch(t!.base + '/api/topology', {
      method: 'POST',
      body: JSON.stringify({ GremlinQuery: "G.V().Metrics().Aggregates('x')" }),
    });
    expect(bad.status).toBe(400);
  });

  it('within At(t, duration), Metrics() reads the stored series (one source per port) and Aggregates(60) slices them', async () => {
    await fabric();
    const now = Date.now();
    const m0 = Math.floor(now / 60_000) * 60_000 - 5 * 60_000;
    t!.collector.storage.portSeries.append([
      row('p1', 'snmp', m0, m0 + 60_000, 600, 60),
      row('p1', 'snmp', m0 + 60_000, m0 + 120_000, 1200, 60),
      row('p1', 'sflow', m0, m0 + 60_000, 999, 0),
      row('p2', 'snmp', m0, m0 + 60_000, 300, 30),
    ]);
    // The ports exist now (not 5 minutes ago): the window ends now.
    const m = await gremlin(`G.At(NOW, 600).V().Has('Type','port','Name','eth3').Metrics()`);
    expect(m[0].p1.map((x: any) => [x.Start, x.Last, x.RxBytes])).toEqual([
      [m0, m0 + 60_000, 600],
      [m0 + 60_000, m0 + 120_000, 1200],
    ]);
    const s = await gremlin(`G.At(NOW, 600).V().Has('Type','port','Name','eth3').Metrics('sflow')`);
    expect(s[0].p1.map((x: any) => x.RxBytes)).toEqual([999]);
    // Slices of 60 s from the window's start: every byte lands in one, none twice (p1 by SNMP, its Metric source).
    const a = await gremlin(`G.At(NOW, 600).V().Has('Type','port').Metrics().Aggregates(60)`);
    const slices = a[0].Aggregated as any[];
    expect(slices.reduce((n, x) => n + x.RxBytes, 0)).toBe(2100);
    expect(slices.every((x) => x.Last - x.Start <= 60_000)).toBe(true);
  });
});

describe('/metrics/interfaces', () => {
  it('is off by default', async () => {
    await fabric();
    expect((await fetch(t!.base + '/metrics/interfaces')).status).toBe(404);
  });
  it('when enabled: per-port gauges labelled device, port, role from the latest interval', async () => {
    await fabric({ 'api.interfaceMetrics': true });
    const text = await (await fetch(t!.base + '/metrics/interfaces')).text();
    expect(text).toContain('canopy_interface_in_bits_per_second{device="leaf1",port="eth3",role="leaf"} 800000');
    expect(text).toContain('canopy_interface_up{device="spine1",port="eth1",role=""} 1');
    // Not on the main registry.
    expect(await (await fetch(t!.base + '/metrics')).text()).not.toContain('canopy_interface_in_bits_per_second');
  });
});
