// SNMP walks of a small leaf/spine fabric for the demo: each switch has its system group, IF-MIB
// ports and LLDP-MIB neighbours (the other switches, and hosts as lldpd advertises them: chassis
// and port ID = MAC, sysName, port description = interface name). Served by `canopy snmp-sim`,
// polled by the real poller and cabled by the stitcher, so the demo runs the real pipeline.
import { rec, type WalkRecord } from '../collectors/snmp/sim/records.ts';

export interface SimFabricSpec {
  spines: number;
  leaves: number;
  hostsPerLeaf: number;
  /** Hosts with a second NIC on the next leaf. */
  dualHomedPerLeaf: number;
}

export interface SimSwitch {
  name: string;
  community: string;
  /** Loopback address the switch is simulated on (one per switch, so traps identify it). */
  address: string;
  records: WalkRecord[];
  /** Ports cabled to hosts (the demo flaps these). */
  hostPorts: number[];
}

const mac = (...b: number[]) => Buffer.from(b.map((x) => x & 0xff));
const switchMac = (i: number, port = 0) => mac(0x02, 0x5d, 0, 0, i, port);
const hostMac = (h: number, nic: number) => mac(0x02, 0x5e, 0, h >> 8, h, nic);

interface Neighbour {
  port: number;
  chassis: Buffer;
  chassisSubtype: number;
  portSubtype: number;
  portId: Buffer;
  portDesc: string;
  sysName: string;
  caps: number;
  mgmt?: string;
}

function walk(index: number, name: string, address: string, role: string, ports: number, neighbours: Neighbour[]): WalkRecord[] {
  const out: WalkRecord[] = [];
  const push = (r: WalkRecord | null) => {
    if (r) out.push(r);
  };
  const sys = '1.3.6.1.2.1.1';
  push(rec.text(`${sys}.1.0`, `Canopy demo ${role} ${ports}x10G`));
  push(rec.objectId(`${sys}.2.0`, '1.3.6.1.4.1.8072.3.2.10'));
  push(rec.timeTicks(`${sys}.3.0`, 8_640_000 + index));
  push(rec.text(`${sys}.5.0`, name));
  push(rec.int('1.3.6.1.2.1.2.1.0', ports));
  for (let p = 1; p <= ports; p++) {
    const t = '1.3.6.1.2.1.2.2.1';
    const n = neighbours.find((x) => x.port === p);
    push(rec.int(`${t}.1.${p}`, p));
    push(rec.text(`${t}.2.${p}`, `Ethernet${p}`));
    push(rec.int(`${t}.3.${p}`, 6));
    push(rec.int(`${t}.4.${p}`, 9214));
    push(rec.gauge32(`${t}.5.${p}`, 4294967295));
    push(rec.octets(`${t}.6.${p}`, switchMac(index, p)));
    push(rec.int(`${t}.7.${p}`, 1));
    push(rec.int(`${t}.8.${p}`, n ? 1 : 2));
    const x = '1.3.6.1.2.1.31.1.1.1';
    push(rec.text(`${x}.1.${p}`, `Ethernet${p}`));
    push(rec.counter64(`${x}.6.${p}`, BigInt(index * 1_000_003 + p * 7919)));
    push(rec.counter64(`${x}.10.${p}`, BigInt(index * 999_983 + p * 6007)));
    push(rec.gauge32(`${x}.15.${p}`, 10_000));
    push(rec.text(`${x}.18.${p}`, n ? `to ${n.sysName}` : ''));
    const loc = '1.0.8802.1.1.2.1.3.7.1';
    push(rec.int(`${loc}.2.${p}`, 5));
    push(rec.text(`${loc}.3.${p}`, `Ethernet${p}`));
    push(rec.text(`${loc}.4.${p}`, `Ethernet${p}`));
  }
  const lldp = '1.0.8802.1.1.2.1';
  push(rec.int(`${lldp}.3.1.0`, 4));
  push(rec.octets(`${lldp}.3.2.0`, switchMac(index)));
  push(rec.text(`${lldp}.3.3.0`, name));
  for (const n of neighbours) {
    const idx = `0.${n.port}.1`;
    const rem = `${lldp}.4.1.1`;
    push(rec.int(`${rem}.4.${idx}`, n.chassisSubtype));
    push(rec.octets(`${rem}.5.${idx}`, n.chassis));
    push(rec.int(`${rem}.6.${idx}`, n.portSubtype));
    push(rec.octets(`${rem}.7.${idx}`, n.portId));
    push(rec.text(`${rem}.8.${idx}`, n.portDesc));
    push(rec.text(`${rem}.9.${idx}`, n.sysName));
    push(rec.octets(`${rem}.11.${idx}`, Buffer.from([n.caps, 0x00])));
    push(rec.octets(`${rem}.12.${idx}`, Buffer.from([n.caps, 0x00])));
    if (n.mgmt) {
      const a = `${idx}.1.4.${n.mgmt}`;
      push(rec.int(`${lldp}.4.2.1.3.${a}`, 2));
      push(rec.int(`${lldp}.4.2.1.4.${a}`, 0));
      push(rec.objectId(`${lldp}.4.2.1.5.${a}`, '0.0'));
    }
  }
  return out;
}

