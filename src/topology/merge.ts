// Node merge (docs/architecture.md#identity): when two IDs turn out to be one thing, the later-identified one is folded
// into the canonical one. Its edges are re-pointed, its children merged by Name / MAC (or moved),
// it is marked `Metadata.MergedInto` and then deleted, so history before the merge stays
// queryable; `merged:<old ID>` (and any alias keys given) resolve to the canonical ID afterwards.
import type { GraphTx } from './store/graph-store.ts';
import type { GraphEdge, GraphNode } from './types.ts';
import { ids } from './ids.ts';

export interface MergeResult {
  /** Every node folded away (the node and its merged children), old ID → canonical ID. */
  merged: Map<string, string>;
  /** Edges re-pointed (old edge ID → new edge ID). */
  repointed: Map<string, string>;
}

export const mergedAlias = (id: string) => `merged:${id}`;

/** Where a merged-away ID lives now (follows chains); the ID itself when it was never merged. */
export function canonicalId(tx: Pick<GraphTx, 'resolveAlias'>, id: string): string {
  let cur = id;
  for (let i = 0; i < 8; i++) {
    const next = tx.resolveAlias(mergedAlias(cur));
    if (!next || next === cur) return cur;
    cur = next;
  }
  return cur;
}

function isOwnership(e: GraphEdge): boolean {
  return e.Metadata.RelationType === 'ownership';
}

function ifIndexOf(n: GraphNode): number | undefined {
  return n.Metadata.Type === 'port' && typeof n.Metadata.IfIndex === 'number' ? n.Metadata.IfIndex : undefined;
}

/**
 * A child of `into` that is the same thing as `child`: a port with the same ifIndex (a device has
 * one port per ifIndex; flows and counters name ports only by it), else same Name, else same MAC.
 */
function matchChild(tx: GraphTx, into: string, child: GraphNode): GraphNode | undefined {
  const ifIndex = ifIndexOf(child);
  let byName: GraphNode | undefined;
  let byMac: GraphNode | undefined;
  for (const e of tx.edgesOf(into, 'out')) {
    if (!isOwnership(e)) continue;
    const c = tx.getNode(e.Child);
    if (!c || c.ID === child.ID) continue;
    const other = ifIndexOf(c);
    if (ifIndex !== undefined && other === ifIndex) return c;
    // Two ports with different ifIndexes are two ports, whatever their names say.
    if (ifIndex !== undefined && other !== undefined) continue;
    if (child.Metadata.Name !== undefined && c.Metadata.Name === child.Metadata.Name) byName ??= c;
    if (child.Metadata.MAC !== undefined && c.Metadata.MAC === child.Metadata.MAC) byMac ??= c;
  }
  return byName ?? byMac;
}

function repoint(tx: GraphTx, e: GraphEdge, from: string, into: string, res: MergeResult): void {
  let parent = e.Parent === from ? into : e.Parent;
  let child = e.Child === from ? into : e.Child;
  if (parent === child) {
    tx.deleteEdge(e.ID);
    return;
  }
  const rel = String(e.Metadata.RelationType ?? '');
  // A cable has no direction: keep the "smaller ID is parent" rule so both ends name it alike.
  if (rel === 'layer2' && parent > child) [parent, child] = [child, parent];
  const id = ids.edge(parent, child, rel);
  tx.deleteEdge(e.ID);
  const existing = tx.getEdge(id);
  tx.upsertEdge(
    { ID: id, Parent: parent, Child: child, Metadata: e.Metadata, Origin: existing?.Origin ?? e.Origin, Host: existing?.Host ?? e.Host },
    { merge: true },
  );
  res.repointed.set(e.ID, id);
}

/**
 * Folds `from` into `into` inside the caller's transaction. `aliasKeys` are re-pointed to `into`
 * (the caller knows which discriminators named `from`). Returns what moved.
 */
export function mergeNodes(
  tx: GraphTx,
  from: string,
  into: string,
  aliasKeys: string[] = [],
  res: MergeResult = { merged: new Map(), repointed: new Map() },
): MergeResult {
  if (from === into) return res;
  const src = tx.getNode(from);
  if (!src || !tx.getNode(into)) return res;
  // Children first: a child that exists under `into` too is merged into it, else it moves over.
  for (const e of tx.edgesOf(from, 'out')) {
    if (!isOwnership(e)) continue;
    const c = tx.getNode(e.Child);
    if (!c) continue;
    const twin = matchChild(tx, into, c);
    if (twin) mergeNodes(tx, c.ID, twin.ID, [], res);
    else repoint(tx, e, from, into, res);
  }
  for (const e of tx.edgesOf(from, 'both')) repoint(tx, e, from, into, res);
  tx.upsertNode({ ID: from, Metadata: { MergedInto: into } }, { merge: true });
  tx.deleteNode(from);
  tx.setAlias(mergedAlias(from), into);
  for (const k of aliasKeys) tx.setAlias(k, into);
  res.merged.set(from, into);
  return res;
}
