// Value readers used by compiled decode plans. Callers have bounds-checked [o, o+n) already.

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

/** Unsigned big-endian of 1–8 bytes as a number (exact up to 2^53). */
export function readUint(b: Buffer, o: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + b[o + i]!;
  return v;
}

export function hex(b: Buffer, o: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += HEX[b[o + i]!]!;
  return s;
}

/** Variable-length unsigned: a number when it fits in 8 bytes, else hex. */
export function uintOrHex(b: Buffer, o: number, n: number): number | string {
  return n <= 8 ? readUint(b, o, n) : hex(b, o, n);
}

export function mac(b: Buffer, o: number): string {
  return `${HEX[b[o]!]}:${HEX[b[o + 1]!]}:${HEX[b[o + 2]!]}:${HEX[b[o + 3]!]}:${HEX[b[o + 4]!]}:${HEX[b[o + 5]!]}`;
}

// Byte → "n." / "n" strings: dotted quads without number-to-string conversions (hot path).
export const DECIMAL: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));
export const DOTTED: readonly string[] = DECIMAL.map((d) => `${d}.`);

export function ip4(b: Buffer, o: number): string {
  return DOTTED[b[o]!]! + DOTTED[b[o + 1]!]! + DOTTED[b[o + 2]!]! + DECIMAL[b[o + 3]!]!;
}

/** RFC 5952 text form: lower-case, longest zero run (≥ 2 groups) compressed. */
export function ip6(b: Buffer, o: number): string {
  const g = [0, 0, 0, 0, 0, 0, 0, 0];
  let best = -1,
    bestLen = 1,
    run = -1;
  for (let i = 0; i < 8; i++) {
    const v = (b[o + i * 2]! << 8) | b[o + i * 2 + 1]!;
    g[i] = v;
    if (v === 0) {
      if (run < 0) run = i;
      if (i - run + 1 > bestLen) {
        best = run;
        bestLen = i - run + 1;
      }
    } else run = -1;
  }
  if (best < 0) return g.map((x) => x.toString(16)).join(':');
  const head = g
    .slice(0, best)
    .map((x) => x.toString(16))
    .join(':');
  const tail = g
    .slice(best + bestLen)
    .map((x) => x.toString(16))
    .join(':');
  return `${head}::${tail}`;
}

/** Text IEs: UTF-8, trailing NULs (fixed-width padding) dropped. */
export function str(b: Buffer, o: number, n: number): string {
  let end = o + n;
  while (end > o && b[end - 1] === 0) end--;
  return b.toString('utf8', o, end);
}

const NTP_EPOCH_OFFSET_S = 2_208_988_800;

/** NTP 64-bit timestamp (seconds since 1900 + 2^-32 fraction) → Unix ms. */
export function ntpMs(b: Buffer, o: number): number {
  const sec = readUint(b, o, 4);
  const frac = readUint(b, o + 4, 4);
  return (sec - NTP_EPOCH_OFFSET_S) * 1000 + Math.floor((frac / 4294967296) * 1000);
}

function isZero(v: unknown): boolean {
  return v === undefined || v === 0 || v === '0.0.0.0' || v === '::' || v === '';
}

/** Several template fields feed one record field (e.g. IPv4 and IPv6 source): the last non-zero wins. */
export function pick(...vs: unknown[]): unknown {
  for (let i = vs.length - 1; i >= 0; i--) if (!isZero(vs[i])) return vs[i];
  return vs[0];
}

/** MPLS label stack entries (label:20 exp:3 bos:1) → labels, stopping at bottom-of-stack or an empty entry. */
export function mplsLabels(entries: number[]): number[] {
  const out: number[] = [];
  for (const e of entries) {
    if (e === 0) break;
    out.push(e >>> 4);
    if (e & 1) break;
  }
  return out;
}

/** Unknown variable-length IEs: text when printable (URLs, host names, user agents), else hex. */
export function textOrHex(b: Buffer, o: number, n: number): string {
  let end = o + n;
  while (end > o && b[end - 1] === 0) end--;
  for (let i = o; i < end; i++) {
    const c = b[i]!;
    if (c < 0x20 || c === 0x7f) return hex(b, o, n);
  }
  const s = b.toString('utf8', o, end);
  return s.includes('\ufffd') ? hex(b, o, n) : s;
}
