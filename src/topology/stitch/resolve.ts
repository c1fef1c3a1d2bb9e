// Remote-end resolution of a neighbour row against the graph (docs/architecture.md#stitching): the device by chassis ID
// (subtype 4 MAC → switch chassis or any interface/port MAC; 5 network address → MgmtAddress),
// then management addresses, then sysName with / without domain — unique matches only; the port by
// port-ID subtype (3 MAC; 5 ifName / 1 ifAlias / 7 local → Name, Alias, IfIndex), then portDesc.
import type { GraphReader } from '../store/graph-store.ts';
import type { GraphNode } from '../types.ts';
import type { NeighbourRow } from './types.ts';
import { normMac, portSubtypeOf, portTypeName, shortName } from './rows.ts';
import { matchPortName } from '../port-names.ts';

export const STITCH_ORIGIN = 'stitch';

export const isPlaceholder = (n: GraphNode): boolean => n.Origin === STITCH_ORIGIN;
const isDevice = (n: GraphNode): boolean => n.Metadata.Type === 'switch' || n.Metadata.Type === 'host';

export function ownerOf(g: GraphReader, id: string): GraphNode | undefined {
  for (const e of g.edgesOf(id, 'in')) if (e.Metadata.RelationType === 'ownership') return g.getNode(e.Parent);
  return undefined;
}

export function childrenOf(g: GraphReader, id: string): GraphNode[] {
  const out: GraphNode[] = [];
  for (const e of g.edgesOf(id, 'out')) {
    if (e.Metadata.RelationType !== 'ownership') continue;
    const c = g.getNode(e.Child);
    if (c) out.push(c);
  }
  return out;
}

export interface Remote {
  device: GraphNode;
  /** Set when the device was found through one of its interfaces (that interface is a port candidate). */
  via?: GraphNode;
  port: GraphNode | null;
}

interface Ctx {
  g: GraphReader;
  /** The reporter's own device: never its own neighbour. */
  self: string | undefined;
  placeholders: boolean;
}

function uniqueDevice(ctx: Ctx, nodes: GraphNode[]): { device: GraphNode; via?: GraphNode } | null {
  const found = new Map<string, { device: GraphNode; via?: GraphNode }>();
  for (const n of nodes) {
    let hit: { device: GraphNode; via?: GraphNode } | null = null;
    if (isDevice(n)) hit = { device: n };
    else {
      let o = ownerOf(ctx.g, n.ID);
      // An Open vSwitch interface hangs under its ovsport and ovsbridge (docs/architecture.md#ovsdb): its device is the host above.
      for (let i = 0; i < 2 && o && (o.Metadata.Type === 'ovsport' || o.Metadata.Type === 'ovsbridge'); i++) o = ownerOf(ctx.g, o.ID);
      if (o && isDevice(o)) hit = { device: o, via: n };
    }
    if (!hit || hit.device.ID === ctx.self) continue;
    if (!ctx.placeholders && isPlaceholder(hit.device)) continue;
    const prev = found.get(hit.device.ID);
    // Several interfaces of one device with the same MAC (bond + slaves) still name one device.
    if (!prev) found.set(hit.device.ID, hit);
    else if (prev.via && hit.via && prev.via.ID !== hit.via.ID) delete prev.via;
  }
  return found.size === 1 ? found.values().next().value! : null;
}

export function findDevice(ctx: Ctx, r: NeighbourRow): { device: GraphNode; via?: GraphNode } | null {
  const { g } = ctx;
  if (r.chassisId) {
    if (r.chassisIdSubtype === 4) {
      const m = normMac(r.chassisId);
      if (m) {
        const hit = uniqueDevice(ctx, g.findNodes('LLDP.ChassisID', m)) ?? uniqueDevice(ctx, g.findNodes('MAC', m));
        if (hit) return hit;
      }
    } else if (r.chassisIdSubtype === 5) {
      const hit = uniqueDevice(ctx, g.findNodes('MgmtAddress', r.chassisId));
      if (hit) return hit;
    } else {
      const hit = uniqueDevice(ctx, g.findNodes('LLDP.ChassisID', r.chassisId));
      if (hit) return hit;
    }
  }
  for (const a of r.managementAddresses ?? []) {
    const hit = uniqueDevice(ctx, g.findNodes('MgmtAddress', a));
    if (hit) return hit;
  }
  if (r.sysName) {
    const names = r.sysName.includes('.') ? [r.sysName, shortName(r.sysName)] : [r.sysName];
    for (const n of names) {
      const hit = uniqueDevice(ctx, g.findNodes('Name', n).filter(isDevice));
      if (hit) return hit;
    }
  }
  return null;
}

/** The strings a port is known by, for name matching: ifName, ifDescr, ifAlias and what it advertises in LLDP. */
function namesOf(n: GraphNode): (string | undefined)[] {
  const md = n.Metadata;
  const s = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const lldp = (md.LLDP ?? {}) as Record<string, unknown>;
  return [s(md.Name), s(md.Description), s(md.Alias), s(lldp.PortID)];
}

