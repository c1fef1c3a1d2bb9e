// Data sets that arrived before their template (common after an exporter or collector restart):
// held per (exporter, domain) in a small bounded FIFO and replayed when the template shows up.

export interface PendingSet {
  templateId: number;
  /** Copy of the set body (records only); the datagram buffer may be reused by the socket. */
  data: Buffer;
  sequence: number;
  exportMs: number;
  uptimeBase: number;
  /** v5-style header rate does not exist for v9/IPFIX; kept for symmetry of the replay context. */
  version: 9 | 10;
}

export class PendingSets {
  private byKey = new Map<string, PendingSet[]>();
  /** Sets dropped unreplayed (buffer full or too many exporters). */
  evicted = 0;
  held = 0;

  constructor(
    private readonly perKey = 32,
    private readonly maxKeys = 4096,
    private readonly maxSetBytes = 65_535,
  ) {}

  hold(exporter: string, domain: number, set: PendingSet): void {
    if (set.data.length > this.maxSetBytes) {
      this.evicted++;
      return;
    }
    const key = `${exporter}|${domain}`;
    let q = this.byKey.get(key);
    if (!q) {
      if (this.byKey.size >= this.maxKeys) {
        const oldest = this.byKey.keys().next().value;
        if (oldest !== undefined) {
          this.evicted += this.byKey.get(oldest)?.length ?? 0;
          this.byKey.delete(oldest);
        }
      }
      q = [];
      this.byKey.set(key, q);
    }
    if (q.length >= this.perKey) {
      q.shift();
      this.evicted++;
    }
    q.push(set);
    this.held++;
  }

  /** Removes and returns the sets waiting for this template. */
  take(exporter: string, domain: number, templateId: number): PendingSet[] {
    const key = `${exporter}|${domain}`;
    const q = this.byKey.get(key);
    if (!q) return [];
    const out = q.filter((s) => s.templateId === templateId);
    if (out.length === 0) return out;
    const rest = q.filter((s) => s.templateId !== templateId);
    if (rest.length === 0) this.byKey.delete(key);
    else this.byKey.set(key, rest);
    return out;
  }

  get size(): number {
    let n = 0;
    for (const q of this.byKey.values()) n += q.length;
    return n;
  }

  /** Sets still waiting for their template, counted by template ID (what `canopy decode` reports). */
  waitingByTemplate(): Map<number, number> {
    const out = new Map<number, number>();
    for (const q of this.byKey.values()) for (const p of q) out.set(p.templateId, (out.get(p.templateId) ?? 0) + 1);
    return out;
  }
}
