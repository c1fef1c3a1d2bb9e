// The bounded in-memory flow table (docs/architecture.md#flows): records aggregated by (exporter, in/out ifIndex,
// VLAN, L3 src/dst, protocol, L4 ports, and the L2 MACs and EtherType), scaled by their sampling
// rate, flushed in batches. The MACs are part of the key so that non-IP traffic (ARP, LLDP, LACP …)
// between different stations stays apart and a host's flows can be found by its MAC.
import type { FlowRecord } from '../common/flow-record.ts';
import { repointEntry, type FlowEntry } from './flow-store.ts';
import { addrText, FlowKeys, keyBits, macText } from './flow-keys.ts';

export interface Attributed {
  deviceId: string;
  inPortId: string | null;
  outPortId: string | null;
}

/** A table entry, its key fields as numbers (flow-keys.ts), and the next one whose key hashed alike. */
interface Slot extends FlowEntry {
  subAgentId: number;
  srcKey: number;
  dstKey: number;
  srcMacKey: number;
  dstMacKey: number;
  next: Slot | undefined;
}

/**
 * Memory one entry holds (docs/performance.md, "Memory"): the entry object, its hash-map slot and
 * its address texts; measured at 1 M IPv4 entries as 384 bytes of heap and ~490 of RSS. Used for
 * `storage.flowTableMaxBytes`.
 */
export const ENTRY_BYTES = 480;

export interface FlowTableBounds {
  /** Entries held (in the table and waiting to be written) beyond which new keys are refused. */
  maxEntries: number;
  /** The same bound in estimated bytes (ENTRY_BYTES each). */
  maxBytes: number;
  /** Entries handed to the writer and not yet written (they still hold memory). */
  pending: () => number;
}

/**
 * Entries are found by a 32-bit hash of the key fields in a Map of numbers, chained on collision
 * and compared field by field as numbers (addresses and MACs through FlowKeys): cheaper per record
 * than building, flattening and hashing a string key, and the sFlow fast path (`addSflow`) reaches
 * the same entry as a decoded record without making any text.
 */
export class FlowTable {
  private buckets = new Map<number, Slot>();
  private ids = new Map<string, number>();
  private readonly keys = new FlowKeys();
  private count = 0;
  /** Flushes forced because the table reached its early-flush size. */
  earlyFlushes = 0;
  /** Records refused because the bound was reached (their traffic is not stored). */
  evicted = 0;
  private lastExporter: string | undefined;
  private lastExporterId = 0;
  private lastProtocol: string | undefined;
  private lastProtocolId = 0;
  private readonly bounds: FlowTableBounds;

  constructor(
    /** Entries that trigger an early flush (storage.flowTableSize). */
    private readonly flushAt: number,
    private readonly onFull: (entries: FlowEntry[]) => void,
    /** Device and port nodes of a record; asked only when the record opens a new entry. */
    private readonly attribute: (origin: string, r: FlowRecord, now: number) => Attributed,
    bounds: Partial<FlowTableBounds> = {},
  ) {
    this.bounds = { maxEntries: Infinity, maxBytes: Infinity, pending: () => 0, ...bounds };
  }

  get size(): number {
    return this.count;
  }

  /** Estimated bytes the table's entries hold. */
  get bytes(): number {
    return this.count * ENTRY_BYTES;
  }

  get maxEntries(): number {
    return this.bounds.maxEntries;
  }

  get maxBytes(): number {
    return this.bounds.maxBytes;
  }

  private id(s: string): number {
    let n = this.ids.get(s);
    if (n === undefined) {
      n = this.ids.size + 1;
      this.ids.set(s, n);
    }
    return n;
  }

  // Consecutive records mostly share the exporter and protocol: one comparison instead of a lookup.
  private exporterId(s: string): number {
    if (s !== this.lastExporter) {
      this.lastExporterId = this.id(s);
      this.lastExporter = s;
    }
    return this.lastExporterId;
  }

