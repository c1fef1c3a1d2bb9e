// Every CDP capture in fixtures/pcaps against the manifest, the upstream tests and tcpdump's `cdp-v.out`.
import { describe, expect, it } from 'vitest';
import { decodeCdpPdu } from '../../src/lldp/cdp.ts';
import { decodeDiscoveryFrame } from '../../src/lldp/frame.ts';
import type { CdpRecord, DiscoveryError } from '../../src/lldp/types.ts';
import { frames, grab, lineIndex, tcpdumpPackets } from './helpers.ts';

function cdp(frame: Buffer): { rec: CdpRecord; errors: DiscoveryError[] } {
  const r = decodeDiscoveryFrame(frame);
  expect(r.record?.type).toBe('cdp');
  return { rec: r.record as CdpRecord, errors: r.errors };
}

const quoted = (lines: string[], label: string) =>
  grab(lines, new RegExp(`^\\s*${label} \\(0x[0-9a-f]{4}\\), value length: \\d+ bytes?: '(.*)'$`));

describe('tcpdump 3560_CDP.pcap vs tcpdump__cdp-v.out', () => {
  const fs = frames('tcpdump__3560_CDP.pcap');
  const pkts = tcpdumpPackets('tcpdump__cdp-v.out');

  it('has three frames and three reference packets', () => {
    expect(fs).toHaveLength(3);
    expect(pkts).toHaveLength(3);
  });

  it.each([0, 1, 2])('packet %i matches tcpdump field by field', (i) => {
    const { rec, errors } = cdp(fs[i]!);
    const lines = pkts[i]!;
    expect(errors).toEqual([]);
    const hdr = /CDPv(\d), ttl: (\d+)s, checksum: (0x[0-9a-f]+)/.exec(lines[0]!)!;
    expect(rec.version).toBe(Number(hdr[1]));
    expect(rec.ttl).toBe(Number(hdr[2]));
    expect(rec.checksum).toBe(Number(hdr[3]));
    expect(rec.checksumValid).toBe(true); // tcpdump leaves it "unverified"; Wireshark says correct
    expect(rec.deviceId).toBe(quoted(lines, 'Device-ID'));
    expect(rec.platform).toBe(quoted(lines, 'Platform'));
    expect(rec.portId).toBe(quoted(lines, 'Port-ID'));
    expect(rec.vtpDomain).toBe(quoted(lines, 'VTP Management Domain'));
    expect(rec.addresses).toEqual([grab(lines, /Address \(0x0002\), .*IPv4 \(1\) (\S+)/)]);
    expect(rec.mgmtAddresses).toEqual([grab(lines, /Management Addresses \(0x0016\), .*IPv4 \(1\) (\S+)/)]);
    expect(rec.capabilitiesMask).toBe(Number(grab(lines, /Capability \(0x0004\), .*\((0x[0-9a-f]+)\)/)));
    expect(rec.capabilities).toEqual(['switch', 'igmp']); // tcpdump: "L2 Switch, IGMP snooping"
    expect(rec.nativeVlan).toBe(Number(grab(lines, /Native VLAN ID \(0x000a\), .*: (\d+)$/)));
    expect(rec.duplex).toBe(grab(lines, /Duplex \(0x000b\), .*: (\w+)$/));
    expect(rec.trustBitmap).toBe(Number(grab(lines, /AVVID trust bitmap .*: (0x[0-9a-f]+)$/)));
    expect(rec.untrustedCos).toBe(Number(grab(lines, /AVVID untrusted ports CoS .*: (0x[0-9a-f]+)$/)));
    const pw = /reqid (\d+), mgmtid (\d+), pwravail (\d+) mW (\d+) mW/.exec(lines.join('\n'))!;
    expect(rec.powerAvailable).toEqual({ requestId: Number(pw[1]), mgmtId: Number(pw[2]), powerMw: [Number(pw[3]), Number(pw[4])] });
    // Version string: tcpdump prints the value's lines indented after the TLV line.
    const vs = lineIndex(lines, /Version String \(0x0005\)/);
    const versionLines = lines.slice(vs + 1, lineIndex(lines, /Platform \(0x0006\)/)).map((l) => l.trim());
    expect(rec.softwareVersion?.split('\n').map((l) => l.trim())).toEqual(versionLines);
  });

  it('manifest values: Device-ID Switch, Port-ID GigabitEthernet0/5, 192.168.0.1', () => {
    const { rec } = cdp(fs[0]!);
    expect(rec.deviceId).toBe('Switch');
    expect(rec.portId).toBe('GigabitEthernet0/5');
    expect(rec.addresses).toEqual(['192.168.0.1']);
    expect(rec.mgmtAddresses).toEqual(['192.168.0.1']);
    expect(rec.srcMac).toBe('00:19:06:ea:b8:85');
  });
});

