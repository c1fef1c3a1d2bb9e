// Per-datagram decode state handed to the sample and record decoders (one object per datagram,
// reused across its samples, so the hot path allocates only the records it returns).
import type { CounterRecord, FlowRecord } from '../common/flow-record.ts';
import type { SflowDecodeError, SflowDecodeStats, SflowErrorCode } from './errors.ts';
import { u32 } from '../common/packet-bytes.ts';
import type { FlowSink } from './fast-flow.ts';

/**
 * Asked before a counter sample is decoded, with its generic interface record's ifIndex and
 * operational status (1 up, 2 down) and the datagram's uptime (ms): false turns the sample away,
 * its records walked (bounds, counts) but not decoded. The collector turns away a port it read
 * less than a second ago (component.ts), so a fast stream does not pay for readings it discards.
 */
export type CounterGate = (agent: string, subAgentId: number, ifIndex: number, operStatus: number, uptime: number) => boolean;

export interface SflowDecodeOptions {
  /** Replace VXLAN-encapsulated sampled packets by their inner frame (akvorado's decap option). */
  decapVxlan?: boolean;
  /** Cap on samples per datagram (default 1024). */
  maxSamples?: number;
  /** Cap on records per sample (default 256). */
  maxRecords?: number;
  /**
   * Flow samples of the common shape go straight here instead of becoming FlowRecords
   * (fast-flow.ts; the ingest hot path). Without it every sample is decoded in full.
   */
  flowSink?: FlowSink;
  /** Counter samples the caller would discard are not decoded (see CounterGate). */
  counterGate?: CounterGate;
}

export interface Ctx {
  buf: Buffer;
  agent: string;
  subAgentId: number;
  datagramSequence: number;
  flows: FlowRecord[];
  counters: CounterRecord[];
  errors: SflowDecodeError[];
  stats: SflowDecodeStats;
  decapVxlan: boolean;
  maxRecords: number;
  /** Position for error contexts, built into text only when an error is reported. */
  sampleName: string;
  /** End of the current sample as its length field announces it (records may only pass it in the last sample). */
  declaredEnd: number;
  sampleIndex: number;
  recordIndex: number;
  // Scratch for the flow sample being merged: candidate byte counts, best first.
  l3FromHeader: number;
  l3FromSampledIp: number;
  frameLength: number;
  ethLength: number;
  /** The datagram header's uptime (ms), for the counter gate. */
  uptime: number;
  counterGate: CounterGate | undefined;
}

/** "flow sample 2 record 3" / "counter sample 1" for error contexts. */
export function where(ctx: Ctx): string {
  const s = `${ctx.sampleName} ${ctx.sampleIndex}`;
  return ctx.recordIndex > 0 ? `${s} record ${ctx.recordIndex}` : s;
}

/** Reports once per sample that a record ran past the announced sample end. */
export function checkDeclaredEnd(ctx: Ctx, recordEnd: number, offset: number): void {
  if (recordEnd > ctx.declaredEnd) {
    pushError(ctx, 'length-mismatch', offset, `${where(ctx)}: record ends at ${recordEnd}, sample length says ${ctx.declaredEnd}`);
    ctx.declaredEnd = Infinity;
  }
}

/**
 * Walks the records of one sample (count, then format/length headers), checking every bound
 * and the count cap, and hands each record's body to `visit`; records of an unknown enterprise
 * or format (visit returns false) are counted and skipped by their length.
 */
export function walkRecords(
  ctx: Ctx,
  p: number,
  end: number,
  visit: (enterprise: number, format: number, body: number, bodyEnd: number) => boolean,
): void {
  const b = ctx.buf;
  const n = u32(b, p);
  p += 4;
  // Each record takes at least 8 bytes: a larger count cannot be honest.
  if (n > ctx.maxRecords || n > (end - p) / 8) pushError(ctx, 'count-cap', p - 4, `${where(ctx)}: ${n} records announced`);
  const count = Math.min(n, ctx.maxRecords);
  for (let i = 0; i < count; i++) {
    ctx.recordIndex = i + 1;
    if (p + 8 > end) {
      pushError(ctx, 'truncated-record', p, `${where(ctx)}: record header past sample end`);
      break;
    }
    const df = u32(b, p);
    const len = u32(b, p + 4);
    const body = p + 8;
    if (len > end - body) {
      pushError(ctx, 'truncated-record', p + 4, `${where(ctx)} (format ${df >>> 12}:${df & 0xfff}): length ${len} > ${end - body} left`);
      break;
    }
    checkDeclaredEnd(ctx, body + len, p + 4);
    ctx.stats.records++;
    if (!visit(df >>> 12, df & 0xfff, body, body + len)) ctx.stats.unknownRecords++;
    const next = body + ((len + 3) & ~3);
    p = next > end ? end : next;
  }
  ctx.recordIndex = 0;
}

/** The last header checkedRecord read: the record's data-format word and length. */
export const recordHeader = { df: 0, len: 0 };

/**
 * The record header at `p` of a sample ending at `end`, with walkRecords' checks (the header and
 * body inside the sample, the body inside the declared end): the body's offset, or -1 where
 * walkRecords would report an error. The fast paths then leave the sample to the full decoder.
 */
export function checkedRecord(ctx: Ctx, p: number, end: number): number {
  if (p + 8 > end) return -1;
  const h = recordHeader;
  h.df = u32(ctx.buf, p);
  h.len = u32(ctx.buf, p + 4);
  const body = p + 8;
  return h.len > end - body || body + h.len > ctx.declaredEnd ? -1 : body;
}

export function pushError(ctx: Ctx, code: SflowErrorCode, offset: number, context: string): void {
  // A hostile datagram could announce thousands of broken records; keep the list bounded.
  if (ctx.errors.length < 64) ctx.errors.push({ code, offset, context });
}

/** XDR string<>: length-prefixed, bounded by `end`; returns undefined when it does not fit. */
export function readString(b: Buffer, o: number, end: number): { value: string; next: number } | undefined {
  if (o + 4 > end) return undefined;
  const n = b.readUInt32BE(o);
  if (n > end - o - 4) return undefined;
  return { value: b.toString('utf8', o + 4, o + 4 + n), next: o + 4 + ((n + 3) & ~3) };
}
