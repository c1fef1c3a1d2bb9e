// Walk records as loaders and generators produce them: dotted OID, BER type tag, BER content bytes.
// Encoding happens once at load time; the responder only copies bytes.
import { TAG, signedContent, unsignedContent } from './ber.ts';
import { encodeOidText, formatOid, parseOidText } from './oid.ts';

export interface WalkRecord {
  /** Dotted numeric OID, no leading dot. */
  oid: string;
  /** BER tag of the value (TAG.integer, TAG.octetString, TAG.counter64, …). */
  tag: number;
  /** BER content bytes of the value. */
  value: Buffer;
}

/** Counts of input lines a loader did not turn into records, by reason. */
export interface LoadSkips {
  /** snmpsim variation-module or subtree lines (`OID|tag:module|args`); not simulated. */
  variation: number;
  /** Lines whose OID, tag or value could not be parsed. */
  invalid: number;
  /** Second and later records for an OID already seen (the first wins). */
  duplicate: number;
  /** Tool messages in walk output ("No Such Object…", "No more variables…"). */
  message: number;
}

export function emptySkips(): LoadSkips {
  return { variation: 0, invalid: 0, duplicate: 0, message: 0 };
}

const I32_MIN = -2147483648;
const I32_MAX = 2147483647;
const U32_MAX = 4294967295;

// Typed constructors; return null for out-of-range values so loaders can count them as invalid.
export const rec = {
  int(oid: string, v: number): WalkRecord | null {
    if (!Number.isInteger(v) || v < I32_MIN || v > I32_MAX) return null;
    return { oid, tag: TAG.integer, value: signedContent(v) };
  },
  unsigned(oid: string, tag: number, v: number | bigint): WalkRecord | null {
    const b = BigInt(v);
    const max = tag === TAG.counter64 ? 0xffffffffffffffffn : BigInt(U32_MAX);
    if (b < 0n || b > max) return null;
    return { oid, tag, value: unsignedContent(b) };
  },
  counter32: (oid: string, v: number | bigint) => rec.unsigned(oid, TAG.counter32, v),
  gauge32: (oid: string, v: number | bigint) => rec.unsigned(oid, TAG.gauge32, v),
  timeTicks: (oid: string, v: number | bigint) => rec.unsigned(oid, TAG.timeTicks, v),
  counter64: (oid: string, v: number | bigint) => rec.unsigned(oid, TAG.counter64, v),
  octets(oid: string, v: string | Buffer, tag: number = TAG.octetString): WalkRecord {
    return { oid, tag, value: typeof v === 'string' ? Buffer.from(v, 'latin1') : v };
  },
  /** UTF-8 text (generated names); walk files keep raw bytes via `octets`. */
  text(oid: string, v: string): WalkRecord {
    return { oid, tag: TAG.octetString, value: Buffer.from(v, 'utf8') };
  },
  objectId(oid: string, value: string): WalkRecord | null {
    const enc = encodeOidText(value);
    return enc ? { oid, tag: TAG.oid, value: enc } : null;
  },
  ipAddress(oid: string, dotted: string): WalkRecord | null {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(dotted.trim());
    if (!m) return null;
    const bytes = m.slice(1, 5).map(Number);
    if (bytes.some((b) => b > 255)) return null;
    return { oid, tag: TAG.ipAddress, value: Buffer.from(bytes) };
  },
  null: (oid: string): WalkRecord => ({ oid, tag: TAG.null, value: Buffer.alloc(0) }),
};

/** Hex text ("0a0B", "0a 0b", "0a:0b") to bytes; null when not whole hex pairs. */
export function hexBytes(text: string): Buffer | null {
  const h = text.replace(/[\s:]/g, '');
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) return null;
  return Buffer.from(h, 'hex');
}

/** Decoded JS value of a record, for tests and logs. */
export function decodeValue(r: WalkRecord): number | bigint | string | Buffer | null {
  const v = r.value;
  switch (r.tag) {
    case TAG.integer: {
      let n = v.length > 0 && v[0]! & 0x80 ? -1 : 0;
      for (const b of v) n = n * 256 + b;
      return n;
    }
    case TAG.counter32:
    case TAG.gauge32:
    case TAG.timeTicks: {
      let n = 0;
      for (const b of v) n = n * 256 + b;
      return n;
    }
    case TAG.counter64: {
      let n = 0n;
      for (const b of v) n = n * 256n + BigInt(b);
      return n;
    }
    case TAG.oid:
      return formatOid(v);
    case TAG.ipAddress:
      return [...v].join('.');
    case TAG.null:
    case TAG.noSuchObject:
    case TAG.noSuchInstance:
    case TAG.endOfMibView:
      return null;
    default:
      return v;
  }
}

export function isValidOid(oid: string): boolean {
  return parseOidText(oid) !== null;
}
