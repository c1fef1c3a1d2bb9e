// sFlow v5 flow records (enterprise 0), merged into the one FlowRecord of their sample.
// Layouts: sflow.org sflow_version_5.txt §5 and sflow_drops.txt. Each decoder gets the record
// body [o, end) and returns false when the body is shorter than its fixed fields.
import type { FlowRecord } from '../common/flow-record.ts';
import { parsePacket, type PacketProto } from '../common/packet.ts';
import { ipv4Str, ipv6Str, macStr, u32 } from '../common/packet-bytes.ts';
import { type Ctx, pushError, readString, where } from './context.ts';

/** Flow record formats this module decodes (others are skipped by length and counted). */
export function isFlowRecordFormat(format: number): boolean {
  // A comparison chain, not a Set: Set#has hashes the number on every record.
  return (format >= 1 && format <= 4) || (format >= 1001 && format <= 1005) || (format >= 1036 && format <= 1038);
}

const HEADER_PROTOCOLS: Record<number, PacketProto> = { 1: 'ethernet', 11: 'ipv4', 12: 'ipv6' };
const MAX_AS_PATH = 512;
const MAX_COMMUNITIES = 512;

export function decodeFlowRecord(ctx: Ctx, format: number, o: number, end: number, rec: FlowRecord): boolean {
  const b = ctx.buf;
  const len = end - o;
  switch (format) {
    case 1: {
      // raw packet header
      if (len < 16) return false;
      const hp = u32(b, o);
      rec.headerProtocol = hp;
      ctx.frameLength = u32(b, o + 4);
      rec.frameLength = ctx.frameLength;
      rec.stripped = u32(b, o + 8);
      const hl = u32(b, o + 12);
      rec.headerLength = hl;
      if (hl > len - 16) pushError(ctx, 'truncated-record', o + 12, `${where(ctx)}: header length ${hl} > ${len - 16} bytes left`);
      const proto = HEADER_PROTOCOLS[hp];
      if (proto) {
        const l3 = parsePacket(b, o + 16, Math.min(hl, len - 16), proto, rec, ctx.decapVxlan ? { decapVxlan: true } : undefined);
        if (l3 > 0) ctx.l3FromHeader = l3;
      }
      return true;
    }
    case 2: {
      // sampled Ethernet: MACs are XDR opaque[6], padded to 8 bytes
      if (len < 24) return false;
      ctx.ethLength = u32(b, o);
      rec.srcMac ??= macStr(b, o + 4);
      rec.dstMac ??= macStr(b, o + 12);
      rec.etherType ??= u32(b, o + 20);
      return true;
    }
    case 3: // sampled IPv4
    case 4: {
      // sampled IPv6
      const v6 = format === 4;
      const alen = v6 ? 16 : 4;
      if (len < 8 + 2 * alen + 16) return false;
      ctx.l3FromSampledIp = u32(b, o);
      rec.proto = u32(b, o + 4);
      rec.srcAddr = v6 ? ipv6Str(b, o + 8) : ipv4Str(b, o + 8);
      rec.dstAddr = v6 ? ipv6Str(b, o + 8 + alen) : ipv4Str(b, o + 8 + alen);
      const p = o + 8 + 2 * alen;
      rec.srcPort = u32(b, p);
      rec.dstPort = u32(b, p + 4);
      rec.tcpFlags = u32(b, p + 8);
      rec.tos = u32(b, p + 12);
      rec.etherType ??= v6 ? 0x86dd : 0x0800;
      return true;
    }
    case 1001: {
      // extended switch: explicit VLANs win over tags seen in the header
      if (len < 16) return false;
      // Agents send 0xffffffff for "unknown"; only real VLAN ids (< 4096) are kept.
      const sv = u32(b, o);
      const dv = u32(b, o + 8);
      if (sv < 4096) rec.srcVlan = sv;
      if (dv < 4096) rec.dstVlan = dv;
      rec.srcPriority = u32(b, o + 4);
      rec.dstPriority = u32(b, o + 12);
      return true;
    }
    case 1002: {
      // extended router
      const n = addressLength(b, o, end);
      if (n < 0) return false;
      if (n > 4) rec.nextHop = addressText(b, o, n);
      const p = o + n;
      if (p + 8 > end) return false;
      rec.srcMask = u32(b, p);
      rec.dstMask = u32(b, p + 4);
      return true;
    }
    case 1003:
      return gateway(ctx, o, end, rec);
    case 1004: {
      // extended user
      if (len < 4) return false;
      rec.srcUserCharset = u32(b, o);
      const s = readString(b, o + 4, end);
      if (!s || s.next + 4 > end) return false;
      rec.srcUser = s.value;
      rec.dstUserCharset = u32(b, s.next);
      const d = readString(b, s.next + 4, end);
      if (!d) return false;
      rec.dstUser = d.value;
      return true;
    }
    case 1005: {
      // extended URL
      if (len < 4) return false;
      rec.urlDirection = u32(b, o);
      const url = readString(b, o + 4, end);
      if (!url) return false;
      rec.url = url.value;
      const host = readString(b, url.next, end);
      if (host) rec.urlHost = host.value;
      return true;
    }
    case 1036: // drop sample: egress queue
      if (len < 4) return false;
      rec.egressQueue = u32(b, o);
      return true;
    case 1037: {
      // drop sample: extended ACL
      if (len < 4) return false;
      rec.aclNumber = u32(b, o);
      const name = readString(b, o + 4, end);
      if (!name) return false;
      rec.aclName = name.value;
      if (name.next + 4 <= end) rec.aclDirection = u32(b, name.next);
      return true;
    }
    case 1038: {
      // drop sample: extended function
      const sym = readString(b, o, end);
      if (!sym) return false;
      rec.function = sym.value;
      return true;
    }
  }
  return true;
}

