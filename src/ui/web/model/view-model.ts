// From the raw graph to what the wall shows: devices on tiers, host groups under their TOR,
// containers under an expanded host, and links aggregated between whatever is displayed.
// Structure is rebuilt only when the graph's shape changes; state changes recompute just the
// elements they touch (docs/architecture.md#wall-display: a change is drawn without a full redraw of the world).
import { LAYOUT, TierLayout, assignSorted, containerY } from './layout.ts';
import type { GraphModel } from './graph-model.ts';
import { combine, endState, linkState, linkUtil, ownState } from './state.ts';
import { St, type Metadata } from './types.ts';
import { K8sView } from './k8s-view.ts';
import { placeHostDetails } from './host-detail.ts';

export type Role = 'spine' | 'leaf' | 'border' | 'switch';
export type VKind = 'spine' | 'leaf' | 'host' | 'group' | 'container' | 'netns' | 'iface' | 'other';
/** What an expanded host shows besides its containers: its network namespaces and its interfaces. */
const ROLES = new Set<string>(['spine', 'leaf', 'border', 'switch']);

export interface VNode {
  id: string;
  kind: VKind;
  label: string;
  x: number;
  y: number;
  state: St;
  /** Graph node shown (undefined for a host group). */
  gid: string | undefined;
  /** Host group: member host IDs; its TOR is `tor`. */
  members: string[] | undefined;
  tor: string | undefined;
  role: Role | undefined;
  dim: boolean;
}

/** A caption for a tier that has something on it; `x` set for a block's caption, drawn above its first node. */
export interface Tier {
  text: string;
  y: number;
  x?: number;
}

/** Wired links of the whole graph by state, whatever the display folds together. */
export interface LinkCounts {
  down: number;
  degraded: number;
  total: number;
}

export interface VLink {
  id: string;
  a: number;
  b: number;
  edges: string[];
  own: boolean;
  state: St;
  util: number;
}

export class ViewModel {
  nodes: VNode[] = [];
  links: VLink[] = [];
  readonly index = new Map<string, number>();
  readonly linkIndex = new Map<string, number>();
  /** Graph edge ID → link index. */
  private readonly edgeLink = new Map<string, number>();
  private readonly topOf = new Map<string, string>();
  private readonly containerOf = new Map<string, string>();
  readonly torOf = new Map<string, string>();
  readonly roleOf = new Map<string, Role>();
  readonly expandedTors = new Set<string>();
  readonly expandedHosts = new Set<string>();
  expandAll = false;
  highlight: Set<string> | null = null;
  readonly layout = new TierLayout();
  readonly k8s = new K8sView();
  /** Tiers that have something on them, top to bottom (captions). */
  tiers: Tier[] = [];
  /** State of every wire between two devices (graph edge ID → state), for the header counts. */
  private readonly wireState = new Map<string, St>();
  readonly counts: LinkCounts = { down: 0, degraded: 0, total: 0 };

  constructor(private readonly g: GraphModel) {}

  private md(id: string | undefined): Metadata | undefined {
    return id === undefined ? undefined : this.g.nodes.get(id)?.Metadata;
  }

  private name(id: string): string {
    const n = this.md(id)?.Name;
    return typeof n === 'string' ? n : id;
  }

  torExpanded(tor: string): boolean {
    return this.expandAll || this.expandedTors.has(tor);
  }

  /** The displayed element standing for a graph node (its device, group or container). */
  displayOf(gid: string): string | undefined {
    const k = this.k8s.displayOf(
      this.g,
      gid,
      (id) => this.index.has(id),
      (h) => this.displayOf(h),
    );
    if (k !== undefined) return k;
    const top = this.topOf.get(gid);
    if (top === undefined) return undefined;
    const tor = this.torOf.get(top);
    if (tor !== undefined && !this.torExpanded(tor)) return `group:${tor}`;
    const c = this.containerOf.get(gid);
    if (c !== undefined && this.expandedHosts.has(top)) return c;
    return top;
  }

