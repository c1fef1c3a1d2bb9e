// The ingest handler's sFlow decoder (src/collectors/sflow/decode.ts sflowDecoder, context.ts
// CounterGate): a reused decoder answers exactly what decodeSflow does, and a counter sample the
// gate turns away is walked and counted, not decoded; the handler turns away exactly the readings
// it used to discard after decoding (a port read less than a second ago, same status).
import { describe, it, expect } from 'vitest';
import { decodeSflow, sflowDecoder } from '../../../src/collectors/sflow/decode.ts';
import { SFLOW_FIXTURES, datagrams } from './fixtures.ts';
import { sflowRig } from './handler-rig.ts';

const OVS = 'ovs-sflow.pcap';

/** Every fixture datagram, plus each cut short at a few lengths (errors, partial samples). */
function corpus(): Buffer[] {
  const out: Buffer[] = [];
  for (const f of [...SFLOW_FIXTURES, { name: OVS }]) {
    for (const d of datagrams(f.name, f.skip)) {
      out.push(d);
      for (const cut of [7, 30, Math.floor(d.length / 2), d.length - 3]) if (cut > 0 && cut < d.length) out.push(d.subarray(0, cut));
    }
  }
  return out;
}

describe('sflowDecoder (reused objects)', () => {
  it('gives what decodeSflow gives for every fixture datagram and cut, called one after another', () => {
    const decode = sflowDecoder();
    const all = corpus();
    expect(all.length).toBeGreaterThan(100);
    for (const [i, d] of all.entries()) {
      const want = JSON.stringify(decodeSflow(d));
      expect(JSON.stringify(decode(d)), `datagram ${i}`).toBe(want);
    }
  });
});

describe('counter gate', () => {
  const ovs = datagrams(OVS);
  const withCounters = ovs.filter((d) => decodeSflow(d).counters.some((c) => c.format === 1));

  it('turned away: no counter records, the same record counts, every generic record asked with its ifIndex and status', () => {
    expect(withCounters.length).toBeGreaterThan(0);
    for (const d of withCounters) {
      const full = decodeSflow(d);
      const asked: string[] = [];
      const gated = decodeSflow(d, {
        counterGate: (agent, sub, ifIndex, status, uptime) => {
          asked.push(`${agent}|${sub}|${ifIndex}|${status}|${uptime}`);
          return false;
        },
      });
      const generic = full.counters.filter((c) => c.format === 1);
      expect(asked.sort()).toEqual(
        generic.map((c) => `${full.agent}|${full.subAgentId}|${c.ifIndex}|${c.ifOperStatus}|${full.uptime}`).sort(),
      );
      // Samples with a generic record are turned away whole; one without any (OVS: a bridge's own) is decoded.
      expect(gated.counters.filter((c) => c.format === 1)).toEqual([]);
      expect(gated.counters.length + gated.stats.skippedCounterRecords).toBe(full.counters.length);
      expect(gated.stats.skippedCounterRecords).toBeGreaterThanOrEqual(generic.length);
      expect(gated.flows).toEqual(full.flows);
      expect(gated.errors).toEqual(full.errors);
      expect(gated.stats.records).toBe(full.stats.records);
      expect(gated.stats.unknownRecords).toBe(full.stats.unknownRecords);
      expect(gated.stats.counterSamples).toBe(full.stats.counterSamples);
      // Let through: exactly the full decode.
      expect(JSON.stringify(decodeSflow(d, { counterGate: () => true }))).toBe(JSON.stringify(full));
    }
  });

  it('a counter sample with a record past its end is decoded in full (the error reported), never turned away', () => {
    const d = Buffer.from(withCounters[0]!);
    // The first counter sample's first record: claim a length past the sample.
    const full = decodeSflow(d);
    expect(full.errors).toEqual([]);
    // The first generic interface record of a counter sample: a length past the sample.
    let p = (d.readUInt32BE(4) === 1 ? 12 : 24) + 12;
    const n = d.readUInt32BE(p);
    p += 4;
    let patched = false;
    for (let i = 0; i < n && !patched; i++) {
      const fmt = d.readUInt32BE(p) & 0xfff;
      const len = d.readUInt32BE(p + 4);
      if (fmt === 2 || fmt === 4) {
        let r = p + 8 + (fmt === 2 ? 8 : 12);
        const records = d.readUInt32BE(r);
        r += 4;
        for (let j = 0; j < records; j++) {
          const rlen = d.readUInt32BE(r + 4);
          if ((d.readUInt32BE(r) & 0xfff) === 1) {
            d.writeUInt32BE(rlen + 1000, r + 4);
            patched = true;
            break;
          }
          r += 8 + rlen;
        }
      }
      p += 8 + len;
    }
    expect(patched).toBe(true);
    let asked = 0;
    const gated = decodeSflow(d, {
      counterGate: () => {
        asked++;
        return false;
      },
    });
    expect(gated.errors.map((e) => e.code)).toEqual(decodeSflow(d).errors.map((e) => e.code));
    expect(gated.errors.length).toBeGreaterThan(0);
    // The broken sample itself was not put to the gate.
    expect(asked).toBeLessThan(full.counters.filter((c) => c.format === 1).length);
  });

  it('the handler applies a port reading once a second, a status change at once: as before, but without decoding the rest', async () => {
    const h = sflowRig();
    const { pipeline, registry, storage } = h;
    const applied: string[] = [];
    const orig = pipeline.ports.record.bind(pipeline.ports);
    pipeline.ports.record = (portId, source, c, now, extra, o) => {
      applied.push(`${portId}@${now}:${String(extra?.State)}`);
      return orig(portId, source, c, now, extra, o);
    };
    const d = withCounters[0]!;
    const ports = decodeSflow(d).counters.filter((c) => c.format === 1).length;
    const feed = (data: Buffer, at: number) => h.handle({ data, address: '192.0.2.1', port: 6343, localPort: 6343, receivedAt: at });
    feed(d, 10_000);
    const first = applied.length;
    expect(first).toBe(ports);
    feed(d, 10_400); // same uptime, 0.4 s later: turned away
    feed(d, 10_900);
    expect(applied.length).toBe(first);
    feed(d, 11_000); // a second later by our clock
    expect(applied.length).toBe(2 * first);
    // One port goes down: its status changed, so its reading passes at once; the others do not.
    const down = Buffer.from(d);
    let flipped = 0;
    for (let o = 0; o + 8 <= down.length && flipped === 0; o += 4) {
      if (down.readUInt32BE(o) === 1 && down.readUInt32BE(o + 4) >= 88 && o > 40) {
        const st = o + 8 + 20;
        if (st + 4 <= down.length && down.readUInt32BE(st) & 2) {
          down.writeUInt32BE(down.readUInt32BE(st) & ~2, st);
          flipped++;
        }
      }
    }
    expect(flipped).toBe(1);
    feed(down, 11_100);
    expect(applied.length).toBe(2 * first + 1);
    expect(applied.at(-1)).toMatch(/@11100:DOWN$/);
    // Counter records are counted whether decoded or turned away: 5 datagrams' worth.
    h.flushMetrics();
    const m = await registry.getSingleMetric('canopy_sflow_records_total')!.get();
    const counter = m.values.find((v) => v.labels.kind === 'counter')?.value;
    expect(counter).toBe(5 * decodeSflow(d).counters.length);
    storage.close();
  });
});
