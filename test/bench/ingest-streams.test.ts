// What the ingest benches' sender puts on the wire (bench/lib/datagram-stream.ts), decoded back
// with the project's own decoders: the IPFIX messages still decode after their keys are rewritten
// and carry one fresh key per record, and the memory bench's distinct mode gives exactly N keys.
import { describe, expect, it } from 'vitest';
import { DatagramStream, fromSflow } from '../../bench/lib/datagram-stream.ts';
import { ipfixTemplates } from '../../bench/lib/ipfix-templates.ts';
import { templates as sflowTemplates } from '../../bench/sflow-ingest.bench.ts';
import type { FlowRecord } from '../../src/collectors/common/flow-record.ts';
import { NetflowDecoder } from '../../src/collectors/netflow/decoder.ts';
import { decodeSflow } from '../../src/collectors/sflow/decode.ts';

/** The key the collector's flow table would see, for records the sender rewrote (10.0.0.0/8 sources). */
const rewritten = (f: { srcAddr?: string; dstAddr?: string; srcPort?: number; dstPort?: number }) =>
  f.srcAddr?.startsWith('10.') && f.dstAddr?.startsWith('11.') ? `${f.srcAddr}|${f.dstAddr}|${f.srcPort}|${f.dstPort}` : undefined;

describe('ingest bench streams', () => {
  it('IPFIX: rewritten messages decode into one distinct key per record, in sequence', () => {
    const tpl = ipfixTemplates();
    const data = tpl.filter((t) => !t.periodic);
    expect(tpl.length - data.length).toBeGreaterThanOrEqual(8);
    // More than one source capture contributes data records, and every slot is a record.
    expect(data.length).toBeGreaterThanOrEqual(8);
    const N = 3000;
    const stream = new DatagramStream(tpl, { mode: 'distinct', keys: N });
    const decoder = new NetflowDecoder();
    const flows: FlowRecord[] = [];
    const errors: string[] = [];
    for (const b of stream.templateDatagrams(1_700_000_000)) {
      for (const r of decoder.decodeAll(b, '127.0.0.1', flows)) errors.push(...r.errors.map((e) => e.code));
    }
    expect(decoder.templates.size).toBeGreaterThanOrEqual(20);
    const keys = new Set<string>();
    let forward = 0;
    while (stream.keysWritten < N) {
      const before = stream.keysWritten;
      flows.length = 0;
      for (const r of decoder.decodeAll(stream.nextDatagram(1_700_000_000), '127.0.0.1', flows))
        errors.push(...r.errors.map((e) => e.code));
      const mine = flows.map(rewritten).filter((k) => k !== undefined);
      // Each rewritten slot is one decoded record with its new key (biflow reverses are extra, not rewritten).
      expect(mine.length).toBe(stream.keysWritten - before);
      forward += mine.length;
      for (const k of mine) keys.add(k);
    }
    expect(errors).toEqual([]);
    expect(forward).toBe(stream.keysWritten);
    expect(keys.size).toBe(N);
    // Sequence numbers advance by the data records of each domain, as an exporter's do.
    expect(decoder.stats.sequenceGaps).toBe(0);
  });

  it('sFlow distinct mode (flows.memory): N keys, each once', () => {
    const N = 20_000;
    const stream = new DatagramStream(sflowTemplates().map(fromSflow), { mode: 'distinct', keys: N });
    const keys = new Set<string>();
    let records = 0;
    while (stream.keysWritten < N) {
      const dg = decodeSflow(stream.nextDatagram(0));
      expect(dg.ok).toBe(true);
      for (const f of dg.flows) {
        const k = rewritten(f);
        if (k) {
          records++;
          keys.add(f.srcAddr!);
        }
      }
    }
    // The last datagram may wrap onto the first keys: distinct sources are exactly N.
    expect(records).toBe(stream.keysWritten);
    expect(keys.size).toBe(N);
    expect(stream.distinctKeys).toBe(N);
  });
});
