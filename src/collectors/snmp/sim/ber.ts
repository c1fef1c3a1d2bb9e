// Minimal BER for SNMP messages: a bounds-checked TLV reader that reports errors as values (never
// throws on wire input) and length-first writers so a response is assembled in one allocation.

export const TAG = {
  integer: 0x02,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  sequence: 0x30,
  ipAddress: 0x40,
  counter32: 0x41,
  gauge32: 0x42,
  timeTicks: 0x43,
  opaque: 0x44,
  counter64: 0x46,
  noSuchObject: 0x80,
  noSuchInstance: 0x81,
  endOfMibView: 0x82,
  getRequest: 0xa0,
  getNextRequest: 0xa1,
  response: 0xa2,
  setRequest: 0xa3,
  trapV1: 0xa4,
  getBulkRequest: 0xa5,
  informRequest: 0xa6,
  trapV2: 0xa7,
  report: 0xa8,
} as const;

export type BerErrorCode =
  'truncated' | 'bad-length' | 'unexpected-tag' | 'bad-integer' | 'bad-version' | 'too-many-varbinds' | 'trailing-bytes' | 'unsupported';

export interface BerError {
  code: BerErrorCode;
  /** Byte offset in the datagram where decoding stopped. */
  offset: number;
  /** What was being decoded. */
  context: string;
}

/** A decoded TLV header; `start` is the first content byte. Reused by callers to avoid allocation. */
export interface Tlv {
  tag: number;
  start: number;
  len: number;
  end: number;
}

export function newTlv(): Tlv {
  return { tag: 0, start: 0, len: 0, end: 0 };
}

/**
 * Reads the TLV header at `off` (content must end by `limit`) into `out`.
 * Returns null on success or an error. Only single-byte tags and definite lengths (≤ 4 bytes) exist in SNMP.
 */
export function readTlv(buf: Uint8Array, off: number, limit: number, out: Tlv, context: string): BerError | null {
  if (off + 2 > limit) return { code: 'truncated', offset: off, context };
  const tag = buf[off]!;
  if ((tag & 0x1f) === 0x1f) return { code: 'unexpected-tag', offset: off, context };
  let l = buf[off + 1]!;
  let p = off + 2;
  if (l & 0x80) {
    const n = l & 0x7f;
    if (n === 0 || n > 4) return { code: 'bad-length', offset: off + 1, context };
    if (p + n > limit) return { code: 'truncated', offset: p, context };
    l = 0;
    for (let i = 0; i < n; i++) l = l * 256 + buf[p + i]!;
    p += n;
  }
  if (p + l > limit) return { code: 'truncated', offset: p, context };
  out.tag = tag;
  out.start = p;
  out.len = l;
  out.end = p + l;
  return null;
}

/** Signed integer content (1–6 bytes, so it stays exact in a double); NaN otherwise. */
export function readInteger(buf: Uint8Array, start: number, len: number): number {
  if (len < 1 || len > 6) return NaN;
  let v = buf[start]! & 0x80 ? -1 : 0;
  for (let i = 0; i < len; i++) v = v * 256 + buf[start + i]!;
  return v;
}

export function lengthSize(len: number): number {
  return len < 0x80 ? 1 : len < 0x100 ? 2 : len < 0x10000 ? 3 : len < 0x1000000 ? 4 : 5;
}

/** Bytes a TLV with `contentLen` content takes. */
export function tlvSize(contentLen: number): number {
  return 1 + lengthSize(contentLen) + contentLen;
}

export function writeHeader(buf: Uint8Array, off: number, tag: number, len: number): number {
  buf[off++] = tag;
  if (len < 0x80) {
    buf[off++] = len;
  } else {
    const n = lengthSize(len) - 1;
    buf[off++] = 0x80 | n;
    for (let i = n - 1; i >= 0; i--) buf[off++] = Math.floor(len / 256 ** i) & 0xff;
  }
  return off;
}

/** Content length of a minimal two's-complement INTEGER. */
export function intContentSize(v: number): number {
  let n = 1;
  while (v < -0x80 || v >= 0x80) {
    v = Math.floor(v / 256);
    n++;
  }
  return n;
}

/** Writes a whole INTEGER TLV (tag given so unsigned application types reuse it). */
export function writeInteger(buf: Uint8Array, off: number, v: number, tag: number = TAG.integer): number {
  const n = intContentSize(v);
  buf[off++] = tag;
  buf[off++] = n;
  for (let i = n - 1; i >= 0; i--) buf[off++] = ((Math.floor(v / 256 ** i) % 256) + 256) % 256;
  return off;
}

/** Minimal content bytes of an unsigned (BigInt) value, with a leading 0 when the top bit is set. */
export function unsignedContent(v: bigint): Buffer {
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v > 0n);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return Buffer.from(bytes);
}

/** Minimal two's-complement content bytes of a signed value. */
export function signedContent(v: number): Buffer {
  const tlv = Buffer.allocUnsafe(2 + intContentSize(v));
  writeInteger(tlv, 0, v);
  return tlv.subarray(2);
}
