// NetFlow v5: 24-byte header + count × 48-byte records. Header sampling field: top 2 bits mode,
// low 14 bits interval (0 = not sampled).
import { u16, u32 } from '../common/packet-bytes.ts';
import type { FlowRecord } from '../common/flow-record.ts';
import { nfError, type NetflowError } from './errors.ts';
import { ip4 } from './read.ts';
import { icmpFromPort, type DecodeResult } from './decode-result.ts';

export const V5_HEADER = 24;
export const V5_RECORD = 48;
/** Exporters send at most 30; anything far beyond that is a corrupt count, not a big datagram. */
export const V5_MAX_COUNT = 1024;

export interface V5Header {
  count: number;
  sysUptime: number;
  unixSecs: number;
  unixNsecs: number;
  sequence: number;
  engineType: number;
  engineId: number;
  samplingMode: number;
  samplingInterval: number;
}

export function readV5Header(b: Buffer, start: number): V5Header | NetflowError {
  if (b.length - start < V5_HEADER) return nfError('short-header', 0, `v5 header needs ${V5_HEADER} bytes, have ${b.length - start}`);
  const count = u16(b, start + 2);
  if (count === 0 || count > V5_MAX_COUNT) return nfError('bad-count', 2, `v5 record count ${count}`);
  if (start + V5_HEADER + count * V5_RECORD > b.length) {
    return nfError('bad-length', 2, `v5 count ${count} needs ${V5_HEADER + count * V5_RECORD} bytes, have ${b.length - start}`);
  }
  const s = u16(b, start + 22);
  return {
    count,
    sysUptime: u32(b, start + 4),
    unixSecs: u32(b, start + 8),
    unixNsecs: u32(b, start + 12),
    sequence: u32(b, start + 16),
    engineType: b[start + 20]!,
    engineId: b[start + 21]!,
    samplingMode: s >> 14,
    samplingInterval: s & 0x3fff,
  };
}

/** Decodes the records of a validated v5 message at `start`; returns the message length. */
export function decodeV5Records(b: Buffer, start: number, h: V5Header, exporter: string, out: FlowRecord[]): number {
  // Absolute ms of sysUptime 0: records carry first/last switched as uptime ms.
  const base = h.unixSecs * 1000 + Math.floor(h.unixNsecs / 1e6) - h.sysUptime;
  const sub = (h.engineType << 8) | h.engineId;
  for (let i = 0, o = start + V5_HEADER; i < h.count; i++, o += V5_RECORD) {
    out.push({
      type: 'flow',
      protocol: 'netflow5',
      exporter,
      subAgentId: sub,
      sequence: h.sequence,
      samplingRate: 0,
      samplingRateMissing: undefined,
      srcAddr: ip4(b, o),
      dstAddr: ip4(b, o + 4),
      nextHop: ip4(b, o + 8),
      inIf: u16(b, o + 12),
      outIf: u16(b, o + 14),
      packets: u32(b, o + 16),
      bytes: u32(b, o + 20),
      flowStartMs: base + u32(b, o + 24),
      flowEndMs: base + u32(b, o + 28),
      srcPort: u16(b, o + 32),
      dstPort: u16(b, o + 34),
      tcpFlags: b[o + 37]!,
      proto: b[o + 38]!,
      tos: b[o + 39]!,
      srcAs: u16(b, o + 40),
      dstAs: u16(b, o + 42),
      srcMask: b[o + 44]!,
      dstMask: b[o + 45]!,
    });
  }
  return V5_HEADER + h.count * V5_RECORD;
}

/**
 * One v5 message at `start` into `out` (its length and errors into `res`); the header, or undefined
 * when it was unreadable. v5 records carry no sampling fields: `override`, else the header's rate
 * (interval 0 = unsampled).
 */
export function decodeV5Message(
  buf: Buffer,
  start: number,
  exporter: string,
  out: FlowRecord[],
  res: DecodeResult,
  override: number | undefined,
): V5Header | undefined {
  const h = readV5Header(buf, start);
  if ('code' in h) {
    res.errors.push(h);
    return undefined;
  }
  const first = out.length;
  res.length = decodeV5Records(buf, start, h, exporter, out);
  const rate = override ?? (h.samplingInterval === 0 ? 1 : h.samplingInterval);
  for (let i = first; i < out.length; i++) {
    const f = out[i]!;
    f.samplingRate = rate;
    if (f.proto === 1 || f.proto === 58) icmpFromPort(f);
  }
  return h;
}
