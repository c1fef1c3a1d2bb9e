// The observed path of a flow (docs/flow-path.md): the hops where its packets were sampled — each
// exporter's device with the ports the packet came in and went out — ordered by the stitched
// layer2 links between those ports. Pure: flow rows and a graph reader in, paths out; the API
// (/api/flows/path) and the query language (FlowPath()) both call it.
import type { FlowKey } from './store/flow-records.ts';
import type { GraphReader } from './store/graph-store.ts';

/** What a flow row must carry (the stored aggregate or a Flows() row). */
export interface PathRow extends FlowKey {
  bytes: number;
  packets: number;
  first: number;
  last: number;
}

export interface PathHop {
  deviceId: string;
  device: string;
  inPortId: string | null;
  inPort: string;
  outPortId: string | null;
  outPort: string;
  exporters: string[];
  bytes: number;
  packets: number;
}

export interface PathLink {
  /** The layer2 edge joining one hop's out port to the next hop's in port. */
  id: string;
  from: string;
  to: string;
}

export interface FiveTuple {
  srcAddr: string;
  dstAddr: string;
  proto: number;
  srcPort: number;
  dstPort: number;
}

export interface ObservedPath {
  hops: PathHop[];
  /** links[i] joins hops[i] to hops[i + 1]. */
  links: PathLink[];
  bytes: number;
  packets: number;
  /** Of all bytes/packets the flows matched carried (1 when a single path was seen). */
  byteShare: number;
  packetShare: number;
  /** 5-tuples that took this path (the first 50). */
  tuples: FiveTuple[];
  flows: number;
}

export interface FlowPathResult {
  paths: ObservedPath[];
  bytes: number;
  packets: number;
  flows: number;
  /** Every node (devices and ports) and layer2 edge on any path: what the wall highlights. */
  nodes: string[];
  edges: string[];
}

const MAX_PATHS_PER_TUPLE = 64;
const MAX_TUPLES_LISTED = 50;

interface Leg {
  key: string;
  deviceId: string;
  inPortId: string | null;
  outPortId: string | null;
  exporters: Set<string>;
  bytes: number;
  packets: number;
}

/** The layer2 link on a port: its edge and the port at the other end (cached per call). */
type LinkOf = (portId: string | null) => { id: string; peer: string } | undefined;

function linkFinder(g: GraphReader): LinkOf {
  const cache = new Map<string, { id: string; peer: string } | null>();
  return (port) => {
    if (port === null) return undefined;
    let v = cache.get(port);
    if (v === undefined) {
      const e = g.edgesOf(port, 'both').find((x) => x.Metadata.RelationType === 'layer2');
      v = e ? { id: e.ID, peer: e.Parent === port ? e.Child : e.Parent } : null;
      cache.set(port, v);
    }
    return v ?? undefined;
  };
}

const tupleKey = (r: FiveTuple) => `${r.srcAddr}|${r.dstAddr}|${r.proto}|${r.srcPort}|${r.dstPort}`;

function sumBy(rows: readonly PathRow[], pick: (r: PathRow) => string | null): Map<string, { bytes: number; packets: number }> {
  const m = new Map<string, { bytes: number; packets: number }>();
  for (const r of rows) {
    const k = pick(r);
    if (k === null) continue;
    const s = m.get(k) ?? { bytes: 0, packets: 0 };
    s.bytes += r.bytes;
    s.packets += r.packets;
    m.set(k, s);
  }
  return m;
}

/**
 * One device's rows of one 5-tuple → its legs. A routed switch samples a packet once per bridge it
 * crosses (host bridge in, uplink bridge out): the device's ports that face a link (or, without
 * links, ports that are not also an out/in port of another of its rows) are its ingress and egress.
 */
