// Hand-made messages for the edge cases the fixtures do not cover.
import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../../src/collectors/common/flow-record.ts';
import { NetflowDecoder, type OptionsRecord } from '../../../src/collectors/netflow/decoder.ts';
import { createNetflowCliDecoder } from '../../../src/collectors/netflow/cli-decoder.ts';
import { ipfixField, ipfixMessage, set, u16, u32, v9Message } from './build.ts';

const EXP = '198.51.100.7';

// Template 300: srcAddr, dstAddr, bytes, packets.
const tpl300 = set(2, [...u16(300), ...u16(4), ...ipfixField(8, 4), ...ipfixField(12, 4), ...ipfixField(1, 4), ...ipfixField(2, 4)]);
const data300 = set(300, [10, 0, 0, 1, 10, 0, 0, 2, ...u32(1500), ...u32(3)]);

function decode(d: NetflowDecoder, msg: Buffer, exporter = EXP) {
  const flows: FlowRecord[] = [];
  const options: OptionsRecord[] = [];
  const res = d.decode(msg, exporter, flows, options);
  return { flows, options, res };
}

describe('IPFIX', () => {
  it('holds data until its template arrives, then decodes it', () => {
    const d = new NetflowDecoder();
    const a = decode(d, ipfixMessage(7, 1, [data300]));
    expect(a.flows).toEqual([]);
    expect(d.stats.pendingHeld).toBe(1);
    const b = decode(d, ipfixMessage(7, 2, [tpl300]));
    expect(b.flows).toHaveLength(1);
    expect(b.flows[0]).toMatchObject({ subAgentId: 7, sequence: 1, srcAddr: '10.0.0.1', dstAddr: '10.0.0.2', bytes: 1500, packets: 3 });
    expect(d.stats.pendingReplayed).toBe(1);
  });

  it('replays held data after the whole message, so options data in it sets the sampling rate first', () => {
    // Options template 301: scope observationDomainId, then samplingInterval (IE 34) = 100.
    const opt301 = set(3, [...u16(301), ...u16(2), ...u16(1), ...ipfixField(149, 4), ...ipfixField(34, 4)]);
    const optData = set(301, [...u32(7), ...u32(100)]);
    const d = new NetflowDecoder();
    decode(d, ipfixMessage(7, 1, [data300]));
    const b = decode(d, ipfixMessage(7, 2, [tpl300, opt301, optData]));
    expect(b.flows).toHaveLength(1);
    expect(b.flows[0]).toMatchObject({ srcAddr: '10.0.0.1', samplingRate: 100 });
    expect(b.flows[0]!.samplingRateMissing).toBeUndefined();
    expect(d.samplingRateMissing).toBe(0);
  });

  it('counts evicted pending sets when the per-exporter buffer is full', () => {
    const d = new NetflowDecoder();
    for (let i = 0; i < 40; i++) decode(d, ipfixMessage(7, i, [data300]));
    expect(d.pending.evicted).toBe(8);
    const b = decode(d, ipfixMessage(7, 99, [tpl300]));
    expect(b.flows).toHaveLength(32);
  });

  it('keys templates by exporter and observation domain', () => {
    const d = new NetflowDecoder();
    decode(d, ipfixMessage(7, 1, [tpl300]));
    expect(decode(d, ipfixMessage(8, 1, [data300])).flows).toHaveLength(0);
    expect(decode(d, ipfixMessage(7, 1, [data300]), '198.51.100.8').flows).toHaveLength(0);
    expect(decode(d, ipfixMessage(7, 2, [data300])).flows).toHaveLength(1);
  });

  it('withdraws one template, and all templates with id 2', () => {
    const d = new NetflowDecoder();
    const tpl301 = set(2, [...u16(301), ...u16(1), ...ipfixField(8, 4)]);
    decode(d, ipfixMessage(7, 1, [tpl300, tpl301]));
    expect(d.templates.size).toBe(2);
    decode(d, ipfixMessage(7, 2, [set(2, [...u16(300), ...u16(0)])]));
    expect(d.templates.get(EXP, 7, 300)).toBeUndefined();
    expect(d.templates.get(EXP, 7, 301)).toBeDefined();
    decode(d, ipfixMessage(7, 3, [set(2, [...u16(2), ...u16(0)])]));
    expect(d.templates.size).toBe(0);
    expect(d.stats.templatesWithdrawn).toBe(2);
  });

  it('enterprise fields, 1- and 3-byte variable lengths, and sequence = data-record count', () => {
    const d = new NetflowDecoder();
    const tpl = set(2, [...u16(310), ...u16(3), ...ipfixField(96, 65535), ...ipfixField(12, 65535, 9), ...ipfixField(7, 2)]);
    const long = 'x'.repeat(300);
    const rec1 = [3, ...Buffer.from('dns'), 2, 0xab, 0xcd, ...u16(53)];
    const rec2 = [255, ...u16(long.length), ...Buffer.from(long), 0, ...u16(80)];
    const r = decode(d, ipfixMessage(7, 10, [tpl, set(310, [...rec1, ...rec2])]));
    expect(r.res.errors).toEqual([]);
    expect(r.flows).toHaveLength(2);
    expect(r.flows[0]).toMatchObject({ applicationName: 'dns', ie_9_12: 'abcd', srcPort: 53 });
    expect(r.flows[1]).toMatchObject({ applicationName: long, ie_9_12: '', srcPort: 80 });
    // Next message continues at 10 + 2 data records: no gap. A jump is counted.
    decode(d, ipfixMessage(7, 12, []));
    expect(d.stats.sequenceGaps).toBe(0);
    decode(d, ipfixMessage(7, 20, []));
    expect(d.stats.sequenceGaps).toBe(1);
  });

  it('flowStartDeltaMicroseconds is relative to the export time', () => {
    const d = new NetflowDecoder();
    const tpl = set(2, [...u16(320), ...u16(2), ...ipfixField(158, 4), ...ipfixField(159, 4)]);
    const r = decode(d, ipfixMessage(7, 1, [tpl, set(320, [...u32(5_000_000), ...u32(1_000)])]));
    expect(r.flows[0]).toMatchObject({ flowStartMs: 1_700_000_000_000 - 5_000, flowEndMs: 1_700_000_000_000 - 1 });
  });

  it('truncated variable-length record: typed error, no throw', () => {
    const d = new NetflowDecoder();
    const tpl = set(2, [...u16(311), ...u16(1), ...ipfixField(96, 65535)]);
    const r = decode(d, ipfixMessage(7, 1, [tpl, set(311, [200, 1, 2, 3])]));
    expect(r.flows).toEqual([]);
    expect(r.res.errors.map((e) => e.code)).toEqual(['truncated-record']);
    expect(r.res.errors[0]!.offset).toBe(16 + tpl.length + 4);
  });

  it('interface names from options data (IF_NAME / IF_DESC)', () => {
    const d = new NetflowDecoder();
    const opt = set(3, [...u16(400), ...u16(3), ...u16(1), ...ipfixField(10, 4), ...ipfixField(82, 65535), ...ipfixField(83, 65535)]);
    const rec = [...u32(12), 5, ...Buffer.from('Gi0/1'), 6, ...Buffer.from('uplink')];
    const r = decode(d, ipfixMessage(7, 1, [opt, set(400, rec)]));
    expect(r.options[0]).toMatchObject({ type: 'options', inIf: 12, ifName: 'Gi0/1', ifDescription: 'uplink' });
    expect(d.interfaceNames.get(EXP, 12)).toEqual({ name: 'Gi0/1', description: 'uplink' });
  });
});

