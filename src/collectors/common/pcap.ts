// Minimal libpcap / pcapng-free file reader: classic pcap (both byte orders, µs and ns), link
// types Ethernet, raw IP and Linux cooked (SLL). Yields frames; `udpPayloads` walks Eth/VLAN/IP/UDP.

export interface PcapFrame {
  index: number;
  tsMs: number;
  linkType: number;
  data: Buffer;
  /** Length of the frame on the wire (the record's orig_len; `data` may be cut by the snap length). */
  origLen: number;
}

export class PcapError extends Error {}

export function* readPcap(buf: Buffer): Generator<PcapFrame> {
  if (buf.length < 24) throw new PcapError('file shorter than a pcap header');
  const magic = buf.readUInt32LE(0);
  let le: boolean;
  let nanos = false;
  if (magic === 0xa1b2c3d4) le = true;
  else if (magic === 0xd4c3b2a1) le = false;
  else if (magic === 0xa1b23c4d) {
    le = true;
    nanos = true;
  } else if (magic === 0x4d3cb2a1) {
    le = false;
    nanos = true;
  } else throw new PcapError(`not a pcap file (magic 0x${magic.toString(16)})`);
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linkType = u32(20) & 0x0fffffff;
  let off = 24;
  let index = 0;
  while (off + 16 <= buf.length) {
    const sec = u32(off);
    const frac = u32(off + 4);
    const incl = u32(off + 8);
    const origLen = u32(off + 12);
    off += 16;
    if (off + incl > buf.length) throw new PcapError(`frame ${index + 1} truncated`);
    yield { index: ++index, tsMs: sec * 1000 + (nanos ? frac / 1e6 : frac / 1e3), linkType, data: buf.subarray(off, off + incl), origLen };
    off += incl;
  }
}

export interface UdpPayload {
  index: number;
  tsMs: number;
  srcAddr: string;
  dstAddr: string;
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

function ipv6ToString(b: Buffer, o: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 8; i++) parts.push(b.readUInt16BE(o + i * 2).toString(16));
  // Compress the longest run of zeros (RFC 5952).
  let best = -1,
    bestLen = 0;
  for (let i = 0; i < 8;) {
    if (parts[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && parts[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return parts.join(':');
  return `${parts.slice(0, best).join(':')}::${parts.slice(best + bestLen).join(':')}`;
}

/** UDP datagrams in a pcap (IPv4/IPv6, optional 802.1Q tags); non-UDP frames are skipped. */
export function* udpPayloads(buf: Buffer): Generator<UdpPayload> {
  for (const f of readPcap(buf)) {
    const d = f.data;
    let o: number;
    let etherType: number;
    if (f.linkType === 1) {
      if (d.length < 14) continue;
      etherType = d.readUInt16BE(12);
      o = 14;
      while ((etherType === 0x8100 || etherType === 0x88a8) && o + 4 <= d.length) {
        etherType = d.readUInt16BE(o + 2);
        o += 4;
      }
    } else if (f.linkType === 113) {
      if (d.length < 16) continue;
      etherType = d.readUInt16BE(14);
      o = 16;
    } else if (f.linkType === 101 || f.linkType === 12 || f.linkType === 14) {
      if (d.length < 1) continue;
      etherType = d[0]! >> 4 === 6 ? 0x86dd : 0x0800;
      o = 0;
    } else continue;
    let src: string, dst: string, l4: number, proto: number;
    if (etherType === 0x0800) {
      if (o + 20 > d.length) continue;
      const ihl = (d[o]! & 0x0f) * 4;
      proto = d[o + 9]!;
      src = `${d[o + 12]}.${d[o + 13]}.${d[o + 14]}.${d[o + 15]}`;
      dst = `${d[o + 16]}.${d[o + 17]}.${d[o + 18]}.${d[o + 19]}`;
      l4 = o + ihl;
    } else if (etherType === 0x86dd) {
      if (o + 40 > d.length) continue;
      proto = d[o + 6]!;
      src = ipv6ToString(d, o + 8);
      dst = ipv6ToString(d, o + 24);
      l4 = o + 40;
    } else continue;
    if (proto !== 17 || l4 + 8 > d.length) continue;
    const len = d.readUInt16BE(l4 + 4);
    const end = Math.min(d.length, l4 + Math.max(8, len));
    yield {
      index: f.index,
      tsMs: f.tsMs,
      srcAddr: src,
      dstAddr: dst,
      srcPort: d.readUInt16BE(l4),
      dstPort: d.readUInt16BE(l4 + 2),
      payload: d.subarray(l4 + 8, end),
    };
  }
}
