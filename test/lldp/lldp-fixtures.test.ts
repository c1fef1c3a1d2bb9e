// Every LLDP capture in fixtures/pcaps (from ../shared/fixtures/lldp) against the manifest's values, the
// upstream tests' assertions, and tcpdump's own reference decodes (.out) where the upstream ships one.
import { describe, expect, it } from 'vitest';
import { decodeDiscoveryFrame } from '../../src/lldp/frame.ts';
import type { DiscoveryError, LldpRecord } from '../../src/lldp/types.ts';
import { frames, grab, grabAll, lineIndex, tcpdumpPackets } from './helpers.ts';

function lldp(frame: Buffer): { rec: LldpRecord; errors: DiscoveryError[] } {
  const r = decodeDiscoveryFrame(frame);
  expect(r.record?.type).toBe('lldp');
  return { rec: r.record as LldpRecord, errors: r.errors };
}

/** Compares the fields tcpdump -v prints for an LLDP packet with the decoded record. */
function compareWithTcpdump(rec: LldpRecord, lines: string[]): number {
  let checked = 0;
  const eq = (a: unknown, b: unknown) => {
    expect(a).toEqual(b);
    checked++;
  };
  const ci = lineIndex(lines, /Chassis ID TLV/);
  if (ci >= 0) {
    const m = /Subtype .* \((\d+)\): (.*)$/.exec(lines[ci + 1]!)!;
    eq(rec.chassisIdSubtype, Number(m[1]));
    eq(rec.chassisId, m[2]);
  }
  const pi = lineIndex(lines, /Port ID TLV/);
  if (pi >= 0) {
    const m = /Subtype .* \((\d+)\): (.*)$/.exec(lines[pi + 1]!)!;
    eq(rec.portIdSubtype, Number(m[1]));
    eq(rec.portId, m[2]);
  }
  const ttl = grab(lines, /TTL (\d+)s/);
  if (ttl) eq(rec.ttl, Number(ttl));
  const name = grab(lines, /System Name TLV \(5\), length \d+: (.*)$/);
  if (name) eq(rec.sysName, name);
  const pd = grab(lines, /Port Description TLV \(4\), length \d+: (.*)$/);
  if (pd) eq(rec.portDescr, pd);
  const sd = lineIndex(lines, /System Description TLV/);
  if (sd >= 0) eq(rec.sysDescr, lines[sd + 1]!.trim());
  const sysCaps = grab(lines, /System {2}Capabilities .*\((0x[0-9a-f]+)\)/);
  if (sysCaps) eq(rec.capabilitiesMask, Number(sysCaps));
  const enCaps = grab(lines, /Enabled Capabilities .*\((0x[0-9a-f]+)\)/);
  if (enCaps) eq(rec.enabledCapabilitiesMask, Number(enCaps));
  const mgmt = grabAll(lines, /Management Address length \d+, AFI \S+ \((\d+)\): (\S+)/);
  const ifnums = grabAll(lines, /Interface Numbering \((\d+)\): (\d+)/);
  if (mgmt.length) {
    eq(
      rec.mgmtAddresses.map((a) => [a.family, a.address]),
      mgmt.map((m) => [Number(m[1]), m[2]]),
    );
    eq(
      rec.mgmtAddresses.map((a) => [a.ifSubtype, a.ifNumber]),
      ifnums.map((m) => [Number(m[1]), Number(m[2])]),
    );
  }
  const agg = /aggregation status \[([^\]]*)\], aggregation port ID (\d+)/.exec(lines.join('\n'));
  if (agg) {
    eq(rec.linkAggregation?.supported, agg[1]!.includes('supported'));
    eq(rec.linkAggregation?.enabled, agg[1]!.includes('enabled'));
    eq(rec.linkAggregation?.portId, Number(agg[2]));
  }
  const an = grab(lines, /autonegotiation \[.*\] \((0x[0-9a-f]+)\)/);
  if (an) {
    eq(rec.macPhy?.autonegSupported, (Number(an) & 1) !== 0);
    eq(rec.macPhy?.autonegEnabled, (Number(an) & 2) !== 0);
  }
  const pmd = grab(lines, /PMD autoneg capability .*\((0x[0-9a-f]+)\)/);
  if (pmd) eq(rec.macPhy?.advertised, Number(pmd));
  const mau = grab(lines, /MAU type .*\((0x[0-9a-f]+)\)/);
  if (mau) eq(rec.macPhy?.mauType, Number(mau));
  const app = grabAll(lines, /Priority: (\d+), RES: \d+, Sel: (\d+), Protocol ID: (\d+)/);
  if (app.length)
    eq(
      rec.appPriority,
      app.map((m) => ({ priority: Number(m[1]), selector: Number(m[2]), protocol: Number(m[3]) })),
    );
  const mud = grab(lines, /MUD-URL=(.*)$/);
  if (mud) eq(rec.mudUrl, mud);
  // OUIs tcpdump does not know must be kept by the decoder as unknown TLVs, in order.
  const unknownOuis = grabAll(lines, /OUI Unknown \(0x([0-9a-f]{6})\)/).map((m) => m[1]!.replace(/(..)(..)(..)/, '$1-$2-$3'));
  if (unknownOuis.length)
    eq(
      rec.unknownTlvs.filter((u) => unknownOuis.includes(u.oui ?? '')).map((u) => u.oui),
      unknownOuis,
    );
  return checked;
}

