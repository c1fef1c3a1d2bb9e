// Big-endian readers and address formatters shared by the packet parser and the flow decoders.
// Callers check bounds first: these helpers never check, so they stay small enough to inline.
// Address text is memoised in small bounded caches: flows repeat the same few MACs and hosts,
// and a cache hit costs a fraction of building the string (and leaves nothing for the GC).
// A miss builds the text as char codes in a scratch array and makes ONE flat string of them
// (String.fromCharCode): chains of `+` cost one allocation and copy per piece.

const fromCodes = String.fromCharCode;
/** Char codes of the two lowercase hex digits of every byte value (MAC text). */
const HEX_HI = new Uint8Array(256);
const HEX_LO = new Uint8Array(256);
/** Char codes of the decimal text of every byte value, first digit in the low byte, and its length. */
const DEC_CODES = new Uint32Array(256);
const DEC_LEN = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  const h = i.toString(16).padStart(2, '0');
  HEX_HI[i] = h.charCodeAt(0);
  HEX_LO[i] = h.charCodeAt(1);
  const d = String(i);
  DEC_LEN[i] = d.length;
  for (let k = d.length - 1; k >= 0; k--) DEC_CODES[i] = (DEC_CODES[i]! << 8) | d.charCodeAt(k);
}
/** Char codes of the 16 hex digits. */
const HEX_DIGIT = new Uint8Array(16);
for (let i = 0; i < 16; i++) HEX_DIGIT[i] = i.toString(16).charCodeAt(0);
/**
 * For each 8-bit mask of all-zero IPv6 groups: start and length of the RFC 5952 "::" run
 * (the first longest run of at least 2 zero groups); start -1 when there is none.
 */
const RUN_START = new Int8Array(256);
const RUN_LEN = new Uint8Array(256);
for (let m = 0; m < 256; m++) {
  let bestStart = -1;
  let bestLen = 1;
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    if (m & (1 << i)) {
      if (runStart < 0) runStart = i;
      const len = i - runStart + 1;
      if (len > bestLen) {
        bestLen = len;
        bestStart = runStart;
      }
    } else runStart = -1;
  }
  RUN_START[m] = bestStart;
  RUN_LEN[m] = bestStart < 0 ? 0 : bestLen;
}
/** Char codes of the address being formatted (39 = longest IPv6 text, + slack for 4-digit writes); formatting is synchronous, so one buffer serves all. */
const T = new Uint8Array(48);

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

interface Entry {
  hi: number;
  lo: number;
  s: string;
}
const macCache = new Map<number, Entry>();
const v4Cache = new Map<number, string>();
interface Entry6 {
  a: number;
  b: number;
  c: number;
  d: number;
  s: string;
}
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

/** The string of char codes T[0, n): exact-arity calls for IPv4 lengths, else all 39 and a slice. */
function scratchText(n: number): string {
  const t = T;
  switch (n) {
    case 7:
      return fromCodes(t[0]!, t[1]!, t[2]!, t[3]!, t[4]!, t[5]!, t[6]!);
    case 8:
      return fromCodes(t[0]!, t[1]!, t[2]!, t[3]!, t[4]!, t[5]!, t[6]!, t[7]!);
    case 9:
      return fromCodes(t[0]!, t[1]!, t[2]!, t[3]!, t[4]!, t[5]!, t[6]!, t[7]!, t[8]!);
    case 10:
      return fromCodes(t[0]!, t[1]!, t[2]!, t[3]!, t[4]!, t[5]!, t[6]!, t[7]!, t[8]!, t[9]!);
    case 11:
      return fromCodes(t[0]!, t[1]!, t[2]!, t[3]!, t[4]!, t[5]!, t[6]!, t[7]!, t[8]!, t[9]!, t[10]!);
    case 12:
      return fromCodes(t[0]!, t[1]!, t[2]!, t[3]!, t[4]!, t[5]!, t[6]!, t[7]!, t[8]!, t[9]!, t[10]!, t[11]!);
    case 13:
      return fromCodes(t[0]!, t[1]!, t[2]!, t[3]!, t[4]!, t[5]!, t[6]!, t[7]!, t[8]!, t[9]!, t[10]!, t[11]!, t[12]!);
    case 14:
      return fromCodes(t[0]!, t[1]!, t[2]!, t[3]!, t[4]!, t[5]!, t[6]!, t[7]!, t[8]!, t[9]!, t[10]!, t[11]!, t[12]!, t[13]!);
    case 15:
      return fromCodes(t[0]!, t[1]!, t[2]!, t[3]!, t[4]!, t[5]!, t[6]!, t[7]!, t[8]!, t[9]!, t[10]!, t[11]!, t[12]!, t[13]!, t[14]!);
  }
  return fromCodes(
    t[0]!,
    t[1]!,
    t[2]!,
    t[3]!,
    t[4]!,
    t[5]!,
    t[6]!,
    t[7]!,
    t[8]!,
    t[9]!,
    t[10]!,
    t[11]!,
    t[12]!,
    t[13]!,
    t[14]!,
    t[15]!,
    t[16]!,
    t[17]!,
    t[18]!,
    t[19]!,
    t[20]!,
    t[21]!,
    t[22]!,
    t[23]!,
    t[24]!,
    t[25]!,
    t[26]!,
    t[27]!,
    t[28]!,
    t[29]!,
    t[30]!,
    t[31]!,
    t[32]!,
    t[33]!,
    t[34]!,
    t[35]!,
    t[36]!,
    t[37]!,
    t[38]!,
  ).slice(0, n);
}

