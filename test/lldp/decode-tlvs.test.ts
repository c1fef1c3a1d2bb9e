// Hand-built frames for TLVs and corner cases the captures do not cover; values come from the specs.
import { describe, expect, it } from 'vitest';
import { decodeCdpPdu } from '../../src/lldp/cdp.ts';
import { decodeDiscoveryFrame, looksLikeCdpPdu } from '../../src/lldp/frame.ts';
import { decodeLldpPdu, MAX_LLDP_TLVS } from '../../src/lldp/lldp.ts';
import type { CdpRecord, LldpRecord } from '../../src/lldp/types.ts';
import { cdpFrame, cdpPdu, cdpTlv, h, inetChecksum, lldpFrame, mandatory, org, tlv, u16, u32 } from './build.ts';

const DOT1 = '0080c2';
const DOT3 = '00120f';
const MED = '0012bb';

function lldp(frame: Buffer) {
  const r = decodeDiscoveryFrame(frame);
  return { rec: r.record as LldpRecord, errors: r.errors };
}

describe('LLDP framing', () => {
  it('finds LLDP behind 802.1Q and 802.1ad tags', () => {
    const { rec, errors } = lldp(lldpFrame(mandatory(), { vlans: [0x2064, 0x0005] }));
    expect(errors).toEqual([]);
    expect(rec.vlanTags).toEqual([100, 5]); // PCP bits masked off
    expect(rec.chassisId).toBe('02:00:00:00:00:01');
    expect(rec.srcMac).toBe('02:00:00:00:00:01');
  });

  it('decodes a bare LLDPDU; offsets are PDU-relative', () => {
    const pdu = Buffer.concat([...mandatory(), tlv(5, 'sw'), h('0a')]); // 1 stray byte at the end
    const r = decodeLldpPdu(pdu);
    expect(r.record?.sysName).toBe('sw');
    expect(r.errors).toEqual([{ code: 'truncated', offset: pdu.length - 1, context: 'lldp tlv header', message: expect.any(String) }]);
  });

  it('rejects non-discovery frames and empty PDUs without throwing', () => {
    const ipv4 = Buffer.concat([h('ffffffffffff020000000001'), u16(0x0800), Buffer.alloc(46)]);
    expect(decodeDiscoveryFrame(ipv4)).toMatchObject({ record: null, errors: [{ code: 'not-discovery' }] });
    expect(decodeDiscoveryFrame(Buffer.alloc(0)).record).toBeNull();
    expect(decodeLldpPdu(Buffer.alloc(0))).toMatchObject({ record: null, errors: [{ code: 'truncated' }] });
  });
});

