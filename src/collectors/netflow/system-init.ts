// IPFIX options data (IE 160 systemInitTimeMs): when each exporter's observation domain booted, so
// data records' relative times (sysUpTime-based IEs) become absolute. Keyed by exporter, then domain
// (no key text built per message), and bounded against address spoofing.
const MAX_ENTRIES = 65_536;

export class SystemInitTimes {
  private readonly byExporter = new Map<string, Map<number, number>>();
  private entries = 0;

  /** Absolute ms of the domain's boot, or -1 when no options data said. */
  get(exporter: string, domain: number): number {
    return this.byExporter.get(exporter)?.get(domain) ?? -1;
  }

  set(exporter: string, domain: number, ms: number): void {
    let m = this.byExporter.get(exporter);
    if (!m?.has(domain)) {
      if (this.entries >= MAX_ENTRIES) return;
      if (!m) this.byExporter.set(exporter, (m = new Map()));
      this.entries++;
    }
    m.set(domain, ms);
  }
}
