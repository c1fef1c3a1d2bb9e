// LLDP-MED (ANSI/TIA-1057, OUI 00-12-bb): capabilities, network policy, location, extended power, inventory.
// A malformed location yields an error for that TLV plus whatever could be read; it never stops the PDU.
import { bitNames, hex, text, type ErrorSink } from './format.ts';
import type { LldpRecord, MedCivicElement, MedInfo, MedLocation } from './types.ts';

const MED_CAPS = ['capabilities', 'network-policy', 'location', 'extended-power-pse', 'extended-power-pd', 'inventory'];
const DEVICE_TYPES = ['not defined', 'endpoint class I', 'endpoint class II', 'endpoint class III', 'network connectivity'];
const APP_TYPES = [
  'reserved',
  'voice',
  'voice-signaling',
  'guest-voice',
  'guest-voice-signaling',
  'softphone-voice',
  'video-conferencing',
  'streaming-video',
  'video-signaling',
];
// 802.1Q-2005 Table G-2 traffic types by PCP (lldpd uses the same names).
const PCP_NAMES = [
  'best-effort',
  'background',
  'excellent-effort',
  'critical-applications',
  'video',
  'voice',
  'internetwork-control',
  'network-control',
];
const POWER_PRIORITY = ['unknown', 'critical', 'high', 'low'];
const PSE_SOURCE = ['unknown', 'primary', 'backup', 'reserved'];
const PD_SOURCE = ['unknown', 'pse', 'local', 'pse-and-local'];
// RFC 4776 civic address CAtypes.
const CA_NAMES: Record<number, string> = {
  0: 'language',
  1: 'country-subdivision',
  2: 'county',
  3: 'city',
  4: 'city-division',
  5: 'neighborhood',
  6: 'street-group',
  16: 'leading-street-direction',
  17: 'trailing-street-suffix',
  18: 'street-suffix',
  19: 'house-number',
  20: 'house-number-suffix',
  21: 'landmark',
  22: 'additional-location',
  23: 'name',
  24: 'postal-code',
  25: 'building',
  26: 'unit',
  27: 'floor',
  28: 'room',
  29: 'place-type',
  30: 'postal-community',
  31: 'po-box',
  32: 'additional-code',
  33: 'seat',
  34: 'street',
  35: 'street-section',
  36: 'branch-road',
  37: 'sub-branch-road',
  38: 'street-name-pre-modifier',
  39: 'street-name-post-modifier',
  128: 'script',
};
const MAX_POLICIES = 16;
const MAX_LOCATIONS = 8;
const MAX_CIVIC = 64;

const signed = (v: number, bits: number) => (v >= 2 ** (bits - 1) ? v - 2 ** bits : v);

function coordinate(b: Buffer, s: number): NonNullable<MedLocation['coordinate']> {
  // RFC 3825: 6-bit resolution + 34-bit 9.25 fixed point; altitude type 4 + res 6 + 30-bit 22.8; datum 8.
  const lat = b.readUIntBE(s, 5) % 2 ** 34;
  const lon = b.readUIntBE(s + 5, 5) % 2 ** 34;
  const altWord = b.readUIntBE(s + 10, 5);
  return {
    latitude: signed(lat, 34) / 2 ** 25,
    longitude: signed(lon, 34) / 2 ** 25,
    altitudeType: Math.floor(altWord / 2 ** 36),
    altitude: signed(altWord % 2 ** 30, 30) / 256,
    datum: b[s + 15]!,
  };
}

