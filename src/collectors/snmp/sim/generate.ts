// Synthetic switch walks for benchmarks and poller tests: an N-port switch with system group,
// IF-MIB ifTable/ifXTable, LLDP-MIB local/remote tables (neighbours wired as a ring of switches),
// BRIDGE-MIB base ports and an FDB of F entries (Q-BRIDGE or BRIDGE-MIB); optionally an ARP table
// (ipNetToPhysicalTable) for some FDB MACs and a LAG (ifStackTable + IEEE8023-LAG-MIB). Deterministic per index.
import { rec, type WalkRecord } from './records.ts';

export interface SwitchWalkOptions {
  /** Switch number, 0-based: drives name, MACs and management address. */
  index: number;
  /** Switches in the simulated fabric, for the LLDP ring. Default 1 (no neighbours). */
  total?: number;
  /** Ethernet ports (ifIndex = port number = LLDP local port = bridge port). Default 48. */
  ports?: number;
  /** FDB entries spread over the access ports. Default 500. */
  fdbEntries?: number;
  /** 'qbridge' (dot1qTpFdbPort, VLAN 1) or 'bridge' (dot1dTpFdbPort). Default 'qbridge'. */
  fdbMib?: 'qbridge' | 'bridge';
  /** Management address of switch i, advertised in neighbours' lldpRemManAddrTable. Default switchAddress. */
  mgmtAddress?: (index: number) => string;
  /** ipNetToPhysicalTable rows binding arpIp(index, n) to FDB entry n's MAC, n < this. Default 0. */
  arpEntries?: number;
  /**
   * One aggregate (ifIndex ports+1, "Port-Channel1", ifType 161) in ifStackTable and
   * dot3adAggPortAttachedAggID: over the two uplinks when the fabric is a pair (both go to the
   * other switch), else over access ports 1 and 2 (a host's bond). Default false.
   */
  lag?: boolean;
}

export function switchName(index: number): string {
  return `sim-sw-${String(index).padStart(4, '0')}`;
}

/** Chassis MAC 02:5c:00:hh:ll:00; port p's MAC ends in p. */
export function switchMac(index: number, port = 0): Buffer {
  return Buffer.from([0x02, 0x5c, (index >> 16) & 0xff, (index >> 8) & 0xff, index & 0xff, port & 0xff]);
}

export function switchAddress(index: number): string {
  return `10.${(index >> 8) & 0xff}.${index & 0xff}.1`;
}

export function portName(port: number): string {
  return `Ethernet1/${port}`;
}

/** MAC of the FDB entry `n` on switch `index`: 02:aa:hh:ll:nh:nl. */
export function fdbMac(index: number, n: number): Buffer {
  return Buffer.from([0x02, 0xaa, (index >> 8) & 0xff, index & 0xff, (n >> 8) & 0xff, n & 0xff]);
}

/** IPv4 address of ARP entry `n` on switch `index`: 10.0.0.0/8 + (index << 14) + n + 1 (unique below 1,024 switches). */
export function arpIp(index: number, n: number): string {
  const v = (0x0a000000 + (((index & 0x3ff) << 14) | ((n + 1) & 0x3fff))) >>> 0;
  return [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff].join('.');
}

/** ifIndex of the generated aggregate and its members. */
export function lagOf(index: number, total: number, ports: number): { aggregate: number; members: number[] } {
  return { aggregate: ports + 1, members: total === 2 && ports >= 4 ? [ports - 1, ports] : [1, 2] };
}

export interface RingNeighbour {
  localPort: number;
  remoteIndex: number;
  remotePort: number;
}

/** LLDP neighbours of switch `index` in a ring: last port → next switch, second-to-last → previous one. */
export function ringNeighbours(index: number, total: number, ports: number): RingNeighbour[] {
  if (total < 2 || ports < 2) return [];
  return [
    { localPort: ports - 1, remoteIndex: (index - 1 + total) % total, remotePort: ports },
    { localPort: ports, remoteIndex: (index + 1) % total, remotePort: ports - 1 },
  ];
}

const must = (r: WalkRecord | null): WalkRecord => r!;

