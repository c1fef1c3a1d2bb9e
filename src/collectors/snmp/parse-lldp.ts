// LLDP-MIB (and LLDP-V2-MIB) tables → local chassis, local ports and remote rows.
import { T, type Varbind } from './net-snmp.ts';
import { chassisIdText, portIdText } from '../../lldp/id.ts';
import { O } from './oids.ts';
import type { WalkResult } from './client.ts';
import { Problems, bufOf, byIndex, indexOf, intOf, ipFromBytes, text } from './values.ts';
import type { LldpRemote } from '../../topology/store/snmp-rows.ts';

export interface LldpLocPort {
  portNum: number;
  idSubtype: number | null;
  id: string | null;
  desc: string | null;
}

/** Moved to the storage module, which keeps these rows. */
export type { LldpRemote };

const CAPS = [
  'other',
  'repeater',
  'bridge',
  'wlanAccessPoint',
  'router',
  'telephone',
  'docsisCableDevice',
  'stationOnly',
  'cVLAN',
  'sVLAN',
  'twoPortMACRelay',
];

/** BITS: the first octet's MSB is bit 0. */
export function capabilities(b: Buffer | null): string[] {
  if (!b) return [];
  const out: string[] = [];
  for (let bit = 0; bit < Math.min(b.length * 8, CAPS.length); bit++) if (b[bit >> 3]! & (0x80 >> (bit & 7))) out.push(CAPS[bit]!);
  return out;
}

/** Chassis/port ID text: the same rendering as the LLDP frame decoder's (src/lldp/id.ts). */
export function renderChassisId(subtype: number | null, b: Buffer | null): string | null {
  return b ? chassisIdText(subtype, b) : null;
}

export function renderPortId(subtype: number | null, b: Buffer | null): string | null {
  return b ? portIdText(subtype, b) : null;
}

export function parseLocPorts(cols: Map<string, WalkResult>, p: Problems, v2 = false): Map<number, LldpLocPort> {
  const [cSub, cId, cDesc] = v2
    ? [O.lldpV2LocPortIdSubtype, O.lldpV2LocPortId, O.lldpV2LocPortDesc]
    : [O.lldpLocPortIdSubtype, O.lldpLocPortId, O.lldpLocPortDesc];
  const t = byIndex(cols);
  const out = new Map<number, LldpLocPort>();
  const keys = new Set<string>();
  for (const m of t.values()) for (const k of m.keys()) keys.add(k);
  for (const k of keys) {
    if (!/^\d+$/.test(k)) continue;
    const sub = intOf(t.get(cSub)?.get(k), p);
    const idb = bufOf(t.get(cId)?.get(k), p);
    const descb = bufOf(t.get(cDesc)?.get(k), p);
    out.set(Number(k), { portNum: Number(k), idSubtype: sub, id: renderPortId(sub, idb), desc: descb ? text(descb) : null });
  }
  return out;
}

/** Splits a remote-table index; v1 is timeMark.localPortNum.remIndex, some agents drop arcs. */
export function splitRemIndex(idx: string, v2: boolean): { timeMark: number | null; localPortNum: number | null; remIndex: number | null } {
  const a = idx.split('.').map(Number);
  if (v2 && a.length >= 10) return { timeMark: a[0]!, localPortNum: a[1]!, remIndex: a[a.length - 1]! };
  if (a.length >= 3) return { timeMark: a[0]!, localPortNum: a[1]!, remIndex: a[2]! };
  if (a.length === 2) return { timeMark: null, localPortNum: a[0]!, remIndex: a[1]! };
  if (a.length === 1 && Number.isFinite(a[0])) return { timeMark: null, localPortNum: null, remIndex: a[0]! };
  return { timeMark: null, localPortNum: null, remIndex: null };
}

/** v1 column numbers; v2 adds one (its index has an extra destination-MAC part, columns shift by one). */
const REM_COL = {
  chassisIdSubtype: 4,
  chassisId: 5,
  portIdSubtype: 6,
  portId: 7,
  portDesc: 8,
  sysName: 9,
  sysDesc: 10,
  capSupported: 11,
  capEnabled: 12,
};

