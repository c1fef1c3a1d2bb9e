// The bounded conversation table of port-mirror capture (docs/architecture.md#port-mirror-capture).
// Every captured frame counts here, unsampled: both directions of a conversation share one entry
// (so the SYN/SYN-ACK round trip can be read), each direction with its own packets, bytes (the
// frame's length on the wire), first/last, TCP flags and ICMP type. `collect` hands out what each
// direction gained since the last call (the flow store sums those), then forgets idle entries.
// A full table evicts its oldest entry (its counts are handed out, not lost) and counts it.
import type { FlowRecord } from '../common/flow-record.ts';
import { parsePacket } from '../common/packet.ts';
import { macStr, u16 } from '../common/packet-bytes.ts';

/** One direction of a conversation as exported: the /api/flows row fields plus what capture adds. */
export interface MirrorFlow {
  srcAddr: string;
  dstAddr: string;
  proto: number;
  srcPort: number;
  dstPort: number;
  srcMac: string;
  dstMac: string;
  etherType: number;
  vlan: number;
  /** Frames and their bytes on the wire (Ethernet header included, no FCS). */
  packets: number;
  bytes: number;
  /** Epoch ms of the direction's first and last frame. */
  first: number;
  last: number;
  /** OR of the TCP flags seen in this direction (0 for other protocols). */
  tcpFlags: number;
  /** Last ICMP/ICMPv6 type and code seen in this direction (undefined when none). */
  icmpType?: number;
  icmpCode?: number;
  /** SYN → SYN-ACK time as seen at the capture point, in ms (TCP, when the handshake was seen). */
  rttMs?: number;
}

interface Side {
  packets: number;
  bytes: number;
  first: number;
  last: number;
  tcpFlags: number;
  icmpType: number | undefined;
  icmpCode: number | undefined;
  srcMac: string;
  dstMac: string;
  sentPackets: number;
  sentBytes: number;
  synAt: number;
}

interface Conversation {
  vlan: number;
  etherType: number;
  proto: number;
  /** The side whose frame opened the entry. */
  aAddr: string;
  aPort: number;
  aMac: string;
  bAddr: string;
  bPort: number;
  bMac: string;
  ab: Side;
  ba: Side;
  rttMs: number | undefined;
  last: number;
}

export interface ConversationStats {
  /** Frames counted. */
  frames: number;
  /** Frames of a link type we do not read, or too short for an Ethernet header. */
  unreadable: number;
  /** Entries pushed out by a full table before they went idle. */
  evictions: number;
}

/** Link types a frame may come in (pcap LINKTYPE_*). */
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;

const SYN = 0x02;
const ACK = 0x10;

function side(t: number): Side {
  return {
    packets: 0,
    bytes: 0,
    first: t,
    last: t,
    tcpFlags: 0,
    icmpType: undefined,
    icmpCode: undefined,
    srcMac: '',
    dstMac: '',
    sentPackets: 0,
    sentBytes: 0,
    synAt: -1,
  };
}

export class ConversationTable {
  private entries = new Map<string, Conversation>();
  readonly stats: ConversationStats = { frames: 0, unreadable: 0, evictions: 0 };

