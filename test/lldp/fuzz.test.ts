// Property tests: the decoders never throw, on random bytes, on mutated real frames, and on structurally
// valid TLV streams with random contents aimed at every org/MED/CDP handler. Run count from FUZZ_RUNS.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCdpPdu } from '../../src/lldp/cdp.ts';
import { createLldpCliDecoder } from '../../src/lldp/cli-decoder.ts';
import { decodeDiscoveryFrame, looksLikeCdpPdu } from '../../src/lldp/frame.ts';
import { decodeLldpPdu } from '../../src/lldp/lldp.ts';
import type { DecodeResult } from '../../src/lldp/types.ts';
import { cdpFrame, cdpPdu, cdpTlv, lldpFrame, mandatory, org, tlv } from './build.ts';
import { frames } from './helpers.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
// Large FUZZ_RUNS on a shared 2-core box need more than the default 30 s per property.
const TIMEOUT = Math.max(30_000, RUNS * 5);

const REAL = [
  'tcpdump__lldp_mudurl.pcap',
  'tcpdump__lldp-app-priority.pcap',
  'tcpdump__lldp_8021_linkagg.pcap',
  'lldpd__8023bt.pcap',
  'lldpd__med-loc-malformed.pcap',
  'lldpd__check_lldp-recv_min-nortel.bin',
  'lldpd__check_lldp-recv_lldpd-linux.bin',
  'gopacket__lldp_test-siemens-scalance-x212.bin',
  'scapy__lldp_uts-cisco3560-chassis-netaddr.bin',
  'tcpdump__3560_CDP.pcap',
  'lldpd__check_cdp-recv_cdpv1-cisco1601.bin',
  'lldpd__check_cdp-recv_cdpv2-cisco7206vxr.bin',
  'lldpd-lab.pcap',
].flatMap(frames);
const REAL_PDU = frames('scapy__cdp_uts-CDPv2-dissection1.cdp-pdu.bin')[0]!;

const cli = createLldpCliDecoder();

/** Runs every entry point; checks the result shape and that errors point inside the input. */
function exercise(b: Buffer): void {
  const check = (r: DecodeResult<object>) => {
    for (const e of r.errors) {
      expect(e.offset).toBeGreaterThanOrEqual(0);
      expect(e.offset).toBeLessThanOrEqual(b.length);
      expect(typeof e.message).toBe('string');
    }
    if (r.record) JSON.stringify(r.record);
  };
  check(decodeDiscoveryFrame(b));
  check(decodeLldpPdu(b));
  check(decodeCdpPdu(b));
  looksLikeCdpPdu(b);
  if (cli.detect(b, 'frame')) cli.decode(b, '0.0.0.0');
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), value: fc.constant(0) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
);

function mutate(src: Buffer, muts: { kind: 'flip' | 'cut' | 'insert'; at: number; value: number }[]): Buffer {
  let b = Buffer.from(src);
  for (const m of muts) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    if (m.kind === 'flip') b[at] = m.value;
    else if (m.kind === 'cut') b = b.subarray(0, at);
    else b = Buffer.concat([b.subarray(0, at), Buffer.from([m.value]), b.subarray(at)]);
  }
  return b;
}

describe('LLDP/CDP decoders never throw', () => {
  it(
    'on random bytes',
    () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 1600 }), (a) => exercise(Buffer.from(a))),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'on random bytes behind a valid LLDP / CDP Ethernet header',
    () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 1500 }), fc.boolean(), (a, isCdp) => {
          const body = Buffer.from(a);
          exercise(isCdp ? cdpFrame(Buffer.concat([Buffer.from([2, 180]), body])) : lldpFrame([body], { end: false }));
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'on mutated real frames',
    () => {
      const all = [...REAL, REAL_PDU];
      fc.assert(
        fc.property(fc.integer({ min: 0, max: all.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 8 }), (i, muts) =>
          exercise(mutate(all[i]!, muts)),
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'on well-framed LLDP TLVs with random contents for every known OUI and subtype',
    () => {
      const oui = fc.constantFrom('0080c2', '00120f', '0012bb', '00005e', '000ecf');
      const orgTlv = fc
        .tuple(oui, fc.integer({ min: 0, max: 15 }), fc.uint8Array({ maxLength: 40 }))
        .map(([o, s, v]) => org(o, s, Buffer.from(v)));
      const basic = fc.tuple(fc.integer({ min: 0, max: 12 }), fc.uint8Array({ maxLength: 40 })).map(([t, v]) => tlv(t, Buffer.from(v)));
      fc.assert(
        fc.property(fc.array(fc.oneof(orgTlv, basic), { maxLength: 30 }), (tlvs) => {
          const r = decodeDiscoveryFrame(lldpFrame([...mandatory(), ...tlvs]));
          expect(r.record?.type).toBe('lldp'); // the mandatory head always survives
          exercise(lldpFrame([...mandatory(), ...tlvs]));
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'on well-framed CDP TLVs with random contents for every type',
    () => {
      const t = fc.tuple(fc.integer({ min: 0, max: 0x1c }), fc.uint8Array({ maxLength: 40 })).map(([ty, v]) => cdpTlv(ty, Buffer.from(v)));
      fc.assert(
        fc.property(fc.array(t, { maxLength: 30 }), (tlvs) => {
          const pdu = cdpPdu(tlvs);
          const r = decodeCdpPdu(pdu);
          expect(r.record?.checksumValid).toBe(true);
          exercise(cdpFrame(pdu));
          exercise(pdu);
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});
