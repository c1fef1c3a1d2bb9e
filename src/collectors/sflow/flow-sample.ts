// Flow samples (formats 1 and 3) and discarded-packet samples (format 5): sample header,
// interface encodings (docs/architecture.md#flows), then every record merged into ONE FlowRecord.
import type { FlowRecord, IfFormat } from '../common/flow-record.ts';
import { u32 } from '../common/packet-bytes.ts';
import { type Ctx, pushError, walkRecords, where } from './context.ts';
import { decodeFlowRecord, isFlowRecordFormat } from './flow-records.ts';

const INTERNAL_IF = 0x3fffffff;
const IF_FORMATS: IfFormat[] = ['ifindex', 'discard', 'multiple'];

/**
 * sFlow discard reasons (sflow_drops.txt) → IPFIX forwardingStatus (RFC 7270 §4.12, 128–191 =
 * dropped), the mapping akvorado uses; unlisted reasons give 128 ("dropped, unknown").
 */
const DISCARD_TO_FORWARDING: Record<number, number> = {
  0: 131,
  1: 131,
  2: 131,
  3: 131,
  4: 133,
  5: 131,
  6: 131,
  7: 131,
  8: 132,
  9: 129,
  10: 129,
  257: 137,
  258: 130,
  259: 143,
  260: 139,
  261: 138,
  262: 135,
  263: 131,
  269: 130,
  302: 140,
};

export function forwardingStatusForDiscard(reason: number): number {
  return DISCARD_TO_FORWARDING[reason] ?? 128;
}

/** Every field a decoded sFlow record may carry, created up front so all records share one shape. */
export function newFlowRecord(ctx: Ctx, sampleFormat: number): FlowRecord {
  return {
    type: 'flow',
    protocol: 'sflow',
    exporter: ctx.agent,
    subAgentId: ctx.subAgentId,
    sequence: undefined,
    datagramSequence: ctx.datagramSequence,
    sampleFormat,
    sourceIdType: undefined,
    sourceIdIndex: undefined,
    samplingRate: undefined,
    samplePool: undefined,
    drops: undefined,
    inIf: undefined,
    outIf: undefined,
    inIfFormat: undefined,
    outIfFormat: undefined,
    discardReason: undefined,
    outIfCount: undefined,
    forwardingStatus: undefined,
    srcMac: undefined,
    dstMac: undefined,
    srcVlan: undefined,
    dstVlan: undefined,
    etherType: undefined,
    srcAddr: undefined,
    dstAddr: undefined,
    proto: undefined,
    srcPort: undefined,
    dstPort: undefined,
    tcpFlags: undefined,
    tos: undefined,
    ttl: undefined,
    bytes: undefined,
    packets: 1,
    nextHop: undefined,
    srcAs: undefined,
    dstAs: undefined,
    asPath: undefined,
    communities: undefined,
    srcMask: undefined,
    dstMask: undefined,
    frameLength: undefined,
    stripped: undefined,
    headerProtocol: undefined,
    headerLength: undefined,
    fragmentId: undefined,
    fragmentOffset: undefined,
    flowLabel: undefined,
    icmpType: undefined,
    icmpCode: undefined,
  };
}

function setInput(rec: FlowRecord, format: number, value: number): void {
  if (format === 0 && value === INTERNAL_IF) {
    rec.inIf = 0;
    rec.inIfFormat = 'internal';
    return;
  }
  rec.inIf = format === 0 ? value : 0;
  rec.inIfFormat = IF_FORMATS[format] ?? 'ifindex';
}

function setOutput(rec: FlowRecord, format: number, value: number): void {
  if (format === 0) {
    if (value === INTERNAL_IF) {
      rec.outIf = 0;
      rec.outIfFormat = 'internal';
    } else {
      rec.outIf = value;
      rec.outIfFormat = 'ifindex';
    }
  } else if (format === 1) {
    rec.outIf = 0;
    rec.outIfFormat = 'discard';
    rec.discardReason = value;
    rec.forwardingStatus = forwardingStatusForDiscard(value);
  } else if (format === 2) {
    rec.outIf = 0;
    rec.outIfFormat = 'multiple';
    rec.outIfCount = value; // 0 = unknown number of interfaces
  } else {
    rec.outIf = 0;
    rec.outIfFormat = 'ifindex';
  }
}

/** Decodes a flow (1), expanded flow (3) or discarded-packet (5) sample body [o, end). */
export function decodeFlowSample(ctx: Ctx, format: number, o: number, end: number): void {
  const b = ctx.buf;
  const fixed = format === 1 ? 32 : format === 3 ? 44 : 32;
  if (end - o < fixed) {
    pushError(ctx, 'short-body', o, `${where(ctx)}: ${end - o} bytes, need ${fixed}`);
    return;
  }
  const rec = newFlowRecord(ctx, format);
  rec.sequence = u32(b, o);
  let p: number;
  if (format === 1) {
    const src = u32(b, o + 4);
    rec.sourceIdType = src >>> 24;
    rec.sourceIdIndex = src & 0xffffff;
    rec.samplingRate = u32(b, o + 8);
    rec.samplePool = u32(b, o + 12);
    rec.drops = u32(b, o + 16);
    const input = u32(b, o + 20);
    const output = u32(b, o + 24);
    setInput(rec, input >>> 30, input & INTERNAL_IF);
    setOutput(rec, output >>> 30, output & INTERNAL_IF);
    p = o + 28;
  } else if (format === 3) {
    rec.sourceIdType = u32(b, o + 4);
    rec.sourceIdIndex = u32(b, o + 8);
    rec.samplingRate = u32(b, o + 12);
    rec.samplePool = u32(b, o + 16);
    rec.drops = u32(b, o + 20);
    setInput(rec, u32(b, o + 24), u32(b, o + 28));
    setOutput(rec, u32(b, o + 32), u32(b, o + 36));
    p = o + 40;
  } else {
    // Discarded packet: input/output are plain ifIndex values (0 = unknown), reason separate.
    rec.sourceIdType = u32(b, o + 4);
    rec.sourceIdIndex = u32(b, o + 8);
    rec.drops = u32(b, o + 12);
    rec.inIf = u32(b, o + 16);
    rec.inIfFormat = 'ifindex';
    rec.outIf = 0;
    rec.outIfFormat = 'discard';
    rec.outIfIndex = u32(b, o + 20);
    const reason = u32(b, o + 24);
    rec.discardReason = reason;
    rec.forwardingStatus = forwardingStatusForDiscard(reason);
    p = o + 28;
  }
  ctx.l3FromHeader = ctx.l3FromSampledIp = 0;
  ctx.frameLength = ctx.ethLength = -1;
  flowRecords(ctx, rec, p, end);
  rec.bytes =
    ctx.l3FromHeader > 0
      ? ctx.l3FromHeader
      : ctx.l3FromSampledIp > 0
        ? ctx.l3FromSampledIp
        : ctx.frameLength >= 0
          ? ctx.frameLength
          : ctx.ethLength >= 0
            ? ctx.ethLength
            : undefined;
  ctx.flows.push(rec);
}

function flowRecords(ctx: Ctx, rec: FlowRecord, p: number, end: number): void {
  walkRecords(ctx, p, end, (enterprise, format, body, bodyEnd) => {
    if (enterprise !== 0 || !isFlowRecordFormat(format)) return false;
    if (!decodeFlowRecord(ctx, format, body, bodyEnd, rec)) {
      pushError(ctx, 'short-body', body, `${where(ctx)} (format 0:${format}): ${bodyEnd - body} bytes is too short`);
    }
    return true;
  });
}
