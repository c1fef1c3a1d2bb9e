/**
 * L2–L4 header parser shared by sFlow raw-header records (flow record format 1) and IPFIX
 * dataLinkFrameSection (IE 315) / ipHeaderPacketSection.
 *
 *   parsePacket(buf, offset, length, proto, out, opts?) → number
 *
 * - `buf[offset, offset + length)` holds the captured header bytes (clamped to `buf.length`);
 *   `proto` says what the first byte is: 'ethernet' (IE 315, sFlow header_protocol 1),
 *   'ipv4' (sFlow 11) or 'ipv6' (sFlow 12).
 * - Writes what it finds into `out` (a FlowRecord; field names as in flow-record.ts):
 *   dstMac, srcMac, srcVlan/dstVlan (innermost 802.1Q/802.1ad tag, written only when still
 *   `undefined`, so an explicit VLAN record such as sFlow extended-switch keeps priority),
 *   outerVlan (QinQ outer tag), mplsLabels, etherType, srcAddr, dstAddr, proto, tos, ttl,
 *   fragmentId, fragmentOffset, flowLabel (IPv6), srcPort, dstPort (TCP/UDP/SCTP), tcpFlags,
 *   icmpType, icmpCode (ICMP and ICMPv6). With `opts.decapVxlan`, a UDP/4789 packet is replaced
 *   by its inner frame and srcOuterAddr, dstOuterAddr, vni are added.
 * - Returns the L3 length announced by the IP header (IPv4 total length, IPv6 payload length
 *   + 40), i.e. the bytes NetFlow/IPFIX would count for the packet; 0 when no IP header was read.
 * - Pure and allocation-light (only the address strings, and an array when MPLS labels are
 *   present). Truncated headers give a partial fill; it never throws and never reads outside
 *   the given range.
 */
import type { FlowRecord } from './flow-record.ts';
import { ipv4Str, ipv6Str, macStr, u16, u32 } from './packet-bytes.ts';

export type PacketProto = 'ethernet' | 'ipv4' | 'ipv6';

export interface PacketOptions {
  /** Replace VXLAN (UDP 4789) packets by their inner frame. */
  decapVxlan?: boolean;
}

const MAX_VLAN_TAGS = 4;
const MAX_MPLS_LABELS = 8;
const MAX_IPV6_EXT_HEADERS = 8;
const VXLAN_PORT = 4789;

export function parsePacket(
  buf: Buffer,
  offset: number,
  length: number,
  proto: PacketProto,
  out: FlowRecord,
  opts?: PacketOptions,
): number {
  if (offset < 0 || length <= 0 || offset >= buf.length) return 0;
  const end = Math.min(buf.length, offset + length);
  if (proto === 'ethernet') return ethernet(buf, offset, end, out, opts, 0);
  if (proto === 'ipv4') return ipv4(buf, offset, end, out, opts, 0);
  return ipv6(buf, offset, end, out, opts, 0);
}

function ethernet(b: Buffer, o: number, end: number, out: FlowRecord, opts: PacketOptions | undefined, depth: number): number {
  if (o + 12 > end) return 0;
  out.dstMac = macStr(b, o);
  out.srcMac = macStr(b, o + 6);
  if (o + 14 > end) return 0;
  let et = u16(b, o + 12);
  o += 14;
  let tags = 0;
  let outer = 0;
  let inner = 0;
  while ((et === 0x8100 || et === 0x88a8 || et === 0x9100) && tags < MAX_VLAN_TAGS) {
    if (o + 4 > end) break;
    const vid = u16(b, o) & 0x0fff;
    if (tags === 0) outer = vid;
    inner = vid;
    tags++;
    et = u16(b, o + 2);
    o += 4;
  }
  if (tags > 0) {
    if (out.srcVlan === undefined) out.srcVlan = inner;
    if (out.dstVlan === undefined) out.dstVlan = inner;
    if (tags > 1) out.outerVlan = outer;
  }
  if (et === 0x8847 || et === 0x8848) {
    const labels: number[] = [];
    for (;;) {
      if (o + 4 > end || labels.length >= MAX_MPLS_LABELS) {
        out.mplsLabels = labels;
        out.etherType = et;
        return 0;
      }
      const entry = u32(b, o);
      labels.push(entry >>> 12);
      o += 4;
      if (entry & 0x100) break; // bottom of stack
    }
    out.mplsLabels = labels;
    if (o >= end) {
      out.etherType = et;
      return 0;
    }
    const nibble = b[o]! >> 4;
    if (nibble === 4) et = 0x0800;
    else if (nibble === 6) et = 0x86dd;
    else {
      out.etherType = et;
      return 0;
    }
  }
  out.etherType = et;
  if (et === 0x0800) return ipv4(b, o, end, out, opts, depth);
  if (et === 0x86dd) return ipv6(b, o, end, out, opts, depth);
  return 0;
}

