/**
 * sFlow v5 datagram decoder (sflow.org sflow_version_5.txt, sflow_drops.txt, sflow_host.txt,
 * Open vSwitch's counter records). Pure: one UDP payload in, records + typed errors out; never
 * throws, checks bounds before every read, caps every count.
 *
 *   decodeSflow(buf, opts?) → SflowDatagram
 *   isSflowV5(buf) → boolean
 *
 * Records: one FlowRecord per flow / expanded flow / discarded-packet sample, with all of the
 * sample's records merged into it; one CounterRecord per counter record. Values are as on the
 * wire (not scaled). `bytes` is the L3 length of the sampled packet (IP header length field,
 * else the sampled IPv4/IPv6 record's length, else the frame length), `packets` is 1;
 * `frameLength` keeps sFlow's own frame_length. `sequence` is the sample's sequence number and
 * `datagramSequence` the datagram's (for loss accounting per agent + sub-agent).
 */
import type { CounterRecord, FlowRecord } from '../common/flow-record.ts';
import { ipv4Str, ipv6Str, u32 } from '../common/packet-bytes.ts';
import type { Ctx, SflowDecodeOptions } from './context.ts';
import { pushError } from './context.ts';
import { decodeCounterSample } from './counter-sample.ts';
import { newStats, type SflowDecodeError, type SflowDecodeStats } from './errors.ts';
import { decodeFlowSample } from './flow-sample.ts';
import { fastFlowSample } from './fast-flow.ts';

export type { SflowDecodeOptions } from './context.ts';
export { formatError, type SflowDecodeError, type SflowDecodeStats, type SflowErrorCode } from './errors.ts';

export interface SflowDatagram {
  /** False when the datagram header itself could not be decoded (then no records). */
  ok: boolean;
  version: number;
  agent: string;
  subAgentId: number;
  sequence: number;
  uptime: number;
  /** Samples the header announced. */
  sampleCount: number;
  flows: FlowRecord[];
  /** Flow samples the fast path put straight into `opts.flowSink` (not in `flows`). */
  fastFlows: number;
  counters: CounterRecord[];
  errors: SflowDecodeError[];
  stats: SflowDecodeStats;
}

const SAMPLE_NAMES: Record<number, string> = {
  1: 'flow sample',
  2: 'counter sample',
  3: 'expanded flow sample',
  4: 'expanded counter sample',
  5: 'drop sample',
};

/** A version 5 datagram with a valid agent address type: what `canopy decode` detects on. */
export function isSflowV5(buf: Buffer): boolean {
  if (buf.length < 28) return false;
  if (u32(buf, 0) !== 5) return false;
  const t = u32(buf, 4);
  return t === 1 || (t === 2 && buf.length >= 40);
}

export function decodeSflow(buf: Buffer, opts?: SflowDecodeOptions): SflowDatagram {
  const out = newDatagram();
  return decodeInto(buf, out, newCtx(buf, out, opts), opts, undefined);
}

/**
 * A decoder for the ingest hot path: each call returns the same datagram object (its arrays
 * emptied and refilled), valid until the next call, and keeps the text of the agent addresses it
 * saw, so a datagram costs no allocation beyond its records. Callers that keep a datagram, or its
 * `flows`/`counters`/`errors` arrays, past the next call use decodeSflow.
 */
export function sflowDecoder(opts?: SflowDecodeOptions): (buf: Buffer) => SflowDatagram {
  const out = newDatagram();
  const ctx = newCtx(Buffer.alloc(0), out, opts);
  const agents = new Map<number, string>();
  const stats = out.stats;
  return (buf) => {
    out.ok = false;
    out.version = out.subAgentId = out.sequence = out.uptime = out.sampleCount = out.fastFlows = 0;
    out.agent = '';
    out.flows.length = out.counters.length = out.errors.length = 0;
    stats.samples = stats.flowSamples = stats.counterSamples = stats.dropSamples = stats.records = 0;
    stats.unknownSamples = stats.unknownRecords = stats.skippedCounterRecords = 0;
    ctx.buf = buf;
    ctx.agent = '';
    ctx.sampleName = 'sample';
    ctx.subAgentId = ctx.datagramSequence = ctx.declaredEnd = ctx.sampleIndex = ctx.recordIndex = ctx.uptime = 0;
    ctx.l3FromHeader = ctx.l3FromSampledIp = 0;
    ctx.frameLength = ctx.ethLength = -1;
    return decodeInto(buf, out, ctx, opts, agents);
  };
}

function newDatagram(): SflowDatagram {
  return {
    ok: false,
    version: 0,
    agent: '',
    subAgentId: 0,
    sequence: 0,
    uptime: 0,
    sampleCount: 0,
    flows: [],
    fastFlows: 0,
    counters: [],
    errors: [],
    stats: newStats(),
  };
}