/**
 * The remote table walked as one subtree (lldpRemEntry), so rows are grouped per index. The
 * row key is what follows the column number.
 */
export function parseRemotes(entry: WalkResult, manAddr: WalkResult | null, p: Problems, v2 = false): LldpRemote[] {
  const root = v2 ? O.lldpV2RemEntry : O.lldpRemEntry;
  const shift = v2 ? 1 : 0;
  const rows = new Map<string, Map<number, Varbind>>();
  for (const vb of entry.varbinds) {
    const rest = indexOf(vb.oid, root);
    const dot = rest.indexOf('.');
    if (dot < 0) continue;
    const col = Number(rest.slice(0, dot)) - shift;
    const idx = rest.slice(dot + 1);
    let r = rows.get(idx);
    if (!r) rows.set(idx, (r = new Map()));
    r.set(col, vb);
  }
  const addrs = parseManAddrs(manAddr, v2);
  const out: LldpRemote[] = [];
  for (const [idx, r] of rows) {
    // A row must carry at least one identifying column to count as a neighbour.
    if (!r.has(REM_COL.chassisId) && !r.has(REM_COL.sysName) && !r.has(REM_COL.portId)) continue;
    const s = (c: number) => {
      const b = bufOf(r.get(c), p);
      return b ? text(b) : null;
    };
    const chassisIdSubtype = intOf(r.get(REM_COL.chassisIdSubtype), p);
    const portIdSubtype = intOf(r.get(REM_COL.portIdSubtype), p);
    out.push({
      rawIndex: idx,
      ...splitRemIndex(idx, v2),
      chassisIdSubtype,
      chassisId: renderChassisId(chassisIdSubtype, bufOf(r.get(REM_COL.chassisId), p)),
      portIdSubtype,
      portId: renderPortId(portIdSubtype, bufOf(r.get(REM_COL.portId), p)),
      portDesc: s(REM_COL.portDesc),
      sysName: s(REM_COL.sysName),
      sysDesc: s(REM_COL.sysDesc),
      capSupported: capabilities(bufOf(r.get(REM_COL.capSupported), p)),
      capEnabled: capabilities(bufOf(r.get(REM_COL.capEnabled), p)),
      managementAddresses: addrs.get(idx) ?? [],
      mib: v2 ? 'lldp-v2' : 'lldp',
    });
  }
  return out;
}

/**
 * lldpRemManAddrTable: the address is part of the index (subtype, then a length-prefixed
 * OCTET STRING; some agents omit the length). Returns remote-row index → addresses.
 */
export function parseManAddrs(w: WalkResult | null, v2: boolean): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!w) return out;
  const root = v2 ? O.lldpV2RemManAddrEntry : O.lldpRemManAddrEntry;
  const rowArcs = v2 ? 10 : 3;
  for (const vb of w.varbinds) {
    if (vb.type === T.NoSuchObject) continue;
    const arcs = indexOf(vb.oid, root).split('.').map(Number);
    // column, row index arcs, address subtype, [length], address bytes
    const row = arcs.slice(1, 1 + rowArcs);
    const rest = arcs.slice(1 + rowArcs);
    if (rest.length < 2) continue;
    const subtype = rest[0]!;
    let bytes = rest.slice(1);
    if (bytes[0] === bytes.length - 1) bytes = bytes.slice(1);
    let addr: string | null = null;
    if ((subtype === 1 && bytes.length === 4) || (subtype === 2 && bytes.length === 16)) addr = ipFromBytes(Uint8Array.from(bytes));
    else if (bytes.every((x) => x >= 0 && x < 256)) addr = Buffer.from(bytes).toString('hex');
    if (!addr) continue;
    const key = row.join('.');
    const list = out.get(key) ?? [];
    if (!list.includes(addr)) list.push(addr);
    out.set(key, list);
  }
  return out;
}
