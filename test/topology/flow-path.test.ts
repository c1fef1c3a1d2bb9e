// Observed paths and flow-vs-counter reconciliation on a small routed fabric built in memory:
// leaf1 (host bridge + one uplink bridge per spine, routed between them), two spines, leaf2.
import { describe, expect, it } from 'vitest';
import { MemoryGraph } from '../../src/topology/store/memory-graph.ts';
import { observedPaths, type PathRow } from '../../src/topology/flow-path.ts';
import { counterCoverage, reconcileLinks } from '../../src/topology/flow-reconcile.ts';
import type { SeriesBucket } from '../../src/topology/store/port-series.ts';
import { parseQuery, runQuery } from '../../src/topology/query/evaluate.ts';
import type { GraphEdge, GraphNode } from '../../src/topology/types.ts';
import { MemoryGraphStore } from '../../src/agent/k8s/memory-store.ts';

const node = (ID: string, md: Record<string, unknown>): GraphNode => ({
  ID,
  Metadata: md,
  Host: '',
  Origin: 't',
  CreatedAt: 0,
  UpdatedAt: 0,
  Revision: 1,
});
const edge = (ID: string, Parent: string, Child: string, rel: string): GraphEdge => ({
  ...node(ID, { RelationType: rel }),
  Parent,
  Child,
});

const PORTS: Record<string, string[]> = {
  leaf1: ['eth1', 'eth2', 'eth3', 'brh', 'bru1', 'bru2'],
  leaf2: ['eth1', 'eth2', 'eth3', 'brh', 'bru1', 'bru2'],
  spine1: ['eth1', 'eth2'],
  spine2: ['eth1', 'eth2'],
  h1: ['eth1'],
  h4: ['eth1'],
};
const LINKS: [string, string][] = [
  ['leaf1/eth1', 'spine1/eth1'],
  ['leaf1/eth2', 'spine2/eth1'],
  ['leaf2/eth1', 'spine1/eth2'],
  ['leaf2/eth2', 'spine2/eth2'],
  ['h1/eth1', 'leaf1/eth3'],
  ['h4/eth1', 'leaf2/eth3'],
];

function fabric(): MemoryGraph {
  const g = new MemoryGraph();
  for (const [dev, ports] of Object.entries(PORTS)) {
    g.setNode(node(dev, { Name: dev, Type: dev.startsWith('h') ? 'host' : 'switch' }));
    for (const p of ports) {
      g.setNode(node(`${dev}/${p}`, { Name: p, Type: 'port' }));
      g.setEdge(edge(`own:${dev}/${p}`, dev, `${dev}/${p}`, 'ownership'));
    }
  }
  for (const [a, b] of LINKS) g.setEdge(edge(`l2:${a}~${b}`, a, b, 'layer2'));
  return g;
}

const base = { protocol: 'sflow', inIf: 0, outIf: 0, vlan: 0, srcMac: '', dstMac: '', etherType: 2048, first: 1000, last: 2000 };
/** The rows each OVS bridge on the way samples for one TCP flow h1 → h4 via `spine`. */
function hops(sport: number, spine: 'spine1' | 'spine2', bytes: number, packets = bytes / 1000): PathRow[] {
  const up = spine === 'spine1' ? ['eth1', 'bru1'] : ['eth2', 'bru2'];
  const t = { srcAddr: '10.0.1.11', dstAddr: '10.0.2.14', proto: 6, srcPort: sport, dstPort: 5001 };
  const row = (dev: string, i: string, o: string): PathRow => ({
    ...base,
    ...t,
    exporter: dev,
    deviceId: dev,
    inPortId: `${dev}/${i}`,
    outPortId: `${dev}/${o}`,
    bytes,
    packets,
  });
  return [
    // Listed out of order on purpose: the order comes from the links.
    row('leaf2', 'brh', 'eth3'),
    row(spine, 'eth1', 'eth2'),
    row('leaf1', 'eth3', 'brh'),
    row('leaf1', up[1]!, up[0]!),
    row('leaf2', up[0]!, up[1]!),
  ];
}

