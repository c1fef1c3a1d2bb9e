// Real exporter capture: softflowd 1.1.0 exporting NetFlow v5 (:2055), v9 (:2056) and IPFIX (:4739)
// from a namespace (fixtures/README.md, "softflowd capture"). tshark's cflow dissector is the oracle:
// per packet, the multisets of addresses, protocols, packet and byte counts and UDP source ports
// must equal ours.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NetflowDecoder } from '../../../src/collectors/netflow/decoder.ts';
import type { FlowRecord } from '../../../src/collectors/common/flow-record.ts';
import { FIXTURES, payloads } from './helpers.ts';

const FILE = 'softflowd-nf5-nf9-ipfix.pcap';
const FIELDS = [
  'cflow.version',
  'cflow.srcaddr',
  'cflow.dstaddr',
  'cflow.srcaddrv6',
  'cflow.dstaddrv6',
  'cflow.protocol',
  'cflow.srcport',
  'cflow.packets',
  'cflow.octets',
];

function tshark(): string[][] | null {
  try {
    const out = execFileSync(
      'tshark',
      ['-r', join(FIXTURES, FILE), '-d', 'udp.port==2056,cflow', '-T', 'fields', '-E', 'separator=|', ...FIELDS.flatMap((f) => ['-e', f])],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    return out
      .trim()
      .split('\n')
      .map((l) => l.split('|'));
  } catch {
    return null;
  }
}

const oracle = tshark();
const sorted = (xs: (string | number | undefined)[]) =>
  xs
    .filter((x) => x !== undefined && x !== '')
    .map(String)
    .sort();
const list = (s: string | undefined) => (s ? s.split(',') : []);

describe('softflowd capture', () => {
  const d = new NetflowDecoder();
  const perPacket: FlowRecord[][] = payloads(FILE).map((p) => {
    const out: FlowRecord[] = [];
    const r = d.decode(p.payload, p.exporter, out);
    expect(r.errors).toEqual([]);
    return out;
  });

  it('holds one v5, one v9 and one IPFIX datagram with flows', () => {
    expect(perPacket.map((fs) => fs[0]?.protocol)).toEqual(['netflow5', 'netflow9', 'ipfix']);
    expect(
      perPacket.every((fs) => fs.some((f) => f.srcAddr === '10.77.0.1' && f.dstAddr === '10.77.0.2' && f.proto === 1 && f.packets === 5)),
    ).toBe(true);
  });

  it.skipIf(oracle === null)('tshark agrees, packet by packet', () => {
    expect(oracle).toHaveLength(perPacket.length);
    oracle!.forEach((row, i) => {
      const [version, src4, dst4, src6, dst6, proto, sport, pkts, octets] = row;
      const ours = perPacket[i]!;
      const versions: Record<string, number> = { netflow5: 5, netflow9: 9, ipfix: 10 };
      expect(Number(version)).toBe(versions[ours[0]!.protocol]);
      const v4 = ours.filter((f) => typeof f.srcAddr === 'string' && !f.srcAddr.includes(':'));
      const v6 = ours.filter((f) => typeof f.srcAddr === 'string' && f.srcAddr.includes(':'));
      expect(sorted(v4.map((f) => f.srcAddr))).toEqual(sorted(list(src4)));
      expect(sorted(v4.map((f) => f.dstAddr))).toEqual(sorted(list(dst4)));
      expect(sorted(v6.map((f) => f.srcAddr))).toEqual(sorted(list(src6)));
      expect(sorted(v6.map((f) => f.dstAddr))).toEqual(sorted(list(dst6)));
      expect(sorted(ours.map((f) => f.proto))).toEqual(sorted(list(proto)));
      expect(sorted(ours.map((f) => f.packets))).toEqual(sorted(list(pkts)));
      expect(sorted(ours.map((f) => f.bytes))).toEqual(sorted(list(octets)));
      // tshark lists v9/IPFIX ports only for records that carry them as UDP/TCP; v5 has them all.
      const withPorts = ours[0]!.protocol === 'netflow5' ? ours : ours.filter((f) => f.proto === 6 || f.proto === 17);
      expect(sorted(withPorts.map((f) => f.srcPort))).toEqual(sorted(list(sport)));
    });
  });
});
