// Search by name, MAC or IP over every graph node (ports and NICs included), answering with the
// node itself; the caller reveals and flies to whatever displays it.
//
// Ranked: exact matches of a name, address or MAC first, then prefix matches, then matches at
// the start of a word inside a name ("leaf" in "dc1-leaf-01"); plain substring matches come last
// and only a few, so "h1" finds host h1 and h10… before any "eth1" port. Within a rank, devices
// (switches, hosts, exporters) come before their ports and interfaces.
import type { GraphModel } from '../model/graph-model.ts';

export interface Hit {
  gid: string;
  label: string;
  detail: string;
}

const hexOnly = (s: string) => s.toLowerCase().replace(/[^0-9a-f]/g, '');
const MAC_LIKE = /^([0-9a-f]{2}[:.-]?){3,}/i;
/** Substring-only matches shown at most (and only for queries of 3+ characters). */
const MAX_SUBSTRING = 5;

const enum Rank {
  Exact = 0,
  Prefix = 1,
  Word = 2,
  Substring = 3,
  None = 4,
}

interface Key {
  gid: string;
  /** Lower-cased names (Name, LLDP system name). */
  names: string[];
  /** Addresses (IPs without prefix length, management address). */
  addrs: string[];
  mac: string;
  /** A device rather than something it owns. */
  device: boolean;
  sortName: string;
}

function wordStart(text: string, q: string): boolean {
  for (let i = text.indexOf(q, 1); i > 0; i = text.indexOf(q, i + 1)) {
    if (!/[0-9a-z]/.test(text[i - 1]!)) return true;
  }
  return false;
}

function rank(k: Key, q: string, macQ: string): Rank {
  let best = Rank.None;
  const take = (r: Rank) => {
    if (r < best) best = r;
  };
  for (const t of [...k.names, ...k.addrs]) {
    if (t === q) return Rank.Exact;
    if (t.startsWith(q)) take(Rank.Prefix);
    else if (wordStart(t, q)) take(Rank.Word);
    else if (t.includes(q)) take(Rank.Substring);
  }
  if (k.mac && macQ.length >= 4) {
    if (k.mac === macQ) return Rank.Exact;
    if (k.mac.startsWith(macQ)) take(Rank.Prefix);
    else if (k.mac.includes(macQ)) take(Rank.Substring);
  }
  return best;
}

export class SearchIndex {
  private keys: Key[] = [];
  private stale = true;

  constructor(private readonly g: GraphModel) {}

  invalidate(): void {
    this.stale = true;
  }

  private build(): void {
    this.keys = [];
    for (const n of this.g.nodes.values()) {
      const m = n.Metadata;
      const str = (v: unknown) => (typeof v === 'string' && v ? v.toLowerCase() : undefined);
      const names = [str(m.Name), str((m.LLDP as Record<string, unknown> | undefined)?.SysName)].filter(
        (x): x is string => x !== undefined,
      );
      const addrs: string[] = [];
      const mgmt = str(m.MgmtAddress);
      if (mgmt) addrs.push(mgmt);
      for (const k of ['IPV4', 'IPV6'] as const) {
        const v = m[k];
        if (Array.isArray(v)) for (const ip of v) addrs.push(String(ip).split('/')[0]!.toLowerCase());
      }
      const mac = typeof m.MAC === 'string' ? hexOnly(m.MAC) : '';
      const device = !this.g.owner.has(n.ID) || !this.g.nodes.has(this.g.owner.get(n.ID)!);
      this.keys.push({ gid: n.ID, names, addrs, mac, device, sortName: names[0] ?? n.ID });
    }
    this.stale = false;
  }

  find(q: string, limit = 20): Hit[] {
    const query = q.trim().toLowerCase();
    if (query.length < 2) return [];
    if (this.stale) this.build();
    const macQ = MAC_LIKE.test(query) ? hexOnly(query) : '';
    const found: { k: Key; r: Rank }[] = [];
    for (const k of this.keys) {
      const r = rank(k, query, macQ);
      if (r === Rank.None || (r === Rank.Substring && query.length < 3)) continue;
      found.push({ k, r });
    }
    found.sort(
      (a, b) =>
        a.r - b.r ||
        Number(b.k.device) - Number(a.k.device) ||
        a.k.sortName.length - b.k.sortName.length ||
        (a.k.sortName < b.k.sortName ? -1 : a.k.sortName > b.k.sortName ? 1 : 0),
    );
    const out: Hit[] = [];
    let substrings = 0;
    for (const { k, r } of found) {
      if (out.length >= limit) break;
      if (r === Rank.Substring && ++substrings > MAX_SUBSTRING) break;
      const n = this.g.nodes.get(k.gid);
      if (!n) continue;
      const owner = this.g.owner.get(k.gid);
      const ownerName = owner ? this.g.nodes.get(owner)?.Metadata.Name : undefined;
      const m = n.Metadata;
      const name = String(m.Name ?? k.gid);
      out.push({
        gid: k.gid,
        label: ownerName ? `${String(ownerName)} · ${name}` : name,
        detail: [
          m.Type,
          m.MAC,
          Array.isArray(m.IPV4) ? m.IPV4[0] : undefined,
          typeof m.MgmtAddress === 'string' ? m.MgmtAddress : undefined,
        ]
          .filter(Boolean)
          .join('  '),
      });
    }
    return out;
  }
}