describe('observed path of a flow', () => {
  it('orders the sampled hops along the links and folds a routed leaf into one hop (in: host port, out: uplink)', () => {
    const r = observedPaths(fabric(), hops(40001, 'spine2', 5000));
    expect(r.paths).toHaveLength(1);
    const p = r.paths[0]!;
    expect(p.hops.map((h) => `${h.device}:${h.inPort}>${h.outPort}`)).toEqual(['leaf1:eth3>eth2', 'spine2:eth1>eth2', 'leaf2:eth2>eth3']);
    expect(p.links.map((l) => l.id)).toEqual(['l2:leaf1/eth2~spine2/eth1', 'l2:leaf2/eth2~spine2/eth2']);
    expect(p.byteShare).toBe(1);
    expect(r.edges).toContain('l2:h1/eth1~leaf1/eth3');
    expect(r.edges).toContain('l2:h4/eth1~leaf2/eth3');
    expect(r.nodes).toEqual(expect.arrayContaining(['leaf1', 'spine2', 'leaf2', 'leaf1/eth2', 'spine2/eth1']));
  });

  it('ECMP: flows of two endpoints over both spines come back as two paths with their shares', () => {
    const rows = [
      ...hops(40001, 'spine1', 3000),
      ...hops(40002, 'spine2', 1000),
      ...hops(40003, 'spine1', 3000),
      ...hops(40004, 'spine2', 1000),
    ];
    const r = observedPaths(fabric(), rows);
    expect(r.flows).toBe(4);
    expect(r.paths.map((p) => [p.hops[1]!.device, p.flows, p.byteShare])).toEqual([
      ['spine1', 2, 0.75],
      ['spine2', 2, 0.25],
    ]);
    expect(r.paths[0]!.tuples.map((t) => t.srcPort)).toEqual([40001, 40003]);
    // A hop's figures are summed over the flows that took the path.
    expect(r.paths[0]!.hops.map((h) => h.bytes)).toEqual([6000, 6000, 6000]);
  });

  it('one 5-tuple split between two spines (rehash) gives both branches, each with the bytes its spine saw', () => {
    const a = hops(40001, 'spine1', 600);
    const b = hops(40001, 'spine2', 400);
    // leaf1's host bridge and leaf2's host bridge saw the whole flow once.
    const rows = [
      ...a,
      ...b.filter(
        (r) => !(r.deviceId === 'leaf1' && r.inPortId === 'leaf1/eth3') && !(r.deviceId === 'leaf2' && r.outPortId === 'leaf2/eth3'),
      ),
    ];
    for (const r of rows) if (r.inPortId === 'leaf1/eth3' || r.outPortId === 'leaf2/eth3') r.bytes = 1000;
    const r = observedPaths(fabric(), rows);
    expect(r.paths.map((p) => [p.hops.map((h) => h.device).join('>'), p.bytes])).toEqual([
      ['leaf1>spine1>leaf2', 600],
      ['leaf1>spine2>leaf2', 400],
    ]);
  });

  it('is a query step: G.Flows().Has(…).FlowPath() answers the same paths', () => {
    const g = fabric();
    const store = new MemoryGraphStore();
    for (const n of g.allNodes()) store.upsertNode(n);
    for (const e of g.allEdges()) store.upsertEdge(e);
    const rows = [...hops(40001, 'spine1', 3000), ...hops(40002, 'spine2', 1000)];
    const res = runQuery(store, "G.Flows().Has('srcAddr', '10.0.1.11', 'dstAddr', '10.0.2.14').FlowPath()", {
      flows: () => rows as unknown as Record<string, unknown>[],
    });
    expect(res.kind).toBe('values');
    const paths = res.value as { hops: { device: string }[]; byteShare: number }[];
    expect(paths.map((p) => [p.hops.map((h) => h.device).join('>'), p.byteShare])).toEqual([
      ['leaf1>spine1>leaf2', 0.75],
      ['leaf1>spine2>leaf2', 0.25],
    ]);
    expect(() => parseQuery('G.V().FlowPath()')).toThrow(/FlowPath\(\) cannot follow/);
  });
});

