// The sFlow ingest fast path (docs/performance.md): a flow sample of the common shape — one raw
// Ethernet or IPv4 header record, at most one extended-switch record, records of unknown formats —
// is read straight into the flow table's key (numbers: no FlowRecord, no address text), with the
// same values the general decoder (flow-sample.ts, flow-records.ts, common/packet.ts) would give the
// table for it. Anything else, or anything the general decoder would report an error for, returns
// false before touching the sink, and the general decoder takes that sample.
import { ipv6Str, u16, u32 } from '../common/packet-bytes.ts';
import { checkedRecord, recordHeader, type Ctx } from './context.ts';
import { isFlowRecordFormat } from './flow-records.ts';

const INTERNAL_IF = 0x3fffffff;
const MAC_HI = 4294967296;

/** Where fast-path samples go (the flow table's addSflow and addrKey). */
export interface FlowSink {
  /** The table's key for an address text (IPv6 addresses). */
  addrKey(s: string): number;
  add(
    exporter: string,
    sub: number,
    inIf: number,
    outIf: number,
    vlan: number,
    src: number,
    dst: number,
    proto: number,
    sp: number,
    dp: number,
    smac: number,
    dmac: number,
    et: number,
    bytes: number,
    rate: number,
  ): void;
}

/** Key fields of the sample being read (one module-level scratch: decoding is synchronous). */
const k = { src: -1, dst: -1, proto: 0, sp: 0, dp: 0, smac: -1, dmac: -1, et: 0, vlan: -1, l3: 0 };

/**
 * Flow sample (format 1) or expanded flow sample (3) body [o, end) into the sink, or false (nothing
 * done) when the general decoder must take it.
 */
export function fastFlowSample(ctx: Ctx, format: number, o: number, end: number, sink: FlowSink): boolean {
  const b = ctx.buf;
  if (end - o < (format === 1 ? 32 : 44)) return false;
  let rate: number, inFmt: number, inVal: number, outFmt: number, outVal: number, p: number;
  if (format === 1) {
    rate = u32(b, o + 8);
    const input = u32(b, o + 20);
    const output = u32(b, o + 24);
    inFmt = input >>> 30;
    inVal = input & INTERNAL_IF;
    outFmt = output >>> 30;
    outVal = output & INTERNAL_IF;
    p = o + 28;
  } else {
    rate = u32(b, o + 12);
    inFmt = u32(b, o + 24);
    inVal = u32(b, o + 28);
    outFmt = u32(b, o + 32);
    outVal = u32(b, o + 36);
    p = o + 40;
  }
  // No rate: the handler counts and flags it (general path).
  if (rate === 0) return false;
  const inIf = inFmt === 0 && inVal !== INTERNAL_IF ? inVal : 0;
  const outIf = outFmt === 0 && outVal !== INTERNAL_IF ? outVal : 0;
  // Records: the same bounds walkRecords checks; any of its errors sends the sample back.
  const n = u32(b, p);
  p += 4;
  if (n > ctx.maxRecords || n > (end - p) / 8) return false;
  let header = -1;
  let headerProto = 0;
  let headerLen = 0;
  let frameLength = 0;
  let sv = 0xffffffff;
  let dv = 0xffffffff;
  let switchSeen = false;
  let unknown = 0;
  for (let i = 0; i < n; i++) {
    const body = checkedRecord(ctx, p, end);
    if (body < 0) return false;
    const { df, len } = recordHeader;
    const fmt = df & 0xfff;
    if (df >>> 12 !== 0 || !isFlowRecordFormat(fmt)) unknown++;
    else if (fmt === 1) {
      if (header >= 0 || len < 16) return false;
      headerProto = u32(b, body);
      frameLength = u32(b, body + 4);
      headerLen = u32(b, body + 12);
      if (headerLen > len - 16) return false;
      header = body + 16;
    } else if (fmt === 1001) {
      if (switchSeen || len < 16) return false;
      switchSeen = true;
      sv = u32(b, body);
      dv = u32(b, body + 8);
    } else return false;
    const next = body + ((len + 3) & ~3);
    p = next > end ? end : next;
  }
  if (header < 0 || headerLen === 0 || header >= b.length) return false;
  const hEnd = Math.min(b.length, header + headerLen);
  k.src = k.dst = k.smac = k.dmac = k.vlan = -1;
  k.proto = k.sp = k.dp = k.et = k.l3 = 0;
  if (headerProto === 1) {
    if (!ethernet(ctx, b, header, hEnd, sink)) return false;
  } else if (headerProto === 11) {
    if (!ipv4(ctx, b, header, hEnd)) return false;
  } else return false;
  // An extended-switch VLAN (< 4096) wins over the header's tag, side by side.
  const srcVlan = sv < 4096 ? sv : k.vlan;
  const dstVlan = dv < 4096 ? dv : k.vlan;
  const vlan = srcVlan >= 0 ? srcVlan : dstVlan >= 0 ? dstVlan : 0;
  ctx.stats.records += n;
  ctx.stats.unknownRecords += unknown;
  const bytes = k.l3 > 0 ? k.l3 : frameLength;
  sink.add(ctx.agent, ctx.subAgentId, inIf, outIf, vlan, k.src, k.dst, k.proto, k.sp, k.dp, k.smac, k.dmac, k.et, bytes, rate);
  return true;
}

