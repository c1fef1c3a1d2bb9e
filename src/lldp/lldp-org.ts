// Organizationally specific TLVs of IEEE 802.1 (00-80-c2), IEEE 802.3 (00-12-0f) and IANA (00-00-5e, MUD URL).
// Each handler gets the value range after OUI+subtype; returns false for an unknown subtype (kept raw).
import { hex, text, type ErrorSink } from './format.ts';
import { decodeDot3Power } from './lldp-power.ts';
import type { LldpRecord, LldpVlanInfo } from './types.ts';

const MAX_VLAN_NAMES = 256;
const MAX_PPVIDS = 256;
const MAX_PROTO_IDS = 64;
const MAX_APP_PRIO = 128;

function vlan(rec: LldpRecord): LldpVlanInfo {
  return (rec.vlan ??= {});
}

export function decodeDot1(sub: number, b: Buffer, s: number, e: number, rec: LldpRecord, sink: ErrorSink): boolean {
  const n = e - s;
  const ctx = `lldp 802.1 subtype ${sub}`;
  const short = (need: number) => {
    if (n >= need) return false;
    sink.add('bad-length', s, ctx, `value of ${n} bytes, need ${need}`);
    return true;
  };
  switch (sub) {
    case 1: // Port VLAN ID
      if (!short(2)) vlan(rec).pvid = b.readUInt16BE(s);
      return true;
    case 2: {
      // Port and protocol VLAN ID
      if (short(3)) return true;
      const v = vlan(rec);
      const list = (v.ppvids ??= []);
      if (list.length >= MAX_PPVIDS) sink.add('too-many', s, ctx, 'PPVID cap reached');
      else list.push({ id: b.readUInt16BE(s + 1), supported: (b[s]! & 2) !== 0, enabled: (b[s]! & 4) !== 0 });
      return true;
    }
    case 3: {
      // VLAN name
      if (short(3)) return true;
      const len = b[s + 2]!;
      if (s + 3 + len > e) {
        sink.add('truncated', s + 2, ctx, `VLAN name length ${len} runs past the TLV`);
        return true;
      }
      const list = (vlan(rec).names ??= []);
      if (list.length >= MAX_VLAN_NAMES) sink.add('too-many', s, ctx, 'VLAN name cap reached');
      else list.push({ id: b.readUInt16BE(s), name: text(b, s + 3, s + 3 + len) });
      return true;
    }
    case 4: {
      // Protocol identity: length + raw protocol bytes
      if (short(1)) return true;
      const len = b[s]!;
      if (s + 1 + len > e) {
        sink.add('truncated', s, ctx, `protocol identity length ${len} runs past the TLV`);
        return true;
      }
      const list = (rec.protocolIdentities ??= []);
      if (list.length >= MAX_PROTO_IDS) sink.add('too-many', s, ctx, 'protocol identity cap reached');
      else list.push(hex(b, s + 1, s + 1 + len));
      return true;
    }
    case 5: // VID usage digest
      if (!short(4)) rec.vidUsageDigest = b.readUInt32BE(s);
      return true;
    case 6: // Management VID
      if (!short(2)) vlan(rec).mgmtVid = b.readUInt16BE(s);
      return true;
    case 7: {
      // Link aggregation (802.1AX form)
      if (short(5)) return true;
      const st = b[s]!;
      rec.linkAggregation = {
        source: '802.1',
        supported: (st & 1) !== 0,
        enabled: (st & 2) !== 0,
        portType: (st >> 2) & 3,
        portId: b.readUInt32BE(s + 1),
      };
      return true;
    }
    case 12: {
      // DCBX application priority: reserved(1) then 3-byte entries
      if (short(1)) return true;
      const list = (rec.appPriority ??= []);
      for (let o = s + 1; o + 3 <= e; o += 3) {
        if (list.length >= MAX_APP_PRIO) {
          sink.add('too-many', o, ctx, 'application priority cap reached');
          break;
        }
        list.push({ priority: b[o]! >> 5, selector: b[o]! & 7, protocol: b.readUInt16BE(o + 1) });
      }
      if ((n - 1) % 3 !== 0) sink.add('bad-length', s, ctx, 'application priority table not a multiple of 3 bytes');
      return true;
    }
    default:
      return false;
  }
}

