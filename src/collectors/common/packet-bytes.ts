// Big-endian readers and address formatters shared by the packet parser and the flow decoders.
// Callers check bounds first: these helpers never check, so they stay small enough to inline.
// Address text is memoised in small bounded caches: flows repeat the same few MACs and hosts,
// and a cache hit costs a fraction of building the string (and leaves nothing for the GC).

/** Two lowercase hex digits for every byte value (MAC formatting without per-byte toString). */
const HEX2: string[] = [];
for (let i = 0; i < 256; i++) HEX2.push(i.toString(16).padStart(2, '0'));
/** Hex without leading zeros for every byte value. */
const HEXNZ: string[] = [];
for (let i = 0; i < 256; i++) HEXNZ.push(i.toString(16));
/** Decimal text for every byte value (dotted-quad formatting without per-byte toString). */
const DEC: string[] = [];
for (let i = 0; i < 256; i++) DEC.push(String(i));

export function u16(b: Buffer, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function u32(b: Buffer, o: number): number {
  return b[o]! * 0x1000000 + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
}

/** Unsigned 64-bit value as a number: exact up to 2^53, rounded above (≈9 PB of octets). */
export function u64(b: Buffer, o: number): number {
  return u32(b, o) * 0x100000000 + u32(b, o + 4);
}

/** IEEE 754 single (sFlow load averages). */
export function f32(b: Buffer, o: number): number {
  return b.readFloatBE(o);
}

const CACHE_MAX = 8192;

interface Entry { hi: number; lo: number; s: string }
const macCache = new Map<number, Entry>();
const v4Cache = new Map<number, string>();
interface Entry6 { a: number; b: number; c: number; d: number; s: string }
const v6Cache = new Map<number, Entry6>();

let cacheOn = true;

/** Turns the address caches off/on (benchmarks measure the cost of formatting every address). */
export function setAddressCache(on: boolean): void {
  cacheOn = on;
  macCache.clear();
  v4Cache.clear();
  v6Cache.clear();
}

export function macStr(b: Buffer, o: number): string {
  if (!cacheOn) return formatMac(b, o);
  const hi = u16(b, o);
  const lo = u32(b, o + 2);
  const key = (lo ^ Math.imul(hi, 0x9e3779b1)) | 0;
  const e = macCache.get(key);
  if (e !== undefined && e.hi === hi && e.lo === lo) return e.s;
  const s = formatMac(b, o);
  if (macCache.size >= CACHE_MAX) macCache.clear();
  macCache.set(key, { hi, lo, s });
  return s;
}

export function ipv4Str(b: Buffer, o: number): string {
  if (!cacheOn) return formatIpv4(b, o);
  const key = u32(b, o) | 0;
  let s = v4Cache.get(key);
  if (s === undefined) {
    s = formatIpv4(b, o);
    if (v4Cache.size >= CACHE_MAX) v4Cache.clear();
    v4Cache.set(key, s);
  }
  return s;
}

export function ipv6Str(b: Buffer, o: number): string {
  if (!cacheOn) return formatIpv6(b, o);
  const w0 = u32(b, o);
  const w1 = u32(b, o + 4);
  const w2 = u32(b, o + 8);
  const w3 = u32(b, o + 12);
  const key = (Math.imul(w0, 0x9e3779b1) ^ Math.imul(w1, 0x85ebca6b) ^ Math.imul(w2, 0xc2b2ae35) ^ w3) | 0;
  const e = v6Cache.get(key);
  if (e !== undefined && e.a === w0 && e.b === w1 && e.c === w2 && e.d === w3) return e.s;
  const s = formatIpv6(b, o);
  if (v6Cache.size >= CACHE_MAX) v6Cache.clear();
  v6Cache.set(key, { a: w0, b: w1, c: w2, d: w3, s });
  return s;
}

function formatIpv4(b: Buffer, o: number): string {
  return DEC[b[o]!]! + '.' + DEC[b[o + 1]!]! + '.' + DEC[b[o + 2]!]! + '.' + DEC[b[o + 3]!]!;
}

function formatMac(b: Buffer, o: number): string {
  return (
    HEX2[b[o]!]! + ':' + HEX2[b[o + 1]!]! + ':' + HEX2[b[o + 2]!]! + ':' +
    HEX2[b[o + 3]!]! + ':' + HEX2[b[o + 4]!]! + ':' + HEX2[b[o + 5]!]!
  );
}

/** RFC 5952 text form: lowercase, no leading zeros, longest run (≥ 2) of zero groups as "::". */
function formatIpv6(b: Buffer, o: number): string {
  let bestStart = -1;
  let bestLen = 1;
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    const zero = b[o + 2 * i] === 0 && b[o + 2 * i + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = i;
      const len = i - runStart + 1;
      if (len > bestLen) { bestLen = len; bestStart = runStart; }
    } else runStart = -1;
  }
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += i === 0 ? '::' : ':';
      i += bestLen - 1;
      continue;
    }
    const hi = b[o + 2 * i]!;
    s += hi === 0 ? HEXNZ[b[o + 2 * i + 1]!]! : HEXNZ[hi]! + HEX2[b[o + 2 * i + 1]!]!;
    if (i < 7) s += ':';
  }
  return s;
}