  rebuild(): void {
    const g = this.g;
    this.topOf.clear();
    this.containerOf.clear();
    this.torOf.clear();
    this.roleOf.clear();
    this.k8s.rebuild(g);
    const tops: string[] = [];
    for (const id of g.nodes.keys()) {
      const { top, container } = g.climb(id);
      this.topOf.set(id, top);
      if (container !== undefined) this.containerOf.set(id, container);
      if (top === id) tops.push(id);
    }
    // Who is wired to whom, at device level: roles and TORs come from this.
    const nbrs = new Map<string, Set<string>>();
    for (const e of g.edges.values()) {
      if (e.Metadata.RelationType === 'ownership') continue;
      const a = this.topOf.get(e.Parent);
      const b = this.topOf.get(e.Child);
      if (a === undefined || b === undefined || a === b) continue;
      if (!g.wires.get(e.Parent)?.has(e.ID)) continue;
      (nbrs.get(a) ?? nbrs.set(a, new Set()).get(a)!).add(b);
      (nbrs.get(b) ?? nbrs.set(b, new Set()).get(b)!).add(a);
    }
    const type = (id: string) => this.md(id)?.Type;
    const switches = tops.filter((t) => type(t) === 'switch');
    for (const s of switches) {
      const r = this.md(s)?.Role;
      if (typeof r === 'string' && ROLES.has(r)) {
        this.roleOf.set(s, r as Role);
        continue;
      }
      const ns = [...(nbrs.get(s) ?? [])];
      const toHost = ns.some((n) => type(n) !== 'switch');
      this.roleOf.set(s, toHost ? 'leaf' : ns.length > 0 ? 'spine' : 'switch');
    }
    const spines = switches.filter((s) => this.roleOf.get(s) === 'spine');
    const leaves = switches.filter((s) => this.roleOf.get(s) !== 'spine');
    const byName = (k: string) => this.name(k);
    const L = this.layout;
    assignSorted(L.spines, spines, byName);
    assignSorted(L.leaves, leaves, (k) => `${this.roleOf.get(k) === 'border' ? '~' : ''}${this.name(k)}`);
    L.frameSpines(
      spines,
      leaves.map((l) => L.leafXY(l)[0]),
    );

    // Each host sits under one TOR: the first (by name) switch it is wired to, leaves first.
    const hostsByTor = new Map<string, string[]>();
    const loose: string[] = [];
    for (const t of tops) {
      if (type(t) === 'switch' || K8sView.hidden(this.md(t))) continue;
      const sw = [...(nbrs.get(t) ?? [])].filter((n) => type(n) === 'switch');
      sw.sort(
        (a, b) => Number(this.roleOf.get(a) === 'spine') - Number(this.roleOf.get(b) === 'spine') || (byName(a) < byName(b) ? -1 : 1),
      );
      const tor = type(t) === 'host' || type(t) === 'exporter' || sw.length > 0 ? sw[0] : undefined;
      if (tor === undefined) loose.push(t);
      else {
        this.torOf.set(t, tor);
        (hostsByTor.get(tor) ?? hostsByTor.set(tor, []).get(tor)!).push(t);
      }
    }

    const nodes: VNode[] = [];
    const add = (v: Omit<VNode, 'state' | 'dim'>) => nodes.push({ ...v, state: St.Unknown, dim: false });
    const base = { members: undefined, tor: undefined, role: undefined };
    const torX = new Map<string, number>();
    for (const s of spines) {
      const [x, y] = L.spineXY(s);
      add({ ...base, id: s, kind: 'spine', label: this.name(s), x, y, gid: s, role: 'spine' });
    }
    for (const s of leaves) {
      const [x, y] = L.leafXY(s);
      torX.set(s, x);
      add({ ...base, id: s, kind: 'leaf', label: this.name(s), x, y, gid: s, role: this.roleOf.get(s) });
    }
    const shownHosts: { host: string; tor: string | undefined; x: number }[] = [];
    let hostRows = 0;
    for (const [tor, hosts] of hostsByTor) {
      const tx = torX.get(tor) ?? L.spineXY(tor)[0];
      const slots = L.hostSlots(tor);
      assignSorted(slots, hosts, byName);
      if (!this.torExpanded(tor)) {
        const [x, y] = L.groupXY(tx);
        add({ id: `group:${tor}`, kind: 'group', label: `+${hosts.length}`, x, y, gid: undefined, members: hosts, tor, role: undefined });
        hostRows = Math.max(hostRows, 1);
        continue;
      }
      let maxSlot = 0;
      for (const h of hosts) {
        const slot = slots.slot(h);
        maxSlot = Math.max(maxSlot, slot);
        const [x, y] = L.hostXY(tx, slot);
        add({ ...base, id: h, kind: 'host', label: this.name(h), x, y, gid: h, tor });
        shownHosts.push({ host: h, tor, x: tx });
      }
      hostRows = Math.max(hostRows, TierLayout.hostRows(maxSlot + 1));
    }
    assignSorted(L.others, loose, byName);
    for (const t of loose) {
      const [x, y] = L.unattachedXY(t);
      add({ ...base, id: t, kind: type(t) === 'host' ? 'host' : 'other', label: this.name(t), x, y, gid: t });
      if (type(t) === 'host') shownHosts.push({ host: t, tor: undefined, x });
    }
    // Containers/pods of expanded hosts, on their own tier just below the deepest host row shown.
    const cY = containerY(hostRows);
    const ownLinks: [string, string][] = [];
    const dY = placeHostDetails({
      vm: this,
      hosts: shownHosts.filter((h) => this.expandedHosts.has(h.host)),
      layout: L,
      k8s: this.k8s,
      children: (id) => this.g.children.get(id) ?? [],
      containerOf: (id) => this.containerOf.get(id),
      type,
      name: (id) => this.name(id),
      y: cY,
      add,
      ownLinks,
      byName,
    });
    // Captions only for tiers with something on them: no empty rows.
    const has = (k: VKind) => nodes.some((n) => n.kind === k);
    this.tiers = [];
    if (spines.length) this.tiers.push({ text: 'SPINE', y: LAYOUT.SPINE_Y });
    if (leaves.length) this.tiers.push({ text: 'LEAF / TOR', y: LAYOUT.LEAF_Y });
    if (hostsByTor.size) this.tiers.push({ text: 'HOSTS', y: LAYOUT.HOST_Y });
    if (has('container')) this.tiers.push({ text: 'CONTAINERS', y: cY });
    if (has('iface') || has('netns')) this.tiers.push({ text: has('netns') ? 'INTERFACES / NAMESPACES' : 'INTERFACES', y: dY });
    if (loose.length) {
      const [x, y] = L.unattachedOrigin();
      this.tiers.push({ text: 'UNATTACHED', y, x });
    }
    this.nodes = nodes;
    this.index.clear();
    nodes.forEach((n, i) => this.index.set(n.id, i));

    // Links: every wire edge between two different displayed elements, aggregated per pair.
    const links: VLink[] = [];
    this.linkIndex.clear();
    this.edgeLink.clear();
    for (const e of g.edges.values()) {
      if (!g.wires.get(e.Parent)?.has(e.ID)) continue;
      const da = this.displayOf(e.Parent);
      const db = this.displayOf(e.Child);
      if (da === undefined || db === undefined || da === db) continue;
      const ia = this.index.get(da);
      const ib = this.index.get(db);
      if (ia === undefined || ib === undefined) continue;
      const key = da < db ? `${da}|${db}` : `${db}|${da}`;
      let li = this.linkIndex.get(key);
      if (li === undefined) {
        li = links.length;
        this.linkIndex.set(key, li);
        links.push({ id: key, a: ia, b: ib, edges: [], own: false, state: St.Unknown, util: 0 });
      }
      links[li]!.edges.push(e.ID);
      this.edgeLink.set(e.ID, li);
    }
    for (const [h, c] of ownLinks) {
      const ia = this.index.get(h);
      const ib = this.index.get(c);
      if (ia === undefined || ib === undefined) continue;
      links.push({ id: `own:${c}`, a: ia, b: ib, edges: [], own: true, state: St.Up, util: 0 });
    }
    this.links = links;
    for (let i = 0; i < nodes.length; i++) this.refreshNodeAt(i);
    for (let i = 0; i < links.length; i++) this.refreshLinkAt(i);
    this.applyHighlight();
    // The header counts every wire between two devices, collapsed into a group or not.
    this.wireState.clear();
    this.counts.down = this.counts.degraded = this.counts.total = 0;
    for (const e of g.edges.values()) {
      if (!g.wires.get(e.Parent)?.has(e.ID)) continue;
      const a = this.topOf.get(e.Parent);
      const b = this.topOf.get(e.Child);
      if (a === undefined || b === undefined || a === b) continue;
      this.wireState.set(e.ID, St.Unknown);
      this.counts.total++;
      this.refreshWire(e.ID);
    }
  }