export function generateSwitchWalk(opts: SwitchWalkOptions): WalkRecord[] {
  const { index } = opts;
  const total = opts.total ?? 1;
  const ports = opts.ports ?? 48;
  const fdb = opts.fdbEntries ?? 500;
  const name = switchName(index);
  const out: WalkRecord[] = [];
  const push = (r: WalkRecord | null): void => void out.push(must(r));
  const sys = '1.3.6.1.2.1.1';
  push(rec.text(`${sys}.1.0`, `Canopy simulated switch ${ports}x1G`));
  push(rec.objectId(`${sys}.2.0`, '1.3.6.1.4.1.8072.3.2.10'));
  push(rec.timeTicks(`${sys}.3.0`, 360000 + index));
  push(rec.text(`${sys}.4.0`, 'noc@example.net'));
  push(rec.text(`${sys}.5.0`, name));
  push(rec.text(`${sys}.6.0`, `rack ${index}`));
  push(rec.int(`${sys}.7.0`, 6));
  push(rec.int('1.3.6.1.2.1.2.1.0', ports));
  const neighbours = ringNeighbours(index, total, ports);
  const uplink = new Set(neighbours.map((n) => n.localPort));
  for (let p = 1; p <= ports; p++) {
    const ifx = `1.3.6.1.2.1.2.2.1`;
    const up = uplink.has(p) || p % 8 !== 0;
    const seed = index * 1000 + p;
    push(rec.int(`${ifx}.1.${p}`, p));
    push(rec.text(`${ifx}.2.${p}`, portName(p)));
    push(rec.int(`${ifx}.3.${p}`, 6));
    push(rec.int(`${ifx}.4.${p}`, 1500));
    push(rec.gauge32(`${ifx}.5.${p}`, 1000000000));
    push(rec.octets(`${ifx}.6.${p}`, switchMac(index, p)));
    push(rec.int(`${ifx}.7.${p}`, 1));
    push(rec.int(`${ifx}.8.${p}`, up ? 1 : 2));
    push(rec.timeTicks(`${ifx}.9.${p}`, 100 * p));
    push(rec.counter32(`${ifx}.10.${p}`, (seed * 7919) % 4294967296));
    push(rec.counter32(`${ifx}.11.${p}`, (seed * 131) % 4294967296));
    push(rec.counter32(`${ifx}.13.${p}`, 0));
    push(rec.counter32(`${ifx}.14.${p}`, p % 3));
    push(rec.counter32(`${ifx}.16.${p}`, (seed * 6007) % 4294967296));
    push(rec.counter32(`${ifx}.17.${p}`, (seed * 97) % 4294967296));
    push(rec.counter32(`${ifx}.19.${p}`, 0));
    push(rec.counter32(`${ifx}.20.${p}`, 0));
    const xt = '1.3.6.1.2.1.31.1.1.1';
    push(rec.text(`${xt}.1.${p}`, portName(p)));
    push(rec.counter64(`${xt}.6.${p}`, BigInt(seed) * 1_000_003n));
    push(rec.counter64(`${xt}.7.${p}`, BigInt(seed) * 1009n));
    push(rec.counter64(`${xt}.10.${p}`, BigInt(seed) * 999_983n));
    push(rec.counter64(`${xt}.11.${p}`, BigInt(seed) * 1013n));
    push(rec.gauge32(`${xt}.15.${p}`, 1000));
    const nb = neighbours.find((n) => n.localPort === p);
    push(rec.text(`${xt}.18.${p}`, nb ? `to ${switchName(nb.remoteIndex)}` : ''));
    // LLDP-MIB lldpLocPortTable: port id subtype 5 = interfaceName.
    const loc = '1.0.8802.1.1.2.1.3.7.1';
    push(rec.int(`${loc}.2.${p}`, 5));
    push(rec.text(`${loc}.3.${p}`, portName(p)));
    push(rec.text(`${loc}.4.${p}`, portName(p)));
    // BRIDGE-MIB dot1dBasePortTable: bridge port p = ifIndex p.
    push(rec.int(`1.3.6.1.2.1.17.1.4.1.1.${p}`, p));
    push(rec.int(`1.3.6.1.2.1.17.1.4.1.2.${p}`, p));
  }
  const lldp = '1.0.8802.1.1.2.1';
  push(rec.int(`${lldp}.3.1.0`, 4));
  push(rec.octets(`${lldp}.3.2.0`, switchMac(index)));
  push(rec.text(`${lldp}.3.3.0`, name));
  push(rec.text(`${lldp}.3.4.0`, `Canopy simulated switch ${ports}x1G`));
  for (const n of neighbours) {
    const idx = `0.${n.localPort}.1`;
    const rem = `${lldp}.4.1.1`;
    push(rec.int(`${rem}.4.${idx}`, 4));
    push(rec.octets(`${rem}.5.${idx}`, switchMac(n.remoteIndex)));
    push(rec.int(`${rem}.6.${idx}`, 5));
    push(rec.text(`${rem}.7.${idx}`, portName(n.remotePort)));
    push(rec.text(`${rem}.8.${idx}`, portName(n.remotePort)));
    push(rec.text(`${rem}.9.${idx}`, switchName(n.remoteIndex)));
    push(rec.text(`${rem}.10.${idx}`, `Canopy simulated switch ${ports}x1G`));
    push(rec.octets(`${rem}.11.${idx}`, Buffer.from([0x28, 0x00])));
    push(rec.octets(`${rem}.12.${idx}`, Buffer.from([0x28, 0x00])));
    const addr = `${idx}.1.4.${(opts.mgmtAddress ?? switchAddress)(n.remoteIndex)}`;
    push(rec.int(`${lldp}.4.2.1.3.${addr}`, 2));
    push(rec.int(`${lldp}.4.2.1.4.${addr}`, 0));
    push(rec.objectId(`${lldp}.4.2.1.5.${addr}`, '0.0'));
  }
  if (opts.lag) pushLag(push, index, total, ports);
  push(rec.octets('1.3.6.1.2.1.17.1.1.0', switchMac(index)));
  push(rec.int('1.3.6.1.2.1.17.1.2.0', ports));
  push(rec.int('1.3.6.1.2.1.17.1.3.0', 2));
  const access = Math.max(1, ports - uplink.size);
  for (let n = 0; n < fdb; n++) {
    const mac = [...fdbMac(index, n)].join('.');
    const port = (n % access) + 1;
    if (opts.fdbMib === 'bridge') {
      push(rec.octets(`1.3.6.1.2.1.17.4.3.1.1.${mac}`, fdbMac(index, n)));
      push(rec.int(`1.3.6.1.2.1.17.4.3.1.2.${mac}`, port));
      push(rec.int(`1.3.6.1.2.1.17.4.3.1.3.${mac}`, 3));
    } else {
      push(rec.int(`1.3.6.1.2.1.17.7.1.2.2.1.2.1.${mac}`, port));
      push(rec.int(`1.3.6.1.2.1.17.7.1.2.2.1.3.1.${mac}`, 3));
    }
  }
  for (let n = 0; n < Math.min(opts.arpEntries ?? 0, fdb); n++) {
    const idx = `${(n % access) + 1}.1.4.${arpIp(index, n)}`;
    push(rec.octets(`1.3.6.1.2.1.4.35.1.4.${idx}`, fdbMac(index, n)));
    push(rec.int(`1.3.6.1.2.1.4.35.1.6.${idx}`, 3));
  }
  return out;
}

