// The change timeline (docs/architecture.md#change-timeline): what changed in the graph between two
// instants, read from the store's history (revisionsBetween) and named the way an operator asks —
// link up/down, a MAC moved to another port, an LLDP neighbour appeared or went, a LAG member was
// lost, a device rebooted, a port's speed or MTU changed. Reads through the graph store only.
import type { GraphStore } from '../store/graph-store.ts';
import { isEdge, type GraphEdge, type GraphNode } from '../types.ts';

export type ChangeKind =
  | 'node-added'
  | 'node-removed'
  | 'link-added'
  | 'link-removed'
  | 'link-up'
  | 'link-down'
  | 'lldp-neighbour-new'
  | 'lldp-neighbour-lost'
  | 'lag-member-lost'
  | 'mac-moved'
  | 'ip-moved'
  | 'rebooted'
  | 'speed-changed'
  | 'mtu-changed';

export interface Change {
  /** When it changed (epoch ms). */
  At: number;
  Kind: ChangeKind;
  /** The element that changed, and whether it is a node or an edge. */
  ID: string;
  Element: 'node' | 'edge';
  /** Metadata.Type of a node, RelationType of an edge. */
  Type: string;
  Name?: string;
  /** The metadata key that changed, when one did. */
  Key?: string;
  Old?: unknown;
  New?: unknown;
  Parent?: string;
  Child?: string;
  /** ip-moved: the address (without its prefix length) that moved from node Old to node New. */
  Address?: string;
}

type El = GraphNode | GraphEdge;

/** Evidence sources that mean a neighbour said so (LLDP or CDP), not an inference. */
const NEIGHBOUR_SOURCES = ['lldp-snmp', 'lldp-agent', 'cdp'];

/** Revisions grouped by element, in the order the store gives them (oldest first). */
export function groupRevisions(revs: readonly El[]): Map<string, El[]> {
  const byId = new Map<string, El[]>();
  for (const r of revs) {
    const list = byId.get(r.ID);
    if (list) list.push(r);
    else byId.set(r.ID, [r]);
  }
  return byId;
}

/** The revision live at instant t, or undefined when the element did not exist then. */
export function stateAt(revs: readonly El[], t: number): El | undefined {
  let cur: El | undefined;
  for (const r of revs) {
    if (r.UpdatedAt > t) break;
    cur = r;
  }
  return cur && (cur.DeletedAt === undefined || cur.DeletedAt > t) ? cur : undefined;
}

const typeOf = (el: El) => String((isEdge(el) ? el.Metadata.RelationType : el.Metadata.Type) ?? '');
/** Evidence sources: the stitcher keys an object by source; synthetic fabrics list them. */
const sources = (el: El | undefined): string[] => {
  const ev = el?.Metadata.Evidence;
  if (Array.isArray(ev)) return ev.filter((x): x is string => typeof x === 'string');
  return ev && typeof ev === 'object' ? Object.keys(ev) : [];
};
const isNeighbour = (el: El | undefined) => sources(el).some((s) => NEIGHBOUR_SOURCES.includes(s));
const isLagMember = (el: El | undefined) => el?.Metadata.Lag === 'member';
const isFdbOnly = (el: El | undefined) => {
  const s = sources(el);
  return s.length > 0 && s.every((x) => x === 'fdb');
};

function base(el: El, at: number, kind: ChangeKind): Change {
  const c: Change = { At: at, Kind: kind, ID: el.ID, Element: isEdge(el) ? 'edge' : 'node', Type: typeOf(el) };
  if (typeof el.Metadata.Name === 'string') c.Name = el.Metadata.Name;
  if (isEdge(el)) {
    c.Parent = el.Parent;
    c.Child = el.Child;
  }
  return c;
}

function keyChange(el: El, at: number, kind: ChangeKind, key: string, old: unknown, now: unknown): Change {
  return { ...base(el, at, kind), Key: key, Old: old, New: now };
}

/** An element deleted at `at`; `last` is its final revision. */
function removal(last: El, at: number, out: Change[]): void {
  if (!isEdge(last)) out.push(base(last, at, 'node-removed'));
  else if (last.Metadata.RelationType === 'layer2') {
    out.push(base(last, at, isLagMember(last) ? 'lag-member-lost' : isNeighbour(last) ? 'lldp-neighbour-lost' : 'link-removed'));
  }
}