  constructor(
    private readonly maxEntries: number,
    /** Receives the flows of evicted entries (what they gained since the last collect). */
    private readonly onEvict: (flows: MirrorFlow[]) => void,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * One frame: `data` as captured (possibly cut at the snap length), `wireLen` its length on the
   * wire, `tsMs` its capture time. Never throws on bad bytes: what cannot be read counts as
   * unreadable or lands in a non-IP entry keyed by whatever L2 fields were there.
   */
  add(linkType: number, data: Buffer, wireLen: number, tsMs: number): void {
    const r = { type: 'flow', protocol: 'mirror', exporter: '' } as FlowRecord;
    if (linkType === LINKTYPE_ETHERNET) {
      if (data.length < 14) {
        this.stats.unreadable++;
        return;
      }
      parsePacket(data, 0, data.length, 'ethernet', r);
    } else if (linkType === LINKTYPE_LINUX_SLL) {
      if (data.length < 16) {
        this.stats.unreadable++;
        return;
      }
      const et = u16(data, 14);
      // Linux cooked header: the sender's link address (6 bytes for Ethernet) and the protocol.
      if (u16(data, 2) === 1 && u16(data, 4) === 6) r.srcMac = macStr(data, 6);
      if (et === 0x0800) parsePacket(data, 16, data.length - 16, 'ipv4', r);
      else if (et === 0x86dd) parsePacket(data, 16, data.length - 16, 'ipv6', r);
      r.etherType ??= et;
    } else if (linkType === LINKTYPE_RAW || linkType === 12 || linkType === 14) {
      if (data.length < 1) {
        this.stats.unreadable++;
        return;
      }
      parsePacket(data, 0, data.length, data[0]! >> 4 === 6 ? 'ipv6' : 'ipv4', r);
    } else {
      this.stats.unreadable++;
      return;
    }
    this.stats.frames++;
    this.count(r, wireLen, tsMs);
  }

  private count(r: FlowRecord, wireLen: number, t: number): void {
    const vlan = r.srcVlan ?? 0;
    const et = r.etherType ?? 0;
    const src = r.srcAddr ?? '';
    const dst = r.dstAddr ?? '';
    const smac = r.srcMac ?? '';
    const dmac = r.dstMac ?? '';
    const ip = src !== '' || dst !== '';
    const proto = ip ? (r.proto ?? 0) : 0;
    const sp = ip ? (r.srcPort ?? 0) : 0;
    const dp = ip ? (r.dstPort ?? 0) : 0;
    // Either direction finds the same entry: the endpoints in a fixed order. IP conversations are
    // keyed by addresses and ports (MACs change across routers); the rest by MACs and EtherType.
    const ea = ip ? `${src}|${sp}` : smac;
    const eb = ip ? `${dst}|${dp}` : dmac;
    // ICMP messages of different kinds between two hosts are different flows (as NetFlow keys them
    // by type): a ping's replies stay echo replies when a port-unreachable follows.
    const kind = ip && (proto === 1 || proto === 58) && typeof r.icmpType === 'number' ? `|${icmpKind(proto, r.icmpType)}` : '';
    const key = (ea <= eb ? `${vlan}|${ip ? proto : et}|${ea}|${eb}` : `${vlan}|${ip ? proto : et}|${eb}|${ea}`) + kind;
    let c = this.entries.get(key);
    if (c === undefined) {
      if (this.entries.size >= this.maxEntries) this.evictOldest();
      c = {
        vlan,
        etherType: et,
        proto,
        aAddr: src,
        aPort: sp,
        aMac: smac,
        bAddr: dst,
        bPort: dp,
        bMac: dmac,
        ab: side(t),
        ba: side(t),
        rttMs: undefined,
        last: t,
      };
      this.entries.set(key, c);
    }
    const forward = ip ? c.aAddr === src && c.aPort === sp : c.aMac === smac;
    const s = forward ? c.ab : c.ba;
    if (s.packets === 0) {
      s.first = s.last = t;
      s.srcMac = smac;
      s.dstMac = dmac;
    } else if (t < s.first) s.first = t;
    else if (t > s.last) s.last = t;
    s.packets++;
    s.bytes += wireLen;
    if (t > c.last) c.last = t;
    if (r.tcpFlags !== undefined) {
      const f = r.tcpFlags;
      s.tcpFlags |= f;
      if ((f & (SYN | ACK)) === SYN && s.synAt < 0) s.synAt = t;
      else if ((f & (SYN | ACK)) === (SYN | ACK) && c.rttMs === undefined) {
        const other = forward ? c.ba : c.ab;
        if (other.synAt >= 0 && t >= other.synAt) c.rttMs = t - other.synAt;
      }
    }
    if (typeof r.icmpType === 'number') {
      s.icmpType = r.icmpType;
      s.icmpCode = r.icmpCode as number | undefined;
    }
  }

  private evictOldest(): void {
    const first = this.entries.entries().next();
    if (first.done) return;
    const [key, c] = first.value;
    this.entries.delete(key);
    this.stats.evictions++;
    const out: MirrorFlow[] = [];
    this.emit(c, out);
    if (out.length) this.onEvict(out);
  }

  /**
   * What every direction gained since the last call. Entries whose last frame is older than
   * `idleBefore` are dropped after their last counts went out.
   */
  collect(idleBefore = -Infinity): MirrorFlow[] {
    const out: MirrorFlow[] = [];
    for (const [key, c] of this.entries) {
      this.emit(c, out);
      if (c.last < idleBefore) this.entries.delete(key);
    }
    return out;
  }

  private emit(c: Conversation, out: MirrorFlow[]): void {
    for (const forward of [true, false]) {
      const s = forward ? c.ab : c.ba;
      const packets = s.packets - s.sentPackets;
      if (packets <= 0) continue;
      const bytes = s.bytes - s.sentBytes;
      s.sentPackets = s.packets;
      s.sentBytes = s.bytes;
      const f: MirrorFlow = {
        srcAddr: forward ? c.aAddr : c.bAddr,
        dstAddr: forward ? c.bAddr : c.aAddr,
        proto: c.proto,
        srcPort: forward ? c.aPort : c.bPort,
        dstPort: forward ? c.bPort : c.aPort,
        srcMac: s.srcMac,
        dstMac: s.dstMac,
        etherType: c.etherType,
        vlan: c.vlan,
        packets,
        bytes,
        first: s.first,
        last: s.last,
        tcpFlags: s.tcpFlags,
      };
      if (s.icmpType !== undefined) {
        f.icmpType = s.icmpType;
        f.icmpCode = s.icmpCode;
      }
      if (c.rttMs !== undefined) f.rttMs = c.rttMs;
      out.push(f);
    }
  }
}

/** Request and reply types share a conversation (echo 8/0, ICMPv6 128/129, timestamp 13/14); other types are their own. */
function icmpKind(proto: number, type: number): string {
  if (proto === 1 && (type === 8 || type === 0)) return 'echo';
  if (proto === 1 && (type === 13 || type === 14)) return 'timestamp';
  if (proto === 58 && (type === 128 || type === 129)) return 'echo';
  return `t${type}`;
}