function pushLag(push: (r: WalkRecord | null) => void, index: number, total: number, ports: number): void {
  const { aggregate: a, members } = lagOf(index, total, ports);
  const ifx = '1.3.6.1.2.1.2.2.1';
  push(rec.int(`${ifx}.1.${a}`, a));
  push(rec.text(`${ifx}.2.${a}`, 'Port-Channel1'));
  push(rec.int(`${ifx}.3.${a}`, 161));
  push(rec.int(`${ifx}.4.${a}`, 1500));
  push(rec.gauge32(`${ifx}.5.${a}`, members.length * 1000000000));
  push(rec.octets(`${ifx}.6.${a}`, switchMac(index, a)));
  push(rec.int(`${ifx}.7.${a}`, 1));
  push(rec.int(`${ifx}.8.${a}`, 1));
  push(rec.text(`1.3.6.1.2.1.31.1.1.1.1.${a}`, 'Port-Channel1'));
  push(rec.gauge32(`1.3.6.1.2.1.31.1.1.1.15.${a}`, members.length * 1000));
  for (const m of members) {
    push(rec.int(`1.3.6.1.2.1.31.1.2.1.3.${a}.${m}`, 1));
    push(rec.int(`1.2.840.10006.300.43.1.2.1.1.13.${m}`, a));
  }
}
