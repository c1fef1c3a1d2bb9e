// The flow table's aggregation key and the paced SQLite writer behind it.
import { describe, it, expect } from 'vitest';
import { openSqliteStorage } from '../../../src/topology/store/sqlite-storage.ts';
import type { FlowRecord } from '../../../src/collectors/common/flow-record.ts';
import { ENTRY_BYTES, FlowTable } from '../../../src/collectors/flows/flow-table.ts';
import { FlowStore, type FlowEntry } from '../../../src/collectors/flows/flow-store.ts';
import { FlowWriter } from '../../../src/collectors/flows/flow-writer.ts';
import { silentLogger } from '../../../src/util/log.ts';

const rec = (o: Partial<FlowRecord> = {}): FlowRecord => ({
  type: 'flow',
  protocol: 'sflow',
  exporter: '10.0.0.1',
  subAgentId: 0,
  inIf: 1,
  outIf: 2,
  srcAddr: '192.0.2.1',
  dstAddr: '198.51.100.1',
  proto: 6,
  srcPort: 40000,
  dstPort: 443,
  bytes: 100,
  packets: 1,
  ...o,
});

function table(max = 1000) {
  const flushed: FlowEntry[][] = [];
  let attributions = 0;
  const t = new FlowTable(
    max,
    (e) => flushed.push(e),
    () => {
      attributions++;
      return { deviceId: 'dev', inPortId: 'in', outPortId: null };
    },
  );
  return { t, flushed, attributions: () => attributions };
}

describe('flow table', () => {
  it('aggregates records with the same key, scaled by the rate, and attributes each entry once', () => {
    const { t, attributions } = table();
    for (let i = 0; i < 5; i++) t.add('sflow', rec(), 1000, false, 1000 + i);
    expect(t.size).toBe(1);
    expect(attributions()).toBe(1);
    const [e] = t.drain();
    expect(e).toMatchObject({
      bytes: 500_000,
      packets: 5000,
      flows: 5,
      first: 1000,
      last: 1004,
      samplingRate: 1000,
      deviceId: 'dev',
      inPortId: 'in',
    });
    expect(t.size).toBe(0);
  });

  it('keeps every field of the key apart', () => {
    const { t } = table();
    const variants: Partial<FlowRecord>[] = [
      {},
      { protocol: 'ipfix' },
      { exporter: '10.0.0.2' },
      { subAgentId: 1 },
      { inIf: 3 },
      { outIf: 3 },
      { srcVlan: 10 },
      { srcAddr: '192.0.2.2' },
      { dstAddr: '198.51.100.2' },
      { proto: 17 },
      { srcPort: 40001 },
      { dstPort: 80 },
      // Values that a careless hash would fold together: swapped addresses and swapped ports.
      { srcAddr: '198.51.100.1', dstAddr: '192.0.2.1' },
      { srcPort: 443, dstPort: 40000 },
    ];
    for (const v of variants) t.add('sflow', rec(v), 1, false, 1);
    for (const v of variants) t.add('sflow', rec(v), 1, false, 2);
    expect(t.size).toBe(variants.length);
    expect(t.drain().every((e) => e.flows === 2)).toBe(true);
  });

  it('keeps non-IP frames apart by MACs and EtherType, and carries them into the entry', () => {
    const { t } = table();
    const l2 = (o: Partial<FlowRecord>) =>
      rec({
        srcAddr: undefined,
        dstAddr: undefined,
        proto: undefined,
        srcPort: undefined,
        dstPort: undefined,
        srcMac: '02:00:00:00:00:01',
        dstMac: 'ff:ff:ff:ff:ff:ff',
        etherType: 0x0806,
        ...o,
      });
    const variants: Partial<FlowRecord>[] = [
      {},
      { srcMac: '02:00:00:00:00:02' },
      { dstMac: '02:00:00:00:00:03' },
      { etherType: 0x88cc },
      { srcMac: 'ff:ff:ff:ff:ff:ff', dstMac: '02:00:00:00:00:01' },
    ];
    for (const v of variants) t.add('sflow', l2(v), 1, false, 1);
    for (const v of variants) t.add('sflow', l2(v), 1, false, 2);
    // An IP record with the same MACs is yet another entry.
    t.add('sflow', rec({ srcMac: '02:00:00:00:00:01', dstMac: 'ff:ff:ff:ff:ff:ff', etherType: 0x0800 }), 1, false, 3);
    expect(t.size).toBe(variants.length + 1);
    const out = t.drain();
    expect(out.find((e) => e.etherType === 0x88cc)).toMatchObject({
      srcMac: '02:00:00:00:00:01',
      dstMac: 'ff:ff:ff:ff:ff:ff',
      srcAddr: '',
      flows: 2,
    });
    expect(out.filter((e) => e.srcAddr === '').every((e) => e.flows === 2)).toBe(true);
  });

  it('survives many keys (hash collisions chain) and flushes early when full', () => {
    const { t, flushed } = table(50_000);
    for (let i = 0; i < 60_000; i++)
      t.add('sflow', rec({ srcAddr: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, srcPort: i & 0xffff }), 1, false, i);
    expect(t.earlyFlushes).toBe(1);
    expect(flushed[0]).toHaveLength(50_000);
    expect(t.size).toBe(10_000);
    const keys = new Set([...flushed[0]!, ...t.drain()].map((e) => `${e.srcAddr}|${e.srcPort}`));
    expect(keys.size).toBe(60_000);
  });
});