// RFC 3636 ifMauAutoNegCapAdvertisedBits; BITS encoding puts bit 0 in the most significant position.
const PMD_BITS = [
  'other',
  '10base-t',
  '10base-t-fd',
  '100base-t4',
  '100base-tx',
  '100base-tx-fd',
  '100base-t2',
  '100base-t2-fd',
  'fdx-pause',
  'fdx-apause',
  'fdx-spause',
  'fdx-bpause',
  '1000base-x',
  '1000base-x-fd',
  '1000base-t',
  '1000base-t-fd',
];

// IANA-MAU-MIB dot3MauType (the common ones); unknown values keep only the number.
const MAU_TYPES: Record<number, string> = {
  5: '10BaseT',
  10: '10BaseTHD',
  11: '10BaseTFD',
  14: '100BaseT4',
  15: '100BaseTXHD',
  16: '100BaseTXFD',
  17: '100BaseFXHD',
  18: '100BaseFXFD',
  21: '1000BaseXHD',
  22: '1000BaseXFD',
  23: '1000BaseLXHD',
  24: '1000BaseLXFD',
  25: '1000BaseSXHD',
  26: '1000BaseSXFD',
  27: '1000BaseCXHD',
  28: '1000BaseCXFD',
  29: '1000BaseTHD',
  30: '1000BaseTFD',
  31: '10GbaseX',
  32: '10GbaseLX4',
  33: '10GbaseR',
  34: '10GbaseER',
  35: '10GbaseLR',
  36: '10GbaseSR',
  41: '10GbaseCX4',
  54: '10GbaseT',
  55: '10GbaseLRM',
  56: '1000BaseKX',
  57: '10GbaseKX4',
  58: '10GbaseKR',
  73: '40GbaseKR4',
  74: '40GbaseCR4',
  75: '40GbaseSR4',
  76: '40GbaseFR',
  77: '40GbaseLR4',
  78: '100GbaseCR10',
  79: '100GbaseSR10',
  80: '100GbaseLR4',
  81: '100GbaseER4',
};

export function decodeDot3(sub: number, b: Buffer, s: number, e: number, rec: LldpRecord, sink: ErrorSink): boolean {
  const n = e - s;
  const ctx = `lldp 802.3 subtype ${sub}`;
  switch (sub) {
    case 1: {
      // MAC/PHY configuration/status
      if (n < 5) {
        sink.add('bad-length', s, ctx, `value of ${n} bytes, need 5`);
        return true;
      }
      const adv = b.readUInt16BE(s + 1);
      const names: string[] = [];
      for (let i = 0; i < 16; i++) if (adv & (0x8000 >> i)) names.push(PMD_BITS[i]!);
      const mau = b.readUInt16BE(s + 3);
      rec.macPhy = {
        autonegSupported: (b[s]! & 1) !== 0,
        autonegEnabled: (b[s]! & 2) !== 0,
        advertised: adv,
        advertisedNames: names,
        mauType: mau,
      };
      const mauName = MAU_TYPES[mau];
      if (mauName) rec.macPhy.mauTypeName = mauName;
      return true;
    }
    case 2: {
      const p = decodeDot3Power(b, s, e, sink, ctx);
      if (p) rec.power = p;
      return true;
    }
    case 3: {
      // Link aggregation, deprecated 802.3 form
      if (n < 5) {
        sink.add('bad-length', s, ctx, `value of ${n} bytes, need 5`);
        return true;
      }
      // The 802.1 form wins when both are present (it is the current one).
      if (rec.linkAggregation?.source !== '802.1') {
        rec.linkAggregation = { source: '802.3', supported: (b[s]! & 1) !== 0, enabled: (b[s]! & 2) !== 0, portId: b.readUInt32BE(s + 1) };
      }
      return true;
    }
    case 4:
      if (n < 2) sink.add('bad-length', s, ctx, `value of ${n} bytes, need 2`);
      else rec.maxFrameSize = b.readUInt16BE(s);
      return true;
    default:
      return false;
  }
}

export function decodeIana(sub: number, b: Buffer, s: number, e: number, rec: LldpRecord): boolean {
  if (sub !== 1) return false; // RFC 8520 MUD URL
  rec.mudUrl = text(b, s, e);
  return true;
}
