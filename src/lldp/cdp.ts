// Cisco Discovery Protocol v1/v2 PDU: version(1) ttl(1) checksum(2), then type(2) length(2, incl. header) TLVs.
// A checksum mismatch is reported, never fatal: captures are often re-padded or truncated by tools.
import { berOid, bitNames, ErrorSink, hex, ipv4, ipv6, text } from './format.ts';
import type { CdpRecord, DecodeResult } from './types.ts';

export const MAX_CDP_TLVS = 256;
const MAX_ADDRS = 64;
const MAX_UNKNOWN = 128;
const CDP_CAPS = [
  'router',
  'trans-bridge',
  'source-route-bridge',
  'switch',
  'host',
  'igmp',
  'repeater',
  'phone',
  'remote',
  'cvta',
  'mac-relay',
];
const IPV6_SNAP = 'aaaa0300000086dd';

/**
 * Internet checksum as Cisco computes it. For odd lengths IOS adds the last byte as a sign-extended
 * low-order word (in ones' complement: 0xff00 | (b - 1) when b ≥ 0x80, as Wireshark models it)
 * instead of padding it into the high byte; both forms are accepted.
 */
export function cdpChecksumOk(b: Buffer, s: number, e: number): boolean {
  let sum = 0;
  let i = s;
  for (; i + 1 < e; i += 2) sum += i === s + 2 ? 0 : (b[i]! << 8) | b[i + 1]!;
  const fold = (x: number) => {
    while (x > 0xffff) x = (x & 0xffff) + Math.floor(x / 0x10000);
    return ~x & 0xffff;
  };
  const stored = e - s >= 4 ? b.readUInt16BE(s + 2) : -1;
  if (i < e) {
    const last = b[i]!;
    if (fold(sum + (last << 8)) === stored) return true;
    return fold(sum + (last & 0x80 ? 0xff00 | (last - 1) : last)) === stored;
  }
  return fold(sum) === stored;
}

function addressList(b: Buffer, s: number, e: number, sink: ErrorSink, ctx: string): string[] {
  const out: string[] = [];
  if (e - s < 4) {
    sink.add('bad-length', s, ctx, 'address list without count');
    return out;
  }
  const count = b.readUInt32BE(s);
  let o = s + 4;
  for (let k = 0; k < count; k++) {
    if (k >= MAX_ADDRS) {
      sink.add('too-many', o, ctx, `more than ${MAX_ADDRS} addresses`);
      break;
    }
    if (o + 2 > e) {
      sink.add('truncated', o, ctx, `address ${k + 1} of ${count} missing`);
      break;
    }
    const pt = b[o]!;
    const pl = b[o + 1]!;
    const ps = o + 2;
    if (ps + pl + 2 > e) {
      sink.add('truncated', o, ctx, `address ${k + 1}: protocol runs past the TLV`);
      break;
    }
    const al = b.readUInt16BE(ps + pl);
    const as = ps + pl + 2;
    if (as + al > e) {
      sink.add('truncated', o, ctx, `address ${k + 1}: address runs past the TLV`);
      break;
    }
    const proto = hex(b, ps, ps + pl);
    if (pt === 1 && proto === 'cc' && al === 4) out.push(ipv4(b, as));
    else if (pt === 2 && proto === IPV6_SNAP && al === 16) out.push(ipv6(b, as));
    else out.push(`proto-${pt}-${proto}:${hex(b, as, as + al)}`);
    o = as + al;
  }
  return out;
}

function power(b: Buffer, s: number, e: number, sink: ErrorSink, ctx: string): CdpRecord['powerAvailable'] | undefined {
  if (e - s < 4) {
    sink.add('bad-length', s, ctx, `value of ${e - s} bytes, need ≥4`);
    return undefined;
  }
  const powerMw: number[] = [];
  for (let o = s + 4; o + 4 <= e && powerMw.length < 16; o += 4) powerMw.push(b.readUInt32BE(o));
  return { requestId: b.readUInt16BE(s), mgmtId: b.readUInt16BE(s + 2), powerMw };
}

