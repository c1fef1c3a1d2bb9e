// LLDP local port → ifIndex (docs/architecture.md#stitching): lldpRemLocalPortNum is an LLDP port number, not
// necessarily an ifIndex (Dell OS10 numbers ports 516, 520 …; MikroTik has none). Resolve via
// lldpLocPortTable (its PortId/PortDesc matched to ifName/ifDescr/ifAlias/MAC by subtype), else
// dot1dBasePortIfIndex (port number as a bridge port), else the number itself when it is an ifIndex.
import type { IfInventory } from './parse-if.ts';
import type { LldpLocPort } from './parse-lldp.ts';
import { macFromText } from '../../lldp/id.ts';
import { matchPortName } from '../../topology/port-names.ts';
import type { ResolvedVia } from '../../topology/store/snmp-rows.ts';

/** Moved to the storage module, which keeps these rows. */
export type { ResolvedVia };

export interface PortResolution {
  ifIndex: number | null;
  via: ResolvedVia | null;
}

type Key = 'name' | 'descr' | 'alias' | 'mac';

function unique(ifs: Iterable<IfInventory>, key: Key, value: string): number | null {
  let found: number | null = null;
  for (const i of ifs) {
    const v = key === 'mac' ? i.mac : i[key];
    if (v !== null && v === value) {
      if (found !== null) return null;
      found = i.ifIndex;
    }
  }
  return found;
}

function firstUnique(ifs: Map<number, IfInventory>, keys: Key[], value: string | null): number | null {
  if (!value) return null;
  for (const k of keys) {
    const v = k === 'mac' ? macFromText(value) : value;
    if (v === null) continue;
    const hit = unique(ifs.values(), k, v);
    if (hit !== null) return hit;
  }
  if (keys.includes('mac')) return null;
  // Another vendor spelling of the same name (Gi1/0/1 for GigabitEthernet1/0/1, xe-0/0/1.0 …).
  return matchPortName(
    [...ifs.values()].map((i) => ({ port: i.ifIndex, names: [i.name, i.descr, i.alias] })),
    value,
  );
}

/** Keys to try for a lldpLocPortIdSubtype (1 ifAlias, 3 MAC, 5 ifName, 7 local; others: any name). */
function keysFor(subtype: number | null): Key[] {
  switch (subtype) {
    case 1:
      return ['alias', 'name', 'descr'];
    case 3:
      return ['mac'];
    case 5:
      return ['name', 'descr', 'alias'];
    default:
      return ['name', 'descr', 'alias'];
  }
}

export function resolveLocalPort(
  portNum: number | null,
  loc: Map<number, LldpLocPort>,
  ifs: Map<number, IfInventory>,
  basePorts: Map<number, number>,
): PortResolution {
  if (portNum === null) return { ifIndex: null, via: null };
  const lp = loc.get(portNum);
  if (lp) {
    if (lp.idSubtype === 7 && lp.id && /^\d+$/.test(lp.id) && ifs.has(Number(lp.id)))
      return { ifIndex: Number(lp.id), via: 'lldpLocPortId' };
    const byId = firstUnique(ifs, keysFor(lp.idSubtype), lp.id);
    if (byId !== null) return { ifIndex: byId, via: 'lldpLocPortId' };
    const byDesc = firstUnique(ifs, ['descr', 'name', 'alias'], lp.desc);
    if (byDesc !== null) return { ifIndex: byDesc, via: 'lldpLocPortDesc' };
  }
  const bp = basePorts.get(portNum);
  if (bp !== undefined && ifs.has(bp)) return { ifIndex: bp, via: 'dot1dBasePort' };
  if (ifs.has(portNum)) return { ifIndex: portNum, via: 'ifIndex' };
  return { ifIndex: null, via: null };
}

/** What each local port advertises in LLDP (lldpLocPortTable), keyed to its ifIndex: neighbours name it so. */
export interface PortAdvert {
  ifIndex: number;
  subtype: number | null;
  id: string | null;
  desc: string | null;
}

export function portAdverts(
  loc: Map<number, LldpLocPort>,
  ifs: Map<number, IfInventory>,
  basePorts: Map<number, number>,
  v2: boolean,
): PortAdvert[] {
  const out: PortAdvert[] = [];
  for (const lp of loc.values()) {
    if (!lp.id) continue;
    // LLDP-V2's local port number is an ifIndex by definition.
    const ifIndex = v2 && ifs.has(lp.portNum) ? lp.portNum : resolveLocalPort(lp.portNum, loc, ifs, basePorts).ifIndex;
    if (ifIndex !== null) out.push({ ifIndex, subtype: lp.idSubtype, id: lp.id, desc: lp.desc });
  }
  return out;
}
