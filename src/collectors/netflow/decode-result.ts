// What the NetFlow/IPFIX decoder hands back, and the small byte helpers it shares with its callers.
import { u16 } from '../common/packet-bytes.ts';
import type { FlowRecord } from '../common/flow-record.ts';
import type { NetflowError } from './errors.ts';

/** Decoded options data record (not a flow): sampler tables, interface names, system init time … */
export interface OptionsRecord {
  type: 'options';
  protocol: 'netflow9' | 'ipfix';
  exporter: string;
  subAgentId: number;
  sequence: number;
  templateId: number;
  [field: string]: unknown;
}

export interface DecodeResult {
  /** 5, 9 or 10; 0 when the header was unreadable. */
  version: number;
  /** Bytes this message occupied (so concatenated messages can be split); 0 when unknown. */
  length: number;
  errors: NetflowError[];
  /** Lost before this message per its sequence number: records (v5, IPFIX) or packets (v9). */
  lost: number;
}

export interface NetflowStats {
  messages: number;
  flows: number;
  optionsRecords: number;
  templatesLearned: number;
  templatesWithdrawn: number;
  /** Data sets held because their template was unknown, replayed later, or dropped unreplayed. */
  pendingHeld: number;
  pendingReplayed: number;
  errors: number;
  /** Messages whose sequence number was not the one expected from the previous message. */
  sequenceGaps: number;
}

export function newStats(): NetflowStats {
  return {
    messages: 0,
    flows: 0,
    optionsRecords: 0,
    templatesLearned: 0,
    templatesWithdrawn: 0,
    pendingHeld: 0,
    pendingReplayed: 0,
    errors: 0,
    sequenceGaps: 0,
  };
}

/** Many exporters put ICMP type/code in the destination port (type << 8 | code). */
export function icmpFromPort(f: FlowRecord): void {
  if (typeof f.dstPort !== 'number') return;
  f.icmpType = f.dstPort >> 8;
  f.icmpCode = f.dstPort & 255;
}

export function looksLikeIpfixHeader(b: Buffer, o: number): boolean {
  return o + 16 <= b.length && u16(b, o) === 10 && u16(b, o + 2) >= 16 && o + u16(b, o + 2) <= b.length;
}

export function isZero(b: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i] !== 0) return false;
  return true;
}