  private protocolId(s: string): number {
    if (s !== this.lastProtocol) {
      this.lastProtocolId = this.id(s);
      this.lastProtocol = s;
    }
    return this.lastProtocolId;
  }

  /**
   * Adds one decoded record. `rate` is the sampling rate already resolved by the protocol
   * (never silently 1: `rateMissing` says when no rate was known). `since`: when the record's
   * traffic began, for sources that aggregate before the table (port mirroring); default `now`.
   */
  add(origin: string, r: FlowRecord, rate: number, rateMissing: boolean, now: number, since = now): void {
    const src = r.srcAddr ?? '';
    const dst = r.dstAddr ?? '';
    const smac = r.srcMac ?? '';
    const dmac = r.dstMac ?? '';
    const keys = this.keys;
    this.put(
      origin,
      r,
      r.protocol,
      r.exporter,
      r.subAgentId ?? 0,
      r.inIf ?? 0,
      r.outIf ?? 0,
      r.srcVlan ?? r.dstVlan ?? 0,
      keys.addr(src),
      keys.addr(dst),
      r.proto ?? 0,
      r.srcPort ?? 0,
      r.dstPort ?? 0,
      keys.mac(smac),
      keys.mac(dmac),
      r.etherType ?? 0,
      (r.bytes ?? 0) * rate,
      (r.packets ?? 1) * rate,
      rate,
      rateMissing,
      now,
      since,
    );
  }

  /**
   * One sFlow flow sample read straight off the wire (collectors/sflow/fast-flow.ts): the key as
   * numbers (addresses and MACs as FlowKeys makes them), one packet of `bytes`, rate > 0.
   */
  addSflow(
    exporter: string,
    sub: number,
    inIf: number,
    outIf: number,
    vlan: number,
    src: number,
    dst: number,
    proto: number,
    sp: number,
    dp: number,
    smac: number,
    dmac: number,
    et: number,
    bytes: number,
    rate: number,
    now: number,
    /** Records summed into this call (a receive worker aggregates its batch), and when the first came. */
    records = 1,
    since = now,
  ): void {
    // prettier-ignore
    this.put('sflow', undefined, 'sflow', exporter, sub, inIf, outIf, vlan, src, dst, proto, sp, dp, smac, dmac, et, bytes * rate, records * rate, rate, false, now, since, records);
  }

  /**
   * One NetFlow/IPFIX record read straight off the wire (collectors/netflow/key-plan.ts): the key as
   * numbers (as addSflow), its bytes and packets unscaled, the rate resolved by the decoder.
   */
  addKeyed(
    origin: string,
    protocol: FlowRecord['protocol'],
    exporter: string,
    sub: number,
    inIf: number,
    outIf: number,
    vlan: number,
    src: number,
    dst: number,
    proto: number,
    sp: number,
    dp: number,
    smac: number,
    dmac: number,
    et: number,
    bytes: number,
    packets: number,
    rate: number,
    rateMissing: boolean,
    now: number,
  ): void {
    // prettier-ignore
    this.put(origin, undefined, protocol, exporter, sub, inIf, outIf, vlan, src, dst, proto, sp, dp, smac, dmac, et, bytes * rate, packets * rate, rate, rateMissing, now, now);
  }

  /** Key of an address text (IPv6) for addSflow. */
  addrKey(s: string): number {
    return this.keys.addr(s);
  }