function legsOf(deviceId: string, rows: readonly PathRow[], linkOf: LinkOf): Leg[] {
  const ins = sumBy(rows, (r) => r.inPortId);
  const outs = sumBy(rows, (r) => r.outPortId);
  // Without a link on that side: not the in port of a row that leaves by a link (that row is the
  // uplink bridge's, its in port internal), nor a port that is also the other side's.
  const pick = (side: 'in' | 'out') => {
    const m = side === 'in' ? ins : outs;
    const linked = [...m.keys()].filter((p) => linkOf(p));
    if (linked.length) return linked;
    const inner = new Set<string | null>();
    for (const r of rows) {
      if (side === 'in' && linkOf(r.outPortId)) inner.add(r.inPortId);
      if (side === 'out' && linkOf(r.inPortId)) inner.add(r.outPortId);
    }
    const other = side === 'in' ? outs : ins;
    const own = [...m.keys()].filter((p) => !inner.has(p) && !other.has(p));
    return own.length ? own : [...m.keys()];
  };
  const inPorts: (string | null)[] = pick('in');
  const outPorts: (string | null)[] = pick('out');
  if (inPorts.length === 0) inPorts.push(null);
  if (outPorts.length === 0) outPorts.push(null);
  const total = rows.reduce((s, r) => ({ bytes: Math.max(s.bytes, r.bytes), packets: Math.max(s.packets, r.packets) }), {
    bytes: 0,
    packets: 0,
  });
  const exporters = new Set(rows.map((r) => r.exporter));
  const legs: Leg[] = [];
  for (const i of inPorts) {
    for (const o of outPorts) {
      // A leg carries what both its ends saw (ECMP splits a device's egress between uplinks).
      const a = i === null ? total : (ins.get(i) ?? total);
      const b = o === null ? total : (outs.get(o) ?? total);
      legs.push({
        key: `${deviceId}|${i ?? ''}|${o ?? ''}`,
        deviceId,
        inPortId: i,
        outPortId: o,
        exporters,
        bytes: Math.min(a.bytes, b.bytes),
        packets: Math.min(a.packets, b.packets),
      });
    }
  }
  return legs;
}

/** Chains of legs joined port-to-port by layer2 links, from legs nothing leads into. */
function chains(legs: Leg[], linkOf: LinkOf): Leg[][] {
  const byIn = new Map<string, Leg[]>();
  for (const l of legs) {
    if (l.inPortId === null) continue;
    const a = byIn.get(l.inPortId) ?? [];
    a.push(l);
    byIn.set(l.inPortId, a);
  }
  const next = (l: Leg) => {
    const peer = linkOf(l.outPortId)?.peer;
    return peer ? (byIn.get(peer) ?? []).filter((x) => x.deviceId !== l.deviceId) : [];
  };
  const hasPred = new Set<string>();
  for (const l of legs) for (const n of next(l)) hasPred.add(n.key);
  // Every leg in a cycle has a predecessor: then start anywhere, earliest device first.
  let starts = legs.filter((l) => !hasPred.has(l.key));
  if (starts.length === 0 && legs.length) starts = [legs[0]!];
  const out: Leg[][] = [];
  const walk = (path: Leg[]) => {
    if (out.length >= MAX_PATHS_PER_TUPLE) return;
    const last = path[path.length - 1]!;
    const ns = next(last).filter((n) => !path.includes(n));
    if (ns.length === 0) out.push(path);
    for (const n of ns) walk([...path, n]);
  };
  for (const s of starts) walk([s]);
  return out;
}

const nameOf = (g: GraphReader, id: string | null): string => {
  if (id === null) return '';
  const n = g.getNode(id);
  const v = n?.Metadata.Name;
  return typeof v === 'string' ? v : id;
};

/**
 * Paths of the flows in `rows` (one direction: callers filter source and destination), grouped by
 * the hops they took; ECMP shows as several paths with their byte and packet shares.
 */
