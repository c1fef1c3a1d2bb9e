// OIDs kept as their BER content bytes: requests carry them that way and the simulator's store holds
// pre-encoded varbinds, so lookups compare encoded bytes arc by arc and never decode to arrays.
// (Plain byte comparison is not enough: base-128 arcs of different lengths do not sort bytewise.)

const MAX_ARC = 0xffffffff;

/** Parses dotted text ("1.3.6.1", ".1.3.6.1") into arcs; null when not a valid SNMP OID. */
export function parseOidText(text: string): number[] | null {
  let s = text.trim();
  if (s.startsWith('.')) s = s.slice(1);
  if (s === '') return null;
  const parts = s.split('.');
  if (parts.length < 2 || parts.length > 128) return null;
  const arcs: number[] = new Array<number>(parts.length);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (!/^\d{1,10}$/.test(p)) return null;
    const v = Number(p);
    if (v > MAX_ARC) return null;
    arcs[i] = v;
  }
  if (arcs[0]! > 2 || (arcs[0]! < 2 && arcs[1]! >= 40)) return null;
  return arcs;
}

function arcLength(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** BER content bytes (no tag/length) of an OID given as arcs (at least two, validated). */
export function encodeOidArcs(arcs: readonly number[]): Buffer {
  const first = arcs[0]! * 40 + arcs[1]!;
  let len = arcLength(first);
  for (let i = 2; i < arcs.length; i++) len += arcLength(arcs[i]!);
  const out = Buffer.allocUnsafe(len);
  let off = 0;
  const put = (v: number): void => {
    const n = arcLength(v);
    for (let k = n - 1; k >= 0; k--) {
      const digit = Math.floor(v / 128 ** k) % 128;
      out[off++] = k > 0 ? digit | 0x80 : digit;
    }
  };
  put(first);
  for (let i = 2; i < arcs.length; i++) put(arcs[i]!);
  return out;
}

/** Encodes dotted text; null when invalid. */
export function encodeOidText(text: string): Buffer | null {
  const arcs = parseOidText(text);
  return arcs ? encodeOidArcs(arcs) : null;
}

/**
 * Compares two encoded OIDs arc by arc (negative, 0, positive); a prefix sorts first.
 * Bytes run equal in lockstep, so at the first differing byte both sides sit at the same position
 * inside the same arc: the arc with more remaining bytes is larger, else the larger byte wins.
 */
export function compareOid(a: Uint8Array, aOff: number, aLen: number, b: Uint8Array, bOff: number, bLen: number): number {
  const n = aLen < bLen ? aLen : bLen;
  let i = 0;
  while (i < n && a[aOff + i] === b[bOff + i]) i++;
  if (i === n) return aLen - bLen;
  let ra = i;
  while (ra < aLen && (a[aOff + ra]! & 0x80) !== 0) ra++;
  let rb = i;
  while (rb < bLen && (b[bOff + rb]! & 0x80) !== 0) rb++;
  if (ra !== rb) return ra - rb;
  return a[aOff + i]! - b[bOff + i]!;
}

/** True when encoded `prefix` is an arc-wise prefix of encoded `oid`. */
export function isOidPrefix(prefix: Uint8Array, pOff: number, pLen: number, oid: Uint8Array, oOff: number, oLen: number): boolean {
  if (pLen > oLen) return false;
  for (let i = 0; i < pLen; i++) if (prefix[pOff + i] !== oid[oOff + i]) return false;
  // The prefix must end on an arc boundary (its last byte has no continuation bit).
  return pLen === 0 || (prefix[pOff + pLen - 1]! & 0x80) === 0;
}

/** Dotted text of encoded OID content; "" when the bytes are not a complete OID encoding. */
export function formatOid(buf: Uint8Array, off = 0, len = buf.length - off): string {
  const arcs: number[] = [];
  let v = 0;
  let inArc = false;
  for (let i = 0; i < len; i++) {
    const b = buf[off + i]!;
    v = v * 128 + (b & 0x7f);
    inArc = true;
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) {
        const x = v < 40 ? 0 : v < 80 ? 1 : 2;
        arcs.push(x, v - 40 * x);
      } else arcs.push(v);
      v = 0;
      inArc = false;
    }
  }
  return inArc || arcs.length === 0 ? '' : arcs.join('.');
}
