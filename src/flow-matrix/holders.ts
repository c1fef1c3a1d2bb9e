// What the flow matrix reads from the graph (docs/architecture.md#flow-matrix): every host and
// netns node as a "holder" of sockets — its host's name, the addresses it owns (its own IPV4/IPV6
// and its interfaces'), its Sockets — and, for addresses no agent owns, the host of whichever node
// carries them (Skydive's `Has('IPV4', IPV4Range(ip/32)).In('Type','host')`).
import type { GraphReader } from '../topology/store/graph-store.ts';
import type { GraphNode } from '../topology/types.ts';
import { addressesOf, socketsOf, type Socket } from '../topology/sockets.ts';

export interface Holder {
  /** The host or netns node. */
  id: string;
  /** The host node it belongs to (itself for a host). */
  hostId: string;
  /** The host's name as the matrix prints it. */
  host: string;
  addrs: Set<string>;
  sockets: Socket[];
}

export interface GraphView {
  holders: Holder[];
  /** Host name (and host node ID) of a node carrying this address, when no holder owns it. */
  hostByAddr: Map<string, { host: string; hostId: string }>;
}

const nameOf = (n: GraphNode) => (typeof n.Metadata.Name === 'string' && n.Metadata.Name ? n.Metadata.Name : n.Host || n.ID);
const isOwnership = (md: Record<string, unknown>) => md.RelationType === 'ownership';
const NOT_INTERFACE = new Set(['host', 'netns', 'container']);

function ownerHost(g: GraphReader, n: GraphNode): GraphNode | undefined {
  for (const e of g.edgesOf(n.ID, 'in')) {
    if (!isOwnership(e.Metadata)) continue;
    const p = g.getNode(e.Parent);
    if (p?.Metadata.Type === 'host') return p;
  }
  return undefined;
}

function holderOf(g: GraphReader, n: GraphNode, host: GraphNode): Holder {
  const addrs = new Set([...addressesOf(n.Metadata.IPV4), ...addressesOf(n.Metadata.IPV6)]);
  for (const e of g.edgesOf(n.ID, 'out')) {
    if (!isOwnership(e.Metadata)) continue;
    const c = g.getNode(e.Child);
    if (!c || NOT_INTERFACE.has(String(c.Metadata.Type))) continue;
    for (const a of [...addressesOf(c.Metadata.IPV4), ...addressesOf(c.Metadata.IPV6)]) addrs.add(a);
  }
  return { id: n.ID, hostId: host.ID, host: nameOf(host), addrs, sockets: socketsOf(n) };
}

/** Holders of one graph reader (one instant). */
function readOne(g: GraphReader): Holder[] {
  const out: Holder[] = [];
  for (const h of g.findNodes('Type', 'host')) out.push(holderOf(g, h, h));
  for (const ns of g.findNodes('Type', 'netns')) {
    const host = ownerHost(g, ns);
    if (host) out.push(holderOf(g, ns, host));
  }
  return out;
}

const socketKey = (s: Socket) => `${s.Protocol}|${s.LocalAddress}|${s.LocalPort}|${s.RemoteAddress}|${s.RemotePort}|${s.State}|${s.Pid}`;

/**
 * The holders of several instants merged (a window is read at its two ends): one holder per node,
 * its sockets and addresses the union of what each instant had.
 */
export function readGraph(readers: GraphReader[]): GraphView {
  const byId = new Map<string, Holder>();
  for (const g of readers) {
    for (const h of readOne(g)) {
      const had = byId.get(h.id);
      if (!had) {
        byId.set(h.id, h);
        continue;
      }
      for (const a of h.addrs) had.addrs.add(a);
      const keys = new Set(had.sockets.map(socketKey));
      for (const s of h.sockets) if (!keys.has(socketKey(s))) had.sockets.push(s);
    }
  }
  const holders = [...byId.values()].sort((a, b) => (a.host === b.host ? (a.id < b.id ? -1 : 1) : a.host < b.host ? -1 : 1));
  const owned = new Set(holders.flatMap((h) => [...h.addrs]));
  const hostByAddr = new Map<string, { host: string; hostId: string }>();
  // Nodes that are not holders but carry addresses (an interface of a host known from k8s, LLDP…).
  for (const g of readers) {
    for (const n of g.allNodes()) {
      if (n.Metadata.IPV4 === undefined && n.Metadata.IPV6 === undefined) continue;
      for (const a of [...addressesOf(n.Metadata.IPV4), ...addressesOf(n.Metadata.IPV6)]) {
        if (owned.has(a) || hostByAddr.has(a)) continue;
        const host = n.Metadata.Type === 'host' ? n : ownerHost(g, n);
        if (host) hostByAddr.set(a, { host: nameOf(host), hostId: host.ID });
      }
    }
  }
  return { holders, hostByAddr };
}
