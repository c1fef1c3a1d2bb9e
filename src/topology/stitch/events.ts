// What the change feed means for the stitcher: port/interface State (link DOWN at once, back UP),
// new identities (re-resolve placeholders and unresolved rows, merge), new host MACs (FDB),
// static fabric links (evidence 'fabric'), and host interfaces carrying `Metadata.LLDP`.
import type { GraphEdge, GraphEvent, GraphNode } from '../types.ts';
import type { GraphReader } from '../store/graph-store.ts';
import type { NeighbourRow } from './types.ts';
import { pairKey } from './claim-index.ts';
import { metadataToNeighbour, normMac } from './rows.ts';
import { STITCH_ORIGIN } from './resolve.ts';
import type { Stitcher } from './stitcher.ts';

export class Dirty {
  readonly pairs = new Set<string>();
  readonly macs = new Set<string>();
  /** Ports whose edge-port status may have changed (FDB re-placement). */
  readonly ports = new Set<string>();
  /** Nodes folded away by a merge. */
  readonly merged = new Set<string>();
  /** Inputs to re-resolve. */
  readonly reresolve = new Set<string>();
  /** Host-side LLDP from `Metadata.LLDP`: interface → its neighbour rows. */
  readonly agent = new Map<string, NeighbourRow[]>();
  /** Bonds whose membership edges (an agent's `bond-member`) changed. */
  readonly bonds = new Set<string>();
}

/** A host's bond membership as an agent writes it: layer2 bond → member, `Type: bond-member`. */
export const isBondMember = (e: GraphEdge): boolean =>
  e.Metadata.RelationType === 'layer2' && e.Metadata.Type === 'bond-member' && e.Origin !== STITCH_ORIGIN;

const NOT_IFACE = new Set(['switch', 'port', 'host', 'netns', 'container']);

function agentLldp(s: Stitcher, n: GraphNode, d: Dirty, deleted: boolean): boolean {
  const t = n.Metadata.Type;
  if (n.Origin === STITCH_ORIGIN || typeof t !== 'string' || NOT_IFACE.has(t)) return false;
  const lldp = n.Metadata.LLDP;
  const json = deleted || !lldp || typeof lldp !== 'object' ? '' : JSON.stringify(lldp);
  if ((s.agentLldp.get(n.ID) ?? '') === json) return false;
  if (json) s.agentLldp.set(n.ID, json);
  else s.agentLldp.delete(n.ID);
  const row = json ? metadataToNeighbour(n.ID, lldp as Record<string, unknown>, s.time()) : null;
  d.agent.set(n.ID, row ? [row] : []);
  return true;
}

/**
 * A node's MAC appeared, went or changed (`ip link set … address`, a NodeUpdated): both the old and
 * the new MAC may now be placed elsewhere by FDB. Only the last MAC per node is kept.
 */
function macChanged(s: Stitcher, n: GraphNode, d: Dirty, deleted: boolean): boolean {
  const mac = deleted ? null : normMac(typeof n.Metadata.MAC === 'string' ? n.Metadata.MAC : null);
  const prev = s.nodeMac.get(n.ID);
  if ((prev ?? null) === mac) return false;
  if (mac) s.nodeMac.set(n.ID, mac);
  else s.nodeMac.delete(n.ID);
  if (prev) d.macs.add(prev);
  if (mac) d.macs.add(mac);
  return true;
}

/** A switch port's own LLDP identity (the port ID it advertises) changed: far ends may now resolve to it. */
function advertisedChanged(s: Stitcher, n: GraphNode, deleted: boolean): boolean {
  const lldp = n.Metadata.LLDP;
  const json = deleted || !lldp || typeof lldp !== 'object' ? '' : JSON.stringify(lldp);
  if ((s.portLldp.get(n.ID) ?? '') === json) return false;
  if (json) s.portLldp.set(n.ID, json);
  else s.portLldp.delete(n.ID);
  return true;
}

/** The fabric DSL's `A -> B` is ownership + layer2: a containment, not a cable between two ports. */
export function isFabricCable(g: GraphReader, e: GraphEdge): boolean {
  return !g.edgesOf(e.Parent, 'out').some((o) => o.Child === e.Child && o.Metadata.RelationType === 'ownership');
}

export function onGraphEvents(s: Stitcher, evs: readonly GraphEvent[], d: Dirty): boolean {
  let any = false;
  let identities = false;
  for (const ev of evs) {
    if ('node' in ev) {
      const n = ev.node;
      if (n.Origin === STITCH_ORIGIN) continue;
      const deleted = ev.type === 'NodeDeleted';
      if (agentLldp(s, n, d, deleted)) any = true;
      const pks = s.index.byEndpoint.get(n.ID);
      if (pks) {
        const st = deleted ? 'DELETED' : n.Metadata.State;
        if (s.endpointState.get(n.ID) !== st) {
          s.endpointState.set(n.ID, st);
          for (const pk of pks) d.pairs.add(pk);
          any = true;
        }
        if (deleted) {
          for (const k of s.index.inputsTouching([n.ID])) d.reresolve.add(k);
          s.endpointState.delete(n.ID);
        }
      }
      if (macChanged(s, n, d, deleted)) any = true;
      if (ev.type === 'NodeAdded' && n.Metadata.Type === 'port' && s.fdb.portMacs.has(n.ID)) {
        d.ports.add(n.ID);
        any = true;
      }
      const t = n.Metadata.Type;
      if (ev.type === 'NodeAdded' || ((t === 'switch' || t === 'host') && ev.type === 'NodeUpdated')) identities = true;
      else if (t === 'port' && advertisedChanged(s, n, deleted)) identities = true;
    } else {
      const e = ev.edge;
      const rel = e.Metadata.RelationType;
      if (rel === 'layer2' && e.Origin === 'fabric' && (ev.type === 'EdgeDeleted' || isFabricCable(s.store, e))) {
        const pk = pairKey(e.Parent, e.Child);
        if (ev.type === 'EdgeDeleted') {
          s.links.fabric.delete(pk);
          s.links.materialised.delete(pk);
          s.index.release(pk, s.links.keep);
        } else {
          s.links.fabric.set(pk, e.ID);
          s.index.touch(pk);
        }
        // Also after the fabric writer's own updates (a reload drops our fields): the rewrite is a
        // no-op when nothing changed, so this cannot loop.
        d.pairs.add(pk);
        any = true;
      } else if (rel === 'ownership' && e.Origin !== STITCH_ORIGIN && ev.type === 'EdgeAdded') {
        identities = true;
      } else if (isBondMember(e) && ev.type !== 'EdgeUpdated') {
        d.bonds.add(e.Parent);
        any = true;
      }
    }
  }
  if (identities && s.pending.size) {
    for (const k of s.pending) d.reresolve.add(k);
    any = true;
  }
  return any;
}
