// FDB evidence (docs/architecture.md#stitching): a host MAC learned on exactly one *edge* port across the fabric
// (no LLDP/CDP switch neighbour, not a LAG or uplink) places the host interface with that MAC on
// that port. Never creates nodes; a MAC no host interface carries is ignored.
import type { GraphReader } from '../store/graph-store.ts';
import type { Claim, MacRow } from './types.ts';
import { isCurrent, normMac } from './rows.ts';
import { ids } from '../ids.ts';

interface Loc {
  reporter: string;
  row: MacRow;
}

export const fdbInput = (mac: string) => `fdb\u001fmac:${mac}`;

export class FdbIndex {
  private readonly bySwitch = new Map<string, MacRow[]>();
  private readonly locations = new Map<string, Map<string, Loc>>();
  readonly portMacs = new Map<string, Set<string>>();

  /** Replaces one switch's table; returns the MACs whose placement may have changed. */
  replace(switchId: string, rows: MacRow[]): Set<string> {
    const dirty = new Set<string>();
    for (const r of this.bySwitch.get(switchId) ?? []) this.unplace(switchId, r, dirty);
    if (rows.length) this.bySwitch.set(switchId, rows);
    else this.bySwitch.delete(switchId);
    for (const r of rows) this.place(switchId, r, dirty);
    return dirty;
  }

  private place(switchId: string, r: MacRow, dirty: Set<string>): void {
    const mac = normMac(r.mac);
    if (!mac || r.ifIndex === null) return;
    const port = ids.port(switchId, r.ifIndex);
    let m = this.locations.get(mac);
    if (!m) this.locations.set(mac, (m = new Map()));
    const prev = m.get(port);
    // The same MAC in several VLANs on one port is one location; keep the freshest row.
    if (!prev || (r.missed ?? 0) < (prev.row.missed ?? 0)) m.set(port, { reporter: switchId, row: r });
    let pm = this.portMacs.get(port);
    if (!pm) this.portMacs.set(port, (pm = new Set()));
    pm.add(mac);
    dirty.add(mac);
  }

  private unplace(switchId: string, r: MacRow, dirty: Set<string>): void {
    const mac = normMac(r.mac);
    if (!mac || r.ifIndex === null) return;
    const port = ids.port(switchId, r.ifIndex);
    const m = this.locations.get(mac);
    if (m?.get(port)?.reporter === switchId) m.delete(port);
    if (m && m.size === 0) this.locations.delete(mac);
    const pm = this.portMacs.get(port);
    pm?.delete(mac);
    if (pm && pm.size === 0) this.portMacs.delete(port);
    dirty.add(mac);
  }

  /** The interface a MAC belongs to: exactly one non-switch node carries it, and no switch port. */
  static hostInterface(g: GraphReader, mac: string): string | null {
    let hit: string | null = null;
    for (const n of g.findNodes('MAC', mac)) {
      const t = n.Metadata.Type;
      if (t === 'port' || t === 'switch') return null;
      if (t === 'host') continue;
      if (hit) return null;
      hit = n.ID;
    }
    return hit;
  }

  /** The claim for one MAC, or null (not on exactly one edge port, or no host interface). */
  claim(g: GraphReader, mac: string, isEdge: (port: string) => boolean, limit: number, now: number): Claim | null {
    const m = this.locations.get(mac);
    if (!m) return null;
    const edge: [string, Loc][] = [];
    for (const [port, loc] of m) if (isEdge(port)) edge.push([port, loc]);
    // A MAC that moved is still listed (missed) where it was: the freshest location decides.
    const cur = edge.filter(([, l]) => isCurrent(l.row, limit, now));
    const least = Math.min(...cur.map(([, l]) => l.row.missed ?? 0));
    const freshest = cur.filter(([, l]) => (l.row.missed ?? 0) === least);
    const pick = freshest.length === 1 ? freshest[0]! : cur.length === 0 && edge.length === 1 ? edge[0]! : null;
    if (!pick) return null;
    const iface = FdbIndex.hostInterface(g, mac);
    if (!iface) return null;
    const [port, loc] = pick;
    const [a, b] = port < iface ? [port, iface] : [iface, port];
    const lastSeen = loc.row.lastSeen ?? now;
    return {
      input: fdbInput(mac),
      a,
      b,
      side: port,
      source: 'fdb',
      reporter: loc.reporter,
      firstSeen: loc.row.firstSeen ?? lastSeen,
      lastSeen,
      current: freshest.length === 1,
      fresh: freshest.length === 1 && least === 0,
      farIsSwitch: false,
    };
  }

  macsOf(port: string): Iterable<string> {
    return this.portMacs.get(port) ?? [];
  }
}
