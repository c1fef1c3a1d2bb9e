// The agent's sub-graph (docs/architecture.md#agent): one host node, a netns node per reported
// namespace, an interface node per link, container nodes; ownership host→netns→interface and
// (netns|host)→container; layer2 for bridge/bond membership, veth peers (across namespaces too)
// and VLAN/macvlan parents. IDs are the deterministic ones of src/topology/ids.ts, so a restart or
// a re-sync names everything the same way and the SNMP/LLDP side converges on the same nodes.
import { idFor, ids } from '../../topology/ids.ts';
import type { Iface, IfaceCounters, NsIdEntry } from '../netlink/ip-json.ts';
import type { NsRef } from '../netlink/namespaces.ts';
import type { HostFacts } from '../host-facts.ts';
import type { ContainerInfo } from '../containers/types.ts';
import type { SocketInfo } from '../sockets/proc-sockets.ts';
import type { LldpChassis, LldpNeighbourInfo } from '../lldp/lldpcli.ts';

export type Md = Record<string, unknown>;
export interface OutNode {
  ID: string;
  Metadata: Md;
}
export interface OutEdge extends OutNode {
  Parent: string;
  Child: string;
}
export interface SubGraph {
  nodes: Map<string, OutNode>;
  edges: Map<string, OutEdge>;
}

export interface NsSnapshot {
  ref: NsRef;
  ifaces: Iface[];
  nsIds: NsIdEntry[];
  counters?: Map<string, { now: IfaceCounters; prev?: IfaceCounters; at: number; prevAt?: number }>;
  sockets?: SocketInfo[];
}

export interface Snapshot {
  host: HostFacts;
  /** Where named namespaces live (to turn an `ip netns list-id` name into a key). */
  netnsDir: string;
  /** The agent's own netns when it is a named one. */
  rootName?: string;
  /** Root first. */
  namespaces: NsSnapshot[];
  containers: ContainerInfo[];
  lldp?: { chassis?: LldpChassis; neighbours: LldpNeighbourInfo[] };
  agentVersion?: string;
}

export const hostIdOf = (h: HostFacts) => ids.host(h.machineId ?? h.hostname);
export const netnsId = (hostId: string, key: string) => idFor('netns', hostId, key);
export const containerId = (id: string) => idFor('container', id);

function edge(parent: string, child: string, rel: string, extra: Md = {}): OutEdge {
  return { ID: ids.edge(parent, child, rel), Parent: parent, Child: child, Metadata: { RelationType: rel, ...extra } };
}

/** A cable has no direction: the smaller ID is the parent, so both ends name it alike. */
function l2(a: string, b: string, kind: string): OutEdge {
  const [p, c] = a < b ? [a, b] : [b, a];
  return edge(p, c, 'layer2', { Type: kind });
}

function metric(c: NonNullable<NsSnapshot['counters']> extends Map<string, infer V> ? V : never): Md {
  const m: Md = { ...c.now, Start: c.prevAt ?? c.at, Last: c.at };
  return m;
}

function lastMetric(c: NonNullable<NsSnapshot['counters']> extends Map<string, infer V> ? V : never): Md | undefined {
  if (!c.prev || c.prevAt === undefined) return undefined;
  const out: Md = { Start: c.prevAt, Last: c.at };
  for (const k of Object.keys(c.now) as (keyof IfaceCounters)[]) out[k] = Math.max(0, c.now[k] - c.prev[k]);
  return out;
}

type CounterEntry = NonNullable<NsSnapshot['counters']> extends Map<string, infer V> ? V : never;
const sameCounters = (a: IfaceCounters, b: IfaceCounters) => (Object.keys(a) as (keyof IfaceCounters)[]).every((k) => a[k] === b[k]);

/**
 * One counter round of a netns: each interface's new reading with the previous one (for
 * LastUpdateMetric). An idle interface whose last delta was already zero keeps its entry as it is,
 * so its node does not change: no NodeUpdated per quiet interface per round.
 */
