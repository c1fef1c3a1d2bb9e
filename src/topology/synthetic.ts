// A seeded synthetic data-centre fabric for benchmarks and tests: spines, leaves with ports
// cabled to spines and hosts, hosts with NICs, containers, veths, bridges and VLAN interfaces,
// filled up to a target node/edge count. Same options → same graph (IDs, metadata, edges).
import { idFor, ids } from './ids.ts';
import type { GraphStore } from './store/graph-store.ts';
import type { EdgeInput, Metadata, NodeInput } from './types.ts';

export interface FabricOptions {
  seed: number;
  spines: number;
  leaves: number;
  /** Ports per leaf; the last `spines` of them are uplinks, one to each spine. */
  portsPerLeaf: number;
  hosts: number;
  ifacesPerHost: number;
  containersPerHost: number;
  /** Node budget: veths, bridges, then VLAN interfaces fill the rest. */
  totalNodes: number;
  /** Edge budget: extra layer2 links between host interfaces fill the rest. */
  totalEdges: number;
  /** Elements per store.write() transaction. */
  batchSize?: number;
  origin?: string;
}

export const DEFAULT_FABRIC: FabricOptions = {
  seed: 1,
  spines: 4,
  leaves: 100,
  portsPerLeaf: 48,
  hosts: 4000,
  ifacesPerHost: 2,
  containersPerHost: 8,
  totalNodes: 100_000,
  totalEdges: 200_000,
};

export interface FabricSummary {
  nodes: number;
  edges: number;
  /** Wall time spent in store.write for nodes and for edges (ms). */
  nodeWriteMs: number;
  edgeWriteMs: number;
  /** Handy probes for queries: a host name, one of its NIC MACs, a spine name. */
  sample: { hostName: string; hostMac: string; spineName: string; leafName: string };
}

import { prng } from '../util/prng.ts';

export { prng };

const VENDORS = [
  { Vendor: 'Arista', Model: 'DCS-7050SX3-48YC8' },
  { Vendor: 'Cisco', Model: 'N9K-C93180YC-FX' },
  { Vendor: 'Juniper', Model: 'QFX5120-48Y' },
];