function ethernet(ctx: Ctx, b: Buffer, o: number, end: number, sink: FlowSink): boolean {
  if (o + 14 > end) return false;
  k.dmac = u16(b, o) * MAC_HI + u32(b, o + 2);
  k.smac = u16(b, o + 6) * MAC_HI + u32(b, o + 8);
  let et = u16(b, o + 12);
  o += 14;
  for (let tags = 0; (et === 0x8100 || et === 0x88a8 || et === 0x9100) && tags < 4; tags++) {
    if (o + 4 > end) break;
    k.vlan = u16(b, o) & 0x0fff;
    et = u16(b, o + 2);
    o += 4;
  }
  if (et === 0x8847 || et === 0x8848) return false; // MPLS: general path
  k.et = et;
  if (et === 0x0800) return ipv4(ctx, b, o, end);
  if (et === 0x86dd) return ipv6(ctx, b, o, end, sink);
  return true;
}

function ipv4(ctx: Ctx, b: Buffer, o: number, end: number): boolean {
  if (o + 20 > end || b[o]! >> 4 !== 4) return false;
  k.et = 0x0800;
  const ihl = (b[o]! & 0x0f) * 4;
  k.l3 = u16(b, o + 2);
  const frag = u16(b, o + 6) & 0x1fff;
  const p = b[o + 9]!;
  k.proto = p;
  k.src = u32(b, o + 12);
  k.dst = u32(b, o + 16);
  if (frag === 0 && ihl >= 20) return ports(ctx, b, o + ihl, end, p);
  return true;
}

function ipv6(ctx: Ctx, b: Buffer, o: number, end: number, sink: FlowSink): boolean {
  if (o + 40 > end || b[o]! >> 4 !== 6) return false;
  const nh = b[o + 6]!;
  // Extension headers: general path.
  if (nh === 0 || nh === 43 || nh === 60 || nh === 135 || nh === 51 || nh === 44) return false;
  k.et = 0x86dd;
  k.l3 = u16(b, o + 4) + 40;
  k.proto = nh;
  k.src = sink.addrKey(ipv6Str(b, o + 8));
  k.dst = sink.addrKey(ipv6Str(b, o + 24));
  return ports(ctx, b, o + 40, end, nh);
}

function ports(ctx: Ctx, b: Buffer, p: number, end: number, proto: number): boolean {
  if ((proto === 6 || proto === 17 || proto === 132) && p + 4 <= end) {
    k.sp = u16(b, p);
    k.dp = u16(b, p + 2);
    // VXLAN decapsulation replaces the whole key: general path.
    if (proto === 17 && k.dp === 4789 && ctx.decapVxlan) return false;
  }
  return true;
}