describe('LLDP fixtures with tcpdump reference decodes', () => {
  it.each([
    ['tcpdump__lldp_mudurl.pcap', 'tcpdump__lldp_mudurl-v.out', 2],
    ['tcpdump__lldp-app-priority.pcap', 'tcpdump__lldp-app-priority.out', 1],
    ['tcpdump__lldp_8021_linkagg.pcap', 'tcpdump__lldp_8021_linkagg-v.out', 2],
  ])('%s matches %s', (pcap, out, n) => {
    const fs = frames(pcap);
    const pkts = tcpdumpPackets(out);
    expect(fs).toHaveLength(n);
    expect(pkts).toHaveLength(n);
    for (let i = 0; i < n; i++) {
      const { rec } = lldp(fs[i]!);
      expect(compareWithTcpdump(rec, pkts[i]!)).toBeGreaterThanOrEqual(3);
    }
  });

  it('MUD URL capture: system name and both management addresses (manifest)', () => {
    const { rec, errors } = lldp(frames('tcpdump__lldp_mudurl.pcap')[0]!);
    expect(errors).toEqual([]);
    expect(rec.sysName).toBe('upstairs.ofcourseimright.com');
    expect(rec.mgmtAddresses.map((a) => a.address)).toEqual(['62.12.173.114', '2001:8a8:1006:4:223:54ff:fec2:5702']);
    expect(rec.capabilities).toEqual(['bridge', 'wlan-ap', 'router', 'station']);
    expect(rec.enabledCapabilities).toEqual(['wlan-ap']);
  });

  it('application priority capture: leaf0b, iSCSI (3260) at priority 4, DCBX OUI kept raw', () => {
    const { rec, errors } = lldp(frames('tcpdump__lldp-app-priority.pcap')[0]!);
    expect(errors).toEqual([]);
    expect(rec.sysName).toBe('leaf0b');
    expect(rec.portIdSubtypeName).toBe('interface-name');
    expect(rec.appPriority).toEqual([{ priority: 4, selector: 4, protocol: 3260 }]);
    // 802.1 PFC (subtype 11) is not decoded: kept with its OUI/subtype.
    expect(rec.unknownTlvs.find((u) => u.oui === '00-80-c2')).toMatchObject({ subtype: 11, hex: '0110' });
  });

  it('802.1 link aggregation capture: PDU without mandatory TLVs still yields the TLV, with errors', () => {
    const [a, b] = frames('tcpdump__lldp_8021_linkagg.pcap').map(lldp);
    expect(a!.rec.linkAggregation).toEqual({ source: '802.1', supported: true, enabled: true, portType: 0, portId: 100 });
    expect(b!.rec.linkAggregation).toEqual({ source: '802.1', supported: true, enabled: false, portType: 0, portId: 0 });
    expect(a!.rec.chassisId).toBeNull();
    expect(a!.errors.map((e) => e.code)).toContain('missing-mandatory');
    expect(a!.errors.every((e) => e.offset >= 14 && e.offset <= 25)).toBe(true);
  });
});

