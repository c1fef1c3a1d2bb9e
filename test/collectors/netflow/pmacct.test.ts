// pmacct nfacctd expected output (tests/100, 104, 111, 112): compared on ip_src, ip_dst, port_src,
// port_dst, ip_proto, iface_in, iface_out with packets/bytes summed over those keys (its other fields
// come from pmacct-only configuration). Test 104 runs nfacctd with renormalisation, so there the
// comparison uses packets/bytes × our resolved sampling rate.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, feed } from './helpers.ts';

const PROTO: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'ipv6-icmp', 112: 'vrrp' };

interface PmacctRow {
  ip_src: string;
  ip_dst: string;
  port_src: number;
  port_dst: number;
  ip_proto: string;
  iface_in: number;
  iface_out: number;
  packets: number;
  bytes: number;
}

function aggregate(rows: { key: string; packets: number; bytes: number }[]): Record<string, [number, number]> {
  const m: Record<string, [number, number]> = {};
  for (const r of rows) {
    const a = (m[r.key] ??= [0, 0]);
    a[0] += r.packets;
    a[1] += r.bytes;
  }
  return m;
}

const CASES: { name: string; pcaps: string[]; json: string; renormalize: boolean }[] = [
  {
    name: '100 Cisco IPFIX',
    pcaps: ['pmacct__100-IPFIXv10-CISCO_traffic-00.pcap'],
    json: 'pmacct__100-IPFIXv10-CISCO_output-flow-00.json',
    renormalize: false,
  },
  {
    name: '104 IPFIX sampling option (IPv6 exporter)',
    pcaps: ['pmacct__104-IPFIXv10-IPv6-CISCO-sampling_option_traffic-00.pcap'],
    json: 'pmacct__104-IPFIXv10-IPv6-CISCO-sampling_option_output-flow-00.json',
    renormalize: true,
  },
  {
    name: '111 NFv9 + IPFIX, IPv4 + IPv6 exporters',
    pcaps: [
      'pmacct__111-IPFIXv10-NFv9-IPv6-IPv4-mix_sources_traffic-00.pcap',
      'pmacct__111-IPFIXv10-NFv9-IPv6-IPv4-mix_sources_traffic-01.pcap',
    ],
    json: 'pmacct__111-IPFIXv10-NFv9-IPv6-IPv4-mix_sources_output-flow-00.json',
    renormalize: false,
  },
  {
    name: '112 options map reassignment (Linux cooked capture)',
    pcaps: ['pmacct__112-IPFIXv10-CISCO-options-map-reassignment_traffic-00.pcap'],
    json: 'pmacct__112-IPFIXv10-CISCO-options-map-reassignment_output-flow-00.json',
    renormalize: false,
  },
];

describe('pmacct nfacctd expected output', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const f = feed(c.pcaps);
      expect(f.errors).toEqual([]);
      const expected = readFileSync(join(FIXTURES, c.json), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as PmacctRow);
      const want = aggregate(
        expected.map((e) => ({
          key: [e.ip_src, e.ip_dst, e.port_src, e.port_dst, e.ip_proto, e.iface_in, e.iface_out].join(' '),
          packets: e.packets,
          bytes: e.bytes,
        })),
      );
      const got = aggregate(
        f.flows.map((r) => {
          // pmacct reports ports only for TCP/UDP.
          const l4 = r.proto === 6 || r.proto === 17;
          const scale = c.renormalize ? (r.samplingRate ?? 1) : 1;
          return {
            key: [
              r.srcAddr,
              r.dstAddr,
              l4 ? r.srcPort : 0,
              l4 ? r.dstPort : 0,
              PROTO[r.proto ?? -1] ?? String(r.proto),
              r.inIf ?? 0,
              r.outIf ?? 0,
            ].join(' '),
            packets: (r.packets ?? 0) * scale,
            bytes: (r.bytes ?? 0) * scale,
          };
        }),
      );
      expect(Object.keys(want).length).toBeGreaterThan(0);
      expect(got).toEqual(want);
    });
  }

  it('104: sampling rate 256 comes from options data (samplingPopulation / samplingSize)', () => {
    const f = feed(['pmacct__104-IPFIXv10-IPv6-CISCO-sampling_option_traffic-00.pcap']);
    expect(f.flows.length).toBe(3);
    for (const r of f.flows) expect(r.samplingRate).toBe(256);
    expect(f.flows[0]).toMatchObject({
      exporter: '2a02:a90:4007:700::54',
      srcAddr: 'fe80::fa53:29ff:fe3a:3152',
      dstAddr: 'fe80::ea5c:aff:fe3b:fc00',
      proto: 58,
      inIf: 42,
    });
  });
});
