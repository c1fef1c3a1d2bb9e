// Wireshark's dissection (tshark -T fields) as an independent oracle for port-mirror counting:
// per direction of a conversation, the frames and the sum of frame.len (bytes on the wire).
import { execFileSync, spawnSync } from 'node:child_process';

export const HAVE_TSHARK = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;

const FIELDS = [
  'frame.len',
  'frame.protocols',
  'eth.src',
  'eth.dst',
  'vlan.id',
  'ip.src',
  'ip.dst',
  'ip.proto',
  'ipv6.src',
  'ipv6.dst',
  'ipv6.nxt',
];
const PORTS: Record<string, [string, string]> = {
  tcp: ['tcp.srcport', 'tcp.dstport'],
  udp: ['udp.srcport', 'udp.dstport'],
  sctp: ['sctp.srcport', 'sctp.dstport'],
};
const L4: Record<string, number> = { tcp: 6, udp: 17, sctp: 132, icmp: 1, icmpv6: 58 };

export interface Counts {
  packets: number;
  bytes: number;
}

/** The comparison key of a direction: VLAN, then addresses, IP protocol and ports — or MACs for non-IP frames. */
export function directionKey(f: {
  vlan: number;
  srcAddr: string;
  dstAddr: string;
  proto: number;
  srcPort: number;
  dstPort: number;
  srcMac: string;
  dstMac: string;
}): string {
  if (f.srcAddr || f.dstAddr) return `${f.vlan}|${f.srcAddr}>${f.dstAddr}|${f.proto}|${f.srcPort}>${f.dstPort}`;
  return `${f.vlan}|${f.srcMac}>${f.dstMac}`;
}

export function sumBy<T extends Counts>(rows: T[], key: (r: T) => string): Map<string, Counts> {
  const m = new Map<string, Counts>();
  for (const r of rows) {
    const k = key(r);
    const c = m.get(k) ?? { packets: 0, bytes: 0 };
    c.packets += r.packets;
    c.bytes += r.bytes;
    m.set(k, c);
  }
  return m;
}

/**
 * Frames and frame bytes per direction as tshark dissects `pcap`. The outer IP header names the
 * conversation; ports count only when TCP/UDP/SCTP follows it directly (an ICMP error's quoted
 * header is not the frame's own); IP reassembly is off so every fragment is its own frame.
 */
export function tsharkDirections(pcap: string): Map<string, Counts> {
  const out = execFileSync('tshark', ['-r', pcap, ...tsharkFieldArgs()], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 512 * 1024 * 1024,
  });
  return directionsOf(out);
}

/** tshark options printing the fields `directionsOf` reads, one line per frame. */
export function tsharkFieldArgs(): string[] {
  return [
    '-o',
    'ip.defragment:FALSE',
    '-o',
    'ipv6.defragment:FALSE',
    '-T',
    'fields',
    '-E',
    'separator=\t',
    '-E',
    'occurrence=a',
    '-E',
    'aggregator=,',
    ...[...FIELDS, ...Object.values(PORTS).flat()].flatMap((f) => ['-e', f]),
  ];
}

/** Per-direction counts of tshark field lines (see tsharkFieldArgs). */
export function directionsOf(out: string): Map<string, Counts> {
  const extra = Object.values(PORTS).flat();
  const rows: (Counts & { key: string })[] = [];
  const all = [...FIELDS, ...extra];
  for (const line of out.split('\n')) {
    if (!line) continue;
    const cols = line.split('\t');
    const v = (name: string) => cols[all.indexOf(name)] ?? '';
    const first = (name: string) => v(name).split(',')[0] ?? '';
    const protos = v('frame.protocols').split(':');
    const ipAt = protos.findIndex((p) => p === 'ip' || p === 'ipv6');
    let srcAddr = '';
    let dstAddr = '';
    let proto = 0;
    let srcPort = 0;
    let dstPort = 0;
    if (ipAt >= 0) {
      const v6 = protos[ipAt] === 'ipv6';
      srcAddr = first(v6 ? 'ipv6.src' : 'ip.src');
      dstAddr = first(v6 ? 'ipv6.dst' : 'ip.dst');
      let i = ipAt + 1;
      while (i < protos.length && protos[i]!.startsWith('ipv6.')) i++;
      const l4 = protos[i] ?? '';
      proto = L4[l4] ?? Number(first(v6 ? 'ipv6.nxt' : 'ip.proto'));
      const ports = PORTS[l4];
      if (ports) {
        srcPort = Number(first(ports[0]) || 0);
        dstPort = Number(first(ports[1]) || 0);
      }
    }
    // VLAN tags of the frame itself (those before its IP header; an sFlow sample's header has its own).
    const tags = (ipAt >= 0 ? protos.slice(0, ipAt) : protos).filter((p) => p === 'vlan').length;
    const vlanText = tags ? (v('vlan.id').split(',')[tags - 1] ?? '') : '';
    rows.push({
      key: directionKey({
        vlan: vlanText ? Number(vlanText) : 0,
        srcAddr,
        dstAddr,
        proto,
        srcPort,
        dstPort,
        srcMac: first('eth.src'),
        dstMac: first('eth.dst'),
      }),
      packets: 1,
      bytes: Number(v('frame.len')),
    });
  }
  return sumBy(rows, (r) => r.key);
}
