// snmpsim `.snmprec` loader: `OID|tag|value` per line, tag = BER tag number in decimal with an
// optional suffix: `x` = value is hex, `e` = value is a Python-escaped string. Parsing follows
// snmpsim 0.4 (the reference): the whole line is trimmed, split on the first two `|`, and bytes
// are taken as Latin-1 so the file's raw bytes go on the wire unchanged.
import { TAG } from './ber.ts';
import { emptySkips, hexBytes, rec, type LoadSkips, type WalkRecord } from './records.ts';
import { parseOidText } from './oid.ts';

export interface LoadResult {
  records: WalkRecord[];
  skips: LoadSkips;
}

const NUMERIC_TAGS = new Set<number>([TAG.integer, TAG.counter32, TAG.gauge32, TAG.timeTicks, TAG.counter64]);
const OCTET_TAGS = new Set<number>([TAG.octetString, TAG.ipAddress, TAG.opaque]);
const EXCEPTION_TAGS = new Set<number>([TAG.noSuchObject, TAG.noSuchInstance, TAG.endOfMibView]);

const ESCAPES: Record<string, number> = { '\\': 92, "'": 39, '"': 34, a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11 };

/** Python-style escaped text (snmpsim's `e` suffix) to bytes; null on a bad escape. */
function unescapeRaw(s: string): Buffer | null {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 92) {
      out.push(c & 0xff);
      continue;
    }
    const e = s[++i];
    if (e === undefined) return null;
    if (e === 'x') {
      const h = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) return null;
      out.push(parseInt(h, 16));
      i += 2;
    } else if (e in ESCAPES) out.push(ESCAPES[e]!);
    else return null;
  }
  return Buffer.from(out);
}

/** Builds one record from snmprec fields; null when the value does not fit the tag. */
export function snmprecRecord(oidText: string, tagText: string, value: string): WalkRecord | null {
  const arcs = parseOidText(oidText);
  if (!arcs) return null;
  const oid = arcs.join('.');
  const m = /^(\d{1,3})([xe]?)$/.exec(tagText);
  if (!m) return null;
  const tag = Number(m[1]);
  const enc = m[2];
  if (tag === TAG.null) return rec.null(oid);
  if (EXCEPTION_TAGS.has(tag)) return { oid, tag, value: Buffer.alloc(0) };
  if (NUMERIC_TAGS.has(tag)) {
    let n: bigint;
    if (enc === 'x') {
      const b = hexBytes(value);
      if (!b || b.length === 0) return null;
      n = BigInt('0x' + b.toString('hex'));
    } else {
      const t = value.trim();
      if (!/^[+-]?\d{1,20}$/.test(t)) return null;
      n = BigInt(t);
    }
    if (tag === TAG.integer) return n < -2147483648n || n > 2147483647n ? null : rec.int(oid, Number(n));
    return rec.unsigned(oid, tag, n);
  }
  if (OCTET_TAGS.has(tag)) {
    let bytes: Buffer | null;
    if (enc === 'x') bytes = hexBytes(value);
    else if (enc === 'e') bytes = unescapeRaw(value);
    else if (tag === TAG.ipAddress) {
      // pysnmp: dotted quad, or a 4-character value taken as the raw address bytes.
      const ip = rec.ipAddress(oid, value);
      if (ip) return ip;
      bytes = value.length === 4 ? Buffer.from(value, 'latin1') : null;
    } else bytes = Buffer.from(value, 'latin1');
    if (!bytes || (tag === TAG.ipAddress && bytes.length !== 4)) return null;
    return rec.octets(oid, bytes, tag);
  }
  if (tag === TAG.oid && enc === '') return rec.objectId(oid, value);
  return null;
}

/** Parses snmprec text (read as Latin-1). Never throws; bad lines are counted in `skips`. */
export function parseSnmprec(text: string): LoadResult {
  const records: WalkRecord[] = [];
  const skips = emptySkips();
  let start = 0;
  while (start <= text.length) {
    let nl = text.indexOf('\n', start);
    if (nl < 0) nl = text.length;
    const line = text.slice(start, nl).trim();
    start = nl + 1;
    if (line === '' || line.startsWith('#')) continue;
    const p1 = line.indexOf('|');
    const p2 = p1 < 0 ? -1 : line.indexOf('|', p1 + 1);
    if (p2 < 0) {
      skips.invalid++;
      continue;
    }
    const tagText = line.slice(p1 + 1, p2);
    if (tagText.includes(':')) {
      // Variation modules (`2:numeric`, `4:writecache`, subtree `:sql`) need snmpsim's plug-ins.
      skips.variation++;
      continue;
    }
    const r = snmprecRecord(line.slice(0, p1), tagText, line.slice(p2 + 1));
    if (r) records.push(r);
    else skips.invalid++;
  }
  return { records, skips };
}
