// Ethernet framing for discovery protocols: LLDP (ethertype 0x88cc, also behind 802.1Q/802.1ad tags) and CDP
// (802.3 length + LLC/SNAP, OUI 00-00-0c, PID 0x2000). Also a strict check for a bare CDP PDU.
import { cdpChecksumOk, decodeCdpRange } from './cdp.ts';
import { ErrorSink, mac } from './format.ts';
import { decodeLldpRange } from './lldp.ts';
import type { DecodeResult, DiscoveryRecord } from './types.ts';

const MAX_TAGS = 4;

export interface DiscoveryFrameInfo {
  kind: 'lldp' | 'cdp';
  dstMac: string;
  srcMac: string;
  vlanTags: number[];
  /** Payload range in the frame. */
  start: number;
  end: number;
}

/** Locates an LLDP or CDP payload in an Ethernet frame; null when the frame is neither. */
export function locateDiscovery(b: Buffer): DiscoveryFrameInfo | null {
  if (b.length < 14) return null;
  let o = 12;
  let et = b.readUInt16BE(o);
  const tags: number[] = [];
  while ((et === 0x8100 || et === 0x88a8 || et === 0x9100) && tags.length < MAX_TAGS && o + 6 <= b.length) {
    tags.push(b.readUInt16BE(o + 2) & 0xfff);
    o += 4;
    et = b.readUInt16BE(o);
  }
  const base = { dstMac: mac(b, 0), srcMac: mac(b, 6), vlanTags: tags };
  if (et === 0x88cc) return { kind: 'lldp', ...base, start: o + 2, end: b.length };
  if (et <= 1500 && o + 10 <= b.length) {
    const l = o + 2;
    // LLC AA-AA-03, SNAP OUI 00-00-0C, PID 0x2000
    if (
      b[l] === 0xaa &&
      b[l + 1] === 0xaa &&
      b[l + 2] === 0x03 &&
      b.readUIntBE(l + 3, 3) === 0x00000c &&
      b.readUInt16BE(l + 6) === 0x2000
    ) {
      // The 802.3 length counts LLC+SNAP+PDU; anything after it is Ethernet padding.
      return { kind: 'cdp', ...base, start: l + 8, end: Math.min(b.length, l + et) };
    }
  }
  return null;
}

/** Whole Ethernet frame carrying LLDP or CDP. Never throws. */
export function decodeDiscoveryFrame(b: Buffer): DecodeResult<DiscoveryRecord> {
  const info = locateDiscovery(b);
  if (!info) {
    return { record: null, errors: [{ code: 'not-discovery', offset: 0, context: 'ethernet', message: 'not an LLDP or CDP frame' }] };
  }
  const sink = new ErrorSink();
  const r = info.kind === 'lldp' ? decodeLldpRange(b, info.start, info.end, sink) : decodeCdpRange(b, info.start, info.end, sink);
  if (r.record) {
    // Frame fields first in the JSON for readability.
    const { type, ...rest } = r.record;
    const rec = { type, srcMac: info.srcMac, dstMac: info.dstMac, ...(info.vlanTags.length ? { vlanTags: info.vlanTags } : {}), ...rest };
    return { record: rec as DiscoveryRecord, errors: r.errors };
  }
  return { record: null, errors: r.errors };
}

/**
 * A bare CDP PDU (no Ethernet/LLC header), recognised only when all of: version 1/2, a non-zero TTL,
 * a TLV walk that ends exactly at the buffer end with a known first TLV type, and a valid checksum.
 * sFlow / NetFlow / IPFIX payloads start with a 0x00 byte, so they never match.
 */
export function looksLikeCdpPdu(b: Buffer): boolean {
  if (b.length < 8 || (b[0] !== 1 && b[0] !== 2) || b[1] === 0) return false;
  const first = b.readUInt16BE(4);
  if (first < 1 || first > 0x1a) return false;
  let o = 4;
  let n = 0;
  while (o + 4 <= b.length && n < 256) {
    const len = b.readUInt16BE(o + 2);
    if (len < 4) return false;
    o += len;
    n++;
  }
  return o === b.length && cdpChecksumOk(b, 0, b.length);
}