describe('lldpd fixtures', () => {
  it('802.3bt PoE TLV (lldpd test_8023bt values)', () => {
    const { rec, errors } = lldp(frames('lldpd__8023bt.pcap')[0]!);
    expect(errors).toEqual([]);
    expect(rec.power).toMatchObject({
      deviceType: 'PSE',
      supported: true,
      enabled: true,
      pairControl: true,
      pairsName: 'signal',
      class: 4,
      powerType: 2,
      priorityName: 'low',
      requestedMw: 71000,
      allocatedMw: 51000,
      requestedAMw: 35500,
      requestedBMw: 35500,
      allocatedAMw: 25500,
      allocatedBMw: 25500,
      pdStatus: 'unknown',
      pairsExt: 'both alternatives',
      classExtA: 'class 4',
      classExtB: 'class 4',
      classExt: 'dual-signature PD',
      powerTypeExt: 'Type 3 PSE',
      pdLoad: false,
      maxPowerMw: 51000,
    });
    // Power status 0xce4f: bits 15:14 = 3, which IEEE 802.3bt (and scapy, Wireshark's raw "3") name
    // "4-pair powering dual-signature PD"; lldpd's table swaps 2 and 3. See fixtures/README.md.
    expect(rec.power?.pseStatus).toBe('4-pair powering dual-signature PD');
  });

  it('malformed MED civic location: TLV error, the rest of the PDU decodes (lldpd test_med_loc_malformed)', () => {
    const { rec, errors } = lldp(frames('lldpd__med-loc-malformed.pcap')[0]!);
    expect(rec.med?.deviceType).toBe(3);
    expect(rec.med?.deviceTypeName).toBe('endpoint class III');
    expect(rec.med?.capabilities).toEqual(['capabilities', 'network-policy', 'location', 'inventory']);
    expect(rec.med?.policies).toEqual([
      { appType: 1, appTypeName: 'voice', defined: true, tagged: false, vlanId: 0, priority: 0, priorityName: 'best-effort', dscp: 0 },
    ]);
    const loc = rec.med?.locations?.[0];
    expect(loc?.formatName).toBe('civic');
    expect(loc?.malformed).toBe(true);
    expect(loc?.civic?.country).toBe('F5');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'bad-length', context: expect.stringContaining('location') });
    // TLVs after the malformed one (same frame, later offsets) are all there.
    expect(rec.sysName).toBe('defensics');
    expect(rec.portDescr).toBe('eth0');
    expect(rec.sysDescr).toBe('Codenomicon Defensics Test Suite');
    expect(rec.ttl).toBe(16);
    expect(rec.portId).toBe('3e:3e:3e:3e:3e:3e');
  });

  it('minimal Nortel LLDPDU (check_lldp test_recv_min)', () => {
    const { rec, errors } = lldp(frames('lldpd__check_lldp-recv_min-nortel.bin')[0]!);
    expect(errors).toEqual([]);
    expect(rec).toMatchObject({
      chassisIdSubtype: 4,
      chassisId: '00:17:d1:a8:35:bf',
      portIdSubtype: 3,
      portId: '00:17:d1:a8:36:02',
      ttl: 120,
    });
    expect(rec.sysName).toBeUndefined();
    expect(rec.sysDescr).toBeUndefined();
    expect(rec.portDescr).toBeUndefined();
  });

  it('full lldpd frame from a Linux box (check_lldp test_recv_lldpd)', () => {
    const { rec, errors } = lldp(frames('lldpd__check_lldp-recv_lldpd-linux.bin')[0]!);
    expect(errors).toEqual([]);
    expect(rec.sysName).toBe('naruto.XXXXXXXXXXXXXXXXXXX');
    expect(rec.portDescr).toBe('eth0');
    expect(rec.enabledCapabilities).toEqual(['bridge', 'router']);
    expect(rec.mgmtAddresses[0]).toMatchObject({ ifSubtypeName: 'ifindex', ifNumber: 3 });
    expect(rec.macPhy).toMatchObject({ autonegSupported: true, autonegEnabled: true, mauType: 16, mauTypeName: '100BaseTXFD' });
    expect(rec.maxFrameSize).toBe(1500);
    expect(rec.med?.inventory).toEqual({
      hardwareRevision: 'ND991789702',
      firmwareRevision: '080012 ',
      softwareRevision: '2.6.29-2-amd64',
      serialNumber: '105820850009',
      manufacturer: 'NEC Computers SAS',
      model: 'POWERMATE VL350',
      assetId: '100207120',
    });
  });
});

