// The one text form of an LLDP chassis or port ID, whether it came in a frame (lldpd, a capture) or
// in an LLDP-MIB row polled over SNMP. The stitcher matches a neighbour's IDs seen both ways, so the
// two paths must never render the same bytes differently.
import { addressText, hex, isPrintable, mac } from './format.ts';

/** Chassis ID subtypes (802.1AB 8.5.2.2) and port ID subtypes (8.5.3.2) that carry a MAC / an address. */
export const CHASSIS_MAC = 4;
export const CHASSIS_ADDR = 5;
export const PORT_MAC = 3;
export const PORT_ADDR = 4;

/** "B8:69:F4:7F:41:70", "b869.f47f.4170", "B869F47F4170" → "b8:69:f4:7f:41:70"; else null. */
export function macFromText(s: string): string | null {
  const h = s.replace(/[:.\- ]/g, '');
  return /^[0-9a-fA-F]{12}$/.test(h) ? h.toLowerCase().replace(/(..)(?!$)/g, '$1:') : null;
}

/**
 * The ID in bytes [s, e) (the subtype octet excluded) as text: a MAC as aa:bb:…, a network address
 * (IANA family octet first) as an IP, text as text without the NUL/space padding some agents add,
 * and anything else as colon-separated hex. Agents that put a MAC as text under the MAC subtype get
 * the same form as the six bytes would.
 */
export function lldpIdText(subtype: number | null, b: Buffer, s: number, e: number, macSubtype: number, addrSubtype: number): string {
  let end = e;
  while (end > s && (b[end - 1] === 0 || b[end - 1] === 0x20 || b[end - 1] === 0x0a || b[end - 1] === 0x0d)) end--;
  if (subtype === macSubtype) {
    if (e - s === 6) return mac(b, s);
    const m = isPrintable(b, s, end) ? macFromText(b.toString('latin1', s, end)) : null;
    if (m) return m;
  }
  if (subtype === addrSubtype && e - s >= 2) {
    const fam = b[s]!;
    const n = e - s - 1;
    if ((fam === 1 && n === 4) || (fam === 2 && n === 16) || (fam === 6 && n === 6)) return addressText(fam, b, s + 1, e);
  }
  if (end > s && isPrintable(b, s, end)) return b.toString('utf8', s, end);
  return hex(b, s, e, ':');
}

export function chassisIdText(subtype: number | null, b: Buffer, s = 0, e = b.length): string {
  return lldpIdText(subtype, b, s, e, CHASSIS_MAC, CHASSIS_ADDR);
}

export function portIdText(subtype: number | null, b: Buffer, s = 0, e = b.length): string {
  return lldpIdText(subtype, b, s, e, PORT_MAC, PORT_ADDR);
}