/** Writes the decimal text of byte `x` at T[p] (always 3 codes; the surplus is overwritten). */
function putDecimal(p: number, x: number): number {
  const c = DEC_CODES[x]!;
  T[p] = c & 0xff;
  T[p + 1] = (c >>> 8) & 0xff;
  T[p + 2] = c >>> 16;
  return p + DEC_LEN[x]!;
}

function formatIpv4(b: Buffer, o: number): string {
  let p = putDecimal(0, b[o]!);
  T[p++] = 46; // '.'
  p = putDecimal(p, b[o + 1]!);
  T[p++] = 46;
  p = putDecimal(p, b[o + 2]!);
  T[p++] = 46;
  return scratchText(putDecimal(p, b[o + 3]!));
}

function formatMac(b: Buffer, o: number): string {
  const b0 = b[o]!,
    b1 = b[o + 1]!,
    b2 = b[o + 2]!,
    b3 = b[o + 3]!,
    b4 = b[o + 4]!,
    b5 = b[o + 5]!;
  return fromCodes(
    HEX_HI[b0]!,
    HEX_LO[b0]!,
    58,
    HEX_HI[b1]!,
    HEX_LO[b1]!,
    58,
    HEX_HI[b2]!,
    HEX_LO[b2]!,
    58,
    HEX_HI[b3]!,
    HEX_LO[b3]!,
    58,
    HEX_HI[b4]!,
    HEX_LO[b4]!,
    58,
    HEX_HI[b5]!,
    HEX_LO[b5]!,
  );
}

/** RFC 5952 text form: lowercase, no leading zeros, longest run (≥ 2) of zero groups as "::". */
function formatIpv6(b: Buffer, o: number): string {
  let zeros = 0;
  for (let i = 0; i < 8; i++) if ((b[o + 2 * i]! | b[o + 2 * i + 1]!) === 0) zeros |= 1 << i;
  const runStart = RUN_START[zeros]!;
  const runEnd = runStart + RUN_LEN[zeros]!;
  const t = T;
  let p = 0;
  for (let i = 0; i < 8; i++) {
    if (i === runStart) {
      if (i === 0) t[p++] = 58; // ':'
      t[p++] = 58;
      i = runEnd - 1;
      continue;
    }
    const g = (b[o + 2 * i]! << 8) | b[o + 2 * i + 1]!;
    // Without leading zeros: write four digits starting at the top one, advance by the count
    // (shift counts wrap mod 32 for short groups; those surplus codes are overwritten).
    const n = g === 0 ? 1 : (35 - Math.clz32(g)) >> 2;
    const sh = 4 * n - 4;
    t[p] = HEX_DIGIT[(g >> sh) & 15]!;
    t[p + 1] = HEX_DIGIT[(g >> (sh - 4)) & 15]!;
    t[p + 2] = HEX_DIGIT[(g >> (sh - 8)) & 15]!;
    t[p + 3] = HEX_DIGIT[g & 15]!;
    p += n;
    if (i < 7) t[p++] = 58;
  }
  return scratchText(p);
}

const v4NumCache = new Map<number, string>();

/** IPv4 text of a 32-bit value (unsigned), memoised like ipv4Str. */
export function formatIpv4Number(v: number): string {
  const key = v | 0;
  let s = cacheOn ? v4NumCache.get(key) : undefined;
  if (s === undefined) {
    let p = putDecimal(0, (v >>> 24) & 255);
    T[p++] = 46;
    p = putDecimal(p, (v >>> 16) & 255);
    T[p++] = 46;
    p = putDecimal(p, (v >>> 8) & 255);
    T[p++] = 46;
    s = scratchText(putDecimal(p, v & 255));
    if (cacheOn) {
      if (v4NumCache.size >= CACHE_MAX) v4NumCache.clear();
      v4NumCache.set(key, s);
    }
  }
  return s;
}

const MAC_SCRATCH = Buffer.alloc(6);

/** MAC text of a 48-bit value. */
export function formatMacNumber(v: number): string {
  const hi = Math.floor(v / 4294967296);
  MAC_SCRATCH[0] = hi >>> 8;
  MAC_SCRATCH[1] = hi & 255;
  MAC_SCRATCH.writeUInt32BE(v >>> 0, 2);
  return macStr(MAC_SCRATCH, 0);
}