/**
 * The far port a neighbour row names among candidate ports of one device (docs/architecture.md#port-resolution):
 * the port ID as that port advertises itself (its own LLDP local port table), by subtype (3 MAC, 7 local
 * = ifIndex), then by name — exact, then the same port in another vendor spelling (Gi ↔
 * GigabitEthernet, Et ↔ Ethernet, xe-0/0/1.0 ↔ xe-0/0/1 …) — then the port description. Unique
 * matches only.
 */
function portAmong(kids: GraphNode[], r: NeighbourRow): GraphNode | null {
  const one = (pred: (n: GraphNode) => boolean) => {
    let hit: GraphNode | null = null;
    for (const k of kids) {
      if (!pred(k)) continue;
      if (hit) return null;
      hit = k;
    }
    return hit;
  };
  const id = r.portId;
  if (id) {
    const advertised = one((n) => {
      const l = n.Metadata.LLDP as Record<string, unknown> | undefined;
      return (
        !!l && l.PortID === id && (r.portIdSubtype === null || l.PortIDType === undefined || l.PortIDType === portTypeName(r.portIdSubtype))
      );
    });
    if (advertised) return advertised;
    if (r.portIdSubtype === 3) {
      const m = normMac(id);
      // A bond and its slaves share a MAC: the description (lldpd puts the ifname there) decides.
      const byMac = m ? kids.filter((k) => k.Metadata.MAC === m) : [];
      if (byMac.length === 1) return byMac[0]!;
      if (byMac.length > 1 && r.portDesc) {
        const d = byMac.filter((k) => k.Metadata.Name === r.portDesc);
        if (d.length === 1) return d[0]!;
      }
    }
    if (r.portIdSubtype === 7 && /^\d+$/.test(id)) {
      const hit = one((n) => n.Metadata.IfIndex === Number(id));
      if (hit) return hit;
    }
    if (r.portIdSubtype !== 3) {
      const keys = r.portIdSubtype === 1 ? ['Alias', 'Name', 'Description'] : ['Name', 'Alias', 'Description'];
      for (const k of keys) {
        const hit = one((n) => n.Metadata[k] === id);
        if (hit) return hit;
      }
      const byName = matchPortName(
        kids.map((k) => ({ port: k, names: namesOf(k) })),
        id,
      );
      if (byName) return byName;
    }
  }
  if (r.portDesc) {
    for (const k of ['Description', 'Name']) {
      const hit = one((n) => n.Metadata[k] === r.portDesc);
      if (hit) return hit;
    }
    const byName = matchPortName(
      kids.map((k) => ({ port: k, names: namesOf(k) })),
      r.portDesc,
    );
    if (byName) return byName;
  }
  return null;
}

/**
 * Remote port among the device's children: its real ports first; a placeholder port the stitcher
 * made earlier for this reference only while no real port matches.
 */
export function findPort(g: GraphReader, device: GraphNode, r: NeighbourRow): GraphNode | null {
  const kids = childrenOf(g, device.ID);
  const real = kids.filter((k) => !isPlaceholder(k));
  return portAmong(real, r) ?? (real.length === kids.length ? null : portAmong(kids.filter(isPlaceholder), r));
}

/** The reference a placeholder port was made from, as a neighbour row (to find its real port later). */
export function placeholderRef(p: GraphNode): NeighbourRow {
  const l = (p.Metadata.LLDP ?? {}) as Record<string, unknown>;
  const s = (v: unknown) => (typeof v === 'string' ? v : null);
  const sub = s(l.PortIDType);
  return {
    chassisIdSubtype: null,
    chassisId: null,
    portIdSubtype: sub === null ? null : portSubtypeOf(sub),
    portId: s(l.PortID) ?? s(p.Metadata.Name),
    portDesc: s(l.PortDescr),
  };
}

/** Placeholder ports of a device that now name one of its real ports: [placeholder, real] pairs. */
export function resolvablePlaceholders(g: GraphReader, device: GraphNode): [GraphNode, GraphNode][] {
  const kids = childrenOf(g, device.ID);
  const phs = kids.filter(isPlaceholder);
  if (phs.length === 0 || isPlaceholder(device)) return [];
  const real = kids.filter((k) => !isPlaceholder(k));
  const out: [GraphNode, GraphNode][] = [];
  for (const p of phs) {
    const hit = portAmong(real, placeholderRef(p));
    if (hit) out.push([p, hit]);
  }
  return out;
}

export function resolveRemote(g: GraphReader, r: NeighbourRow, self: string | undefined, placeholders: boolean): Remote | null {
  const d = findDevice({ g, self, placeholders }, r);
  if (!d) return null;
  let port = findPort(g, d.device, r);
  // Found through an interface MAC equal to the port ID: that interface is the port.
  if (!port && d.via && r.portIdSubtype === 3 && normMac(r.portId) === d.via.Metadata.MAC) port = d.via;
  return { device: d.device, via: d.via, port };
}
