// The `canopy decode` adapter: detection rules and the end-to-end path through src/cli/decode.ts.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeFiles } from '../../src/cli/decode.ts';
import { createLldpCliDecoder } from '../../src/lldp/cli-decoder.ts';
import { FIXTURES, fixture, frames } from './helpers.ts';

const MINE = /^(tcpdump__(3560_CDP|lldp)|lldpd__|lldpd-lab|gopacket__lldp|scapy__(lldp|cdp))/;

describe('createLldpCliDecoder', () => {
  const d = createLldpCliDecoder();

  it('is named lldp and claims whole LLDP and CDP frames only', () => {
    expect(d.name).toBe('lldp');
    const lldpFrame = frames('lldpd__check_lldp-recv_min-nortel.bin')[0]!;
    const cdpFrame = frames('lldpd__check_cdp-recv_cdpv2-cisco7206vxr.bin')[0]!;
    expect(d.detect(lldpFrame, 'frame')).toBe(true);
    expect(d.detect(cdpFrame, 'frame')).toBe(true);
    expect(d.detect(lldpFrame, 'udp', 6343)).toBe(false);
  });

  it('claims the bare scapy CDP PDU (strict check) and decodes it', () => {
    const pdu = fixture('scapy__cdp_uts-CDPv2-dissection1.cdp-pdu.bin');
    expect(d.detect(pdu, 'frame')).toBe(true);
    const r = d.decode(pdu, '0.0.0.0');
    expect(r.errors).toEqual([]);
    expect(r.records).toMatchObject([{ type: 'cdp', deviceId: 'myswitch', portId: 'FastEthernet0/1' }]);
  });

  const others = readdirSync(FIXTURES).filter((f) => /\.(bin|dat)$/.test(f) && !MINE.test(f));
  it.skipIf(others.length === 0)('does not claim any other raw fixture (sFlow / NetFlow / IPFIX payloads)', () => {
    for (const f of others) expect(d.detect(readFileSync(join(FIXTURES, f)), 'frame'), f).toBe(false);
  });

  it('renders typed errors with code, offset and context', () => {
    const r = d.decode(frames('lldpd__med-loc-malformed.pcap')[0]!, '0.0.0.0');
    expect(r.records).toHaveLength(1);
    expect(r.errors).toEqual([expect.stringMatching(/^bad-length at offset \d+ \(lldp-med subtype 3 \(location\)\): civic LCI length 2/)]);
  });
});

describe('canopy decode (src/cli/decode.ts) on the LLDP/CDP fixtures', () => {
  it('pcaps: one record per frame, LLDP and CDP', () => {
    const out = decodeFiles([join(FIXTURES, 'tcpdump__lldp_mudurl.pcap'), join(FIXTURES, 'tcpdump__3560_CDP.pcap')]);
    expect(out.records.map((r) => (r as { type: string }).type)).toEqual(['lldp', 'lldp', 'cdp', 'cdp', 'cdp']);
    expect(out.records[0]).toMatchObject({
      type: 'lldp',
      chassisId: '00:23:54:c2:57:02',
      chassisIdSubtype: 4,
      sysName: 'upstairs.ofcourseimright.com',
    });
    expect(out.records[2]).toMatchObject({
      type: 'cdp',
      deviceId: 'Switch',
      portId: 'GigabitEthernet0/5',
      nativeVlan: 1,
      vtpDomain: 'Lab',
    });
    expect(out.errors).toEqual([]);
    expect(out.decodedPackets).toBe(5);
  });

  it('raw .bin frames and the bare CDP PDU; problems go to errors with the packet label', () => {
    const out = decodeFiles([
      join(FIXTURES, 'gopacket__lldp_test-siemens-scalance-x212.bin'),
      join(FIXTURES, 'scapy__cdp_uts-CDPv2-dissection1.cdp-pdu.bin'),
      join(FIXTURES, 'lldpd__check_cdp-recv_cdpv1-cisco1601.bin'),
    ]);
    expect(out.records).toMatchObject([
      { type: 'lldp', sysName: 'Switch1' },
      { type: 'cdp', deviceId: 'myswitch' },
      { type: 'cdp', deviceId: 'R1' },
    ]);
    expect(out.errors).toEqual([
      expect.stringMatching(/lldpd__check_cdp-recv_cdpv1-cisco1601\.bin packet 1: lldp: bad-checksum at offset 24/),
    ]);
  });
});
