// Counter samples (formats 2 and 4): one CounterRecord per counter record, each carrying the
// sample's source so the collector can attach it to the right port node.
import type { CounterRecord } from '../common/flow-record.ts';
import { u32 } from '../common/packet-bytes.ts';
import { type Ctx, checkedRecord, pushError, recordHeader, walkRecords, where } from './context.ts';
import { counterName, decodeCounterRecord } from './counter-records.ts';

export function decodeCounterSample(ctx: Ctx, format: number, o: number, end: number): void {
  const b = ctx.buf;
  const fixed = format === 2 ? 12 : 16;
  if (end - o < fixed) {
    pushError(ctx, 'short-body', o, `${where(ctx)}: ${end - o} bytes, need ${fixed}`);
    return;
  }
  const sequence = u32(b, o);
  let srcType: number;
  let srcIndex: number;
  let p: number;
  if (format === 2) {
    const src = u32(b, o + 4);
    srcType = src >>> 24;
    srcIndex = src & 0xffffff;
    p = o + 8;
  } else {
    srcType = u32(b, o + 4);
    srcIndex = u32(b, o + 8);
    p = o + 12;
  }
  if (ctx.counterGate !== undefined && turnedAway(ctx, p, end)) return;
  walkRecords(ctx, p, end, (enterprise, rf, body, bodyEnd) => {
    const name = enterprise === 0 ? counterName(rf) : undefined;
    if (name === undefined) return false;
    const rec: CounterRecord = {
      type: 'counter',
      protocol: 'sflow',
      exporter: ctx.agent,
      subAgentId: ctx.subAgentId,
      sequence,
      datagramSequence: ctx.datagramSequence,
      sourceIdType: srcType,
      sourceIdIndex: srcIndex,
      format: rf,
      name,
      // The port a record describes: the sample's source when it is an ifIndex (type 0);
      // the generic interface record overwrites it with its own ifIndex.
      ifIndex: srcType === 0 ? srcIndex : undefined,
    };
    if (decodeCounterRecord(ctx, rf, body, bodyEnd, rec)) ctx.counters.push(rec);
    else pushError(ctx, 'short-body', body, `${where(ctx)} (format 0:${rf}): ${bodyEnd - body} bytes is too short`);
    return true;
  });
}

/**
 * The counter gate's pre-pass: the sample's records walked with walkRecords' checks, its generic
 * interface record's ifIndex and status read, and the gate asked. True (counted, not decoded) only
 * for a well-formed sample the gate turns away; anything walkRecords would report, or a sample
 * without a generic record, is decoded in full as before.
 */
function turnedAway(ctx: Ctx, p: number, end: number): boolean {
  const b = ctx.buf;
  const n = u32(b, p);
  p += 4;
  if (n > ctx.maxRecords || n > (end - p) / 8) return false;
  let generic = -1;
  let unknown = 0;
  for (let i = 0; i < n; i++) {
    const body = checkedRecord(ctx, p, end);
    if (body < 0) return false;
    const { df, len } = recordHeader;
    if (df >>> 12 !== 0 || counterName(df & 0xfff) === undefined) unknown++;
    else if ((df & 0xfff) === 1) {
      if (generic >= 0 || len < 88) return false;
      generic = body;
    }
    const next = body + ((len + 3) & ~3);
    p = next > end ? end : next;
  }
  if (generic < 0) return false;
  const oper = u32(b, generic + 20) & 2 ? 1 : 2;
  if (ctx.counterGate!(ctx.agent, ctx.subAgentId, u32(b, generic), oper, ctx.uptime)) return false;
  ctx.stats.records += n;
  ctx.stats.unknownRecords += unknown;
  ctx.stats.skippedCounterRecords += n - unknown;
  return true;
}
