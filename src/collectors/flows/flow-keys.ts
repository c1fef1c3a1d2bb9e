// Numbers standing for the flow table's string key fields (addresses and MACs), so a decoder that
// reads them straight off the wire (the sFlow fast path, collectors/sflow/fast-flow.ts) and one that
// hands over text (every other decoder) land on the same entry without building text per record:
//   IPv4 text → its 32-bit value; MAC text → its 48-bit value; other text (IPv6 …) → 2^48 + an id
//   interned for the table's lifetime; '' → -1.
import { formatIpv4Number, formatMacNumber } from '../common/packet-bytes.ts';

const NONE = -1;
/** Interned ids start above every MAC and IPv4 value, so the three kinds never meet. */
const INTERNED = 2 ** 48;

export class FlowKeys {
  private addrs = new Map<string, number>();
  private macs = new Map<string, number>();
  private texts: string[] = [];

  /** Forgets every key (the table was drained: nothing refers to them any more). */
  clear(): void {
    this.addrs = new Map();
    this.macs = new Map();
    this.texts = [];
  }

  /** Cached keys, for the table's size estimate. */
  get size(): number {
    return this.addrs.size + this.macs.size;
  }

  addr(s: string): number {
    if (s === '') return NONE;
    let k = this.addrs.get(s);
    if (k === undefined) {
      const v4 = parseIpv4(s);
      // Only canonical text maps to the number: "010.0.0.1" must not meet "10.0.0.1".
      k = v4 >= 0 && formatIpv4Number(v4) === s ? v4 : this.intern(s);
      this.addrs.set(s, k);
    }
    return k;
  }

  private intern(s: string): number {
    this.texts.push(s);
    return INTERNED + this.texts.length;
  }

  /** The text an interned key stands for. */
  textOf(k: number): string {
    return this.texts[k - INTERNED - 1] ?? '';
  }

  mac(s: string): number {
    if (s === '') return NONE;
    let k = this.macs.get(s);
    if (k === undefined) {
      const m = parseMac(s);
      k = m >= 0 && formatMacNumber(m) === s ? m : this.intern(s);
      this.macs.set(s, k);
    }
    return k;
  }
}

/** Text of an address key made from IPv4 bytes (the fast path keeps only the number). */
export function addrText(k: number): string {
  return k < 0 ? '' : formatIpv4Number(k);
}

export function macText(k: number): string {
  return k < 0 ? '' : formatMacNumber(k);
}

/** A 32-bit mix of a key of up to 53 bits. */
export function keyBits(k: number): number {
  return (k | 0) ^ Math.imul((k / 4294967296) | 0, 0x9e3779b1);
}

function parseIpv4(s: string): number {
  let v = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      v = v * 256 + part;
      part = digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return v * 256 + part;
}

function parseMac(s: string): number {
  if (s.length !== 17) return -1;
  let v = 0;
  for (let i = 0; i < 17; i++) {
    const c = s.charCodeAt(i);
    if (i % 3 === 2) {
      if (c !== 58) return -1;
      continue;
    }
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}
