// `canopy decode` adapter: whole Ethernet frames with LLDP/CDP, and bare CDP PDUs (strictly recognised).
import type { CliDecoder, CliDecodeResult } from '../cli/decoder-api.ts';
import { decodeCdpPdu } from './cdp.ts';
import { decodeDiscoveryFrame, locateDiscovery, looksLikeCdpPdu } from './frame.ts';
import type { DiscoveryError } from './types.ts';

function render(e: DiscoveryError): string {
  return `${e.code} at offset ${e.offset} (${e.context}): ${e.message}`;
}

export function createLldpCliDecoder(): CliDecoder {
  return {
    name: 'lldp',
    detect(payload: Buffer, kind: 'udp' | 'frame'): boolean {
      if (kind !== 'frame') return false;
      return locateDiscovery(payload) !== null || looksLikeCdpPdu(payload);
    },
    decode(payload: Buffer): CliDecodeResult {
      const r = locateDiscovery(payload) ? decodeDiscoveryFrame(payload) : decodeCdpPdu(payload);
      return { records: r.record ? [r.record] : [], errors: r.errors.map(render) };
    },
  };
}