describe('802.1AB basic TLVs', () => {
  it('chassis/port ID subtypes: text, MAC, IPv6 network address, binary agent circuit ID', () => {
    const ipv6 = h('20010db8000000000000000000000001');
    const { rec, errors } = lldp(
      lldpFrame([
        tlv(1, Buffer.concat([Buffer.from([5, 2]), ipv6])),
        tlv(2, Buffer.concat([Buffer.from([6]), h('0001ff')])),
        tlv(3, u16(0)),
      ]),
    );
    expect(errors).toEqual([]);
    expect(rec).toMatchObject({
      chassisIdSubtype: 5,
      chassisIdFamily: 2,
      chassisId: '2001:db8::1',
      portIdSubtypeName: 'agent-circuit-id',
      portId: '00:01:ff',
      ttl: 0,
    });
    for (const [sub, name] of [
      [1, 'chassis-component'],
      [2, 'interface-alias'],
      [3, 'port-component'],
      [6, 'interface-name'],
      [7, 'local'],
    ] as const) {
      const r = lldp(lldpFrame([tlv(1, Buffer.concat([Buffer.from([sub]), Buffer.from('Gi0/1')])), ...mandatory().slice(1)]));
      expect(r.rec).toMatchObject({ chassisId: 'Gi0/1', chassisIdSubtype: sub, chassisIdSubtypeName: name });
    }
  });

  it('a wrong TLV order and a duplicate are reported, first value kept', () => {
    const [c, p, t] = mandatory();
    const { rec, errors } = lldp(lldpFrame([p!, c!, t!, tlv(5, 'a'), tlv(5, 'b')]));
    expect(rec.sysName).toBe('a');
    expect(rec.chassisId).toBe('02:00:00:00:00:01');
    expect(errors.map((e) => e.code)).toEqual(['missing-mandatory', 'bad-value']);
    expect(errors[1]!.offset).toBe(14 + 7 + 9 + 4 + 3); // the second System Name TLV in the frame
  });

  it('management address: MAC family, system-port numbering, OID that runs past the TLV', () => {
    const good = Buffer.concat([Buffer.from([7, 6]), h('02aabbccddee'), Buffer.from([3]), u32(17), Buffer.from([0])]);
    const badOid = Buffer.concat([Buffer.from([5, 1]), h('0a000001'), Buffer.from([2]), u32(5), Buffer.from([9, 0x2b, 6])]);
    const { rec, errors } = lldp(lldpFrame([...mandatory(), tlv(8, good), tlv(8, badOid)]));
    expect(rec.mgmtAddresses).toEqual([
      { family: 6, familyName: 'mac', address: '02:aa:bb:cc:dd:ee', ifSubtype: 3, ifSubtypeName: 'system-port', ifNumber: 17 },
      { family: 1, familyName: 'ipv4', address: '10.0.0.1', ifSubtype: 2, ifSubtypeName: 'ifindex', ifNumber: 5 },
    ]);
    expect(errors).toMatchObject([{ code: 'truncated', context: 'lldp management address' }]);
  });

  it('keeps unknown TLV types and unknown OUIs raw; a truncated TLV stops the walk with its offset', () => {
    const { rec, errors } = lldp(
      lldpFrame([...mandatory(), tlv(9, h('beef')), org('aabbcc', 9, h('01')), h('0a10'), Buffer.from('x')], { end: false }),
    );
    expect(rec.unknownTlvs).toMatchObject([
      { type: 9, hex: 'beef' },
      { type: 127, oui: 'aa-bb-cc', subtype: 9, hex: '01' },
    ]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'truncated', context: 'lldp tlv 5' });
  });

  it('caps the TLV count', () => {
    const many = Array.from({ length: MAX_LLDP_TLVS + 10 }, () => tlv(9, Buffer.alloc(0)));
    const { rec, errors } = lldp(lldpFrame([...mandatory(), ...many]));
    expect(errors.map((e) => e.code)).toContain('too-many');
    expect(rec.unknownTlvs.length).toBeLessThanOrEqual(128);
  });
});

describe('802.1 and 802.3 org TLVs', () => {
  it('VLANs, protocol identity, management VID, VID digest, 802.1 link aggregation', () => {
    const { rec, errors } = lldp(
      lldpFrame([
        ...mandatory(),
        org(DOT1, 1, u16(10)),
        org(DOT1, 2, Buffer.concat([Buffer.from([6]), u16(20)])),
        org(DOT1, 3, Buffer.concat([u16(30), Buffer.from([5]), Buffer.from('voice')])),
        org(DOT1, 4, Buffer.concat([Buffer.from([2]), h('88cc')])),
        org(DOT1, 5, u32(0xdeadbeef)),
        org(DOT1, 6, u16(99)),
        org(DOT1, 7, Buffer.concat([Buffer.from([0b1011]), u32(7)])),
        org(DOT3, 3, Buffer.concat([Buffer.from([1]), u32(8)])), // deprecated form loses to the 802.1 one
        org(DOT3, 4, u16(9216)),
      ]),
    );
    expect(errors).toEqual([]);
    expect(rec.vlan).toEqual({
      pvid: 10,
      ppvids: [{ id: 20, supported: true, enabled: true }],
      names: [{ id: 30, name: 'voice' }],
      mgmtVid: 99,
    });
    expect(rec.protocolIdentities).toEqual(['88cc']);
    expect(rec.vidUsageDigest).toBe(0xdeadbeef);
    expect(rec.linkAggregation).toEqual({ source: '802.1', supported: true, enabled: true, portType: 2, portId: 7 });
    expect(rec.maxFrameSize).toBe(9216);
  });

  it('VLAN name longer than its TLV is an error, not a read past the end', () => {
    const { rec, errors } = lldp(lldpFrame([...mandatory(), org(DOT1, 3, Buffer.concat([u16(30), Buffer.from([50]), Buffer.from('x')]))]));
    expect(rec.vlan?.names).toBeUndefined();
    expect(errors).toMatchObject([{ code: 'truncated', context: 'lldp 802.1 subtype 3' }]);
  });

  it('Power via MDI with only the 802.3at extension (a Type 2 PD asking for 25.5 W)', () => {
    const info = Buffer.concat([Buffer.from([0b0000_1010, 2, 5, 0b0101_0001]), u16(255), u16(255)]);
    const { rec, errors } = lldp(lldpFrame([...mandatory(), org(DOT3, 2, info)]));
    expect(errors).toEqual([]);
    expect(rec.power).toEqual({
      deviceType: 'PD',
      supported: true,
      enabled: false,
      pairControl: true,
      pairs: 2,
      pairsName: 'spare',
      class: 4,
      powerType: 2,
      source: 1,
      sourceName: 'pse',
      priority: 1,
      priorityName: 'critical',
      requestedMw: 25500,
      allocatedMw: 25500,
    });
  });
});

