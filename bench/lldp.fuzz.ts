// `npm run fuzz`: the LLDP and CDP decoders (src/lldp) on mutated real frames (every LLDP / CDP
// fixture, the lab capture) and on generated, well-framed TLV streams with random contents aimed at
// every organisationally specific / MED / CDP handler. Every entry point runs on each input; they
// never throw, and every error they report points inside the input.
import fc from 'fast-check';
import { decodeCdpPdu } from '../src/lldp/cdp.ts';
import { createLldpCliDecoder } from '../src/lldp/cli-decoder.ts';
import { decodeDiscoveryFrame, locateDiscovery, looksLikeCdpPdu } from '../src/lldp/frame.ts';
import { decodeLldpPdu } from '../src/lldp/lldp.ts';
import type { DecodeResult } from '../src/lldp/types.ts';
import { cdpFrame, cdpPdu, cdpTlv, inetChecksum, lldpFrame, mandatory, org, tlv } from '../test/lldp/build.ts';
import { frames } from '../test/lldp/helpers.ts';
import { inputRng, mutateBytes, sampleArb, type FuzzTarget, type Outcome } from './lib/fuzz-core.ts';

const LLDP_FIXTURES = [
  'tcpdump__lldp_mudurl.pcap',
  'tcpdump__lldp-app-priority.pcap',
  'tcpdump__lldp_8021_linkagg.pcap',
  'lldpd__8023bt.pcap',
  'lldpd__med-loc-malformed.pcap',
  'lldpd__check_lldp-recv_min-nortel.bin',
  'lldpd__check_lldp-recv_lldpd-linux.bin',
  'gopacket__lldp_test-siemens-scalance-x212.bin',
  'scapy__lldp_uts-cisco3560-chassis-netaddr.bin',
  'lldpd-lab.pcap',
];
const CDP_FIXTURES = [
  'tcpdump__3560_CDP.pcap',
  'lldpd__check_cdp-recv_cdpv1-cisco1601.bin',
  'lldpd__check_cdp-recv_cdpv2-cisco7206vxr.bin',
];

const cli = createLldpCliDecoder();

/** Every decoder entry point on one input; throws only on a contract violation. */
export function exerciseDiscovery(b: Buffer): Outcome {
  const check = (r: DecodeResult<object>) => {
    for (const e of r.errors) {
      if (!(e.offset >= 0 && e.offset <= b.length) || typeof e.message !== 'string') throw new Error(`bad error ${JSON.stringify(e)}`);
    }
    if (r.record) JSON.stringify(r.record);
    return r.errors.length;
  };
  const frame = decodeDiscoveryFrame(b);
  check(frame);
  check(decodeLldpPdu(b));
  const pdu = check(decodeCdpPdu(b));
  const bare = looksLikeCdpPdu(b);
  if (cli.detect(b, 'frame')) cli.decode(b, '0.0.0.0');
  // The outcome is the collector's view: the frame decode, or the bare-PDU decode for a bare CDP PDU.
  return (bare ? pdu : frame.errors.length) ? 'error' : 'ok';
}

function lldpFrames(): Buffer[] {
  // Only the LLDP frames of the lab capture (it also holds CDP).
  return LLDP_FIXTURES.flatMap(frames).filter((f) => decodeDiscoveryFrame(f).record?.type !== 'cdp');
}

function cdpFrames(): Buffer[] {
  const all = [...CDP_FIXTURES, 'lldpd-lab.pcap'].flatMap(frames).filter((f) => decodeDiscoveryFrame(f).record?.type === 'cdp');
  return [...all, ...frames('scapy__cdp_uts-CDPv2-dissection1.cdp-pdu.bin')];
}

/** Rewrites a mutated CDP PDU's checksum, so the TLV walk gets past the checksum check. */
function fixCdpChecksum(b: Buffer): Buffer {
  const at = locateDiscovery(b);
  const [s, e] = at?.kind === 'cdp' ? [at.start, at.end] : b[0] === 1 || b[0] === 2 ? [0, b.length] : [-1, -1];
  if (s < 0 || e - s < 4) return b;
  b.writeUInt16BE(0, s + 2);
  b.writeUInt16BE(inetChecksum(b.subarray(s, e)), s + 2);
  return b;
}

