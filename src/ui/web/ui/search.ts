// Search by name, MAC or IP over every graph node (ports and NICs included), answering with the
// node itself; the caller reveals and flies to whatever displays it.
import type { GraphModel } from '../model/graph-model.ts';

export interface Hit {
  gid: string;
  label: string;
  detail: string;
}

const hexOnly = (s: string) => s.toLowerCase().replace(/[^0-9a-f]/g, '');
const MAC_LIKE = /^([0-9a-f]{2}[:.-]?){3,}/i;

export class SearchIndex {
  private keys: { gid: string; text: string; mac: string }[] = [];
  private stale = true;

  constructor(private readonly g: GraphModel) {}

  invalidate(): void {
    this.stale = true;
  }

  private build(): void {
    this.keys = [];
    for (const n of this.g.nodes.values()) {
      const m = n.Metadata;
      const parts = [m.Name, m.MgmtAddress, (m.LLDP as Record<string, unknown> | undefined)?.SysName];
      for (const k of ['IPV4', 'IPV6'] as const) {
        const v = m[k];
        if (Array.isArray(v)) for (const ip of v) parts.push(String(ip).split('/')[0]);
      }
      const mac = typeof m.MAC === 'string' ? m.MAC : '';
      this.keys.push({ gid: n.ID, text: parts.filter((p) => typeof p === 'string' && p).join(' ').toLowerCase() + ' ' + mac.toLowerCase(), mac: hexOnly(mac) });
    }
    this.stale = false;
  }

  find(q: string, limit = 20): Hit[] {
    const query = q.trim().toLowerCase();
    if (query.length < 2) return [];
    if (this.stale) this.build();
    const macQ = MAC_LIKE.test(query) ? hexOnly(query) : '';
    const out: Hit[] = [];
    for (const k of this.keys) {
      if (!(k.text.includes(query) || (macQ.length >= 4 && k.mac.includes(macQ)))) continue;
      const n = this.g.nodes.get(k.gid);
      if (!n) continue;
      const owner = this.g.owner.get(k.gid);
      const ownerName = owner ? this.g.nodes.get(owner)?.Metadata.Name : undefined;
      const m = n.Metadata;
      const name = String(m.Name ?? k.gid);
      out.push({
        gid: k.gid,
        label: ownerName ? `${String(ownerName)} · ${name}` : name,
        detail: [m.Type, m.MAC, Array.isArray(m.IPV4) ? m.IPV4[0] : undefined].filter(Boolean).join('  '),
      });
      if (out.length >= limit) break;
    }
    // Exact name matches first: typing a host's full name should pick that host.
    out.sort((a, b) => Number(b.label.toLowerCase() === query) - Number(a.label.toLowerCase() === query));
    return out;
  }
}
