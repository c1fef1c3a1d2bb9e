// Which flows belong to a host (docs/architecture.md#stitching, #flows): a host is not a flow source, so its flows are the
// ones its TOR port saw for its MACs (the host node's and its interfaces', on the stitched link
// host NIC ↔ switch port), and for its addresses once a source reports them (IPV4/IPV6 metadata).
import type { GraphReader } from '../../topology/store/graph-store.ts';
import type { GraphNode } from '../../topology/types.ts';
import type { HostScope } from './flow-store.ts';

/** Nodes flows are recorded against directly (the device or its in/out port). */
const FLOW_NODE_TYPES = new Set(['switch', 'port', 'exporter']);
/** Interfaces under interfaces (VLANs on bonds on NICs …) are few levels deep; this bounds the walk. */
const MAX_DEPTH = 4;
const MAX_NODES = 256;

/** True when flows name this node themselves (device_id / in_port_id / out_port_id). */
export function isFlowNode(n: GraphNode): boolean {
  return FLOW_NODE_TYPES.has(String(n.Metadata.Type ?? ''));
}

export function normMac(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const hex = v.toLowerCase().replace(/[^0-9a-f]/g, '');
  if (hex.length !== 12 || !/^[0-9a-f:.-]+$/i.test(v)) return undefined;
  const m = hex.match(/../g)!.join(':');
  // All-zero and broadcast MACs name no station.
  return m === '00:00:00:00:00:00' || m === 'ff:ff:ff:ff:ff:ff' ? undefined : m;
}

/** Canonical text of an IP address as the decoders write it (RFC 5952 for IPv6); undefined if not one. */
export function normAddr(v: string): string | undefined {
  const a = v.trim();
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(a))
    return a.split('.').every((o) => Number(o) <= 255) ? a.split('.').map(Number).join('.') : undefined;
  if (!a.includes(':')) return undefined;
  try {
    // The WHATWG URL parser writes IPv6 hosts in their compressed lower-case form.
    return new URL(`http://[${a}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

function addrsOf(v: unknown, out: Set<string>): void {
  for (const x of Array.isArray(v) ? v : [v]) {
    if (typeof x !== 'string') continue;
    const a = normAddr(x.split('/')[0]!);
    if (a) out.add(a);
  }
}

/** The host (or host interface) node's scope: itself and what it owns, their MACs, addresses and switch ports. */
export function hostScope(g: GraphReader, node: GraphNode): HostScope {
  const macs = new Set<string>();
  const addrs = new Set<string>();
  const ports = new Set<string>();
  const seen = new Set<string>([node.ID]);
  let level = [node];
  for (let depth = 0; level.length > 0 && depth <= MAX_DEPTH; depth++) {
    const next: GraphNode[] = [];
    for (const n of level) {
      const md = n.Metadata;
      const mac = normMac(md.MAC);
      if (mac) macs.add(mac);
      addrsOf(md.IPV4, addrs);
      addrsOf(md.IPV6, addrs);
      for (const e of g.edgesOf(n.ID, 'both')) {
        const other = e.Parent === n.ID ? e.Child : e.Parent;
        const rel = e.Metadata.RelationType;
        if (rel === 'layer2') {
          const far = g.getNode(other);
          if (far?.Metadata.Type === 'port') ports.add(far.ID);
        } else if (rel === 'ownership' && e.Parent === n.ID && !seen.has(other) && seen.size < MAX_NODES) {
          const child = g.getNode(other);
          if (!child || isFlowNode(child)) continue;
          seen.add(other);
          next.push(child);
        }
      }
    }
    level = next;
  }
  return { ports: [...ports], macs: [...macs], addrs: [...addrs] };
}
