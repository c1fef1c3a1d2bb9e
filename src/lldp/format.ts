// Value rendering shared by the LLDP and CDP decoders. Callers bounds-check; these only read [s, e).
import type { DiscoveryError, DiscoveryErrorCode } from './types.ts';

const HEX = '0123456789abcdef';

export function hex(b: Buffer, s: number, e: number, sep = ''): string {
  let out = '';
  for (let i = s; i < e; i++) {
    const v = b[i]!;
    if (sep && i > s) out += sep;
    out += HEX[v >> 4]! + HEX[v & 15]!;
  }
  return out;
}

export function mac(b: Buffer, s: number): string {
  return hex(b, s, s + 6, ':');
}

export function ipv4(b: Buffer, s: number): string {
  return `${b[s]}.${b[s + 1]}.${b[s + 2]}.${b[s + 3]}`;
}

/** RFC 5952 text form (longest run of ≥2 zero groups compressed, lower-case). */
export function ipv6(b: Buffer, s: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[s + i * 2]! << 8) | b[s + i * 2 + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const part = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (best < 0) return part(g);
  return `${part(g.slice(0, best))}::${part(g.slice(best + bestLen))}`;
}

const FAMILY_NAMES: Record<number, string> = { 1: 'ipv4', 2: 'ipv6', 6: 'mac' };

export function familyName(f: number): string {
  return FAMILY_NAMES[f] ?? `family-${f}`;
}

/** An address of IANA family `fam` in [s, e): IPv4/IPv6/MAC in text form when the length fits, else hex. */
export function addressText(fam: number, b: Buffer, s: number, e: number): string {
  const n = e - s;
  if (fam === 1 && n === 4) return ipv4(b, s);
  if (fam === 2 && n === 16) return ipv6(b, s);
  if (fam === 6 && n === 6) return mac(b, s);
  return hex(b, s, e, ':');
}

/** True when the bytes look like text: no C0 control bytes or DEL (UTF-8 multi-byte sequences pass). */
export function isPrintable(b: Buffer, s: number, e: number): boolean {
  if (e <= s) return false;
  for (let i = s; i < e; i++) {
    const v = b[i]!;
    if (v < 0x20 || v === 0x7f) return false;
  }
  return true;
}

export function text(b: Buffer, s: number, e: number): string {
  return b.toString('utf8', s, e);
}

/** BER-encoded OID (no tag/length) to dotted form; null when malformed. */
export function berOid(b: Buffer, s: number, e: number): string | null {
  if (e <= s) return null;
  const arcs: number[] = [];
  let v = 0;
  let digits = 0;
  for (let i = s; i < e; i++) {
    const x = b[i]!;
    if (digits === 0 && x === 0x80) return null; // non-minimal
    v = v * 128 + (x & 0x7f);
    digits++;
    if (v > Number.MAX_SAFE_INTEGER / 128) return null;
    if ((x & 0x80) === 0) {
      if (arcs.length === 0) {
        const first = v < 40 ? 0 : v < 80 ? 1 : 2;
        arcs.push(first, v - first * 40);
      } else arcs.push(v);
      v = 0;
      digits = 0;
    }
  }
  if (digits !== 0) return null; // ended inside an arc
  return arcs.join('.');
}

export function bitNames(mask: number, names: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < names.length; i++) if (mask & (1 << i)) out.push(names[i]!);
  return out;
}

/** Collects errors with a cap so a hostile frame cannot make the error list unbounded. */
export class ErrorSink {
  readonly list: DiscoveryError[] = [];
  constructor(private readonly cap = 64) {}
  add(code: DiscoveryErrorCode, offset: number, context: string, message: string): void {
    if (this.list.length < this.cap) this.list.push({ code, offset, context, message });
  }
}