  private refreshWire(eid: string): void {
    const old = this.wireState.get(eid);
    const e = this.g.edges.get(eid);
    if (old === undefined || !e) return;
    const s = linkState(e.Metadata, this.md(e.Parent), this.md(e.Child));
    if (s === old) return;
    if (old === St.Down) this.counts.down--;
    else if (old === St.Degraded) this.counts.degraded--;
    if (s === St.Down) this.counts.down++;
    else if (s === St.Degraded) this.counts.degraded++;
    this.wireState.set(eid, s);
  }

  /** A device's state: DOWN when it says so; degraded by its own load/errors or a bad wired port. */
  deviceState(id: string): St {
    const md = this.md(id);
    if (ownState(md) === St.Down) return St.Down;
    let s = endState(md);
    if (s === St.Unknown) s = St.Up;
    for (const c of this.g.children.get(id) ?? []) {
      if (!this.g.wires.get(c)?.size) continue;
      const cs = endState(this.md(c));
      if (cs === St.Down || cs === St.Degraded) return St.Degraded;
    }
    return s;
  }

  private refreshNodeAt(i: number): void {
    const v = this.nodes[i]!;
    if (v.members) v.state = combine(v.members.map((h) => this.deviceState(h)));
    else if (v.gid !== undefined) v.state = this.deviceState(v.gid);
  }

