// LLDPDU TLV walk (IEEE 802.1AB-2016 §8): dispatches basic TLVs and org-specific TLVs by OUI.
import { ErrorSink, hex } from './format.ts';
import { capsTlv, chassisTlv, mgmtTlv, portTlv, stringTlv, ttlTlv } from './lldp-basic.ts';
import { decodeMed } from './lldp-med.ts';
import { decodeDot1, decodeDot3, decodeIana } from './lldp-org.ts';
import type { DecodeResult, LldpRecord } from './types.ts';

/** A 1500-byte LLDPDU holds at most 750 empty TLVs; beyond this cap the rest is skipped. */
export const MAX_LLDP_TLVS = 512;
const MAX_UNKNOWN = 128;

const OUI_DOT1 = 0x0080c2;
const OUI_DOT3 = 0x00120f;
const OUI_MED = 0x0012bb;
const OUI_IANA = 0x00005e;

function ouiText(oui: number): string {
  const t = oui.toString(16).padStart(6, '0');
  return `${t.slice(0, 2)}-${t.slice(2, 4)}-${t.slice(4)}`;
}

export function emptyLldpRecord(): LldpRecord {
  return {
    type: 'lldp',
    chassisId: null,
    chassisIdSubtype: null,
    chassisIdSubtypeName: null,
    portId: null,
    portIdSubtype: null,
    portIdSubtypeName: null,
    ttl: null,
    mgmtAddresses: [],
    unknownTlvs: [],
  };
}

function keepUnknown(rec: LldpRecord, sink: ErrorSink, entry: LldpRecord['unknownTlvs'][number]): void {
  if (rec.unknownTlvs.length < MAX_UNKNOWN) rec.unknownTlvs.push(entry);
  else sink.add('too-many', entry.offset, 'lldp unknown tlv', `more than ${MAX_UNKNOWN} unknown TLVs`);
}

function orgTlv(b: Buffer, s: number, e: number, tlvOff: number, rec: LldpRecord, sink: ErrorSink): void {
  if (e - s < 4) {
    sink.add('bad-length', tlvOff, 'lldp org tlv', `org TLV of ${e - s} bytes, need ≥4`);
    return;
  }
  const oui = b.readUIntBE(s, 3);
  const sub = b[s + 3]!;
  const vs = s + 4;
  let known = false;
  if (oui === OUI_DOT1) known = decodeDot1(sub, b, vs, e, rec, sink);
  else if (oui === OUI_DOT3) known = decodeDot3(sub, b, vs, e, rec, sink);
  else if (oui === OUI_MED) known = decodeMed(sub, b, vs, e, rec, sink);
  else if (oui === OUI_IANA) known = decodeIana(sub, b, vs, e, rec);
  if (!known) keepUnknown(rec, sink, { type: 127, oui: ouiText(oui), subtype: sub, offset: tlvOff, length: e - s, hex: hex(b, vs, e) });
}

/** Decodes an LLDPDU in [start, end) of `buf`; error offsets are positions in `buf`. */
export function decodeLldpRange(buf: Buffer, start: number, end: number, sink = new ErrorSink()): DecodeResult<LldpRecord> {
  const rec = emptyLldpRecord();
  end = Math.min(end, buf.length);
  let o = start;
  let index = 0;
  const seen = new Set<number>();
  while (o < end) {
    if (index >= MAX_LLDP_TLVS) {
      sink.add('too-many', o, 'lldp', `more than ${MAX_LLDP_TLVS} TLVs`);
      break;
    }
    if (o + 2 > end) {
      sink.add('truncated', o, 'lldp tlv header', 'one byte left, TLV header needs 2');
      break;
    }
    const h = buf.readUInt16BE(o);
    const type = h >> 9;
    const len = h & 0x1ff;
    const vs = o + 2;
    const ve = vs + len;
    const ctx = `lldp tlv ${type}`;
    if (ve > end) {
      sink.add('truncated', o, ctx, `TLV length ${len} runs past the PDU end (${end - vs} bytes left)`);
      break;
    }
    if (type === 0) {
      if (len !== 0) sink.add('bad-length', o, ctx, `end TLV with length ${len}`);
      break;
    }
    // Chassis ID, Port ID and TTL must be the first three TLVs, in that order.
    if (index < 3 && type !== index + 1) {
      sink.add('missing-mandatory', o, ctx, `TLV ${index + 1} expected at position ${index + 1}, found type ${type}`);
      index = 3; // report once; decode the rest anyway
    }
    if (type >= 1 && type <= 7 && seen.has(type)) {
      sink.add('bad-value', o, ctx, 'duplicate TLV; the first one is kept');
    } else {
      seen.add(type);
      switch (type) {
        case 1:
          chassisTlv(buf, vs, ve, rec, sink);
          break;
        case 2:
          portTlv(buf, vs, ve, rec, sink);
          break;
        case 3:
          ttlTlv(buf, vs, ve, rec, sink);
          break;
        case 4:
        case 5:
        case 6:
          stringTlv(type, buf, vs, ve, rec);
          break;
        case 7:
          capsTlv(buf, vs, ve, rec, sink);
          break;
        case 8:
          mgmtTlv(buf, vs, ve, rec, sink);
          break;
        case 127:
          orgTlv(buf, vs, ve, o, rec, sink);
          break;
        default:
          keepUnknown(rec, sink, { type, offset: o, length: len, hex: hex(buf, vs, ve) });
      }
    }
    index++;
    o = ve;
  }
  if (index === 0) {
    if (sink.list.length === 0) sink.add('truncated', start, 'lldp', 'empty LLDPDU');
    return { record: null, errors: sink.list };
  }
  for (const [t, name] of [
    [1, 'chassis ID'],
    [2, 'port ID'],
    [3, 'TTL'],
  ] as const) {
    if (!seen.has(t)) sink.add('missing-mandatory', start, 'lldp', `no ${name} TLV`);
  }
  return { record: rec, errors: sink.list };
}

/** Bare LLDPDU (no Ethernet header). Never throws. */
export function decodeLldpPdu(buf: Buffer): DecodeResult<LldpRecord> {
  return decodeLldpRange(buf, 0, buf.length);
}