function newCtx(buf: Buffer, out: SflowDatagram, opts: SflowDecodeOptions | undefined): Ctx {
  return {
    buf,
    agent: '',
    subAgentId: 0,
    datagramSequence: 0,
    flows: out.flows,
    counters: out.counters,
    errors: out.errors,
    stats: out.stats,
    decapVxlan: opts?.decapVxlan ?? false,
    maxRecords: opts?.maxRecords ?? 256,
    sampleName: 'sample',
    declaredEnd: 0,
    sampleIndex: 0,
    recordIndex: 0,
    l3FromHeader: 0,
    l3FromSampledIp: 0,
    frameLength: -1,
    ethLength: -1,
    uptime: 0,
    counterGate: opts?.counterGate,
  };
}

/** Agent address text, from the decoder's cache when it has one (bounded: agents are few). */
function agentV4(buf: Buffer, agents: Map<number, string> | undefined): string {
  if (agents === undefined) return ipv4Str(buf, 8);
  const a = u32(buf, 8);
  let s = agents.get(a);
  if (s === undefined) {
    if (agents.size >= 4096) agents.clear();
    agents.set(a, (s = ipv4Str(buf, 8)));
  }
  return s;
}

function decodeInto(
  buf: Buffer,
  out: SflowDatagram,
  ctx: Ctx,
  opts: SflowDecodeOptions | undefined,
  agents: Map<number, string> | undefined,
): SflowDatagram {
  const end = buf.length;
  if (end < 8) {
    pushError(ctx, 'short-datagram', 0, `datagram of ${end} bytes`);
    return out;
  }
  out.version = u32(buf, 0);
  if (out.version !== 5) {
    pushError(ctx, 'bad-version', 0, `version ${out.version}, expected 5`);
    return out;
  }
  const at = u32(buf, 4);
  const alen = at === 1 ? 4 : at === 2 ? 16 : -1;
  if (alen < 0) {
    pushError(ctx, 'bad-address-type', 4, `agent address type ${at}`);
    return out;
  }
  let p = 8 + alen;
  if (p + 16 > end) {
    pushError(ctx, 'short-datagram', 0, `datagram of ${end} bytes, header needs ${p + 16}`);
    return out;
  }
  out.agent = ctx.agent = alen === 4 ? agentV4(buf, agents) : ipv6Str(buf, 8);
  out.subAgentId = ctx.subAgentId = u32(buf, p);
  out.sequence = ctx.datagramSequence = u32(buf, p + 4);
  out.uptime = ctx.uptime = u32(buf, p + 8);
  const n = u32(buf, p + 12);
  out.sampleCount = n;
  out.ok = true;
  p += 16;
  const maxSamples = opts?.maxSamples ?? 1024;
  const sink = opts?.flowSink;
  // Each sample takes at least 8 bytes (format + length): a larger count cannot be honest.
  if (n > maxSamples || n > (end - p) / 8) pushError(ctx, 'count-cap', p - 4, `${n} samples announced`);
  const count = Math.min(n, maxSamples);
  let i = 0;
  for (; i < count; i++) {
    if (p + 8 > end) break;
    ctx.sampleIndex = i + 1;
    const df = u32(buf, p);
    const len = u32(buf, p + 4);
    const body = p + 8;
    const enterprise = df >>> 12;
    const format = df & 0xfff;
    ctx.sampleName = (enterprise === 0 && SAMPLE_NAMES[format]) || `sample (format ${enterprise}:${format})`;
    const last = i === count - 1;
    if (len > end - body && !last) {
      pushError(ctx, 'truncated-sample', p + 4, `${ctx.sampleName} ${i + 1}: length ${len} > ${end - body} left`);
      return out;
    }
    if (len > end - body)
      pushError(ctx, 'truncated-sample', p + 4, `${ctx.sampleName} ${i + 1}: length ${len} > ${end - body} left, decoding what is there`);
    // Some agents (and upstream test data) understate or overstate the last sample's length;
    // its records are then walked up to the datagram end and the mismatch is reported.
    ctx.declaredEnd = Math.min(body + len, end);
    const sampleEnd = last ? end : body + len;
    out.stats.samples++;
    if (enterprise !== 0) {
      out.stats.unknownSamples++;
    } else if (format === 1 || format === 3 || format === 5) {
      if (format === 5) out.stats.dropSamples++;
      else out.stats.flowSamples++;
      if (format !== 5 && sink !== undefined && fastFlowSample(ctx, format, body, sampleEnd, sink)) out.fastFlows++;
      else decodeFlowSample(ctx, format, body, sampleEnd);
    } else if (format === 2 || format === 4) {
      out.stats.counterSamples++;
      decodeCounterSample(ctx, format, body, sampleEnd);
    } else {
      out.stats.unknownSamples++;
    }
    const next = body + ((len + 3) & ~3);
    p = next > end ? end : next;
  }
  if (i < count) pushError(ctx, 'missing-samples', p, `${count - i} of ${n} samples missing`);
  return out;
}