  private put(
    origin: string,
    r: FlowRecord | undefined,
    protocol: FlowRecord['protocol'],
    exporter: string,
    sub: number,
    inIf: number,
    outIf: number,
    vlan: number,
    src: number,
    dst: number,
    proto: number,
    sp: number,
    dp: number,
    smac: number,
    dmac: number,
    et: number,
    bytes: number,
    packets: number,
    rate: number,
    rateMissing: boolean,
    now: number,
    since: number,
    records = 1,
  ): void {
    let h = Math.imul(this.exporterId(exporter) ^ (this.protocolId(protocol) << 24), 0x9e3779b1);
    h = Math.imul(h ^ keyBits(src), 0x85ebca6b);
    h = Math.imul(h ^ keyBits(dst), 0xc2b2ae35);
    h = Math.imul(h ^ ((sp << 16) | dp), 0x27d4eb2f);
    h = Math.imul(h ^ inIf, 0x165667b1);
    h = Math.imul(h ^ outIf ^ (proto << 24), 0x9e3779b1);
    h = Math.imul(h ^ vlan ^ (sub << 12) ^ (et << 16), 0x85ebca6b);
    // IP records are told apart by their addresses already; the MACs enter the hash only when there
    // are none (they are still compared below).
    if (src < 0 && dst < 0) h = Math.imul(h ^ keyBits(smac) ^ (keyBits(dmac) << 16), 0x27d4eb2f);
    // 30 bits: a small integer to V8, so the Map key is never a boxed number.
    h = (h ^ (h >>> 15)) & 0x3fffffff;
    const first = this.buckets.get(h);
    for (let e = first; e !== undefined; e = e.next) {
      if (
        e.srcKey === src &&
        e.dstKey === dst &&
        e.srcPort === sp &&
        e.dstPort === dp &&
        e.inIf === inIf &&
        e.outIf === outIf &&
        e.proto === proto &&
        e.vlan === vlan &&
        e.subAgentId === sub &&
        e.exporter === exporter &&
        e.protocol === protocol &&
        e.srcMacKey === smac &&
        e.dstMacKey === dmac &&
        e.etherType === et
      ) {
        e.bytes += bytes;
        e.packets += packets;
        e.flows += records;
        e.last = now;
        if (since < e.first) e.first = since;
        if (rateMissing) e.samplingMissing = true;
        return;
      }
    }
    if (this.count >= this.flushAt) {
      this.earlyFlushes++;
      this.onFull(this.drain());
      this.put(
        origin,
        r,
        protocol,
        exporter,
        sub,
        inIf,
        outIf,
        vlan,
        src,
        dst,
        proto,
        sp,
        dp,
        smac,
        dmac,
        et,
        bytes,
        packets,
        rate,
        rateMissing,
        now,
        since,
        records,
      );
      return;
    }
    const held = this.count + this.bounds.pending();
    if (held >= this.bounds.maxEntries || held * ENTRY_BYTES >= this.bounds.maxBytes) {
      this.evicted += records;
      return;
    }
    const srcAddr = r ? (r.srcAddr ?? '') : addrTextOf(this.keys, src);
    const dstAddr = r ? (r.dstAddr ?? '') : addrTextOf(this.keys, dst);
    const rec: FlowRecord = r ?? { type: 'flow', protocol, exporter, subAgentId: sub, inIf, outIf, srcAddr, dstAddr };
    const at = this.attribute(origin, rec, now);
    const slot: Slot = {
      protocol,
      exporter,
      deviceId: at.deviceId,
      inIf,
      outIf,
      inPortId: at.inPortId,
      outPortId: at.outPortId,
      vlan,
      srcAddr,
      dstAddr,
      proto,
      srcPort: sp,
      dstPort: dp,
      srcMac: r ? (r.srcMac ?? '') : macText(smac),
      dstMac: r ? (r.dstMac ?? '') : macText(dmac),
      etherType: et,
      first: since,
      last: now,
      bytes,
      packets,
      flows: records,
      samplingRate: rate,
      samplingMissing: rateMissing,
      subAgentId: sub,
      srcKey: src,
      dstKey: dst,
      srcMacKey: smac,
      dstMacKey: dmac,
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
    this.keys.clear();
    this.lastExporter = this.lastProtocol = undefined;
    this.count = 0;
    return out;
  }
}

/** Text of an address key from the fast path: IPv4 bytes, or the IPv6 text it interned. */
function addrTextOf(keys: FlowKeys, k: number): string {
  return k < 2 ** 48 ? addrText(k) : keys.textOf(k);
}