describe('LLDP-MED', () => {
  const coord = () => {
    const b = Buffer.alloc(16);
    const lat = Math.round(48.58667 * 2 ** 25);
    const lon = 2 ** 34 - Math.round(2.2014 * 2 ** 25); // 2.2014 W: two's complement
    b.writeUIntBE(34 * 2 ** 34 + lat, 0, 5);
    b.writeUIntBE(34 * 2 ** 34 + lon, 5, 5);
    b.writeUIntBE(1 * 2 ** 36 + 22 * 2 ** 30 + Math.round(117.47 * 256), 10, 5);
    b[15] = 1;
    return b;
  };

  it('policy, coordinate / civic / ELIN locations, extended power', () => {
    const policy = Buffer.from([1, 0, 0, 0]);
    policy.writeUIntBE((1 << 22) | (500 << 9) | (5 << 6) | 46, 1, 3); // tagged, VLAN 500, PCP 5, DSCP 46
    const civic = Buffer.concat([
      Buffer.from([2, 1 + 2 + 6 + 2 + 5, 2]),
      Buffer.from('US'),
      Buffer.from([3, 4]),
      Buffer.from('Rose'),
      Buffer.from([0, 0]),
      Buffer.from([22, 3]),
      Buffer.from('2nd'),
    ]);
    const { rec, errors } = lldp(
      lldpFrame([
        ...mandatory(),
        org(MED, 1, Buffer.concat([u16(0x1b), Buffer.from([1])])),
        org(MED, 2, policy),
        org(MED, 3, Buffer.concat([Buffer.from([1]), coord()])),
        org(MED, 3, civic),
        org(MED, 3, Buffer.concat([Buffer.from([3]), Buffer.from('911')])),
        org(MED, 4, Buffer.concat([Buffer.from([0b0101_0010]), u16(130)])),
      ]),
    );
    expect(errors).toEqual([]);
    const m = rec.med!;
    expect(m.capabilities).toEqual(['capabilities', 'network-policy', 'extended-power-pse', 'extended-power-pd']);
    expect(m.deviceTypeName).toBe('endpoint class I');
    expect(m.policies).toEqual([
      { appType: 1, appTypeName: 'voice', defined: true, tagged: true, vlanId: 500, priority: 5, priorityName: 'voice', dscp: 46 },
    ]);
    const [c, cv, elin] = m.locations!;
    expect(c!.coordinate!.latitude).toBeCloseTo(48.58667, 5);
    expect(c!.coordinate!.longitude).toBeCloseTo(-2.2014, 5);
    expect(c!.coordinate!.altitude).toBeCloseTo(117.47, 2);
    expect(c!.coordinate).toMatchObject({ altitudeType: 1, datum: 1 });
    expect(cv!.civic).toEqual({
      what: 2,
      country: 'US',
      elements: [
        { type: 3, name: 'city', value: 'Rose' },
        { type: 0, name: 'language', value: '' },
        { type: 22, name: 'additional-location', value: '2nd' },
      ],
    });
    expect(elin!.elin).toBe('911');
    expect(m.power).toEqual({ deviceType: 'PD', source: 1, sourceName: 'pse', priority: 2, priorityName: 'high', powerMw: 13000 });
  });

  it('a civic element running past the LCI marks the location malformed and keeps what was read', () => {
    const civic = Buffer.concat([
      Buffer.from([2, 9, 2]),
      Buffer.from('DE'),
      Buffer.from([3, 1]),
      Buffer.from('B'),
      Buffer.from([1, 40]),
      Buffer.from('x'),
    ]);
    const { rec, errors } = lldp(lldpFrame([...mandatory(), org(MED, 3, civic), tlv(5, 'after')]));
    expect(rec.med?.locations?.[0]).toMatchObject({ malformed: true, civic: { country: 'DE', elements: [{ type: 3, value: 'B' }] } });
    expect(errors).toMatchObject([{ code: 'bad-length' }]);
    expect(rec.sysName).toBe('after');
  });

  it('a coordinate LCI shorter than 16 bytes is an error', () => {
    const { rec, errors } = lldp(lldpFrame([...mandatory(), org(MED, 3, Buffer.concat([Buffer.from([1]), Buffer.alloc(10)]))]));
    expect(rec.med?.locations?.[0]).toMatchObject({ formatName: 'coordinate', malformed: true });
    expect(rec.med?.locations?.[0]?.coordinate).toBeUndefined();
    expect(errors).toHaveLength(1);
  });
});

