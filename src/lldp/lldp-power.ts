// 802.3 Power via MDI TLV (00-12-0f subtype 2): base (3 bytes), 802.3at extension (+5), 802.3bt extension (+17).
import type { ErrorSink } from './format.ts';
import type { LldpPower } from './types.ts';

const PRIORITY = ['unknown', 'critical', 'high', 'low'];
const PSE_SOURCE = ['unknown', 'primary', 'backup', 'reserved'];
const PD_SOURCE = ['unknown', 'pse', 'reserved', 'pse-and-local'];
const PSE_STATUS = ['unknown', '2-pair powering', '4-pair powering single-signature PD', '4-pair powering dual-signature PD'];
const PD_STATUS = ['unknown', 'powered single-signature PD', '2-pair powered dual-signature PD', '4-pair powered dual-signature PD'];
const PAIRS_EXT = ['unknown', 'alternative A', 'alternative B', 'both alternatives'];
const TYPE_EXT = [
  'Type 3 PSE',
  'Type 4 PSE',
  'Type 3 single-signature PD',
  'Type 3 dual-signature PD',
  'Type 4 single-signature PD',
  'Type 4 dual-signature PD',
  'reserved',
  'reserved',
];

function classModeName(v: number): string {
  if (v === 0) return 'unknown';
  if (v === 7) return 'single-signature PD or 2-pair only PSE';
  return v <= 5 ? `class ${v}` : 'reserved';
}

function classExtName(v: number): string {
  if (v === 15) return 'dual-signature PD';
  if (v >= 1 && v <= 8) return `class ${v}`;
  return v === 0 ? 'unknown' : 'reserved';
}

export function decodeDot3Power(b: Buffer, s: number, e: number, sink: ErrorSink, ctx: string): LldpPower | null {
  const n = e - s;
  if (n < 3) {
    sink.add('bad-length', s, ctx, `value of ${n} bytes, need ≥3`);
    return null;
  }
  const sup = b[s]!;
  const pairs = b[s + 1]!;
  const cls = b[s + 2]!;
  const p: LldpPower = {
    deviceType: sup & 1 ? 'PSE' : 'PD',
    supported: (sup & 2) !== 0,
    enabled: (sup & 4) !== 0,
    pairControl: (sup & 8) !== 0,
    pairs,
    pairsName: pairs === 1 ? 'signal' : pairs === 2 ? 'spare' : 'unknown',
    class: cls >= 1 && cls <= 5 ? cls - 1 : -1,
  };
  if (cls < 1 || cls > 5) sink.add('bad-value', s + 2, ctx, `power class field ${cls} outside 1..5`);
  if (n === 3) return p;
  if (n < 8) {
    sink.add('bad-length', s, ctx, `802.3at extension of ${n - 3} bytes, need 5`);
    return p;
  }
  const t = b[s + 3]!;
  const isPd = (t & 0x40) !== 0;
  p.powerType = t & 0x80 ? 1 : 2;
  p.source = (t >> 4) & 3;
  p.sourceName = (isPd ? PD_SOURCE : PSE_SOURCE)[p.source]!;
  p.priority = t & 3;
  p.priorityName = PRIORITY[p.priority]!;
  p.requestedMw = b.readUInt16BE(s + 4) * 100;
  p.allocatedMw = b.readUInt16BE(s + 6) * 100;
  if (n === 8) return p;
  if (n < 25) {
    sink.add('bad-length', s, ctx, `802.3bt extension of ${n - 8} bytes, need 17`);
    return p;
  }
  const o = s + 8;
  p.requestedAMw = b.readUInt16BE(o) * 100;
  p.requestedBMw = b.readUInt16BE(o + 2) * 100;
  p.allocatedAMw = b.readUInt16BE(o + 4) * 100;
  p.allocatedBMw = b.readUInt16BE(o + 6) * 100;
  const st = b.readUInt16BE(o + 8);
  p.pseStatus = PSE_STATUS[st >> 14]!;
  p.pdStatus = PD_STATUS[(st >> 12) & 3]!;
  p.pairsExt = PAIRS_EXT[(st >> 10) & 3]!;
  p.classExtA = classModeName((st >> 7) & 7);
  p.classExtB = classModeName((st >> 4) & 7);
  p.classExt = classExtName(st & 15);
  const setup = b[o + 10]!;
  p.powerTypeExt = TYPE_EXT[(setup >> 1) & 7]!;
  p.pdLoad = (setup & 1) !== 0;
  p.maxPowerMw = b.readUInt16BE(o + 11) * 100;
  p.autoclass = b[o + 13]!;
  p.powerDown = b.readUIntBE(o + 14, 3);
  return p;
}
