// Which source names a port (docs/architecture.md, "Port names"). Several sources know a port's
// name: SNMP's ifName/ifDescr, sFlow's OVS port-name record, NetFlow/IPFIX options data, and a
// placeholder ("ifIndex 7") for ports seen in flows or counters before anyone named them. The
// node's NameSource metadata says which one wrote its Name; a source names a port only when it
// ranks above that one: SNMP's name wins, flow sources name only placeholders (the first wins).

export type NameSource = 'snmp' | 'ovsdb' | 'sflow' | 'netflow' | 'placeholder';

// OVSDB names the ports of the switch it describes, as SNMP does.
const RANK: Record<NameSource, number> = { placeholder: 0, sflow: 1, netflow: 1, snmp: 2, ovsdb: 2 };

/** The placeholder name of a port known only by its ifIndex. */
export function placeholderName(ifIndex: number): string {
  return `ifIndex ${ifIndex}`;
}

/** The source of a port's Name, from its metadata. */
export function nameSourceOf(md: Record<string, unknown>): NameSource {
  const s = md.NameSource;
  if (typeof s === 'string' && s in RANK) return s as NameSource;
  // Graphs written before NameSource existed: a placeholder is recognisable by its form; any other
  // name was SNMP's or a flow source's, which a flow source never replaced.
  const name = md.Name;
  return typeof name !== 'string' || /^ifIndex \d+$/.test(name) ? 'placeholder' : 'snmp';
}

/** Whether `source` may write the Name of a port whose metadata is `md`. */
export function mayName(md: Record<string, unknown>, source: NameSource): boolean {
  return RANK[source] > RANK[nameSourceOf(md)];
}