describe('gopacket and scapy fixtures', () => {
  it('Siemens SCALANCE X212-2 (gopacket TestPacketLLDP)', () => {
    const { rec, errors } = lldp(frames('gopacket__lldp_test-siemens-scalance-x212.bin')[0]!);
    expect(errors).toEqual([]);
    expect(rec.sysName).toBe('Switch1');
    expect(rec.portDescr).toBe('Siemens, SIMATIC NET, Ethernet Switch Port 01');
    expect(rec.sysDescr).toBe('Siemens, SIMATIC NET, SCALANCE X212-2, 6GK5 212-2BB00-2AA3, HW: 7, FW: V4.02');
    expect(rec.capabilities).toEqual(['station']);
    expect(rec.enabledCapabilities).toEqual(['station']);
    expect(rec.mgmtAddresses).toEqual([
      {
        family: 1,
        familyName: 'ipv4',
        address: '141.81.0.190',
        ifSubtype: 2,
        ifSubtypeName: 'ifindex',
        ifNumber: 1,
        oid: '1.3.6.1.4.1.24686',
      },
    ]);
    expect(rec.unknownTlvs.map((u) => [u.oui, u.subtype, u.hex])).toEqual([
      ['00-0e-cf', 2, '00000000'],
      ['00-0e-cf', 5, '001b1b02e61e'],
    ]);
    // The 00-12-0f/1 TLV (info 03 6c00 0010) is the 802.3 MAC/PHY TLV.
    expect(rec.macPhy).toMatchObject({ autonegSupported: true, autonegEnabled: true, advertised: 0x6c00, mauType: 0x10 });
  });

  it('Cisco 3560 with a network-address chassis ID (scapy lldp.uts)', () => {
    const { rec, errors } = lldp(frames('scapy__lldp_uts-cisco3560-chassis-netaddr.bin')[0]!);
    expect(errors).toEqual([]);
    expect(rec).toMatchObject({ chassisIdSubtype: 5, chassisIdSubtypeName: 'network-address', chassisIdFamily: 1, chassisId: '1.2.3.4' });
    expect(rec).toMatchObject({
      portIdSubtype: 1,
      portId: 'Uplink to S1',
      ttl: 120,
      sysName: 'S2.cisco.com',
      portDescr: 'GigabitEthernet0/13',
    });
    expect(rec.sysDescr?.startsWith('Cisco IOS Software, C3560')).toBe(true);
    expect(rec.sysDescr).toContain('12.2(44)SE');
    expect(rec.vlan?.pvid).toBe(1);
    expect(rec.macPhy?.mauType).toBe(16);
  });
});