/** The changes from one revision to the next (prev undefined: the element was created). */
function transition(prev: El | undefined, next: El, out: Change[]): void {
  const edge = isEdge(next);
  const at = next.UpdatedAt;
  if (!prev) {
    if (!edge) out.push(base(next, at, 'node-added'));
    else if (next.Metadata.RelationType === 'layer2') out.push(base(next, at, isNeighbour(next) ? 'lldp-neighbour-new' : 'link-added'));
    return;
  }
  const a = prev.Metadata;
  const b = next.Metadata;
  if (a.State !== b.State && (edge ? b.RelationType === 'layer2' : b.Type === 'port' || b.Type === 'interface' || b.State !== undefined)) {
    const kind: ChangeKind = b.State === 'UP' ? 'link-up' : edge && isLagMember(next) ? 'lag-member-lost' : 'link-down';
    out.push(keyChange(next, at, kind, 'State', a.State, b.State));
  }
  if (edge && b.RelationType === 'layer2' && !isLagMember(next)) {
    const was = isNeighbour(prev);
    const is = isNeighbour(next);
    if (was !== is)
      out.push(keyChange(next, at, is ? 'lldp-neighbour-new' : 'lldp-neighbour-lost', 'Evidence', sources(prev), sources(next)));
  }
  if (!edge) {
    if (a.Speed !== b.Speed && a.Speed !== undefined && b.Speed !== undefined)
      out.push(keyChange(next, at, 'speed-changed', 'Speed', a.Speed, b.Speed));
    if (a.MTU !== b.MTU && a.MTU !== undefined && b.MTU !== undefined) out.push(keyChange(next, at, 'mtu-changed', 'MTU', a.MTU, b.MTU));
    // The SNMP poller moves BootTime only when sysUpTime says the device booted again.
    if (typeof a.BootTime === 'number' && typeof b.BootTime === 'number' && b.BootTime > a.BootTime) {
      out.push(keyChange(next, at, 'rebooted', 'BootTime', a.BootTime, b.BootTime));
    }
  }
}

/** What an end of a link is at instant t (its revisions in the window, else the store then). */
function nodeAt(store: GraphStore, revs: Map<string, El[]>, id: string, t: number): El | undefined {
  return revs.has(id) ? (stateAt(revs.get(id)!, t) ?? revs.get(id)!.at(-1)) : store.at(t).getNode(id);
}

/** A link change that takes an end away from a port, and one that brings it to a port. */
const DEPARTS: ReadonlySet<ChangeKind> = new Set(['link-removed', 'link-down', 'lldp-neighbour-lost']);
const ARRIVES: ReadonlySet<ChangeKind> = new Set(['link-added', 'link-up', 'lldp-neighbour-new']);

/**
 * A MAC that leaves one port and lands on another within the window becomes one move of the end
 * the two links share: links placed from forwarding tables (removed, then made elsewhere), and a
 * host NIC — anything but a switch port — whose LLDP link goes down or away while another comes up
 * (a server re-cabled to another port). A switch port's neighbour changing is left as lost/new:
 * that is re-cabling, not a MAC moving.
 */
function foldMoves(store: GraphStore, changes: Change[], revs: Map<string, El[]>): Change[] {
  const fdb = (c: Change) => {
    const list = revs.get(c.ID);
    return isFdbOnly(list?.[list.length - 1]) || isFdbOnly(list?.[0]);
  };
  const movable = (c: Change, end: string) => {
    if (c.Element !== 'edge' || c.Type !== 'layer2') return false;
    if (fdb(c)) return c.Kind === 'link-removed' || c.Kind === 'link-added';
    const n = nodeAt(store, revs, end, c.At);
    return n !== undefined && n.Metadata.Type !== 'port';
  };
  const removed = new Map<string, Change[]>();
  for (const c of changes) {
    if (!DEPARTS.has(c.Kind)) continue;
    for (const end of [c.Parent!, c.Child!]) if (movable(c, end)) removed.set(end, [...(removed.get(end) ?? []), c]);
  }
  const drop = new Set<Change>();
  const moves: Change[] = [];
  for (const c of changes) {
    if (!ARRIVES.has(c.Kind)) continue;
    for (const end of [c.Parent!, c.Child!]) {
      if (!movable(c, end)) continue;
      const gone = removed.get(end)?.find((r) => !drop.has(r) && r.At <= c.At && r.ID !== c.ID);
      if (!gone) continue;
      const oldPort = gone.Parent === end ? gone.Child : gone.Parent;
      const newPort = c.Parent === end ? c.Child : c.Parent;
      if (oldPort === newPort) continue;
      drop.add(gone).add(c);
      // The moved end itself rarely changes: read it as it was then.
      const node = nodeAt(store, revs, end, c.At);
      const move: Change = {
        At: c.At,
        Kind: 'mac-moved',
        ID: end,
        Element: 'node',
        Type: node ? typeOf(node) : '',
        Key: 'port',
        Old: oldPort,
        New: newPort,
      };
      if (node && typeof node.Metadata.Name === 'string') move.Name = node.Metadata.Name;
      moves.push(move);
      break;
    }
  }
  // The folded links' other changes at the same instant (a link going DOWN may lose its LLDP evidence too).
  const folded = new Set([...drop].map((c) => `${c.ID} ${c.At}`));
  const kept = changes.filter((c) => !drop.has(c) && !(c.Element === 'edge' && folded.has(`${c.ID} ${c.At}`)));
  return [...kept, ...moves];
}