function ipv4(b: Buffer, o: number, end: number, out: FlowRecord, opts: PacketOptions | undefined, depth: number): number {
  if (o + 20 > end || b[o]! >> 4 !== 4) return 0;
  out.etherType = 0x0800;
  const ihl = (b[o]! & 0x0f) * 4;
  out.tos = b[o + 1]!;
  const l3 = u16(b, o + 2);
  out.fragmentId = u16(b, o + 4);
  const frag = u16(b, o + 6) & 0x1fff;
  out.fragmentOffset = frag;
  out.ttl = b[o + 8]!;
  const p = b[o + 9]!;
  out.proto = p;
  out.srcAddr = ipv4Str(b, o + 12);
  out.dstAddr = ipv4Str(b, o + 16);
  // Non-first fragments carry no L4 header; a bogus IHL leaves the L4 offset unknown.
  if (frag === 0 && ihl >= 20) {
    const inner = l4(b, o + ihl, end, p, out, opts, depth);
    if (inner >= 0) return inner;
  }
  return l3;
}

function ipv6(b: Buffer, o: number, end: number, out: FlowRecord, opts: PacketOptions | undefined, depth: number): number {
  if (o + 40 > end || b[o]! >> 4 !== 6) return 0;
  out.etherType = 0x86dd;
  const w = u32(b, o);
  out.tos = (w >>> 20) & 0xff;
  out.flowLabel = w & 0xfffff;
  const l3 = u16(b, o + 4) + 40;
  let nh = b[o + 6]!;
  out.ttl = b[o + 7]!;
  out.srcAddr = ipv6Str(b, o + 8);
  out.dstAddr = ipv6Str(b, o + 24);
  let p = o + 40;
  let first = true;
  for (let i = 0; i < MAX_IPV6_EXT_HEADERS; i++) {
    if (nh === 0 || nh === 43 || nh === 60 || nh === 135) {
      if (p + 2 > end) {
        out.proto = nh;
        return l3;
      }
      const next = b[p]!;
      p += (b[p + 1]! + 1) * 8;
      nh = next;
    } else if (nh === 51) {
      if (p + 2 > end) {
        out.proto = nh;
        return l3;
      }
      const next = b[p]!;
      p += (b[p + 1]! + 2) * 4;
      nh = next;
    } else if (nh === 44) {
      if (p + 8 > end) {
        out.proto = nh;
        return l3;
      }
      const fragOff = u16(b, p + 2) >> 3;
      out.fragmentOffset = fragOff;
      out.fragmentId = u32(b, p + 4);
      if (fragOff !== 0) first = false;
      nh = b[p]!;
      p += 8;
    } else break;
  }
  out.proto = nh;
  if (first) {
    const inner = l4(b, p, end, nh, out, opts, depth);
    if (inner >= 0) return inner;
  }
  return l3;
}

/** Fills L4 fields; returns the inner L3 length when VXLAN was decapsulated, else -1. */
function l4(b: Buffer, p: number, end: number, proto: number, out: FlowRecord, opts: PacketOptions | undefined, depth: number): number {
  if (proto === 6 || proto === 17 || proto === 132) {
    if (p + 4 > end) return -1;
    out.srcPort = u16(b, p);
    const dst = u16(b, p + 2);
    out.dstPort = dst;
    if (proto === 6) {
      if (p + 14 <= end) out.tcpFlags = b[p + 13]!;
    } else if (proto === 17 && dst === VXLAN_PORT && opts?.decapVxlan && depth === 0 && p + 16 + 14 <= end) {
      return vxlan(b, p + 8, end, out, opts);
    }
  } else if (proto === 1 || proto === 58) {
    if (p + 2 > end) return -1;
    out.icmpType = b[p]!;
    out.icmpCode = b[p + 1]!;
  }
  return -1;
}

function vxlan(b: Buffer, p: number, end: number, out: FlowRecord, opts: PacketOptions): number {
  if ((b[p]! & 0x08) === 0) return -1; // I flag: VNI valid
  const srcOuter = out.srcAddr;
  const dstOuter = out.dstAddr;
  // The inner frame replaces every L2–L4 field of the outer one.
  out.dstMac = out.srcMac = out.srcAddr = out.dstAddr = undefined;
  out.etherType = out.proto = out.tos = out.ttl = out.flowLabel = undefined;
  out.fragmentId = out.fragmentOffset = out.srcPort = out.dstPort = undefined;
  out.tcpFlags = out.icmpType = out.icmpCode = undefined;
  out.srcOuterAddr = srcOuter;
  out.dstOuterAddr = dstOuter;
  out.vni = u32(b, p + 4) >>> 8;
  return ethernet(b, p + 8, end, out, opts, 1);
}