function mutatedTarget(name: string, weight: number, seedsOf: () => Buffer[], about: string, cdp = false): FuzzTarget {
  return {
    name,
    weight,
    quick: 2000,
    about,
    open() {
      const seeds = seedsOf();
      return {
        input(seed, i) {
          const r = inputRng(seed, i);
          let b = mutateBytes(seeds[Math.floor(r() * seeds.length)]!, r);
          if (r() < 0.3) b = mutateBytes(b, r);
          return cdp && r() < 0.5 ? fixCdpChecksum(b) : b;
        },
        exec: exerciseDiscovery,
      };
    },
  };
}

const OUIS = ['0080c2', '00120f', '0012bb', '00005e', '000ecf', '00000c', '000142'];
const lldpTlvs = fc.array(
  fc.oneof(
    fc
      .tuple(fc.constantFrom(...OUIS), fc.integer({ min: 0, max: 15 }), fc.uint8Array({ maxLength: 60 }))
      .map(([o, s, v]) => org(o, s, Buffer.from(v))),
    fc.tuple(fc.integer({ min: 0, max: 12 }), fc.uint8Array({ maxLength: 60 })).map(([t, v]) => tlv(t, Buffer.from(v))),
    fc.tuple(fc.integer({ min: 0, max: 127 }), fc.uint8Array({ maxLength: 520 })).map(([t, v]) => tlv(t, Buffer.from(v).subarray(0, 511))),
  ),
  { maxLength: 30 },
);
const lldpInput = fc.record({ tlvs: lldpTlvs, head: fc.boolean(), vlans: fc.array(fc.integer({ min: 0, max: 4095 }), { maxLength: 5 }) });
const cdpInput = fc.record({
  tlvs: fc.array(
    fc
      .tuple(fc.oneof(fc.integer({ min: 0, max: 0x1c }), fc.integer({ min: 0, max: 0xffff })), fc.uint8Array({ maxLength: 80 }))
      .map(([t, v]) => cdpTlv(t, Buffer.from(v))),
    { maxLength: 30 },
  ),
  version: fc.constantFrom(1, 2, 2, 0, 3),
  ttl: fc.integer({ min: 0, max: 255 }),
  framed: fc.boolean(),
  vlans: fc.array(fc.integer({ min: 0, max: 4095 }), { maxLength: 3 }),
});

export const fuzz: FuzzTarget[] = [
  mutatedTarget(
    'lldp.frame.mutated',
    1300,
    lldpFrames,
    'every LLDP frame of the fixtures (tcpdump, lldpd, gopacket, scapy captures and the lab capture), byte-mutated (flips, interesting values, cuts, inserts, duplicated ranges), 30 % twice; all decoder entry points',
  ),
  {
    name: 'lldp.tlv.structured',
    weight: 500,
    quick: 800,
    about:
      'fast-check LLDP frames: with or without the mandatory head, 0–5 VLAN tags, 0–30 TLVs of any type, organisationally specific TLVs for every known OUI and subtype with random contents',
    open: () => ({
      input(seed, i) {
        const t = sampleArb(lldpInput, seed, i);
        return lldpFrame([...(t.head ? mandatory() : []), ...t.tlvs], { vlans: t.vlans });
      },
      exec: exerciseDiscovery,
    }),
  },
  mutatedTarget(
    'cdp.frame.mutated',
    1000,
    cdpFrames,
    'every CDP frame of the fixtures (tcpdump, lldpd captures, the lab capture) and a bare CDP PDU, byte-mutated as for lldp, half with the checksum made valid again; all decoder entry points',
    true,
  ),
  {
    name: 'cdp.tlv.structured',
    weight: 500,
    quick: 800,
    about:
      'fast-check CDP PDUs with a valid checksum: versions 0–3, any TTL, 0–30 TLVs of known and unknown types with random contents, bare or in an 802.3/SNAP frame with 0–3 VLAN tags',
    open: () => ({
      input(seed, i) {
        const t = sampleArb(cdpInput, seed, i);
        const pdu = cdpPdu(t.tlvs, t.version, t.ttl);
        return t.framed ? cdpFrame(pdu, t.vlans) : pdu;
      },
      exec: exerciseDiscovery,
    }),
  },
];