describe('flow vs counters per link', () => {
  const win = 10_000;
  /** The window the buckets below cover (t 5000, span 10 s). */
  const WIN = { from: -5000, to: 5000 };
  const bucket = (nodeId: string, rx: number, tx: number, source = 'sflow'): SeriesBucket => ({
    nodeId,
    source,
    t: 5000,
    span: win,
    rxBytes: rx,
    txBytes: tx,
    rxPackets: 0,
    txPackets: 0,
    rxErrors: 0,
    txErrors: 0,
    rxDropped: 0,
    txDropped: 0,
    oper: 1,
  });
  /** 10 MB over each spine; leaf2's exporter under-reports by 4 (a 1:4 sampler declaring 1:1). */
  function setup(leaf2Scale: number) {
    const rows = [...hops(40001, 'spine1', 10_000_000, 0), ...hops(40002, 'spine2', 10_000_000, 0)];
    for (const r of rows) if (r.deviceId === 'leaf2') r.bytes /= leaf2Scale;
    const series: SeriesBucket[] = [];
    for (const [a, b] of LINKS.slice(0, 4)) series.push(bucket(a, 0, 10_000_000), bucket(b, 10_000_000, 0));
    return { rows, series };
  }

  it('an exporter whose flows are a quarter of the counters is flagged on its links as a sampling-rate fault; the others are not', () => {
    const { rows, series } = setup(4);
    const links = reconcileLinks(fabric(), rows, series, WIN, { tolerance: 0.3, minBytesPerSec: 1000 });
    const bad = links
      .filter((l) => l.mismatch)
      .map((l) => l.linkId)
      .sort();
    expect(bad).toEqual(['l2:leaf2/eth1~spine1/eth2', 'l2:leaf2/eth2~spine2/eth2']);
    const l = links.find((x) => x.linkId === 'l2:leaf2/eth1~spine1/eth2')!;
    expect(l.cause).toBe('sampling-rate');
    expect(l.counterBytesPerSec).toBe(1_000_000);
    expect(l.ends[0].ratio).toBeCloseTo(0.25, 5);
    expect(l.ends[1].ratio).toBeCloseTo(1, 5);
    expect(l.ends[1].mismatch).toBe(false);
    expect(l.detail).toMatch(/leaf2 eth1: flows are 25 % of the counters/);
    // Host links have no counters here: not judged, never flagged.
    expect(links.find((x) => x.linkId === 'l2:h1/eth1~leaf1/eth3')?.mismatch ?? false).toBe(false);
  });

  it('agreeing flows and counters flag nothing; a link below minBytesPerSec is not judged', () => {
    const { rows, series } = setup(1);
    expect(reconcileLinks(fabric(), rows, series, WIN, { tolerance: 0.3, minBytesPerSec: 1000 }).filter((l) => l.mismatch)).toEqual([]);
    const quiet = reconcileLinks(
      fabric(),
      rows.map((r) => ({ ...r, bytes: r.bytes / 100 })),
      series.map((b) => ({ ...b, rxBytes: b.rxBytes / 1e6, txBytes: b.txBytes / 1e6 })),
      WIN,
      {
        tolerance: 0.3,
        minBytesPerSec: 1000,
      },
    );
    expect(quiet.every((l) => !l.mismatch && l.ends.every((e) => e.ratio === null))).toBe(true);
    // A reading straddling the window's end counts by its overlap: twice the bytes over twice the time agree.
    const straddling = series.map((b) => ({ ...b, t: 15_000, span: 20_000, rxBytes: 2 * b.rxBytes, txBytes: 2 * b.txBytes }));
    const l = reconcileLinks(fabric(), rows, straddling, WIN, { tolerance: 0.3, minBytesPerSec: 1000 });
    expect(l.filter((x) => x.mismatch)).toEqual([]);
    expect(l.find((x) => x.linkId === 'l2:leaf1/eth1~spine1/eth1')!.counterBytesPerSec).toBe(1_000_000);
  });

  it('a flow row reaching past the window counts by its overlap (the window narrowed to the counters)', () => {
    const { rows, series } = setup(1);
    // The same traffic rate over twice the window: half of each row's bytes fall before it.
    const longer = rows.map((r) => ({ ...r, bytes: 2 * r.bytes, packets: 2 * r.packets, first: WIN.from - 10_000, last: WIN.to }));
    const links = reconcileLinks(fabric(), longer, series, WIN, { tolerance: 0.3, minBytesPerSec: 1000 });
    expect(links.filter((l) => l.mismatch)).toEqual([]);
    const l = links.find((x) => x.linkId === 'l2:leaf1/eth1~spine1/eth1')!;
    expect(l.ends[0].ratio).toBeCloseTo(1, 5);
    // Rows wholly outside the window add nothing; a single-sample row inside counts whole.
    const outside = rows.map((r) => ({ ...r, first: WIN.to + 1, last: WIN.to + 500 }));
    const none = reconcileLinks(fabric(), outside, series, WIN, { tolerance: 0.3, minBytesPerSec: 1000 });
    expect(none.find((x) => x.linkId === 'l2:leaf1/eth1~spine1/eth1')!.ends[0].flowBytesPerSec).toBe(0);
    const point = rows.map((r) => ({ ...r, first: 0, last: 0 }));
    const whole = reconcileLinks(fabric(), point, series, WIN, { tolerance: 0.3, minBytesPerSec: 1000 });
    expect(whole.find((x) => x.linkId === 'l2:leaf1/eth1~spine1/eth1')!.ends[0].ratio).toBeCloseTo(1, 5);
  });

  it("each link is compared over its own ports' readings: one port read only lately does not narrow the others", () => {
    const { rows, series: s0 } = setup(1);
    // leaf2 eth2 — spine2 eth2 read only over the window's last 2 s (same rate), the others all along.
    const late = new Set(['leaf2/eth2', 'spine2/eth2']);
    const series = s0.map((b) => (late.has(b.nodeId) ? { ...b, span: 2000, rxBytes: b.rxBytes / 5, txBytes: b.txBytes / 5 } : b));
    const links = reconcileLinks(fabric(), rows, series, WIN, { tolerance: 0.3, minBytesPerSec: 1000 });
    // The flows (1000–2000) fall inside the window the first link's readings cover: they agree.
    const l = links.find((x) => x.linkId === 'l2:leaf1/eth1~spine1/eth1')!;
    expect(l.mismatch).toBe(false);
    expect(l.ends[0].ratio).toBeCloseTo(1, 5);
    // The late link's counters saw its traffic at a time no flow row covers: flagged, alone.
    expect(links.filter((x) => x.mismatch).map((x) => x.linkId)).toEqual(['l2:leaf2/eth2~spine2/eth2']);
  });

  it("flows short on one link only, where the exporter's other links agree, read as unmonitored ingress", () => {
    const { rows, series: s0 } = setup(1);
    // Twice what the flows say crosses leaf1 eth1 — spine1 eth1: half of it entered unsampled.
    const series = s0.map((b) =>
      b.nodeId === 'leaf1/eth1' || b.nodeId === 'spine1/eth1' ? { ...b, rxBytes: 2 * b.rxBytes, txBytes: 2 * b.txBytes } : b,
    );
    const links = reconcileLinks(fabric(), rows, series, WIN, { tolerance: 0.3, minBytesPerSec: 1000 });
    const l = links.find((x) => x.linkId === 'l2:leaf1/eth1~spine1/eth1')!;
    expect(l.mismatch).toBe(true);
    expect(l.cause).toBe('unmonitored-ingress');
  });

  it("compares over the span every port's counter readings cover (the newest reading of one port not stored yet)", () => {
    const row = (nodeId: string, t: number, source = 'sflow') => ({ ...bucket(nodeId, 1000, 0, source), t, span: 1000 });
    const series = [
      row('a', 2000),
      row('a', 3000),
      row('a', 4000),
      row('b', 3000),
      row('b', 4000),
      row('b', 5000),
      row('b', 60_000, 'snmp'),
    ];
    // a: 1000–4000, b (sflow preferred over snmp): 2000–5000 → both cover 2000–4000.
    expect(counterCoverage(series)).toEqual({ from: 2000, to: 4000 });
    expect(counterCoverage([])).toBeUndefined();
  });
});