describe('lldpd check_cdp fixtures', () => {
  it('CDPv1 from a Cisco 1601 (test_recv_cdpv1); its stored checksum is wrong and only reported', () => {
    const { rec, errors } = cdp(frames('lldpd__check_cdp-recv_cdpv1-cisco1601.bin')[0]!);
    expect(rec.version).toBe(1);
    expect(rec.deviceId).toBe('R1');
    expect(rec.addresses).toEqual(['192.168.10.1']);
    expect(rec.portId).toBe('Ethernet0');
    expect(rec.capabilities).toContain('router');
    expect(rec.platform).toBe('cisco 1601');
    // lldpd's sysdescr is "<platform> running on\n<version>"; the version TLV itself:
    expect(rec.softwareVersion?.startsWith('Cisco Internetwork Operating System Software')).toBe(true);
    expect(rec.softwareVersion).toContain('Version 11.2(12)P');
    // Wireshark agrees: "Checksum: 0xdff0 incorrect, should be 0xdfe0". Not fatal.
    expect(rec.checksum).toBe(0xdff0);
    expect(rec.checksumValid).toBe(false);
    expect(errors.map((e) => e.code)).toEqual(['bad-checksum']);
  });

  it('CDPv2 from a Cisco 7206VXR (test_recv_cdpv2)', () => {
    const { rec, errors } = cdp(frames('lldpd__check_cdp-recv_cdpv2-cisco7206vxr.bin')[0]!);
    expect(errors).toEqual([]);
    expect(rec.version).toBe(2);
    expect(rec.checksumValid).toBe(true);
    expect(rec.deviceId).toBe('rtbg6test01');
    expect(rec.addresses).toEqual(['172.66.55.3']);
    expect(rec.portId).toBe('FastEthernet0/0');
    expect(rec.platform).toBe('cisco 7206VXR');
    expect(rec.softwareVersion).toContain('Version 12.2(46)');
    // Raw capability bits: none set (lldpd shows "station" for that).
    expect(rec.capabilitiesMask).toBe(0);
    expect(rec.capabilities).toEqual([]);
  });
});

describe('scapy bare CDP PDU (no Ethernet/LLC header)', () => {
  const pdu = frames('scapy__cdp_uts-CDPv2-dissection1.cdp-pdu.bin')[0]!;

  it('decodes with decodeCdpPdu: scapy cdp.uts values', () => {
    const { record: rec, errors } = decodeCdpPdu(pdu);
    expect(errors).toEqual([]);
    expect(pdu.length).toBe(450);
    expect(rec).toMatchObject({ type: 'cdp', version: 2, ttl: 180, checksum: 0x8cfa, checksumValid: true });
    expect(rec?.deviceId).toBe('myswitch');
    expect(rec?.addresses).toEqual(['192.168.0.253']);
    expect(rec?.portId).toBe('FastEthernet0/1');
    expect(rec?.platform).toBe('cisco WS-C2950-12');
    expect(rec?.softwareVersion).toContain('C2950');
    expect(rec?.protocolHello?.oui).toBe('00-00-0c');
    expect(rec?.protocolHello?.protocolId).toBe(0x112);
    expect(rec?.protocolHello && rec.protocolHello.hex.length / 2 + 5).toBe(32); // TLV length 36 = 4 + 32
    expect(rec?.vtpDomain).toBe('MYDOMAIN');
    expect(rec?.nativeVlan).toBe(1);
    expect(rec?.duplex).toBe('full');
    expect(rec?.voipVlan).toBe(10);
    expect(rec?.trustBitmap).toBe(0);
    expect(rec?.untrustedCos).toBe(0);
    expect(rec?.mgmtAddresses).toEqual(['192.168.0.253']);
  });

  it('is not mistaken for an Ethernet frame', () => {
    expect(decodeDiscoveryFrame(pdu).record).toBeNull();
  });
});
