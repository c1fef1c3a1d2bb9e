// IP-MIB neighbour tables: ipNetToPhysicalTable (IPv4 and IPv6, RFC 4293) and the older
// ipNetToMediaTable (IPv4 only), as IP ↔ MAC bindings on the router's interfaces.
import type { Varbind } from './net-snmp.ts';
import type { WalkResult } from './client.ts';
import type { ArpEntry } from '../../topology/store/snmp-rows.ts';
import { O } from './oids.ts';
import { Problems, bufOf, indexOf, intOf, mac } from './values.ts';

export type { ArpEntry };

const PHYS_KIND: Record<number, ArpEntry['kind'] | null> = { 1: 'other', 2: null, 3: 'dynamic', 4: 'static', 5: 'local' };

/** WHATWG URL serialisation of an IPv6 host is RFC 5952's canonical text. */
function ipv6Text(b: Uint8Array): string | null {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  try {
    return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
}

/** A unicast MAC that can be a host's: 6 bytes, not zero, not group (multicast/broadcast). */
function hostMac(b: Buffer | null): string | null {
  if (!b || b.length !== 6 || b.every((x) => x === 0) || (b[0]! & 1) === 1) return null;
  return mac(b);
}

/**
 * ipNetToPhysical index: ifIndex.addressType.[length.]address; types 1 ipv4, 2 ipv6, 3 ipv4z,
 * 4 ipv6z (zone index appended, dropped here). Some agents leave the length arc out.
 */
function physIndex(arcs: number[]): { ifIndex: number; family: 'ipv4' | 'ipv6'; ip: string } | null {
  const [ifIndex, type] = arcs;
  if (ifIndex === undefined || type === undefined || type < 1 || type > 4) return null;
  const size = type === 1 || type === 3 ? 4 : 16;
  let rest = arcs.slice(2);
  if (rest.length === size + 1 || rest.length === size + 5) rest = rest.slice(1);
  const bytes = rest.slice(0, size);
  if (bytes.length !== size || !bytes.every((x) => Number.isInteger(x) && x >= 0 && x < 256)) return null;
  if (size === 4) {
    if (bytes.every((x) => x === 0)) return null;
    return { ifIndex, family: 'ipv4', ip: bytes.join('.') };
  }
  const ip = ipv6Text(Uint8Array.from(bytes));
  return ip && ip !== '::' ? { ifIndex, family: 'ipv6', ip } : null;
}

function kinds(w: WalkResult | undefined, root: string, p: Problems): Map<string, number> {
  const out = new Map<string, number>();
  for (const vb of w?.varbinds ?? []) {
    const k = intOf(vb, p);
    if (k !== null) out.set(indexOf(vb.oid, root), k);
  }
  return out;
}

export function parseIpNetToPhysical(addr: WalkResult | undefined, type: WalkResult | undefined, p: Problems): ArpEntry[] {
  const t = kinds(type, O.ipNetToPhysicalType, p);
  const out: ArpEntry[] = [];
  for (const vb of addr?.varbinds ?? []) {
    const idx = indexOf(vb.oid, O.ipNetToPhysicalPhysAddress);
    const key = physIndex(idx.split('.').map(Number));
    const m = hostMac(bufOf(vb, p));
    const kind = PHYS_KIND[t.get(idx) ?? 3];
    if (!key || !m || !kind) continue;
    out.push({ ...key, mac: m, kind, mib: 'ipNetToPhysical' });
  }
  return out;
}

export function parseIpNetToMedia(addr: WalkResult | undefined, type: WalkResult | undefined, p: Problems): ArpEntry[] {
  const t = kinds(type, O.ipNetToMediaType, p);
  const out: ArpEntry[] = [];
  for (const vb of addr?.varbinds ?? ([] as Varbind[])) {
    const idx = indexOf(vb.oid, O.ipNetToMediaPhysAddress);
    const arcs = idx.split('.').map(Number);
    const [ifIndex, ...ip] = arcs;
    const m = hostMac(bufOf(vb, p));
    // ipNetToMediaType has no "local": 1 other, 2 invalid, 3 dynamic, 4 static.
    const kind = PHYS_KIND[Math.min(t.get(idx) ?? 3, 4)];
    if (ifIndex === undefined || ip.length !== 4 || !ip.every((x) => Number.isInteger(x) && x >= 0 && x < 256) || ip.every((x) => x === 0))
      continue;
    if (!m || !kind) continue;
    out.push({ ifIndex, family: 'ipv4', ip: ip.join('.'), mac: m, kind, mib: 'ipNetToMedia' });
  }
  return out;
}
