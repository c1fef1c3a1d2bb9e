// Counter samples (formats 2 and 4): one CounterRecord per counter record, each carrying the
// sample's source so the collector can attach it to the right port node.
import type { CounterRecord } from '../common/flow-record.ts';
import { u32 } from '../common/packet-bytes.ts';
import { type Ctx, pushError, walkRecords, where } from './context.ts';
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