function entries(n: number, last = 1_000): FlowEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    protocol: 'sflow',
    exporter: '10.0.0.1',
    deviceId: 'dev',
    inIf: 1,
    outIf: 2,
    inPortId: null,
    outPortId: null,
    vlan: 0,
    srcAddr: `10.0.${(i >> 8) & 255}.${i & 255}`,
    dstAddr: '10.1.0.1',
    proto: 6,
    srcPort: i & 0xffff,
    dstPort: 443,
    srcMac: '',
    dstMac: '',
    etherType: 0x0800,
    first: last,
    last,
    bytes: 10,
    packets: 1,
    flows: 1,
    samplingRate: 1,
    samplingMissing: false,
  }));
}

describe('flow table bounds', () => {
  const bounded = (maxEntries: number, maxBytes: number, pending = () => 0) =>
    new FlowTable(
      1000,
      () => undefined,
      () => ({ deviceId: 'dev', inPortId: null, outPortId: null }),
      { maxEntries, maxBytes, pending },
    );

  it('refuses new keys at maxEntries, counting them, while known keys still aggregate', () => {
    const t = bounded(3, Infinity);
    for (let i = 0; i < 5; i++) t.add('sflow', rec({ srcPort: 1000 + i }), 1, false, 1);
    expect(t.size).toBe(3);
    expect(t.evicted).toBe(2);
    t.add('sflow', rec({ srcPort: 1000 }), 1, false, 2);
    expect(t.size).toBe(3);
    expect(t.evicted).toBe(2);
    expect(t.drain().find((e) => e.srcPort === 1000)!.flows).toBe(2);
    // Drained: room again.
    t.add('sflow', rec({ srcPort: 1004 }), 1, false, 3);
    expect(t.size).toBe(1);
  });

  it('counts entries waiting to be written against the bound, and bounds estimated bytes too', () => {
    let pending = 2;
    const t = bounded(3, Infinity, () => pending);
    for (let i = 0; i < 3; i++) t.add('sflow', rec({ srcPort: 2000 + i }), 1, false, 1);
    expect(t.size).toBe(1);
    expect(t.evicted).toBe(2);
    pending = 0;
    const b = bounded(Infinity, 4 * ENTRY_BYTES);
    for (let i = 0; i < 10; i++) b.add('sflow', rec({ srcPort: 3000 + i }), 1, false, 1);
    expect(b.size).toBe(4);
    expect(b.bytes).toBe(4 * ENTRY_BYTES);
    expect(b.evicted).toBe(6);
  });
});

describe('paced flow writer', () => {
  const setup = (opts = {}) => {
    const storage = openSqliteStorage({ path: ':memory:' });
    // Counts and the failure injection below are SQLite-specific.
    const db = storage.graph.database;
    const store = new FlowStore(storage.flows);
    const count = (table = 'flows') => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { db, store, count, w: new FlowWriter(store, silentLogger(), opts) };
  };

  it('writes a large flush in short steps, then everything, with the rollups', async () => {
    const { w, count } = setup({ stepMs: 1, pauseMs: 1 });
    w.enqueue(entries(30_000));
    expect(count()).toBe(0); // nothing written synchronously
    await new Promise((r) => setTimeout(r, 5));
    const early = count();
    expect(early).toBeLessThan(30_000);
    await expect.poll(() => count(), { timeout: 20_000, interval: 20 }).toBe(30_000);
    expect(w.transactions).toBeGreaterThan(1);
    expect(count('flows_1m')).toBe(30_000);
    expect(w.pending).toBe(0);
  });

  it('flushAll writes what is pending at once (readers see every flow)', () => {
    const { w, count } = setup({ stepMs: 1, pauseMs: 1000 });
    w.enqueue(entries(5_000));
    w.enqueue(entries(10));
    w.flushAll();
    expect(count()).toBe(5_010);
    expect(w.pending).toBe(0);
    w.stop();
  });

  it('prunes old rows a bounded batch at a time', async () => {
    const { w, count, store } = setup({ stepMs: 50, pauseMs: 1, pruneBatch: 100 });
    store.write(entries(1_000, 1_000));
    store.write(entries(10, 5_000));
    w.pruneBefore(2_000, 0);
    await expect.poll(() => count(), { timeout: 10_000, interval: 10 }).toBe(10);
    w.stop();
  });

  it('logs and drops what a failing database could not take, and keeps going', async () => {
    const { w, db, count } = setup({ stepMs: 1, pauseMs: 1 });
    db.exec('DROP TABLE flows_1m');
    w.enqueue(entries(10));
    await expect.poll(() => w.pending, { timeout: 5000, interval: 10 }).toBe(0);
    expect(count()).toBe(0); // rolled back with the failed rollup
    w.stop();
  });
});
