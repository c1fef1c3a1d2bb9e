// Flow storage conformance: insert, query (window and rollups), rollup sums, bounded prune,
// repoint after merges, and the flush deadline. Run by every storage backend (conformance.ts) and by
// the flow-only stores (flows.store: clickhouse, test/topology/store/clickhouse-flows.test.ts).
import { expect, it } from 'vitest';
import type { FlowEntry, FlowRecordStore } from '../../../src/topology/store/flow-records.ts';

/** What the flow suite needs of a harness: the flow store, and a restart. */
export interface FlowHarness {
  storage: { flows: FlowRecordStore };
  reopen(): { flows: FlowRecordStore };
}

export interface FlowConformanceOptions {
  /**
   * Retention by partitions (ClickHouse): a prune takes every row past the cuts in one pass, whatever
   * the limit (a bounded delete is what a row store needs to keep its locks short).
   */
  wholePrune?: boolean;
}

const MIN = 60_000;
const entry = (o: Partial<FlowEntry> = {}): FlowEntry => ({
  protocol: 'sflow',
  exporter: '10.0.0.1',
  deviceId: 'dev',
  inIf: 1,
  outIf: 2,
  inPortId: 'p1',
  outPortId: 'p2',
  vlan: 0,
  srcAddr: '192.0.2.1',
  dstAddr: '192.0.2.2',
  proto: 6,
  srcPort: 40000,
  dstPort: 443,
  srcMac: '',
  dstMac: '',
  etherType: 0x0800,
  first: 2 * MIN + 1000,
  last: 2 * MIN + 2000,
  bytes: 100,
  packets: 1,
  flows: 1,
  samplingRate: 1,
  samplingMissing: false,
  ...o,
});

