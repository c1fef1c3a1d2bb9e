// 802.1AB basic TLVs (types 1–8). Each function gets the value range [s, e) already inside the buffer.
import { addressText, berOid, bitNames, familyName, text, type ErrorSink } from './format.ts';
import { lldpIdText } from './id.ts';
import type { LldpRecord } from './types.ts';

export const CHASSIS_SUBTYPES = [
  '',
  'chassis-component',
  'interface-alias',
  'port-component',
  'mac-address',
  'network-address',
  'interface-name',
  'local',
] as const;
export const PORT_SUBTYPES = [
  '',
  'interface-alias',
  'port-component',
  'mac-address',
  'network-address',
  'interface-name',
  'agent-circuit-id',
  'local',
] as const;
export const SYSTEM_CAPS = [
  'other',
  'repeater',
  'bridge',
  'wlan-ap',
  'router',
  'telephone',
  'docsis',
  'station',
  'c-vlan',
  's-vlan',
  'tpmr',
] as const;
const IF_SUBTYPES = ['', 'unknown', 'ifindex', 'system-port'];

/** Caps on repeated TLVs per LLDPDU (a 1500-byte PDU holds at most ~170 minimal management addresses). */
export const MAX_MGMT = 32;

interface IdValue {
  id: string;
  subtype: number;
  name: string;
  family?: number;
}

function idValue(
  b: Buffer,
  s: number,
  e: number,
  names: readonly string[],
  macSub: number,
  netSub: number,
  sink: ErrorSink,
  ctx: string,
): IdValue | null {
  if (e - s < 2) {
    sink.add('bad-length', s, ctx, `id TLV value of ${e - s} bytes, need ≥2`);
    return null;
  }
  const subtype = b[s]!;
  const name = names[subtype] || `reserved-${subtype}`;
  const v = s + 1;
  if (subtype === macSub && e - v !== 6) sink.add('bad-length', s, ctx, `MAC id of ${e - v} bytes`);
  if (subtype === netSub && e - v < 2) sink.add('bad-length', s, ctx, 'network-address id without address');
  const id = lldpIdText(subtype, b, v, e, macSub, netSub);
  return subtype === netSub && e - v >= 2 ? { id, subtype, name, family: b[v]! } : { id, subtype, name };
}

export function chassisTlv(b: Buffer, s: number, e: number, rec: LldpRecord, sink: ErrorSink): void {
  const r = idValue(b, s, e, CHASSIS_SUBTYPES, 4, 5, sink, 'lldp chassis id');
  if (!r) return;
  rec.chassisId = r.id;
  rec.chassisIdSubtype = r.subtype;
  rec.chassisIdSubtypeName = r.name;
  if (r.family !== undefined) rec.chassisIdFamily = r.family;
}

export function portTlv(b: Buffer, s: number, e: number, rec: LldpRecord, sink: ErrorSink): void {
  const r = idValue(b, s, e, PORT_SUBTYPES, 3, 4, sink, 'lldp port id');
  if (!r) return;
  rec.portId = r.id;
  rec.portIdSubtype = r.subtype;
  rec.portIdSubtypeName = r.name;
  if (r.family !== undefined) rec.portIdFamily = r.family;
}

export function ttlTlv(b: Buffer, s: number, e: number, rec: LldpRecord, sink: ErrorSink): void {
  if (e - s < 2) {
    sink.add('bad-length', s, 'lldp ttl', `TTL value of ${e - s} bytes`);
    return;
  }
  rec.ttl = b.readUInt16BE(s);
}

export function stringTlv(type: number, b: Buffer, s: number, e: number, rec: LldpRecord): void {
  const v = text(b, s, e);
  if (type === 4) rec.portDescr = v;
  else if (type === 5) rec.sysName = v;
  else rec.sysDescr = v;
}

export function capsTlv(b: Buffer, s: number, e: number, rec: LldpRecord, sink: ErrorSink): void {
  if (e - s !== 4) {
    sink.add('bad-length', s, 'lldp system capabilities', `value of ${e - s} bytes, need 4`);
    if (e - s < 4) return;
  }
  const sys = b.readUInt16BE(s);
  const en = b.readUInt16BE(s + 2);
  rec.capabilitiesMask = sys;
  rec.enabledCapabilitiesMask = en;
  rec.capabilities = bitNames(sys, SYSTEM_CAPS);
  rec.enabledCapabilities = bitNames(en, SYSTEM_CAPS);
}

export function mgmtTlv(b: Buffer, s: number, e: number, rec: LldpRecord, sink: ErrorSink): void {
  const ctx = 'lldp management address';
  if (rec.mgmtAddresses.length >= MAX_MGMT) {
    sink.add('too-many', s, ctx, `more than ${MAX_MGMT} management addresses`);
    return;
  }
  // addr-string-len(1) covers subtype + address (2..32), then if-subtype(1) if-number(4) oid-len(1) oid.
  if (e - s < 9) {
    sink.add('bad-length', s, ctx, `value of ${e - s} bytes, need ≥9`);
    return;
  }
  const alen = b[s]!;
  if (alen < 2 || alen > 32 || s + 1 + alen + 6 > e) {
    sink.add('bad-length', s, ctx, `address string length ${alen} does not fit`);
    return;
  }
  const fam = b[s + 1]!;
  const as = s + 2;
  const ae = s + 1 + alen;
  const ifSub = b[ae]!;
  const ifNum = b.readUInt32BE(ae + 1);
  const olen = b[ae + 5]!;
  const os = ae + 6;
  const entry = {
    family: fam,
    familyName: familyName(fam),
    address: addressText(fam, b, as, ae),
    ifSubtype: ifSub,
    ifSubtypeName: IF_SUBTYPES[ifSub] || `reserved-${ifSub}`,
    ifNumber: ifNum,
  } as LldpRecord['mgmtAddresses'][number];
  if (olen > 0) {
    if (os + olen > e) sink.add('truncated', ae + 5, ctx, `OID length ${olen} runs past the TLV`);
    else {
      const oid = berOid(b, os, os + olen);
      if (oid === null) sink.add('bad-value', os, ctx, 'malformed OID');
      else entry.oid = oid;
    }
  }
  rec.mgmtAddresses.push(entry);
}