export function simFabric(spec: SimFabricSpec): SimSwitch[] {
  const { spines, leaves, hostsPerLeaf, dualHomedPerLeaf } = spec;
  const addr = (i: number) => `127.0.1.${10 + i}`;
  const spineName = (s: number) => `spine${s + 1}`;
  const leafName = (l: number) => `leaf${l + 1}`;
  const BRIDGE = 0x04;
  const STATION = 0x80;
  const switchNb = (port: number, remote: number, remotePort: number, name: string): Neighbour => ({
    port,
    chassis: switchMac(remote),
    chassisSubtype: 4,
    portSubtype: 5,
    portId: Buffer.from(`Ethernet${remotePort}`),
    portDesc: `Ethernet${remotePort}`,
    sysName: name,
    caps: BRIDGE,
    mgmt: addr(remote),
  });
  const out: SimSwitch[] = [];
  for (let s = 0; s < spines; s++) {
    // Spine port l+1 → leaf l's uplink port s+1.
    const nbs = Array.from({ length: leaves }, (_, l) => switchNb(l + 1, spines + l, s + 1, leafName(l)));
    out.push({
      name: spineName(s),
      community: spineName(s),
      address: addr(s),
      records: walk(s, spineName(s), addr(s), 'spine', leaves + 2, nbs),
      hostPorts: [],
    });
  }
  for (let l = 0; l < leaves; l++) {
    const index = spines + l;
    const nbs: Neighbour[] = Array.from({ length: spines }, (_, s) => switchNb(s + 1, s, l + 1, spineName(s)));
    const hostPorts: number[] = [];
    let port = spines + 1;
    const hostOn = (h: number, nic: number) => {
      nbs.push({
        port,
        chassis: hostMac(h, 1),
        chassisSubtype: 4,
        portSubtype: 3,
        portId: hostMac(h, nic),
        portDesc: `eth${nic}`,
        sysName: `host-${String(h).padStart(3, '0')}`,
        caps: STATION,
      });
      hostPorts.push(port++);
    };
    for (let k = 0; k < hostsPerLeaf; k++) hostOn(l * hostsPerLeaf + k, 1);
    // The first hosts of the previous leaf have their second NIC here.
    const prev = (l - 1 + leaves) % leaves;
    if (leaves > 1) for (let k = 0; k < dualHomedPerLeaf; k++) hostOn(prev * hostsPerLeaf + k, 2);
    out.push({
      name: leafName(l),
      community: leafName(l),
      address: addr(index),
      records: walk(index, leafName(l), addr(index), 'leaf', port + 1, nbs),
      hostPorts,
    });
  }
  return out;
}
