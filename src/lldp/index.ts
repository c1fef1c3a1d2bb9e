// Public surface of the LLDP / CDP decoders.
export { decodeLldpPdu, decodeLldpRange, MAX_LLDP_TLVS } from './lldp.ts';
export { decodeCdpPdu, decodeCdpRange, cdpChecksumOk, MAX_CDP_TLVS } from './cdp.ts';
export { decodeDiscoveryFrame, locateDiscovery, looksLikeCdpPdu, type DiscoveryFrameInfo } from './frame.ts';
export { createLldpCliDecoder } from './cli-decoder.ts';
export type * from './types.ts';