function location(b: Buffer, s: number, e: number, sink: ErrorSink, ctx: string): MedLocation {
  const format = b[s]!;
  const v = s + 1;
  const loc: MedLocation = { format, formatName: 'unknown', hex: hex(b, v, e) };
  const bad = (off: number, msg: string) => {
    loc.malformed = true;
    sink.add('bad-length', off, ctx, msg);
  };
  if (format === 1) {
    loc.formatName = 'coordinate';
    if (e - v < 16) bad(v, `coordinate LCI of ${e - v} bytes, need 16`);
    else loc.coordinate = coordinate(b, v);
  } else if (format === 2) {
    loc.formatName = 'civic';
    if (e - v < 1) {
      bad(v, 'civic LCI without length');
      return loc;
    }
    const lciLen = b[v]!;
    // The LCI length counts what(1)+country(2)+CAs; read what + country from the TLV even when the
    // LCI length is too short for them (lldpd does the same), but then flag the TLV as malformed.
    if (lciLen < 3) bad(v, `civic LCI length ${lciLen}, need ≥3`);
    if (v + 1 + lciLen > e) bad(v, `civic LCI length ${lciLen} runs past the TLV`);
    if (e - v < 4) {
      if (e - v >= 2) loc.civic = { what: b[v + 1]!, country: '', elements: [] };
      bad(v, 'civic LCI truncated before the country code');
      return loc;
    }
    const civic = { what: b[v + 1]!, country: text(b, v + 2, v + 4), elements: [] as MedCivicElement[] };
    loc.civic = civic;
    const end = Math.min(e, v + 1 + lciLen);
    let o = v + 4;
    while (o < end) {
      if (o + 2 > end) {
        bad(o, 'civic address element header truncated');
        break;
      }
      const t = b[o]!;
      const l = b[o + 1]!;
      if (o + 2 + l > end) {
        bad(o, `civic address element ${t} of ${l} bytes runs past the LCI`);
        break;
      }
      if (civic.elements.length >= MAX_CIVIC) {
        sink.add('too-many', o, ctx, 'civic element cap reached');
        break;
      }
      civic.elements.push({ type: t, name: CA_NAMES[t] ?? `catype-${t}`, value: text(b, o + 2, o + 2 + l) });
      o += 2 + l;
    }
  } else if (format === 3) {
    loc.formatName = 'elin';
    loc.elin = text(b, v, e);
  } else sink.add('bad-value', s, ctx, `unknown location data format ${format}`);
  return loc;
}

function med(rec: LldpRecord): MedInfo {
  return (rec.med ??= {});
}

export function decodeMed(sub: number, b: Buffer, s: number, e: number, rec: LldpRecord, sink: ErrorSink): boolean {
  const n = e - s;
  const ctx = `lldp-med subtype ${sub}`;
  const short = (need: number) => {
    if (n >= need) return false;
    sink.add('bad-length', s, ctx, `value of ${n} bytes, need ${need}`);
    return true;
  };
  switch (sub) {
    case 1: {
      if (short(3)) return true;
      const m = med(rec);
      m.capabilitiesMask = b.readUInt16BE(s);
      m.capabilities = bitNames(m.capabilitiesMask, MED_CAPS);
      m.deviceType = b[s + 2]!;
      m.deviceTypeName = DEVICE_TYPES[m.deviceType] ?? 'reserved';
      return true;
    }
    case 2: {
      if (short(4)) return true;
      const list = (med(rec).policies ??= []);
      if (list.length >= MAX_POLICIES) {
        sink.add('too-many', s, ctx, 'network policy cap reached');
        return true;
      }
      const app = b[s]!;
      const w = b.readUIntBE(s + 1, 3); // U(1) T(1) X(1) VID(12) PCP(3) DSCP(6)
      const pcp = (w >> 6) & 7;
      list.push({
        appType: app,
        appTypeName: APP_TYPES[app] ?? 'reserved',
        defined: (w & 0x800000) === 0, // the U bit means "unknown policy"
        tagged: (w & 0x400000) !== 0,
        vlanId: (w >> 9) & 0xfff,
        priority: pcp,
        priorityName: PCP_NAMES[pcp]!,
        dscp: w & 0x3f,
      });
      return true;
    }
    case 3: {
      if (short(1)) return true;
      const list = (med(rec).locations ??= []);
      if (list.length >= MAX_LOCATIONS) sink.add('too-many', s, ctx, 'location cap reached');
      else list.push(location(b, s, e, sink, `${ctx} (location)`));
      return true;
    }
    case 4: {
      if (short(3)) return true;
      const t = b[s]!;
      const type = t >> 6;
      const isPd = type === 1;
      const src = (t >> 4) & 3;
      const prio = t & 15;
      med(rec).power = {
        deviceType: type === 0 ? 'PSE' : type === 1 ? 'PD' : 'reserved',
        source: src,
        sourceName: (isPd ? PD_SOURCE : PSE_SOURCE)[src]!,
        priority: prio,
        priorityName: POWER_PRIORITY[prio] ?? 'reserved',
        powerMw: b.readUInt16BE(s + 1) * 100,
      };
      return true;
    }
    case 5:
    case 6:
    case 7:
    case 8:
    case 9:
    case 10:
    case 11: {
      const inv = (med(rec).inventory ??= {});
      const v = text(b, s, e);
      if (sub === 5) inv.hardwareRevision = v;
      else if (sub === 6) inv.firmwareRevision = v;
      else if (sub === 7) inv.softwareRevision = v;
      else if (sub === 8) inv.serialNumber = v;
      else if (sub === 9) inv.manufacturer = v;
      else if (sub === 10) inv.model = v;
      else inv.assetId = v;
      return true;
    }
    default:
      return false;
  }
}
