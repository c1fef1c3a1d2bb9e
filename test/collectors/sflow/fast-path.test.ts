// The sFlow fast path (src/collectors/sflow/fast-flow.ts) must store exactly what the general
// decoder stores: every sFlow fixture, and the bench's rewritten stream, through the sFlow handler
// with the fast path and without it give the same flow-table entries.
import { describe, it, expect } from 'vitest';
import { decodeSflow } from '../../../src/collectors/sflow/decode.ts';
import type { FlowSink } from '../../../src/collectors/sflow/fast-flow.ts';
import { SFLOW_FIXTURES, datagrams } from './fixtures.ts';
import { sflowRig } from './handler-rig.ts';
import type { Registry } from 'prom-client';
import { stream } from '../../../bench/ingest-stages.bench.ts';

const FIELDS = [
  'protocol',
  'exporter',
  'deviceId',
  'inIf',
  'outIf',
  'inPortId',
  'outPortId',
  'vlan',
  'srcAddr',
  'dstAddr',
  'proto',
  'srcPort',
  'dstPort',
  'srcMac',
  'dstMac',
  'etherType',
  'first',
  'last',
  'bytes',
  'packets',
  'flows',
  'samplingRate',
  'samplingMissing',
] as const;

/** The table's entries after handling `set`, as sorted JSON rows of the stored fields. */
function entries(set: Buffer[], fastPath: boolean): { rows: string[]; registry: Registry } {
  const { pipeline, storage, registry, handle, flushMetrics } = sflowRig({ fastPath });
  set.forEach((data, i) => handle({ data, address: '192.0.2.99', port: 6343, localPort: 6343, receivedAt: 1_000_000 + i }));
  flushMetrics();
  const rows = pipeline.table
    .drain()
    .map((e) => JSON.stringify(FIELDS.map((f) => e[f])))
    .sort();
  storage.close();
  return { rows, registry };
}

/** Flow samples the fast path takes in `set`. */
function fastTaken(set: Buffer[]): number {
  const sink: FlowSink = { addrKey: () => 0, add: () => undefined };
  return set.reduce((n, d) => n + decodeSflow(d, { flowSink: sink }).fastFlows, 0);
}

/**
 * Copies of `set` whose extended-switch records (1001) carry other VLANs: source and destination
 * different, one "unknown" (0xffffffff), both unknown, in turn, so the header's tag and the record's
 * precedence are both exercised.
 */
function revlanned(set: Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  let n = 0;
  for (const orig of set) {
    const b = Buffer.from(orig);
    let p = b.readUInt32BE(4) === 1 ? 12 : 24;
    p += 12;
    const samples = b.readUInt32BE(p);
    p += 4;
    for (let i = 0; i < samples && p + 8 <= b.length; i++) {
      const format = b.readUInt32BE(p);
      const len = b.readUInt32BE(p + 4);
      const body = p + 8;
      if (format === 1 || format === 3) {
        let r = body + (format === 1 ? 28 : 40);
        const records = b.readUInt32BE(r);
        r += 4;
        for (let j = 0; j < records && r + 8 <= b.length; j++) {
          const rlen = b.readUInt32BE(r + 4);
          if (b.readUInt32BE(r) === 1001 && r + 8 + 16 <= b.length) {
            const mode = n++ % 4;
            b.writeUInt32BE(mode === 1 || mode === 3 ? 0xffffffff : 100 + (n % 7), r + 8);
            b.writeUInt32BE(mode === 2 || mode === 3 ? 0xffffffff : 200 + (n % 5), r + 16);
          }
          r += 8 + ((rlen + 3) & ~3);
        }
      }
      p = body + ((len + 3) & ~3);
    }
    out.push(b);
  }
  return out;
}

describe('sFlow fast path', () => {
  for (const f of SFLOW_FIXTURES) {
    it(`stores what the general decoder stores: ${f.name}`, () => {
      const set = datagrams(f.name, f.skip);
      const fast = entries(set, true);
      const general = entries(set, false);
      expect(fast.rows).toEqual(general.rows);
    });
  }

  it('gives extended-switch VLANs the same precedence over header tags as the general decoder', () => {
    const set = revlanned([...SFLOW_FIXTURES.flatMap((f) => datagrams(f.name, f.skip)), ...stream(200)]);
    const fast = entries(set, true);
    expect(new Set(fast.rows.map((r) => (JSON.parse(r) as unknown[])[7])).size).toBeGreaterThan(5);
    expect(fast.rows).toEqual(entries(set, false).rows);
  });

  it('takes most samples of the fixtures and the bench stream, and stores the same for the stream', async () => {
    const all = SFLOW_FIXTURES.flatMap((f) => datagrams(f.name, f.skip));
    expect(fastTaken(all)).toBeGreaterThan(20);
    const set = stream(3000);
    const flowSamples = set.reduce((n, d) => n + decodeSflow(d).stats.flowSamples, 0);
    expect(fastTaken(set)).toBeGreaterThan(flowSamples * 0.8);
    const fast = entries(set, true);
    const general = entries(set, false);
    expect(fast.rows.length).toBeGreaterThan(100);
    expect(fast.rows).toEqual(general.rows);
    // The Prometheus record counts do not depend on the path either.
    const count = async (r: Registry) =>
      (await r.getSingleMetricAsString('canopy_sflow_records_total')).split('\n').filter((l) => !l.startsWith('#'));
    expect(await count(fast.registry)).toEqual(await count(general.registry));
  });
});
