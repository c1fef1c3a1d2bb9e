// First version of switch↔switch links from LLDP-MIB rows (the stitcher refines it): when the
// remote end is another polled switch, identified uniquely by chassis ID, then management
// address, then sysName, and its port is found, a `layer2` edge joins the two ports.
import { ids } from '../../topology/ids.ts';
import type { GraphNode } from '../../topology/types.ts';
import type { GraphTx } from '../../topology/store/graph-store.ts';
import { HOST, ORIGIN } from './graph-writer.ts';
import type { LldpInput } from './observations.ts';
import { normaliseMacText } from './values.ts';

const polledSwitch = (n: GraphNode) => n.Metadata.Type === 'switch' && n.Metadata.Probe === 'snmp' && n.Origin === ORIGIN;

function uniqueSwitch(nodes: GraphNode[], self: string): GraphNode | null {
  const s = nodes.filter((n) => polledSwitch(n) && n.ID !== self);
  return s.length === 1 ? s[0]! : null;
}

export function findRemoteSwitch(tx: GraphTx, r: LldpInput, self: string): GraphNode | null {
  if (r.chassisId) {
    const hit = uniqueSwitch(tx.findNodes('LLDP.ChassisID', r.chassisId), self);
    if (hit) return hit;
  }
  for (const a of r.managementAddresses) {
    const hit = uniqueSwitch(tx.findNodes('MgmtAddress', a), self);
    if (hit) return hit;
  }
  if (r.sysName) {
    const hit = uniqueSwitch(tx.findNodes('Name', r.sysName), self) ?? uniqueSwitch(tx.findNodes('Name', r.sysName.split('.')[0]!), self);
    if (hit) return hit;
  }
  return null;
}

function portsOf(tx: GraphTx, switchId: string): GraphNode[] {
  return tx
    .edgesOf(switchId, 'out')
    .filter((e) => e.Metadata.RelationType === 'ownership')
    .map((e) => tx.getNode(e.Child))
    .filter((n): n is GraphNode => !!n && n.Metadata.Type === 'port');
}

/** Remote port by port-ID subtype (3 MAC, 5 ifName, 1 ifAlias, 7 local), then port description. */
export function findRemotePort(tx: GraphTx, sw: GraphNode, r: LldpInput): GraphNode | null {
  const ports = portsOf(tx, sw.ID);
  const one = (pred: (n: GraphNode) => boolean) => {
    const hits = ports.filter(pred);
    return hits.length === 1 ? hits[0]! : null;
  };
  const id = r.portId;
  if (id) {
    if (r.portIdSubtype === 3) {
      const m = normaliseMacText(id);
      const hit = m ? one((n) => n.Metadata.MAC === m) : null;
      if (hit) return hit;
    }
    if (r.portIdSubtype === 7 && /^\d+$/.test(id)) {
      const hit = one((n) => n.Metadata.IfIndex === Number(id));
      if (hit) return hit;
    }
    const byKey = r.portIdSubtype === 1 ? ['Alias', 'Name'] : ['Name', 'Alias', 'Description'];
    for (const k of byKey) {
      const hit = one((n) => n.Metadata[k] === id);
      if (hit) return hit;
    }
  }
  if (r.portDesc) for (const k of ['Description', 'Name']) {
    const hit = one((n) => n.Metadata[k] === r.portDesc);
    if (hit) return hit;
  }
  return null;
}

/** Upserts the layer2 edges this switch's LLDP rows support; returns their IDs. */
export function writeLldpLinks(tx: GraphTx, switchId: string, rows: LldpInput[], now: number): Set<string> {
  const out = new Set<string>();
  for (const r of rows) {
    if (r.localIfIndex === null) continue;
    const local = tx.getNode(ids.port(switchId, r.localIfIndex));
    if (!local) continue;
    const remoteSw = findRemoteSwitch(tx, r, switchId);
    if (!remoteSw) continue;
    const remote = findRemotePort(tx, remoteSw, r);
    if (!remote) continue;
    // One edge per cable whichever end reports it: parent is the smaller ID.
    const [parent, child] = local.ID < remote.ID ? [local.ID, remote.ID] : [remote.ID, local.ID];
    const id = ids.edge(parent, child, 'layer2');
    const existing = tx.getEdge(id);
    const ev = (existing?.Metadata.Evidence as Record<string, { FirstSeen: number; LastSeen: number }> | undefined)?.['lldp-snmp'];
    tx.upsertEdge(
      { ID: id, Parent: parent, Child: child, Origin: ORIGIN, Host: HOST, Metadata: { RelationType: 'layer2', State: 'UP', Evidence: { 'lldp-snmp': { FirstSeen: ev?.FirstSeen ?? now, LastSeen: now } } } },
      { merge: true },
    );
    out.add(id);
  }
  return out;
}

/**
 * Edges this switch reported before but not now: DOWN once neither end re-saw them for
 * `staleBefore` (the caller passes now − missedPollsDown × LLDP interval), never on the first miss.
 */
export function ageLinks(tx: GraphTx, known: Set<string>, asserted: Set<string>, staleBefore: number): void {
  for (const id of known) {
    if (asserted.has(id)) continue;
    const e = tx.getEdge(id);
    if (!e) {
      known.delete(id);
      continue;
    }
    const seen = (e.Metadata.Evidence as Record<string, { LastSeen?: number }> | undefined)?.['lldp-snmp']?.LastSeen ?? 0;
    if (seen < staleBefore && e.Metadata.State !== 'DOWN') tx.upsertEdge({ ID: id, Parent: e.Parent, Child: e.Child, Metadata: { State: 'DOWN' } }, { merge: true });
  }
  for (const id of asserted) known.add(id);
}