describe('NetFlow v9', () => {
  it('field types above 32767 are vendor IDs, not an enterprise bit', () => {
    const d = new NetflowDecoder();
    const tpl = set(0, [...u16(256), ...u16(2), ...u16(40001), ...u16(4), ...u16(8), ...u16(4)]);
    const r = decode(d, v9Message(3, 1, 2, [tpl, set(256, [192, 0, 2, 1, 10, 1, 1, 1])]));
    expect(r.res.errors).toEqual([]);
    expect(r.flows[0]).toMatchObject({ ie40001: 0xc0000201, srcAddr: '10.1.1.1', subAgentId: 3 });
  });

  it('options template scope "interface" + sampler table → per-record rate by sampler ID', () => {
    const d = new NetflowDecoder();
    // Options: scope System (4 bytes); FLOW_SAMPLER_ID (1), FLOW_SAMPLER_RANDOM_INTERVAL (4).
    const opt = set(1, [...u16(257), ...u16(4), ...u16(8), ...u16(1), ...u16(4), ...u16(48), ...u16(1), ...u16(50), ...u16(4)]);
    const optData = set(257, [...u32(0), 2, ...u32(512), 0, 0, 0]);
    const tpl = set(0, [...u16(258), ...u16(2), ...u16(8), ...u16(4), ...u16(48), ...u16(1)]);
    const r = decode(d, v9Message(0, 1, 4, [opt, optData, tpl, set(258, [10, 0, 0, 9, 2, 10, 0, 0, 8, 3, 0, 0])]));
    expect(r.flows).toHaveLength(2);
    expect(r.flows[0]).toMatchObject({ srcAddr: '10.0.0.9', samplerId: 2, samplingRate: 512 });
    // Sampler 3 was never described: no rate, flagged and counted.
    expect(r.flows[1]).toMatchObject({ samplerId: 3, samplingRate: 1, samplingRateMissing: true });
    expect(d.samplingRateMissing).toBe(1);
  });

  it('flow times from sysUptime become absolute ms', () => {
    const d = new NetflowDecoder();
    const tpl = set(0, [...u16(260), ...u16(2), ...u16(22), ...u16(4), ...u16(21), ...u16(4)]);
    const r = decode(d, v9Message(0, 1, 2, [tpl, set(260, [...u32(50_000), ...u32(59_000)])]));
    // Header: sysUptime 60 000 ms at unix 1 700 000 000 s.
    expect(r.flows[0]).toMatchObject({ flowStartMs: 1_700_000_000_000 - 10_000, flowEndMs: 1_700_000_000_000 - 1_000 });
  });
});

describe('cli decoder', () => {
  it('detects versions 5, 9, 10 and rejects others', () => {
    const c = createNetflowCliDecoder();
    expect(c.detect(ipfixMessage(1, 1, [tpl300]), 'udp')).toBe(true);
    expect(c.detect(v9Message(0, 1, 0, [tpl300]), 'udp')).toBe(true);
    expect(c.detect(Buffer.alloc(48), 'udp')).toBe(false);
    expect(c.detect(ipfixMessage(1, 1, [tpl300]), 'frame')).toBe(false);
  });

  it('one instance: templates from one call serve data in the next, errors as text', () => {
    const c = createNetflowCliDecoder();
    expect(c.decode(ipfixMessage(1, 1, [tpl300]), EXP).records).toEqual([]);
    const r = c.decode(Buffer.concat([ipfixMessage(1, 2, [data300]), ipfixMessage(1, 3, [data300])]), EXP);
    expect(r.records).toHaveLength(2);
    const bad = c.decode(Buffer.from([0, 10, 0, 200, ...new Array(40).fill(0)]), EXP);
    expect(bad.errors[0]).toMatch(/bad-length/);
  });
});
