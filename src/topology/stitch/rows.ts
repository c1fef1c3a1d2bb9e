// Input normalisation: CDP rows, decoded LLDP frames and publisher `Metadata.LLDP` all become
// NeighbourRows; rows absent from a replacement are carried as missed so that one lost poll or
// frame never takes a link down.
import type { LldpRecord } from '../../lldp/types.ts';
import type { CdpRow, MacRow, NeighbourRow, Seen } from './types.ts';

/** "B8:69:F4:7F:41:70", "b869.f47f.4170", "B869F47F4170" → "b8:69:f4:7f:41:70"; else null. */
export function normMac(s: string | null | undefined): string | null {
  if (!s) return null;
  const hex = s.replace(/[:.\- ]/g, '');
  return /^[0-9a-fA-F]{12}$/.test(hex) ? hex.toLowerCase().replace(/(..)(?!$)/g, '$1:') : null;
}

export const shortName = (n: string): string => n.split('.')[0]!;

const CHASSIS_TYPES: Record<number, string> = {
  1: 'chassisComponent',
  2: 'interfaceAlias',
  3: 'portComponent',
  4: 'macAddress',
  5: 'networkAddress',
  6: 'interfaceName',
  7: 'local',
};
const PORT_TYPES: Record<number, string> = {
  1: 'interfaceAlias',
  2: 'portComponent',
  3: 'macAddress',
  4: 'networkAddress',
  5: 'interfaceName',
  6: 'agentCircuitId',
  7: 'local',
};
export const chassisTypeName = (n: number | null) => (n === null ? undefined : (CHASSIS_TYPES[n] ?? String(n)));
export const portTypeName = (n: number | null) => (n === null ? undefined : (PORT_TYPES[n] ?? String(n)));
/** "interfaceName" (or "5") → 5; null when unknown. */
export const portSubtypeOf = (name: string): number | null => subtypeOf(name, PORT_TYPES);

function subtypeOf(v: unknown, names: Record<number, string>): number | null {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return null;
  if (/^\d+$/.test(v)) return Number(v);
  const l = v.toLowerCase().replace(/[^a-z]/g, '');
  // Skydive / lldpctl spell them "mac", "ifname", "local", "ip" …
  const aliases: Record<string, string> = {
    mac: 'macaddress',
    ifname: 'interfacename',
    ifalias: 'interfacealias',
    ip: 'networkaddress',
    addr: 'networkaddress',
  };
  const want = aliases[l] ?? l;
  for (const [k, n] of Object.entries(names)) if (n.toLowerCase() === want) return Number(k);
  return null;
}

/** CDP capability bits → LLDP-style names (router 0x01, bridge 0x02/0x04/0x08, host 0x10). */
function cdpCaps(mask: number | null): string[] {
  if (mask === null) return [];
  const out: string[] = [];
  if (mask & 0x01) out.push('router');
  if (mask & 0x0e) out.push('bridge');
  if (mask & 0x10) out.push('stationOnly');
  return out;
}

/** A CDP cache row as a neighbour: device ID is a name (often FQDN or serial), port an ifName. */
export function cdpToNeighbour(r: CdpRow): NeighbourRow {
  return {
    localIfIndex: r.ifIndex,
    chassisIdSubtype: null,
    chassisId: null,
    portIdSubtype: 5,
    portId: r.remotePort,
    sysName: r.remoteDeviceId,
    capEnabled: cdpCaps(r.capabilities),
    managementAddresses: r.address ? [r.address] : [],
    ...seenOf(r),
  };
}

function seenOf(r: Seen): Seen {
  const s: Seen = {};
  if (r.firstSeen !== undefined) s.firstSeen = r.firstSeen;
  if (r.lastSeen !== undefined) s.lastSeen = r.lastSeen;
  if (r.missed !== undefined) s.missed = r.missed;
  if (r.ttl !== undefined) s.ttl = r.ttl;
  return s;
}