/**
 * Bytes taken by the sFlow `address` at `o` (type 1 IPv4: 8, type 2 IPv6: 20, type 0 unknown: 4),
 * or -1 when it does not fit before `end` or its type is not one of these.
 */
function addressLength(b: Buffer, o: number, end: number): number {
  if (o + 4 > end) return -1;
  const t = u32(b, o);
  const n = t === 1 ? 8 : t === 2 ? 20 : t === 0 ? 4 : -1;
  return n < 0 || o + n > end ? -1 : n;
}

/** Text of an address whose `addressLength` n is > 4. Callers assign it to a named field (a `rec[field]` store is megamorphic). */
function addressText(b: Buffer, o: number, n: number): string {
  return n === 8 ? ipv4Str(b, o + 4) : ipv6Str(b, o + 4);
}

/** Extended gateway (1003): BGP next hop, AS numbers, AS path segments, communities, local pref. */
function gateway(ctx: Ctx, o: number, end: number, rec: FlowRecord): boolean {
  const b = ctx.buf;
  const n = addressLength(b, o, end);
  if (n < 0) return false;
  if (n > 4) rec.bgpNextHop = addressText(b, o, n);
  let p = o + n;
  if (p + 16 > end) return false;
  // akvorado's reading (manifest values): the router's own AS stands in for an unset source AS
  // and for the destination AS when the path is empty.
  const as = u32(b, p);
  const srcAs = u32(b, p + 4);
  rec.peerAs = u32(b, p + 8);
  const segments = u32(b, p + 12);
  p += 16;
  if (typeof rec.bgpNextHop === 'string') rec.nextHop = rec.bgpNextHop;
  const path: number[] = [];
  for (let i = 0; i < segments; i++) {
    if (p + 8 > end) return false;
    const n = u32(b, p + 4);
    if (n > (end - p - 8) / 4 || path.length + n > MAX_AS_PATH) {
      pushError(ctx, 'count-cap', p + 4, `${where(ctx)}: AS path segment of ${n} members`);
      return false;
    }
    p += 8;
    for (let j = 0; j < n; j++, p += 4) path.push(u32(b, p));
  }
  rec.srcAs = srcAs > 0 ? srcAs : as;
  rec.dstAs = path.length > 0 ? path[path.length - 1]! : as;
  rec.asPath = path;
  rec.asPathSegments = segments;
  if (p + 4 > end) return false;
  const nc = u32(b, p);
  p += 4;
  if (nc > (end - p) / 4 || nc > MAX_COMMUNITIES) {
    pushError(ctx, 'count-cap', p - 4, `${where(ctx)}: ${nc} communities`);
    return false;
  }
  const comm: number[] = new Array<number>(nc);
  for (let j = 0; j < nc; j++, p += 4) comm[j] = u32(b, p);
  rec.communities = comm;
  if (p + 4 <= end) rec.localPref = u32(b, p);
  return true;
}
