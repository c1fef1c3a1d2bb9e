import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createSflowCliDecoder } from '../../../src/collectors/sflow/cli-decoder.ts';
import { datagram, PCAPS } from './fixtures.ts';

describe('sFlow decoder for `canopy decode`', () => {
  const dec = createSflowCliDecoder();

  it('detects version 5 datagrams with a valid agent address type only', () => {
    const d = datagram('akvorado__data-1140.pcap');
    expect(dec.detect(d, 'udp', 6343)).toBe(true);
    expect(dec.detect(d, 'frame')).toBe(false);
    const v9 = Buffer.from(d);
    v9.writeUInt16BE(9, 0); // a NetFlow v9 header starts with 0x0009
    expect(dec.detect(v9, 'udp', 2055)).toBe(false);
    const badType = Buffer.from(d);
    badType.writeUInt32BE(3, 4);
    expect(dec.detect(badType, 'udp')).toBe(false);
  });

  it('prints one object per flow sample and per counter record, errors as text with offsets', () => {
    const flows = dec.decode(datagram('akvorado__data-1140.pcap'), '192.0.2.100');
    expect(flows.errors).toEqual([]);
    expect(flows.records).toHaveLength(5);
    expect(flows.records[0]).toMatchObject({ type: 'flow', exporter: '172.16.0.3', samplingRate: 1024 });
    const counters = dec.decode(datagram('gopacket__sflow_test-SFlowTestPacket9-portname-counter.bin'), '127.0.0.1');
    expect(counters.records.map((r) => (r as { format: number }).format)).toEqual([2, 1004, 1005, 1]);
    const lacp = dec.decode(datagram('gopacket__sflow_test-SFlowTestPacket11-lacp-counter.bin'), '127.0.0.1');
    expect(lacp.errors).toEqual(['truncated-sample at offset 32: counter sample 1: length 116 > 76 left, decoding what is there']);
    // JSON lines round-trip: every record prints.
    for (const r of [...flows.records, ...counters.records]) expect(JSON.parse(JSON.stringify(r))).toEqual(JSON.parse(JSON.stringify(r)));
  });

  it.skipIf(
    !existsSync(join(PCAPS, '../../src/collectors/netflow/cli-decoder.ts')) || !existsSync(join(PCAPS, '../../src/lldp/cli-decoder.ts')),
  )('decodeFiles (the `canopy decode` front end) prints the OVS capture (skipped until the NetFlow and LLDP decoders exist)', async () => {
    const { decodeFiles } = await import('../../../src/cli/decode.ts');
    const out = decodeFiles([join(PCAPS, 'ovs-sflow.pcap')]);
    expect(out.errors).toEqual([]);
    expect(out.decodedPackets).toBeGreaterThanOrEqual(8);
    expect(out.records.every((r) => (r as { exporter: string }).exporter === '10.98.0.254')).toBe(true);
  });
});