describe('CDP', () => {
  const addr = (ips: Buffer[]) => Buffer.concat([u32(ips.length), ...ips]);
  const v4 = (s: string) => Buffer.concat([h('0101cc'), u16(4), Buffer.from(s.split('.').map(Number))]);
  const v6 = (hex: string) => Buffer.concat([Buffer.from([2, 8]), h('aaaa0300000086dd'), u16(16), h(hex)]);

  it('decodes v2 TLVs incl. IPv6 addresses, prefixes, MTU, power, sysObjectID, behind 802.1Q, ignoring padding', () => {
    const pdu = cdpPdu([
      cdpTlv(1, 'sw9'),
      cdpTlv(2, addr([v4('10.1.2.3'), v6('fe800000000000000000000000000001')])),
      cdpTlv(3, 'Te1/0/1'),
      cdpTlv(4, u32(0x29)),
      cdpTlv(7, h('0a000000 18')),
      cdpTlv(0x0b, Buffer.from([0])),
      cdpTlv(0x10, u16(6300)),
      cdpTlv(0x11, u32(9000)),
      cdpTlv(0x14, 'sw9.example'),
      cdpTlv(0x15, h('06062b0601040109')),
      cdpTlv(0x16, addr([v4('192.0.2.9')])),
      cdpTlv(0x17, Buffer.concat([Buffer.from([0]), Buffer.from('rack 4')])),
      cdpTlv(0x99, h('abcd')),
    ]);
    const r = decodeDiscoveryFrame(cdpFrame(pdu, [42]));
    const rec = r.record as CdpRecord;
    expect(r.errors).toEqual([]);
    expect(rec).toMatchObject({
      type: 'cdp',
      vlanTags: [42],
      checksumValid: true,
      deviceId: 'sw9',
      portId: 'Te1/0/1',
      addresses: ['10.1.2.3', 'fe80::1'],
      capabilities: ['router', 'switch', 'igmp'],
      ipPrefixes: ['10.0.0.0/24'],
      duplex: 'half',
      powerConsumptionMw: 6300,
      mtu: 9000,
      sysName: 'sw9.example',
      sysObjectId: '1.3.6.1.4.1.9',
      mgmtAddresses: ['192.0.2.9'],
      location: 'rack 4',
    });
    expect(rec.unknownTlvs).toMatchObject([{ type: 0x99, hex: 'abcd' }]);
  });

  it('short frame: the 802.3 length bounds the PDU, the Ethernet padding is not a TLV', () => {
    const r = decodeDiscoveryFrame(cdpFrame(cdpPdu([cdpTlv(1, 'a')])));
    expect(r.errors).toEqual([]);
    expect((r.record as CdpRecord).deviceId).toBe('a');
  });

  it('checksum: odd-length PDUs verify with zero padding; a flipped bit is reported but decoding goes on', () => {
    const odd = cdpPdu([cdpTlv(1, 'abc')]);
    expect(odd.length % 2).toBe(1);
    expect(decodeCdpPdu(odd).record?.checksumValid).toBe(true);
    const bad = Buffer.from(odd);
    bad[bad.length - 1]! ^= 1;
    const r = decodeCdpPdu(bad);
    expect(r.record).toMatchObject({ checksumValid: false, deviceId: 'abb' });
    expect(r.errors).toMatchObject([{ code: 'bad-checksum', offset: 2 }]);
  });

  it('checksum: the Cisco odd-length form (last byte sign-extended into the low half) is accepted', () => {
    const odd = Buffer.concat([Buffer.from([2, 180, 0, 0]), cdpTlv(1, Buffer.from([0x61, 0x62, 0xc8]))]);
    // Ones'-complement sum with the last byte b added as 0xff00 | (b - 1), as Wireshark models IOS.
    let s = 0xff00 | (0xc8 - 1);
    for (let i = 0; i + 1 < odd.length - 1; i += 2) s += odd.readUInt16BE(i);
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    odd.writeUInt16BE(~s & 0xffff, 2);
    expect(inetChecksum(odd)).not.toBe(0); // the RFC 1071 form does not verify it…
    expect(decodeCdpPdu(odd).record?.checksumValid).toBe(true); // …the Cisco form does
  });

  it('bad version and truncated TLVs are typed errors', () => {
    expect(decodeCdpPdu(h('03b40000'))).toMatchObject({ record: null, errors: [{ code: 'bad-version', offset: 0 }] });
    expect(decodeCdpPdu(h('02b4'))).toMatchObject({ record: null, errors: [{ code: 'truncated' }] });
    const trunc = cdpPdu([cdpTlv(1, 'x')]);
    trunc.writeUInt16BE(40, 6); // TLV claims 40 bytes
    const r = decodeCdpPdu(trunc);
    expect(r.record?.deviceId).toBeUndefined();
    expect(r.errors.map((e) => e.code)).toEqual(['bad-checksum', 'truncated']);
    const addrTrunc = decodeCdpPdu(cdpPdu([cdpTlv(2, Buffer.concat([u32(3), v4('1.2.3.4')]))]));
    expect(addrTrunc.record?.addresses).toEqual(['1.2.3.4']);
    expect(addrTrunc.errors).toMatchObject([{ code: 'truncated', message: 'address 2 of 3 missing' }]);
  });

  it('looksLikeCdpPdu accepts a checksummed PDU and rejects flow datagrams and near misses', () => {
    const pdu = cdpPdu([cdpTlv(1, 'sw'), cdpTlv(3, 'Gi1')]);
    expect(looksLikeCdpPdu(pdu)).toBe(true);
    expect(looksLikeCdpPdu(Buffer.concat([u16(5), Buffer.alloc(40)]))).toBe(false); // NetFlow v5 header
    expect(looksLikeCdpPdu(Buffer.concat([u32(5), u32(1), Buffer.alloc(40)]))).toBe(false); // sFlow v5
    const flipped = Buffer.from(pdu);
    flipped[6]! ^= 0x10; // breaks the TLV walk
    expect(looksLikeCdpPdu(flipped)).toBe(false);
    const badSum = Buffer.from(pdu);
    badSum[2]! ^= 1;
    expect(looksLikeCdpPdu(badSum)).toBe(false);
  });
});