export function observedPaths(g: GraphReader, rows: readonly PathRow[]): FlowPathResult {
  const linkOf = linkFinder(g);
  const byTuple = new Map<string, PathRow[]>();
  for (const r of rows) {
    const k = tupleKey(r);
    const a = byTuple.get(k) ?? [];
    a.push(r);
    byTuple.set(k, a);
  }
  const groups = new Map<
    string,
    { legs: Leg[]; legSums: { bytes: number; packets: number }[]; bytes: number; packets: number; tuples: FiveTuple[]; flows: number }
  >();
  let bytes = 0,
    packets = 0;
  for (const tr of byTuple.values()) {
    const byDevice = new Map<string, PathRow[]>();
    for (const r of tr) {
      const a = byDevice.get(r.deviceId) ?? [];
      a.push(r);
      byDevice.set(r.deviceId, a);
    }
    const legs = [...byDevice].flatMap(([d, rs]) => legsOf(d, rs, linkOf));
    const t = tr[0]!;
    const tuple: FiveTuple = { srcAddr: t.srcAddr, dstAddr: t.dstAddr, proto: t.proto, srcPort: t.srcPort, dstPort: t.dstPort };
    for (const path of chains(legs, linkOf)) {
      // A path carries what its narrowest hop saw (the branch of an ECMP split).
      const pb = Math.min(...path.map((l) => l.bytes));
      const pp = Math.min(...path.map((l) => l.packets));
      bytes += pb;
      packets += pp;
      const sig = path.map((l) => l.key).join('>');
      const gr = groups.get(sig) ?? {
        legs: path,
        legSums: path.map(() => ({ bytes: 0, packets: 0 })),
        bytes: 0,
        packets: 0,
        tuples: [],
        flows: 0,
      };
      // Each hop's own figures, summed over the 5-tuples that took this path.
      path.forEach((l, i) => {
        gr.legSums[i]!.bytes += l.bytes;
        gr.legSums[i]!.packets += l.packets;
      });
      gr.bytes += pb;
      gr.packets += pp;
      gr.flows++;
      if (gr.tuples.length < MAX_TUPLES_LISTED) gr.tuples.push(tuple);
      groups.set(sig, gr);
    }
  }
  const nodes = new Set<string>();
  const edges = new Set<string>();
  const paths: ObservedPath[] = [...groups.values()]
    .sort((a, b) => b.bytes - a.bytes)
    .map((gr) => {
      const hops = gr.legs.map((l, i): PathHop => {
        for (const id of [l.deviceId, l.inPortId, l.outPortId]) if (id !== null) nodes.add(id);
        return {
          deviceId: l.deviceId,
          device: nameOf(g, l.deviceId),
          inPortId: l.inPortId,
          inPort: nameOf(g, l.inPortId),
          outPortId: l.outPortId,
          outPort: nameOf(g, l.outPortId),
          exporters: [...l.exporters].sort(),
          bytes: gr.legSums[i]!.bytes,
          packets: gr.legSums[i]!.packets,
        };
      });
      const links: PathLink[] = [];
      for (let i = 0; i + 1 < gr.legs.length; i++) {
        const l = linkOf(gr.legs[i]!.outPortId)!;
        edges.add(l.id);
        links.push({ id: l.id, from: gr.legs[i]!.outPortId!, to: l.peer });
      }
      // The host ends: the links into the first hop and out of the last one.
      for (const p of [gr.legs[0]!.inPortId, gr.legs[gr.legs.length - 1]!.outPortId]) {
        const l = linkOf(p);
        if (l) edges.add(l.id);
      }
      return {
        hops,
        links,
        bytes: gr.bytes,
        packets: gr.packets,
        byteShare: bytes > 0 ? gr.bytes / bytes : 0,
        packetShare: packets > 0 ? gr.packets / packets : 0,
        tuples: gr.tuples,
        flows: gr.flows,
      };
    });
  return { paths, bytes, packets, flows: byTuple.size, nodes: [...nodes], edges: [...edges] };
}
