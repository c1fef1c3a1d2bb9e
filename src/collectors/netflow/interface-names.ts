// Interface names learned from options data (IF_NAME IE 82, IF_DESC IE 83), per exporter, for the
// collector to put on the exporter's port nodes.

export interface InterfaceName {
  name?: string;
  description?: string;
}

const MAX_EXPORTERS = 16_384;
const MAX_PER_EXPORTER = 65_536;

export class InterfaceNames {
  private byExporter = new Map<string, Map<number, InterfaceName>>();
  /** Called when a name or description changes (lead: update the port node). */
  onChange?: (exporter: string, ifIndex: number, value: InterfaceName) => void;

  set(exporter: string, ifIndex: number, name?: string, description?: string): void {
    let m = this.byExporter.get(exporter);
    if (!m) {
      if (this.byExporter.size >= MAX_EXPORTERS) return;
      m = new Map();
      this.byExporter.set(exporter, m);
    }
    const cur = m.get(ifIndex);
    const next: InterfaceName = { ...cur };
    if (name !== undefined && name !== '') next.name = name;
    if (description !== undefined && description !== '') next.description = description;
    if (cur && cur.name === next.name && cur.description === next.description) return;
    if (!cur && m.size >= MAX_PER_EXPORTER) return;
    m.set(ifIndex, next);
    this.onChange?.(exporter, ifIndex, next);
  }

  get(exporter: string, ifIndex: number): InterfaceName | undefined {
    return this.byExporter.get(exporter)?.get(ifIndex);
  }

  /** ifIndex → names for one exporter (read-only view). */
  forExporter(exporter: string): ReadonlyMap<number, InterfaceName> {
    return this.byExporter.get(exporter) ?? new Map();
  }

  exporters(): string[] {
    return [...this.byExporter.keys()];
  }
}
