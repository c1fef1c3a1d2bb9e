// The bounded in-memory flow table (docs/architecture.md#flows): records aggregated by (exporter, in/out ifIndex,
// VLAN, L3 src/dst, protocol, L4 ports, and the L2 MACs and EtherType), scaled by their sampling
// rate, flushed in batches. The MACs are part of the key so that non-IP traffic (ARP, LLDP, LACP …)
// between different stations stays apart and a host's flows can be found by its MAC.
import type { FlowRecord } from '../common/flow-record.ts';
import { repointEntry, type FlowEntry } from './flow-store.ts';

export interface Attributed {
  deviceId: string;
  inPortId: string | null;
  outPortId: string | null;
}

/** A table entry and the next one whose key hashed alike. */
interface Slot extends FlowEntry {
  subAgentId: number;
  next: Slot | undefined;
}

/**
 * Entries are found by a 32-bit hash of the key fields in a Map of numbers, chained on collision
 * and compared field by field: cheaper per record than building, flattening and hashing a string
 * key. Strings (protocol, exporter, addresses) enter the hash through small ids interned for the
 * table's lifetime (the decoders hand out the same string objects for repeated addresses, so the
 * lookups hit V8's cached string hashes).
 */
export class FlowTable {
  private buckets = new Map<number, Slot>();
  private ids = new Map<string, number>();
  private count = 0;
  /** Flushes forced because the table was full. */
  earlyFlushes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly onFull: (entries: FlowEntry[]) => void,
    /** Device and port nodes of a record; asked only when the record opens a new entry. */
    private readonly attribute: (origin: string, r: FlowRecord, now: number) => Attributed,
  ) {}

  get size(): number {
    return this.count;
  }

  private id(s: string): number {
    let n = this.ids.get(s);
    if (n === undefined) {
      n = this.ids.size + 1;
      this.ids.set(s, n);
    }
    return n;
  }

  /**
   * Adds one decoded record. `rate` is the sampling rate already resolved by the protocol
   * (never silently 1: `rateMissing` says when no rate was known). `since`: when the record's
   * traffic began, for sources that aggregate before the table (port mirroring); default `now`.
   */
  add(origin: string, r: FlowRecord, rate: number, rateMissing: boolean, now: number, since = now): void {
    const sub = r.subAgentId ?? 0;
    const inIf = r.inIf ?? 0;
    const outIf = r.outIf ?? 0;
    const vlan = r.srcVlan ?? r.dstVlan ?? 0;
    const src = r.srcAddr ?? '';
    const dst = r.dstAddr ?? '';
    const proto = r.proto ?? 0;
    const sp = r.srcPort ?? 0;
    const dp = r.dstPort ?? 0;
    const smac = r.srcMac ?? '';
    const dmac = r.dstMac ?? '';
    const et = r.etherType ?? 0;
    let h = Math.imul(this.id(r.exporter) ^ (this.id(r.protocol) << 24), 0x9e3779b1);
    h = Math.imul(h ^ this.id(src), 0x85ebca6b);
    h = Math.imul(h ^ this.id(dst), 0xc2b2ae35);
    h = Math.imul(h ^ ((sp << 16) | dp), 0x27d4eb2f);
    h = Math.imul(h ^ inIf, 0x165667b1);
    h = Math.imul(h ^ outIf ^ (proto << 24), 0x9e3779b1);
    h = Math.imul(h ^ vlan ^ (sub << 12) ^ (et << 16), 0x85ebca6b);
    // IP records are told apart by their addresses already; the MACs enter the hash only when there
    // are none (they are still compared below), which keeps two map lookups off the common path.
    if (src === '' && dst === '') h = Math.imul(h ^ this.id(smac) ^ (this.id(dmac) << 16), 0x27d4eb2f);
    h ^= h >>> 15;
    const bytes = (r.bytes ?? 0) * rate;
    const packets = (r.packets ?? 1) * rate;
    const first = this.buckets.get(h);
    for (let e = first; e !== undefined; e = e.next) {
      if (
        e.srcAddr === src &&
        e.dstAddr === dst &&
        e.srcPort === sp &&
        e.dstPort === dp &&
        e.inIf === inIf &&
        e.outIf === outIf &&
        e.proto === proto &&
        e.vlan === vlan &&
        e.subAgentId === sub &&
        e.exporter === r.exporter &&
        e.protocol === r.protocol &&
        e.srcMac === smac &&
        e.dstMac === dmac &&
        e.etherType === et
      ) {
        e.bytes += bytes;
        e.packets += packets;
        e.flows++;
        e.last = now;
        if (since < e.first) e.first = since;
        if (rateMissing) e.samplingMissing = true;
        return;
      }
    }
    if (this.count >= this.maxEntries) {
      this.earlyFlushes++;
      this.onFull(this.drain());
      this.add(origin, r, rate, rateMissing, now, since);
      return;
    }
    const at = this.attribute(origin, r, now);
    const slot: Slot = {
      protocol: r.protocol,
      exporter: r.exporter,
      deviceId: at.deviceId,
      inIf,
      outIf,
      inPortId: at.inPortId,
      outPortId: at.outPortId,
      vlan,
      srcAddr: src,
      dstAddr: dst,
      proto,
      srcPort: sp,
      dstPort: dp,
      srcMac: smac,
      dstMac: dmac,
      etherType: et,
      first: since,
      last: now,
      bytes,
      packets,
      flows: 1,
      samplingRate: rate,
      samplingMissing: rateMissing,
      subAgentId: sub,
      next: first,
    };
    this.buckets.set(h, slot);
    this.count++;
  }

  /** Entries naming a node merged away name where it lives now (merges are rare: one pass). */
  repoint(moved: ReadonlyMap<string, string>): void {
    for (const head of this.buckets.values()) {
      for (let e: Slot | undefined = head; e !== undefined; e = e.next) repointEntry(e, moved);
    }
  }

  /** Takes every entry out (for a flush). */
  drain(): FlowEntry[] {
    const out: FlowEntry[] = [];
    for (const head of this.buckets.values()) {
      for (let e: Slot | undefined = head; e !== undefined; e = e.next) out.push(e);
    }
    this.buckets = new Map();
    this.ids = new Map();
    this.count = 0;
    return out;
  }
}