/** A decoded LLDP frame received on a host interface (host-side LLDP). */
export function frameToNeighbour(localPortId: string, rec: LldpRecord, now: number): NeighbourRow {
  const la = rec.linkAggregation;
  return {
    localPortId,
    chassisIdSubtype: rec.chassisIdSubtype,
    chassisId: rec.chassisId,
    portIdSubtype: rec.portIdSubtype,
    portId: rec.portId,
    portDesc: rec.portDescr ?? null,
    sysName: rec.sysName ?? null,
    capSupported: rec.capabilities ?? [],
    capEnabled: rec.enabledCapabilities ?? [],
    managementAddresses: rec.mgmtAddresses.filter((m) => m.family === 1 || m.family === 2).map((m) => m.address),
    linkAggregation: la && la.enabled ? { enabled: true, portId: la.portId } : null,
    lastSeen: now,
    missed: 0,
    ttl: rec.ttl,
  };
}

/** A host interface's `Metadata.LLDP` (publisher / Skydive agent): the neighbour that interface sees. */
export function metadataToNeighbour(localPortId: string, lldp: Record<string, unknown>, now: number): NeighbourRow | null {
  const s = (k: string) => (typeof lldp[k] === 'string' ? lldp[k] : null);
  const chassisId = s('ChassisID');
  const portId = s('PortID');
  const sysName = s('SysName');
  if (!chassisId && !sysName && !portId) return null;
  const la = lldp.LinkAggregation as Record<string, unknown> | undefined;
  const row: NeighbourRow = {
    localPortId,
    chassisIdSubtype: subtypeOf(lldp.ChassisIDType, CHASSIS_TYPES),
    chassisId,
    portIdSubtype: subtypeOf(lldp.PortIDType, PORT_TYPES),
    portId,
    portDesc: s('PortDescr') ?? s('Description'),
    sysName,
    managementAddresses: Array.isArray(lldp.MgmtAddress)
      ? (lldp.MgmtAddress as unknown[]).filter((x): x is string => typeof x === 'string')
      : s('MgmtAddress')
        ? [s('MgmtAddress')!]
        : [],
    lastSeen: now,
    missed: 0,
  };
  if (la && la.Enabled === true && typeof la.PortID === 'number') row.linkAggregation = { enabled: true, portId: la.PortID };
  return row;
}

/** Identity of a neighbour row within one reporter (local port + what the far end says it is). */
export function neighbourKey(r: NeighbourRow): string {
  return [
    r.localPortId ?? '',
    r.localIfIndex ?? '',
    r.chassisIdSubtype ?? '',
    r.chassisId ?? '',
    r.portIdSubtype ?? '',
    r.portId ?? '',
    r.sysName ?? '',
  ].join('|');
}

export function macKey(r: MacRow): string {
  return `${normMac(r.mac) ?? r.mac}|${r.ifIndex ?? ''}|${r.vlan ?? ''}`;
}

/**
 * The new set, plus rows of the old set that are absent now, carried with missed + 1 while that
 * stays below `limit` (a source that drops rows at once still gets N polls before DOWN).
 */
export function carryMissed<R extends Seen>(prev: R[] | undefined, next: R[], key: (r: R) => string, limit: number, now: number): R[] {
  const out: R[] = next.map((r) => ({ ...r, lastSeen: r.lastSeen ?? now, missed: r.missed ?? 0 }));
  if (!prev) return out;
  const seen = new Set(out.map(key));
  const firstSeen = new Map(prev.map((r) => [key(r), r.firstSeen ?? r.lastSeen ?? now] as const));
  for (const r of out) if (r.firstSeen === undefined) r.firstSeen = firstSeen.get(key(r)) ?? r.lastSeen;
  for (const r of prev) {
    if (seen.has(key(r))) continue;
    const missed = (r.missed ?? 0) + 1;
    if (missed < limit) out.push({ ...r, missed });
  }
  return out;
}

/** Counts toward UP: seen in a recent poll and (when it carries one) within its TTL. */
export function isCurrent(r: Seen, limit: number, now: number): boolean {
  if ((r.missed ?? 0) >= limit) return false;
  if (r.ttl === 0) return false;
  if (typeof r.ttl === 'number' && r.lastSeen !== undefined && r.lastSeen + r.ttl * 1000 < now) return false;
  return true;
}