export function flowConformance(h: () => FlowHarness, opts: FlowConformanceOptions = {}): void {
  const all = (entries: FlowEntry[]) => h().storage.flows.writeSome(entries, 0, Infinity);

  it('stores entries and aggregates them over the key, biggest first', () => {
    const f = h().storage.flows;
    expect(all([entry(), entry({ bytes: 50, packets: 2 }), entry({ srcAddr: '192.0.2.9', bytes: 1000 })])).toBe(3);
    const rows = f.query({}, 0);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ srcAddr: '192.0.2.9', bytes: 1000 });
    expect(rows[1]).toMatchObject({
      srcAddr: '192.0.2.1',
      bytes: 150,
      packets: 3,
      flows: 2,
      first: 2 * MIN + 1000,
      last: 2 * MIN + 2000,
      inPortId: 'p1',
      etherType: 0x0800,
    });
    expect(f.query({ top: 1 }, 0)).toHaveLength(1);
  });

  it('filters by exporter, node, address, MAC, port, protocol and time', () => {
    const f = h().storage.flows;
    all([
      entry(),
      entry({
        exporter: '10.0.0.2',
        deviceId: 'dev2',
        inPortId: 'p9',
        outPortId: null,
        srcAddr: '198.51.100.1',
        dstAddr: '198.51.100.2',
        proto: 17,
        dstPort: 53,
        srcMac: '02:00:00:00:00:01',
        first: 5 * MIN,
        last: 5 * MIN,
      }),
    ]);
    const n = (q: Parameters<typeof f.query>[0]) => f.query(q, 0).map((r) => r.srcAddr);
    expect(n({ exporter: '10.0.0.2' })).toEqual(['198.51.100.1']);
    expect(n({ node: 'p1' })).toEqual(['192.0.2.1']);
    expect(n({ nodes: ['dev2'] })).toEqual(['198.51.100.1']);
    expect(n({ addr: '192.0.2.2' })).toEqual(['192.0.2.1']);
    expect(n({ src: '198.51.100.1' })).toEqual(['198.51.100.1']);
    expect(n({ dst: '198.51.100.1' })).toEqual([]);
    expect(n({ addr: '02:00:00:00:00:01' })).toEqual(['198.51.100.1']);
    expect(n({ port: 53 })).toEqual(['198.51.100.1']);
    expect(n({ proto: 6 })).toEqual(['192.0.2.1']);
    expect(n({ from: 4 * MIN })).toEqual(['198.51.100.1']);
    expect(n({ to: 3 * MIN })).toEqual(['192.0.2.1']);
    // A host by its TOR port and MAC; without a known port only its addresses place a flow.
    expect(n({ hosts: [{ ports: ['p9'], macs: ['02:00:00:00:00:01'], addrs: [] }] })).toEqual(['198.51.100.1']);
    expect(n({ hosts: [{ ports: [], macs: ['02:00:00:00:00:01'], addrs: [] }] })).toEqual([]);
    expect(n({ hosts: [{ ports: [], macs: [], addrs: ['192.0.2.2'] }] })).toEqual(['192.0.2.1']);
  });

  it('rolls flows up per minute, and answers ranges before the window from the rollups', () => {
    const f = h().storage.flows;
    all([entry({ last: 2 * MIN + 10 }), entry({ last: 2 * MIN + 50_000, bytes: 20 })]);
    all([entry({ last: 3 * MIN + 1, bytes: 7 })]);
    const rolled = f.query({ from: 0 }, 10 * MIN);
    expect(rolled).toEqual([expect.objectContaining({ bytes: 127, packets: 3, flows: 3, first: 2 * MIN, last: 3 * MIN })]);
    // Past the window cut only rollups remain, and they still answer.
    f.prune(10 * MIN, 0);
    expect(f.query({}, 0)).toEqual([]);
    expect(f.query({ from: 0 }, 10 * MIN)[0]).toMatchObject({ bytes: 127 });
  });

  // Each store registers one of the two retention cases (ClickHouse drops whole partitions at once).
  if (!opts.wholePrune)
    it('prunes in bounded steps until nothing is left', () => {
      const f = h().storage.flows;
      all(Array.from({ length: 10 }, (_, i) => entry({ srcPort: i, last: MIN + i })));
      expect(f.prune(2 * MIN, 0, 4)).toBe(4);
      expect(f.prune(2 * MIN, 0, 4)).toBe(4);
      expect(f.prune(2 * MIN, 0, 4)).toBe(2);
      expect(f.prune(2 * MIN, 0, 4)).toBe(0);
      expect(f.query({ from: 0 }, 10 * MIN)).toHaveLength(10); // rollups kept
      expect(f.prune(2 * MIN, 2 * MIN)).toBe(10);
      expect(f.query({ from: 0 }, 10 * MIN)).toHaveLength(0);
    });

  if (opts.wholePrune)
    it('prunes everything past the cuts in one pass', () => {
      const f = h().storage.flows;
      all(Array.from({ length: 10 }, (_, i) => entry({ srcPort: i, last: MIN + i })));
      all([entry({ srcPort: 99, last: 3 * MIN })]);
      expect(f.prune(2 * MIN, 0, 4)).toBe(10);
      expect(f.prune(2 * MIN, 0, 4)).toBe(0);
      expect(f.query({ top: 1000 }, 0).map((r) => r.srcPort)).toEqual([99]);
      expect(f.query({ from: 0, top: 1000 }, 10 * MIN)).toHaveLength(11); // rollups kept
      expect(f.prune(2 * MIN, 2 * MIN)).toBe(10);
      expect(f.query({ from: 0, top: 1000 }, 10 * MIN)).toHaveLength(1);
    });

  it('repoints flows and rollups from merged-away nodes to the canonical ones', () => {
    const f = h().storage.flows;
    all([entry({ deviceId: 'old-dev', inPortId: 'old-p', outPortId: 'p2' })]);
    f.repointNodes(
      new Map([
        ['old-dev', 'dev'],
        ['old-p', 'p1'],
      ]),
    );
    expect(f.query({ node: 'old-p' }, 0)).toEqual([]);
    expect(f.query({}, 0)[0]).toMatchObject({ deviceId: 'dev', inPortId: 'p1', outPortId: 'p2' });
    expect(f.query({ from: 0, node: 'p1' }, 10 * MIN)[0]).toMatchObject({ deviceId: 'dev', inPortId: 'p1' });
  });

  it('stops a flush at its deadline and resumes from where it stopped', () => {
    const f = h().storage.flows;
    const entries = Array.from({ length: 200 }, (_, i) => entry({ srcPort: i }));
    const first = f.writeSome(entries, 0, -1); // deadline already passed
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(entries.length);
    expect(f.query({ top: 1000 }, 0)).toHaveLength(first);
    expect(f.writeSome(entries, first, Infinity)).toBe(entries.length);
    expect(f.query({ top: 1000 }, 0)).toHaveLength(200);
    expect(f.writeSome(entries, 200, Infinity)).toBe(200);
  });

  it('keeps flows across a restart', () => {
    all([entry()]);
    expect(h().reopen().flows.query({}, 0)).toHaveLength(1);
  });
}
