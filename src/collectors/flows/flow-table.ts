// The bounded in-memory flow table (DESIGN §8): records aggregated by (exporter, in/out ifIndex,
// VLAN, L3 src/dst, protocol, L4 ports), scaled by their sampling rate, flushed in batches.
import type { FlowRecord } from '../common/flow-record.ts';
import type { FlowEntry } from './flow-store.ts';

export interface Attributed {
  deviceId: string;
  inPortId: string | null;
  outPortId: string | null;
}

export class FlowTable {
  private entries = new Map<string, FlowEntry>();
  /** Flushes forced because the table was full. */
  earlyFlushes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly onFull: (entries: FlowEntry[]) => void,
    /** Device and port nodes of a record; asked only when the record opens a new entry. */
    private readonly attribute: (origin: string, r: FlowRecord, now: number) => Attributed,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * Adds one decoded record. `rate` is the sampling rate already resolved by the protocol
   * (never silently 1: `rateMissing` says when no rate was known).
   */
  add(origin: string, r: FlowRecord, rate: number, rateMissing: boolean, now: number): void {
    const inIf = r.inIf ?? 0;
    const outIf = r.outIf ?? 0;
    const vlan = r.srcVlan ?? r.dstVlan ?? 0;
    const src = r.srcAddr ?? '';
    const dst = r.dstAddr ?? '';
    const proto = r.proto ?? 0;
    const sp = r.srcPort ?? 0;
    const dp = r.dstPort ?? 0;
    const key = `${r.protocol}|${r.exporter}|${r.subAgentId ?? 0}|${inIf}|${outIf}|${vlan}|${src}|${dst}|${proto}|${sp}|${dp}`;
    const bytes = (r.bytes ?? 0) * rate;
    const packets = (r.packets ?? 1) * rate;
    const e = this.entries.get(key);
    if (e) {
      e.bytes += bytes;
      e.packets += packets;
      e.flows++;
      e.last = now;
      if (rateMissing) e.samplingMissing = true;
      return;
    }
    if (this.entries.size >= this.maxEntries) {
      this.earlyFlushes++;
      this.onFull(this.drain());
    }
    const at = this.attribute(origin, r, now);
    this.entries.set(key, {
      protocol: r.protocol, exporter: r.exporter, deviceId: at.deviceId, inIf, outIf, inPortId: at.inPortId, outPortId: at.outPortId,
      vlan, srcAddr: src, dstAddr: dst, proto, srcPort: sp, dstPort: dp,
      first: now, last: now, bytes, packets, flows: 1, samplingRate: rate, samplingMissing: rateMissing,
    });
  }

  /** Takes every entry out (for a flush). */
  drain(): FlowEntry[] {
    const out = [...this.entries.values()];
    this.entries = new Map();
    return out;
  }
}
