// Unknown neighbours (docs/architecture.md#stitching): a neighbour no known device matches is kept as a node of its own
// (`Type` switch when it says bridge/router, else host; `Probe: 'lldp'`) with a port/interface
// child, so the map shows "something unknown is on port X". Its discriminators go to the alias
// table; a host gets ids.host(short hostname) so an agent falling back to its hostname converges.
import type { GraphTx } from '../store/graph-store.ts';
import type { GraphNode, Metadata } from '../types.ts';
import { idFor, ids } from '../ids.ts';
import { canonicalId } from '../merge.ts';
import type { NeighbourRow } from './types.ts';
import { chassisTypeName, normMac, portTypeName, shortName } from './rows.ts';
import { STITCH_ORIGIN, childrenOf, findPort } from './resolve.ts';

const HOST = 'stitch';

/** Alias keys naming the neighbour device, strongest first (the first one is its placeholder key). */
export function neighbourKeys(r: NeighbourRow, localId: string): string[] {
  const out: string[] = [];
  if (r.chassisId) out.push(`chassis:${r.chassisIdSubtype ?? ''}:${(normMac(r.chassisId) ?? r.chassisId).toLowerCase()}`);
  if (r.sysName) out.push(`lldp-sysname:${shortName(r.sysName).toLowerCase()}`);
  if (out.length === 0) out.push(`lldp-anonymous:${localId}`);
  return out;
}

export function saysSwitch(r: NeighbourRow): boolean {
  const caps = r.capEnabled && r.capEnabled.length ? r.capEnabled : (r.capSupported ?? []);
  return caps.includes('bridge') || caps.includes('router');
}

/** The existing placeholder for this neighbour, if any (following merges). */
export function existingPlaceholder(tx: GraphTx, keys: string[]): GraphNode | undefined {
  for (const k of keys) {
    const id = tx.resolveAlias(k);
    if (!id) continue;
    const n = tx.getNode(canonicalId(tx, id));
    if (n) return n;
  }
  return undefined;
}

export function ensurePlaceholderDevice(tx: GraphTx, r: NeighbourRow, localId: string): GraphNode {
  const keys = neighbourKeys(r, localId);
  const found = existingPlaceholder(tx, keys);
  if (found) {
    for (const k of keys) if (!tx.resolveAlias(k)) tx.setAlias(k, found.ID);
    return found;
  }
  const isSwitch = saysSwitch(r);
  const id = !isSwitch && r.sysName ? ids.host(shortName(r.sysName)) : idFor('lldp-neighbour', keys[0]!);
  const lldp: Metadata = {};
  if (r.chassisId) {
    lldp.ChassisID = normMac(r.chassisId) ?? r.chassisId;
    lldp.ChassisIDType = chassisTypeName(r.chassisIdSubtype);
  }
  if (r.sysName) lldp.SysName = r.sysName;
  const md: Metadata = {
    Type: isSwitch ? 'switch' : 'host',
    Name: r.sysName ? (isSwitch ? r.sysName : shortName(r.sysName)) : (r.chassisId ?? 'unknown'),
    Probe: 'lldp',
    LLDP: lldp,
  };
  const addr = r.managementAddresses?.[0];
  if (addr) md.MgmtAddress = addr;
  const existing = tx.getNode(id);
  const n = existing ?? tx.upsertNode({ ID: id, Metadata: md, Origin: STITCH_ORIGIN, Host: HOST })!;
  for (const k of keys) tx.setAlias(k, n.ID);
  return n;
}

/** The far port of a placeholder (or of a known device whose port is not found): a child node. */
export function ensurePlaceholderPort(tx: GraphTx, device: GraphNode, r: NeighbourRow): GraphNode {
  const known = findPort(tx, device, r);
  if (known) return known;
  const isHost = device.Metadata.Type === 'host';
  const mac = r.portIdSubtype === 3 ? normMac(r.portId) : null;
  // lldpd on Linux sends the MAC as port ID and the ifname as description.
  const name = (mac ? r.portDesc : r.portId) ?? r.portDesc ?? r.portId ?? 'unknown';
  const id = isHost ? ids.hostInterface(device.ID, name) : idFor('lldp-port', device.ID, r.portIdSubtype ?? '', r.portId ?? name);
  const existing = tx.getNode(id) ?? childrenOf(tx, device.ID).find((c) => c.Metadata.Name === name);
  if (existing) return existing;
  const lldp: Metadata = {};
  if (r.portId) {
    lldp.PortID = r.portId;
    lldp.PortIDType = portTypeName(r.portIdSubtype);
  }
  if (r.portDesc) lldp.PortDescr = r.portDesc;
  const md: Metadata = { Type: isHost ? 'device' : 'port', Name: name, Probe: 'lldp', LLDP: lldp };
  if (mac) md.MAC = mac;
  const p = tx.upsertNode({ ID: id, Metadata: md, Origin: STITCH_ORIGIN, Host: HOST })!;
  tx.upsertEdge({
    ID: ids.edge(device.ID, id, 'ownership'),
    Parent: device.ID,
    Child: id,
    Metadata: { RelationType: 'ownership' },
    Origin: STITCH_ORIGIN,
    Host: HOST,
  });
  return p;
}
