// net-snmp `snmpwalk -On` output loader (`.snmpwalk`, `.walk`, `.txt`):
//   .1.3.6.1.2.1.1.1.0 = STRING: "text"      (may span lines until the closing quote)
//   .1.3.6.1.2.1.2.2.1.6.1 = Hex-STRING: 00 1C 73 …   (long values wrap onto following lines)
//   … = INTEGER: up(1) | Counter32: 5 | Counter64: 5 | Gauge32: 5 | Timeticks: (123) 0:00:01.23
//   … = OID: .1.3.6.1.4.1.30065 | IpAddress: 10.0.0.1 | Network Address: 0A:00:00:01 | NULL | ""
// Names from loaded MIBs are not resolved: walks must be taken with -On (an `iso.` prefix is accepted).
import { TAG } from './ber.ts';
import { emptySkips, hexBytes, rec, type WalkRecord } from './records.ts';
import { parseOidText } from './oid.ts';
import type { LoadResult } from './snmprec.ts';

const START = /^(\.?\d+(?:\.\d+)*|iso(?:\.\d+)*)\s+=\s?(.*)$/;
const HEX_LINE = /^(?:[0-9A-Fa-f]{2}\s*)+$/;

function firstInt(s: string): bigint | null {
  // "up(1)" → 1, "1500 octets" → 1500, "-5" → -5
  const enumM = /^[A-Za-z][\w-]*\((-?\d+)\)/.exec(s);
  if (enumM) return BigInt(enumM[1]!);
  const m = /^(-?\d+)/.exec(s);
  return m ? BigInt(m[1]!) : null;
}

/** Unquotes a net-snmp quoted string (\" and \\ escapes); returns null while the quote is open. */
function closeQuoted(s: string): string | null {
  if (!s.startsWith('"')) return s;
  let out = '';
  for (let i = 1; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length && (s[i + 1] === '"' || s[i + 1] === '\\')) {
      out += s[++i];
    } else if (c === '"') {
      return i === s.length - 1 || s.slice(i + 1).trim() === '' ? out : null;
    } else out += c;
  }
  return null;
}

function toRecord(oid: string, typeAndValue: string): WalkRecord | null | 'message' {
  let tv = typeAndValue.replace(/^Wrong Type \(should be [^)]*\):\s*/, '');
  if (tv === '""') return rec.octets(oid, Buffer.alloc(0));
  if (/^No (Such|more)/.test(tv)) return 'message';
  if (tv === 'NULL') return rec.null(oid);
  const colon = tv.indexOf(': ');
  const type = colon < 0 ? tv.replace(/:$/, '') : tv.slice(0, colon);
  tv = colon < 0 ? '' : tv.slice(colon + 2);
  switch (type) {
    case 'STRING': {
      const s = closeQuoted(tv);
      return s === null ? null : rec.octets(oid, Buffer.from(s, 'latin1'));
    }
    case 'Hex-STRING':
    case 'BITS': {
      const hex = type === 'BITS' ? /^((?:[0-9A-Fa-f]{2}\s*)*)/.exec(tv)![1]! : tv;
      const b = hexBytes(hex);
      return b ? rec.octets(oid, b) : null;
    }
    case 'INTEGER': {
      const n = firstInt(tv);
      return n === null || n < -2147483648n || n > 2147483647n ? null : rec.int(oid, Number(n));
    }
    case 'Counter32':
    case 'Gauge32':
    case 'UInteger32':
    case 'Counter64': {
      const n = firstInt(tv);
      const tag = type === 'Counter32' ? TAG.counter32 : type === 'Counter64' ? TAG.counter64 : TAG.gauge32;
      return n === null ? null : rec.unsigned(oid, tag, n);
    }
    case 'Timeticks': {
      const m = /^\((\d+)\)/.exec(tv) ?? /^(\d+)$/.exec(tv);
      return m ? rec.timeTicks(oid, BigInt(m[1]!)) : null;
    }
    case 'OID':
      return rec.objectId(oid, tv.replace(/^iso/, '1'));
    case 'IpAddress':
      return rec.ipAddress(oid, tv);
    case 'Network Address': {
      const b = hexBytes(tv);
      return b && b.length === 4 ? rec.octets(oid, b, TAG.ipAddress) : null;
    }
    case 'Opaque': {
      const b = hexBytes(tv.replace(/^Hex-STRING:\s*/, ''));
      return b ? rec.octets(oid, b, TAG.opaque) : null;
    }
    default:
      return null;
  }
}

/** Parses `snmpwalk -On` output. Never throws; unparsable lines are counted in `skips`. */
export function parseSnmpwalk(text: string): LoadResult {
  const records: WalkRecord[] = [];
  const skips = emptySkips();
  // Split on LF only: a quoted value may hold CR LF of its own; record lines drop a trailing CR.
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const m = START.exec(line);
    if (!m) {
      if (/^No (Such|more)/.test(line.trim())) skips.message++;
      else skips.invalid++;
      continue;
    }
    const arcs = parseOidText(m[1]!.replace(/^iso/, '1'));
    let value = m[2]!;
    // Multi-line values: an open quoted string continues to its closing quote; hex wraps by lines.
    if (/^(?:Wrong Type \([^)]*\):\s*)?STRING: "/.test(value)) {
      while (closeQuoted(value.slice(value.indexOf('"'))) === null && i + 1 < lines.length) value += '\n' + lines[++i]!;
    } else if (/^(?:Hex-STRING|BITS): /.test(value)) {
      while (i + 1 < lines.length && !START.test(lines[i + 1]!.replace(/\r$/, '')) && HEX_LINE.test(lines[i + 1]!.trim()))
        value += ' ' + lines[++i]!.trim();
    }
    if (!arcs) {
      skips.invalid++;
      continue;
    }
    const r = toRecord(arcs.join('.'), value);
    if (r === 'message') skips.message++;
    else if (r) records.push(r);
    else skips.invalid++;
  }
  return { records, skips };
}