function mac(n: number, prefix = 0x02): string {
  const b = [prefix, (n / 2 ** 32) & 0xff, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

export function generateFabric(store: GraphStore, options: Partial<FabricOptions> = {}): FabricSummary {
  const o: FabricOptions = { ...DEFAULT_FABRIC, ...options };
  const rnd = prng(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const origin = o.origin ?? 'fabric';
  const nodes: NodeInput[] = [];
  const edges: EdgeInput[] = []; // structural, in priority order
  let macSeq = o.seed * 1_000_003;
  const node = (ID: string, Metadata: Metadata) => (nodes.push({ ID, Metadata, Host: 'synthetic', Origin: origin }), ID);
  const edge = (Parent: string, Child: string, RelationType: string, extra: Metadata = {}) =>
    edges.push({
      ID: ids.edge(Parent, Child, RelationType),
      Parent,
      Child,
      Metadata: { RelationType, ...extra },
      Host: 'synthetic',
      Origin: origin,
    });

  const switchNode = (name: string, role: 'spine' | 'leaf', i: number) => {
    const id = ids.switchBySysName(name);
    const chassis = mac(++macSeq, 0x0a);
    node(id, {
      Type: 'switch',
      Name: name,
      Role: role,
      MAC: chassis,
      MgmtAddress: `192.168.${role === 'spine' ? 0 : 1 + (i >> 8)}.${i & 0xff}`,
      ...pick(VENDORS),
      LLDP: { ChassisID: chassis, ChassisIDType: 'mac_address' },
      State: 'UP',
    });
    return id;
  };
  const port = (sw: string, ifIndex: number, up: boolean) =>
    node(ids.port(sw, ifIndex), {
      Type: 'port',
      Name: `Ethernet${ifIndex}`,
      IfIndex: ifIndex,
      MAC: mac(++macSeq),
      MTU: 9216,
      Speed: pick([10e9, 25e9, 25e9, 100e9]),
      State: up ? 'UP' : 'DOWN',
    });

  const spines = Array.from({ length: o.spines }, (_, s) => switchNode(`spine-${s + 1}`, 'spine', s));
  const leaves = Array.from({ length: o.leaves }, (_, l) => switchNode(`leaf-${l + 1}`, 'leaf', l));
  const hostPorts = Math.max(0, o.portsPerLeaf - o.spines);
  // Spine s port l+1 ↔ leaf l uplink port hostPorts+s+1.
  spines.forEach((sp, s) => {
    leaves.forEach((lf, l) => {
      const a = port(sp, l + 1, true);
      edge(sp, a, 'ownership');
      if (hostPorts + s + 1 <= o.portsPerLeaf) {
        const b = port(lf, hostPorts + s + 1, true);
        edge(lf, b, 'ownership');
        edge(a, b, 'layer2', { Evidence: ['lldp-snmp'] });
      }
    });
  });
  const leafPorts = leaves.map((lf) => Array.from({ length: hostPorts }, (_, p) => port(lf, p + 1, rnd() > 0.02)));
  leaves.forEach((lf, l) => leafPorts[l]!.forEach((p) => edge(lf, p, 'ownership')));
  const nextFree = new Array<number>(o.leaves).fill(0);

  const hosts: { id: string; ifaces: string[]; extra: string[] }[] = [];
  for (let h = 0; h < o.hosts; h++) {
    const name = `host-${h}`;
    const id = node(ids.host(name), { Type: 'host', Name: name, OS: 'linux', Hostname: name });
    hosts.push({ id, ifaces: [], extra: [] });
    for (let i = 0; i < o.ifacesPerHost; i++) {
      const ifName = `eth${i}`;
      const ifId = node(ids.hostInterface(id, ifName), {
        Type: 'device',
        Name: ifName,
        MAC: mac(++macSeq),
        IfIndex: i + 2,
        MTU: 1500,
        State: 'UP',
        IPV4: [`10.${(i * 64 + (h >> 16)) & 0xff}.${(h >> 8) & 0xff}.${h & 0xff}/16`],
      });
      hosts[h]!.ifaces.push(ifId);
      edge(id, ifId, 'ownership');
      // NIC i of host h goes to leaf (h + i) mod leaves, when that leaf has a free host port.
      const l = o.leaves > 0 ? (h + i) % o.leaves : -1;
      if (l >= 0 && nextFree[l]! < hostPorts) edge(leafPorts[l]![nextFree[l]!++]!, ifId, 'layer2', { Evidence: ['lldp-agent', 'fdb'] });
    }
    for (let c = 0; c < o.containersPerHost; c++) {
      const cid = node(idFor('container', id, c), {
        Type: 'container',
        Name: `${name}-c${c}`,
        Container: { Runtime: 'docker', Image: pick(['nginx:1.27', 'redis:7', 'postgres:16', 'app:latest']) },
      });
      edge(id, cid, 'ownership');
    }
  }

  // Fill the node budget: a veth per container, then a docker0 bridge per host, then VLANs.
  let room = o.totalNodes - nodes.length;
  for (let c = 0; c < o.containersPerHost && room > 0; c++) {
    for (let h = 0; h < o.hosts && room > 0; h++, room--) {
      const host = hosts[h]!;
      const v = node(ids.hostInterface(host.id, `veth${c}`), {
        Type: 'veth',
        Name: `veth${c}`,
        MAC: mac(++macSeq),
        MTU: 1500,
        State: 'UP',
      });
      edge(host.id, v, 'ownership');
      edge(v, idFor('container', host.id, c), 'layer2');
      host.extra.push(v);
    }
  }
  for (let h = 0; h < o.hosts && room > 0; h++, room--) {
    const host = hosts[h]!;
    const br = node(ids.hostInterface(host.id, 'docker0'), { Type: 'bridge', Name: 'docker0', MAC: mac(++macSeq), MTU: 1500, State: 'UP' });
    edge(host.id, br, 'ownership');
    for (const v of host.extra) edge(br, v, 'layer2');
    host.extra.push(br);
  }
  for (let k = 0; room > 0 && o.hosts > 0; k++, room--) {
    const host = hosts[k % o.hosts]!;
    const vid = 100 + Math.floor(k / o.hosts);
    const parent = host.ifaces[0];
    const v = node(ids.hostInterface(host.id, `eth0.${vid}`), { Type: 'vlan', Name: `eth0.${vid}`, Vlan: vid, MTU: 1500, State: 'UP' });
    edge(host.id, v, 'ownership');
    if (parent) edge(parent, v, 'layer2');
    host.extra.push(v);
  }

  // Fill the edge budget with layer2 links between interfaces of one host (no duplicates).
  const all = edges.slice(0, Math.max(0, o.totalEdges));
  const seen = new Set(all.map((e) => e.ID));
  for (let attempts = 0; all.length < o.totalEdges && attempts < o.totalEdges * 4 && o.hosts > 0; attempts++) {
    const host = hosts[Math.floor(rnd() * o.hosts)]!;
    const pool = [...host.ifaces, ...host.extra];
    if (pool.length < 2) continue;
    const a = pick(pool);
    const b = pick(pool);
    if (a === b) continue;
    const e: EdgeInput = {
      ID: ids.edge(a, b, 'layer2'),
      Parent: a,
      Child: b,
      Metadata: { RelationType: 'layer2' },
      Host: 'synthetic',
      Origin: origin,
    };
    if (seen.has(e.ID) || seen.has(ids.edge(b, a, 'layer2'))) continue;
    seen.add(e.ID);
    all.push(e);
  }

  const batch = o.batchSize ?? 5000;
  const t0 = performance.now();
  for (let i = 0; i < nodes.length; i += batch) {
    const chunk = nodes.slice(i, i + batch);
    store.write((tx) => {
      for (const n of chunk) tx.upsertNode(n);
    });
  }
  const t1 = performance.now();
  for (let i = 0; i < all.length; i += batch) {
    const chunk = all.slice(i, i + batch);
    store.write((tx) => {
      for (const e of chunk) tx.upsertEdge(e);
    });
  }
  const t2 = performance.now();
  const probe = Math.min(1234, Math.max(0, o.hosts - 1));
  const probeIface = nodes.find((n) => n.ID === hosts[probe]?.ifaces[0]);
  return {
    nodes: nodes.length,
    edges: all.length,
    nodeWriteMs: t1 - t0,
    edgeWriteMs: t2 - t1,
    sample: {
      hostName: `host-${probe}`,
      hostMac: (probeIface?.Metadata.MAC as string | undefined) ?? '',
      spineName: 'spine-1',
      leafName: 'leaf-1',
    },
  };
}