export function nextCounters(prev: NsSnapshot['counters'], now: Map<string, IfaceCounters>, at: number): Map<string, CounterEntry> {
  const next = new Map<string, CounterEntry>();
  for (const [name, c] of now) {
    const p = prev?.get(name);
    if (p?.prev && sameCounters(p.prev, p.now) && sameCounters(p.now, c)) {
      next.set(name, p);
      continue;
    }
    const v: CounterEntry = { now: c, at };
    if (p) {
      v.prev = p.now;
      v.prevAt = p.at;
    }
    next.set(name, v);
  }
  return next;
}

const ZERO_MAC = '00:00:00:00:00:00';

export function buildGraph(s: Snapshot): SubGraph {
  const nodes = new Map<string, OutNode>();
  const edges = new Map<string, OutEdge>();
  const addN = (n: OutNode) => nodes.set(n.ID, n);
  const addE = (e: OutEdge) => edges.set(e.ID, e);
  const hostId = hostIdOf(s.host);
  const root = s.namespaces.find((n) => n.ref.kind === 'root');
  const nsKeyByName = (name: string): string | undefined =>
    name === s.rootName ? '' : s.namespaces.find((n) => n.ref.kind === 'named' && n.ref.name === name)?.ref.key;
  const ifaceId = (ns: NsSnapshot, name: string) => ids.hostInterface(hostId, name, ns.ref.key);

  const hostMd: Md = { Type: 'host', Name: s.host.name, Hostname: s.host.hostname, Kernel: s.host.kernel, State: 'UP' };
  if (s.host.machineId) hostMd.MachineID = s.host.machineId;
  if (s.host.os) hostMd.OS = s.host.os;
  if (s.agentVersion) hostMd.Agent = { Version: s.agentVersion };
  if (s.lldp?.chassis) hostMd.LLDP = { ...s.lldp.chassis };
  const v4: string[] = [];
  const v6: string[] = [];
  for (const i of root?.ifaces ?? []) {
    if (i.flags.includes('LOOPBACK')) continue;
    v4.push(...i.ipv4);
    v6.push(...i.ipv6);
  }
  if (v4.length) hostMd.IPV4 = v4;
  if (v6.length) hostMd.IPV6 = v6;
  if (root?.sockets) hostMd.Sockets = root.sockets;
  addN({ ID: hostId, Metadata: hostMd });

  const lldpByIface = new Map<string, LldpNeighbourInfo>();
  for (const n of s.lldp?.neighbours ?? []) if (!lldpByIface.has(n.iface)) lldpByIface.set(n.iface, n);

  // Nodes first: interfaces per namespace, and the namespace nodes.
  for (const ns of s.namespaces) {
    const owner = ns.ref.kind === 'root' ? hostId : netnsId(hostId, ns.ref.key);
    if (ns.ref.kind !== 'root') {
      const md: Md = { Type: 'netns', Name: ns.ref.name ?? `netns:[${ns.ref.inode}]`, Path: ns.ref.path, Inode: ns.ref.inode };
      if (ns.ref.kind === 'process') md.Pid = ns.ref.pid;
      if (ns.sockets?.length) md.Sockets = ns.sockets;
      addN({ ID: owner, Metadata: md });
      addE(edge(hostId, owner, 'ownership'));
    }
    for (const i of ns.ifaces) {
      const id = ifaceId(ns, i.name);
      const md: Md = { Type: i.type, Name: i.name, IfIndex: i.index, State: i.state };
      if (i.mac && i.mac !== ZERO_MAC) md.MAC = i.mac;
      if (i.mtu !== undefined) md.MTU = i.mtu;
      if (i.ipv4.length) md.IPV4 = i.ipv4;
      if (i.ipv6.length) md.IPV6 = i.ipv6;
      if (i.operState) md.OperState = i.operState;
      if (ns.ref.kind !== 'root') md.Netns = ns.ref.name ?? ns.ref.path;
      if (i.master) md.Master = i.master;
      if (i.vlanId !== undefined) md.Vlan = i.vlanId;
      if (i.vxlan) md.Vxlan = { ...i.vxlan };
      if (i.bondMode) md.BondMode = i.bondMode;
      if (i.macvlanMode) md.MacvlanMode = i.macvlanMode;
      const c = ns.counters?.get(i.name);
      if (c) {
        md.Metric = metric(c);
        const last = lastMetric(c);
        if (last) md.LastUpdateMetric = last;
      }
      // Skydive's convention: an interface's LLDP is the neighbour it sees (stitcher evidence lldp-agent).
      const nb = ns.ref.kind === 'root' ? lldpByIface.get(i.name) : undefined;
      if (nb) {
        const l: Md = {};
        for (const k of ['ChassisID', 'ChassisIDType', 'SysName', 'PortID', 'PortIDType', 'PortDescr', 'MgmtAddress'] as const)
          if (nb[k] !== undefined) l[k] = nb[k];
        md.LLDP = l;
      }
      addN({ ID: id, Metadata: md });
      addE(edge(owner, id, 'ownership'));
    }
  }

  // Relations inside and across namespaces.
  for (const ns of s.namespaces) {
    const byName = new Map(ns.ifaces.map((i) => [i.name, i] as const));
    const byIndex = new Map(ns.ifaces.map((i) => [i.index, i] as const));
    for (const i of ns.ifaces) {
      const id = ifaceId(ns, i.name);
      if (i.master && byName.has(i.master)) {
        const kind =
          i.masterKind === 'bond' ? 'bond-member' : i.masterKind === 'bridge' ? 'bridge-port' : `${i.masterKind ?? 'master'}-port`;
        addE(edge(ifaceId(ns, i.master), id, 'layer2', { Type: kind }));
      }
      if (i.linkNetnsId === undefined) {
        const lower =
          (i.link ? byName.get(i.link) : undefined) ??
          (i.linkIndex !== undefined && i.linkIndex !== i.index ? byIndex.get(i.linkIndex) : undefined);
        if (!lower || lower.name === i.name) continue;
        if (i.type === 'veth') addE(l2(id, ifaceId(ns, lower.name), 'veth'));
        else if (i.type === 'vlan' || i.type === 'macvlan' || i.type === 'macvtap' || i.type === 'ipvlan')
          addE(edge(ifaceId(ns, lower.name), id, 'layer2', { Type: i.type }));
        continue;
      }
      if (i.type !== 'veth' || i.linkIndex === undefined) continue;
      // Peer in another namespace: name it through `ip netns list-id`, else a unique mutual index match.
      const nsName = ns.nsIds.find((x) => x.nsid === i.linkNetnsId)?.name;
      const key = nsName !== undefined ? nsKeyByName(nsName) : undefined;
      const candidates = key !== undefined ? s.namespaces.filter((n) => n.ref.key === key) : s.namespaces.filter((n) => n !== ns);
      const hits: [NsSnapshot, Iface][] = [];
      for (const other of candidates) {
        const p = other.ifaces.find(
          (x) => x.index === i.linkIndex && x.type === 'veth' && (x.linkIndex === undefined || x.linkIndex === i.index),
        );
        if (p) hits.push([other, p]);
      }
      if (hits.length === 1) addE(l2(id, ifaceId(hits[0]![0], hits[0]![1].name), 'veth'));
    }
  }

  // Containers: under their namespace when it is reported, else under the host.
  const seen = new Set<string>();
  for (const c of s.containers) {
    if (seen.has(c.id)) continue;
    seen.add(c.id);
    const id = containerId(c.id);
    const md: Md = {
      Type: 'container',
      Name: c.name,
      ContainerID: c.id,
      Runtime: c.runtime,
      State: c.status === 'running' ? 'UP' : 'DOWN',
      Status: c.status,
    };
    if (c.image) md.Image = c.image;
    if (c.pid !== undefined) md.Pid = c.pid;
    if (Object.keys(c.labels).length) md.Labels = c.labels;
    if (c.netnsPath) md.NetnsPath = c.netnsPath;
    if (c.createdAt !== undefined) md.Created = c.createdAt;
    addN({ ID: id, Metadata: md });
    const ns = c.netnsInode !== undefined ? s.namespaces.find((n) => n.ref.inode === c.netnsInode) : undefined;
    const owner = !ns || ns.ref.kind === 'root' ? hostId : netnsId(hostId, ns.ref.key);
    addE(edge(owner, id, 'ownership'));
  }
  return { nodes, edges };
}
