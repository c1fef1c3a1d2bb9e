// One reporter's neighbour rows → claims. Local port: the node ID given, else ids.port(reporter,
// ifIndex), else the reporter itself (a host interface reporting what it sees). Remote end: known
// devices first; a neighbour only a placeholder matches is kept as (or becomes) a placeholder; a
// known device found for a neighbour that has a placeholder folds the placeholder into it.
import type { GraphTx } from '../store/graph-store.ts';
import type { GraphNode } from '../types.ts';
import { ids } from '../ids.ts';
import { mergeNodes } from '../merge.ts';
import type { Claim, NeighbourRow, NeighbourSource } from './types.ts';
import { isCurrent } from './rows.ts';
import { isPlaceholder, ownerOf, resolvablePlaceholders, resolveRemote } from './resolve.ts';
import { ensurePlaceholderDevice, ensurePlaceholderPort, existingPlaceholder, neighbourKeys } from './placeholders.ts';

export interface NeighbourOutcome {
  claims: Claim[];
  /** Rows whose local port is not in the graph (yet). */
  unresolved: number;
  /** Some far end is a placeholder: re-resolve when the graph learns new identities. */
  placeholders: boolean;
  /** Nodes folded away by merges in this pass (other inputs touching them need re-resolving). */
  merged: string[];
  /** LAG membership the neighbours advertise (member port → aggregate port). */
  lag: [string, string][];
}

/** Folds a device's placeholder ports into the real ports they turn out to name (once it is polled). */
function foldPlaceholderPorts(tx: GraphTx, device: GraphNode, out: NeighbourOutcome, done: Set<string>): void {
  if (done.has(device.ID)) return;
  done.add(device.ID);
  for (const [ph, real] of resolvablePlaceholders(tx, device)) out.merged.push(...mergeNodes(tx, ph.ID, real.ID).merged.keys());
}

export function resolveNeighbours(
  tx: GraphTx,
  input: string,
  source: NeighbourSource,
  reporter: string,
  rows: NeighbourRow[],
  limit: number,
  now: number,
  /** Devices known to own placeholder ports (kept by the stitcher): only those are checked for ports to fold. */
  owners: Set<string> = new Set(),
): NeighbourOutcome {
  const out: NeighbourOutcome = { claims: [], unresolved: 0, placeholders: false, merged: [], lag: [] };
  const folded = new Set<string>();
  for (const r of rows) {
    const local =
      r.localPortId ?? (r.localIfIndex !== null && r.localIfIndex !== undefined ? ids.port(reporter, r.localIfIndex) : reporter);
    if (!tx.getNode(local)) {
      out.unresolved++;
      continue;
    }
    const self = ownerOf(tx, local)?.ID ?? reporter;
    let remote = resolveRemote(tx, r, self, false);
    let far: GraphNode;
    let device: GraphNode;
    if (remote) {
      device = remote.device;
      const keys = neighbourKeys(r, local);
      const ph = existingPlaceholder(tx, keys);
      if (ph && isPlaceholder(ph) && ph.ID !== device.ID) {
        const res = mergeNodes(tx, ph.ID, device.ID, keys);
        out.merged.push(...res.merged.keys());
        owners.add(device.ID);
      }
      // The placeholder's ports (moved here by the merge, or made before this device's ports were
      // known) go into the real ports they name; then the row is resolved against real ports.
      const before = out.merged.length;
      if (owners.has(device.ID) || (remote.port && isPlaceholder(remote.port))) foldPlaceholderPorts(tx, device, out, folded);
      if (out.merged.length !== before || (remote.port && isPlaceholder(remote.port))) remote = resolveRemote(tx, r, self, false) ?? remote;
      if (remote.port) {
        far = remote.port;
      } else {
        far = ensurePlaceholderPort(tx, device, r);
        if (isPlaceholder(far)) owners.add(device.ID);
        out.placeholders = true;
      }
    } else {
      device = ensurePlaceholderDevice(tx, r, local);
      far = ensurePlaceholderPort(tx, device, r);
      owners.add(device.ID);
      out.placeholders = true;
    }
    if (far.ID === local) continue;
    const lastSeen = r.lastSeen ?? now;
    const [a, b] = local < far.ID ? [local, far.ID] : [far.ID, local];
    out.claims.push({
      input,
      a,
      b,
      side: local,
      source,
      reporter,
      firstSeen: r.firstSeen ?? lastSeen,
      lastSeen,
      current: isCurrent(r, limit, now),
      fresh: isCurrent(r, limit, now) && (r.missed ?? 0) === 0,
      farIsSwitch: device.Metadata.Type === 'switch',
    });
    if (r.linkAggregation?.enabled && device.Metadata.Type === 'switch') {
      const agg = ids.port(device.ID, r.linkAggregation.portId);
      if (agg !== far.ID && tx.getNode(agg)) out.lag.push([far.ID, agg]);
    }
  }
  return out;
}