const addressesOf = (el: El | undefined): Set<string> => {
  const out = new Set<string>();
  for (const key of ['IPV4', 'IPV6']) {
    const v = el?.Metadata[key];
    for (const a of Array.isArray(v) ? v : v === undefined ? [] : [v]) if (typeof a === 'string') out.add(a.split('/')[0]!);
  }
  return out;
};

/** An address that leaves one node and appears on another within the window (a VIP, a re-addressed host). */
class IpMoves {
  private readonly lost = new Map<string, { node: El; at: number }[]>();
  private readonly gained: { addr: string; node: El; at: number }[] = [];

  note(prev: El | undefined, next: El | undefined, at: number): void {
    const was = addressesOf(prev);
    const is = addressesOf(next);
    for (const a of was) if (!is.has(a)) this.lost.set(a, [...(this.lost.get(a) ?? []), { node: prev!, at }]);
    for (const a of is) if (!was.has(a)) this.gained.push({ addr: a, node: next!, at });
  }

  moves(): Change[] {
    const out: Change[] = [];
    for (const g of this.gained) {
      const from = this.lost.get(g.addr)?.find((l) => l.node.ID !== g.node.ID);
      if (!from) continue;
      const c: Change = {
        ...base(g.node, Math.max(g.at, from.at), 'ip-moved'),
        Key: 'IP',
        Old: from.node.ID,
        New: g.node.ID,
        Address: g.addr,
      };
      out.push(c);
    }
    return out;
  }
}

export interface ChangesRequest {
  from: number;
  to: number;
  /** Only changes of this node, its ports (ownership children) and the edges touching either. */
  node?: string;
}

/** The timeline: every change in (from, to], oldest first. */
export function changesBetween(store: GraphStore, req: ChangesRequest): Change[] {
  const revs = groupRevisions(store.revisionsBetween(req.from, req.to));
  const ips = new IpMoves();
  let out: Change[] = [];
  for (const list of revs.values()) {
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!;
      // After a deletion the next revision is a re-creation, not an update.
      const prev = i > 0 && list[i - 1]!.DeletedAt === undefined ? list[i - 1] : undefined;
      if (r.UpdatedAt > req.from && r.UpdatedAt <= req.to) {
        transition(prev, r, out);
        if (!isEdge(r)) ips.note(prev, r, r.UpdatedAt);
      }
      if (r.DeletedAt !== undefined && r.DeletedAt > req.from && r.DeletedAt <= req.to) {
        removal(r, r.DeletedAt, out);
        if (!isEdge(r)) ips.note(r, undefined, r.DeletedAt);
      }
    }
  }
  out = foldMoves(store, out, revs);
  out.push(...ips.moves());
  if (req.node !== undefined) {
    const scope = scopeOf(store, req.node, req.from, req.to);
    out = out.filter(
      (c) => scope.has(c.ID) || (c.Parent !== undefined && scope.has(c.Parent)) || (c.Child !== undefined && scope.has(c.Child)),
    );
  }
  return out.sort((x, y) => x.At - y.At || x.ID.localeCompare(y.ID));
}

/** A node and what it owns (its ports), then and now. */
function scopeOf(store: GraphStore, node: string, from: number, to: number): Set<string> {
  const scope = new Set([node]);
  for (const r of [store, store.at(from), store.at(to)]) {
    for (const e of r.edgesOf(node, 'out')) if (e.Metadata.RelationType === 'ownership') scope.add(e.Child);
  }
  return scope;
}