  private refreshLinkAt(i: number): void {
    const l = this.links[i]!;
    if (l.own) return;
    const states: St[] = [];
    let util = 0;
    for (const eid of l.edges) {
      const e = this.g.edges.get(eid);
      if (!e) continue;
      const a = this.md(e.Parent);
      const b = this.md(e.Child);
      states.push(linkState(e.Metadata, a, b));
      util = Math.max(util, linkUtil(a, b));
    }
    l.state = combine(states);
    l.util = util;
  }

  /** Recomputes only what the touched graph nodes feed: their device/group and their links. */
  refresh(touched: Iterable<string>): void {
    for (const id of touched) {
      const d = this.displayOf(id);
      const i = d === undefined ? undefined : this.index.get(d);
      if (i !== undefined) this.refreshNodeAt(i);
      // A host's interface or namespace shown on its own (expanded host) has its own state too.
      const own = this.index.get(id);
      if (own !== undefined && own !== i) this.refreshNodeAt(own);
      const top = this.topOf.get(id);
      if (top !== undefined && top !== d) {
        const j = this.index.get(top);
        if (j !== undefined) this.refreshNodeAt(j);
      }
      for (const eid of this.g.wires.get(id) ?? []) {
        const li = this.edgeLink.get(eid);
        if (li !== undefined) this.refreshLinkAt(li);
        this.refreshWire(eid);
      }
    }
  }

  /** Dims everything but the displayed elements of the given graph node IDs (null: no filter). */
  setHighlight(gids: Iterable<string> | null): number {
    if (gids === null) this.highlight = null;
    else {
      this.highlight = new Set();
      for (const g of gids) {
        const d = this.displayOf(g);
        if (d !== undefined) this.highlight.add(d);
      }
    }
    this.applyHighlight();
    return this.highlight?.size ?? 0;
  }

  private applyHighlight(): void {
    const h = this.highlight;
    for (const n of this.nodes) n.dim = h !== null && !h.has(n.id);
  }

  /** Expands whatever hides a graph node (its host group, its host's containers); true if it changed. */
  reveal(gid: string): boolean {
    const top = this.topOf.get(gid);
    if (top === undefined) return false;
    const k8s = this.k8s.reveal(this.g, this, gid);
    if (k8s !== undefined) return k8s;
    let changed = false;
    const tor = this.torOf.get(top);
    if (tor !== undefined && !this.torExpanded(tor)) {
      this.expandedTors.add(tor);
      changed = true;
    }
    const c = this.containerOf.get(gid);
    if (c !== undefined && !this.expandedHosts.has(top)) {
      this.expandedHosts.add(top);
      changed = true;
    }
    return changed;
  }
}
