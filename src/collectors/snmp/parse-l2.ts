// BRIDGE-MIB / Q-BRIDGE-MIB forwarding tables, CISCO-CDP-MIB cache, ENTITY-MIB chassis row.
import { O } from './oids.ts';
import type { WalkResult } from './client.ts';
import { Problems, bufOf, indexOf, intOf, ipFromBytes, isPrintable, text } from './values.ts';
import type { CdpEntry, FdbEntry } from '../../topology/store/snmp-rows.ts';

/** Moved to the storage module, which keeps these rows. */
export type { CdpEntry, FdbEntry };

// MacAddress is a fixed-length index, but some agents (and walks) prefix it with its length 6.
function macFromArcs(arcs: number[]): string | null {
  const a = arcs.length === 7 && arcs[0] === 6 ? arcs.slice(1) : arcs;
  if (a.length !== 6 || !a.every((x) => x >= 0 && x < 256)) return null;
  return a.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

export function parseBasePorts(w: WalkResult | undefined, p: Problems): Map<number, number> {
  const out = new Map<number, number>();
  for (const vb of w?.varbinds ?? []) {
    const port = Number(indexOf(vb.oid, O.dot1dBasePortIfIndex));
    const ifIndex = intOf(vb, p);
    if (Number.isInteger(port) && ifIndex !== null) out.set(port, ifIndex);
  }
  return out;
}

/** dot1qVlanFdbId: index timeMark.vlan → FDB ID. Returns FDB ID → VLAN (first VLAN per FID). */
export function parseFdbIds(w: WalkResult | undefined, p: Problems): Map<number, number> {
  const out = new Map<number, number>();
  for (const vb of w?.varbinds ?? []) {
    const arcs = indexOf(vb.oid, O.dot1qVlanFdbId).split('.').map(Number);
    const fid = intOf(vb, p);
    const vlan = arcs[arcs.length - 1];
    if (fid !== null && vlan !== undefined && !out.has(fid)) out.set(fid, vlan);
  }
  return out;
}

export function parseFdb(q: WalkResult | undefined, d: WalkResult | undefined, fids: Map<number, number>, p: Problems): FdbEntry[] {
  const out: FdbEntry[] = [];
  for (const vb of q?.varbinds ?? []) {
    const arcs = indexOf(vb.oid, O.dot1qTpFdbPort).split('.').map(Number);
    const m = macFromArcs(arcs.slice(1));
    const port = intOf(vb, p);
    if (!m || port === null || arcs[0] === undefined) continue;
    out.push({ vlan: fids.get(arcs[0]) ?? arcs[0], mac: m, bridgePort: port, mib: 'qbridge' });
  }
  for (const vb of d?.varbinds ?? []) {
    const m = macFromArcs(indexOf(vb.oid, O.dot1dTpFdbPort).split('.').map(Number));
    const port = intOf(vb, p);
    if (!m || port === null) continue;
    out.push({ vlan: null, mac: m, bridgePort: port, mib: 'bridge' });
  }
  return out;
}

/** cdpCacheEntry walked as one subtree: columns 3 addressType, 4 address, 6 deviceId, 7 port, 8 platform, 9 caps. */
export function parseCdp(w: WalkResult | undefined, p: Problems): CdpEntry[] {
  const rows = new Map<string, CdpEntry>();
  for (const vb of w?.varbinds ?? []) {
    const arcs = indexOf(vb.oid, O.cdpCacheEntry).split('.');
    if (arcs.length < 3) continue;
    const col = Number(arcs[0]);
    const key = `${arcs[1]}.${arcs[2]}`;
    let r = rows.get(key);
    if (!r)
      rows.set(
        key,
        (r = {
          ifIndex: Number(arcs[1]),
          deviceIndex: Number(arcs[2]),
          deviceId: null,
          devicePort: null,
          platform: null,
          address: null,
          capabilities: null,
        }),
      );
    if (col === 4) {
      const b = bufOf(vb, p);
      r.address = b ? ipFromBytes(b) : null;
    } else if (col === 6 || col === 7 || col === 8) {
      const b = bufOf(vb, p);
      const s = b ? (isPrintable(b) ? text(b) : b.toString('hex')) : null;
      if (col === 6) r.deviceId = s;
      else if (col === 7) r.devicePort = s;
      else r.platform = s;
    } else if (col === 9) {
      const b = bufOf(vb, p);
      r.capabilities = b && b.length === 4 ? b.readUInt32BE(0) : null;
    }
  }
  return [...rows.values()].filter((r) => r.deviceId !== null || r.devicePort !== null);
}

/** Index of the first entPhysicalClass = chassis(3) row, or null. */
export function chassisEntity(w: WalkResult | undefined, p: Problems): number | null {
  for (const vb of w?.varbinds ?? []) if (intOf(vb, p) === 3) return Number(indexOf(vb.oid, O.entPhysicalClass));
  return null;
}
