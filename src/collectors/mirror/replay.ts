// A pcap file through the capture path (docs/architecture.md#port-mirror-capture): the same
// conversation table live capture feeds, so `canopy replay` answers what a mirror port carrying
// that traffic would have shown in /api/flows.
import { readPcap } from '../common/pcap.ts';
import { etherTypeName, ipProtocolName } from '../common/protocol-names.ts';
import { ConversationTable, type ConversationStats, type MirrorFlow } from './conversations.ts';

/** One direction of a conversation with the /api/flows row fields. */
export interface ReplayRow extends MirrorFlow {
  protocol: 'mirror';
  exporter: string;
  protoName: string;
  etherTypeName: string;
}

export interface ReplayResult {
  rows: ReplayRow[];
  stats: ConversationStats;
  frames: number;
}

export interface ReplayOptions {
  /** Label of the rows' `exporter` (default 'replay'). */
  exporter?: string;
  tableSize?: number;
  /** Called now and then with the share of the file read (0–1). */
  onProgress?: (done: number) => void;
}

export function toRow(f: MirrorFlow, exporter: string): ReplayRow {
  return { protocol: 'mirror', exporter, ...f, protoName: ipProtocolName(f.proto), etherTypeName: etherTypeName(f.etherType) };
}

/** Every frame of a classic pcap into one conversation table; rows in the order conversations opened. */
export function replayPcap(buf: Buffer, opts: ReplayOptions = {}): ReplayResult {
  const exporter = opts.exporter ?? 'replay';
  const flows: MirrorFlow[] = [];
  const table = new ConversationTable(opts.tableSize ?? 1_000_000, (evicted) => flows.push(...evicted));
  let frames = 0;
  // Progress by bytes consumed; frame offsets are not exposed, so estimate from the frame sizes.
  let seen = 24;
  let nextReport = 0;
  for (const f of readPcap(buf)) {
    frames++;
    table.add(f.linkType, f.data, f.origLen, f.tsMs);
    seen += 16 + f.data.length;
    if (opts.onProgress && seen >= nextReport) {
      opts.onProgress(seen / buf.length);
      nextReport = seen + buf.length / 100;
    }
  }
  flows.push(...table.collect());
  opts.onProgress?.(1);
  return { rows: flows.map((f) => toRow(f, exporter)), stats: table.stats, frames };
}