function cdpTlv(t: number, b: Buffer, s: number, e: number, off: number, rec: CdpRecord, sink: ErrorSink): void {
  const n = e - s;
  const ctx = `cdp tlv 0x${t.toString(16).padStart(4, '0')}`;
  const need = (k: number) => {
    if (n >= k) return true;
    sink.add('bad-length', off, ctx, `value of ${n} bytes, need ${k}`);
    return false;
  };
  switch (t) {
    case 0x01:
      rec.deviceId = text(b, s, e);
      return;
    case 0x02:
      rec.addresses.push(...addressList(b, s, e, sink, ctx));
      return;
    case 0x03:
      rec.portId = text(b, s, e);
      return;
    case 0x04:
      if (need(4)) {
        rec.capabilitiesMask = b.readUInt32BE(s);
        rec.capabilities = bitNames(rec.capabilitiesMask, CDP_CAPS);
      }
      return;
    case 0x05:
      rec.softwareVersion = text(b, s, e);
      return;
    case 0x06:
      rec.platform = text(b, s, e);
      return;
    case 0x07: {
      const list: string[] = [];
      for (let o = s; o + 5 <= e && list.length < MAX_ADDRS; o += 5) list.push(`${ipv4(b, o)}/${b[o + 4]}`);
      rec.ipPrefixes = list;
      return;
    }
    case 0x08:
      if (need(5)) rec.protocolHello = { oui: hex(b, s, s + 3, '-'), protocolId: b.readUInt16BE(s + 3), hex: hex(b, s + 5, e) };
      return;
    case 0x09:
      rec.vtpDomain = text(b, s, e);
      return;
    case 0x0a:
      if (need(2)) rec.nativeVlan = b.readUInt16BE(s);
      return;
    case 0x0b:
      if (need(1)) rec.duplex = b[s] ? 'full' : 'half';
      return;
    case 0x0e:
      if (need(3)) rec.voipVlan = b.readUInt16BE(s + 1);
      return;
    case 0x10:
      if (need(2)) rec.powerConsumptionMw = b.readUInt16BE(s);
      return;
    case 0x11:
      if (need(4)) rec.mtu = b.readUInt32BE(s);
      return;
    case 0x12:
      if (need(1)) rec.trustBitmap = b[s]!;
      return;
    case 0x13:
      if (need(1)) rec.untrustedCos = b[s]!;
      return;
    case 0x14:
      rec.sysName = text(b, s, e);
      return;
    case 0x15: {
      // Either a raw BER OID body or a full BER TLV (tag 0x06, short length).
      const full = n >= 2 && b[s] === 0x06 && b[s + 1] === n - 2;
      const oid = full ? berOid(b, s + 2, e) : berOid(b, s, e);
      if (oid === null) sink.add('bad-value', off, ctx, 'malformed sysObjectID');
      else rec.sysObjectId = oid;
      return;
    }
    case 0x16:
      rec.mgmtAddresses.push(...addressList(b, s, e, sink, ctx));
      return;
    case 0x17:
      if (need(1)) rec.location = text(b, s + 1, e);
      return;
    case 0x19: {
      const p = power(b, s, e, sink, ctx);
      if (p) rec.powerRequested = p;
      return;
    }
    case 0x1a: {
      const p = power(b, s, e, sink, ctx);
      if (p) rec.powerAvailable = p;
      return;
    }
    default:
      if (rec.unknownTlvs.length < MAX_UNKNOWN) rec.unknownTlvs.push({ type: t, offset: off, length: n, hex: hex(b, s, e) });
      else sink.add('too-many', off, ctx, `more than ${MAX_UNKNOWN} unknown TLVs`);
  }
}

/** Decodes a CDP PDU in [start, end) of `buf`; error offsets are positions in `buf`. */
export function decodeCdpRange(buf: Buffer, start: number, end: number, sink = new ErrorSink()): DecodeResult<CdpRecord> {
  end = Math.min(end, buf.length);
  if (end - start < 4) {
    sink.add('truncated', start, 'cdp header', `${end - start} bytes, header needs 4`);
    return { record: null, errors: sink.list };
  }
  const version = buf[start]!;
  if (version !== 1 && version !== 2) {
    sink.add('bad-version', start, 'cdp header', `version ${version}`);
    return { record: null, errors: sink.list };
  }
  const rec: CdpRecord = {
    type: 'cdp',
    version,
    ttl: buf[start + 1]!,
    checksum: buf.readUInt16BE(start + 2),
    checksumValid: cdpChecksumOk(buf, start, end),
    addresses: [],
    mgmtAddresses: [],
    unknownTlvs: [],
  };
  if (!rec.checksumValid) sink.add('bad-checksum', start + 2, 'cdp header', `checksum 0x${rec.checksum.toString(16)} does not match`);
  let o = start + 4;
  let count = 0;
  while (o < end) {
    if (count++ >= MAX_CDP_TLVS) {
      sink.add('too-many', o, 'cdp', `more than ${MAX_CDP_TLVS} TLVs`);
      break;
    }
    if (o + 4 > end) {
      sink.add('truncated', o, 'cdp tlv header', `${end - o} bytes left, TLV header needs 4`);
      break;
    }
    const t = buf.readUInt16BE(o);
    const len = buf.readUInt16BE(o + 2);
    if (len < 4) {
      sink.add('bad-length', o, `cdp tlv 0x${t.toString(16)}`, `TLV length ${len} < 4`);
      break;
    }
    if (o + len > end) {
      sink.add('truncated', o, `cdp tlv 0x${t.toString(16)}`, `TLV length ${len} runs past the PDU end`);
      break;
    }
    cdpTlv(t, buf, o + 4, o + len, o, rec, sink);
    o += len;
  }
  return { record: rec, errors: sink.list };
}

/** Bare CDP PDU starting at the version byte. Never throws. */
export function decodeCdpPdu(buf: Buffer): DecodeResult<CdpRecord> {
  return decodeCdpRange(buf, 0, buf.length);
}
