// Varbind value conversions that check the SNMP type instead of trusting it: a wrong type is
// noted (the device's status shows it) and the value is treated as absent.
import { T, type Varbind } from './net-snmp.ts';
import type { WalkResult } from './client.ts';

/** Problems seen while interpreting one poll's answers (first ones kept; the count is total). */
export class Problems {
  readonly list: string[] = [];
  count = 0;
  add(msg: string): void {
    this.count++;
    if (this.list.length < 20) this.list.push(msg);
  }
}

const TYPE_NAMES: Record<number, string> = {
  2: 'Integer',
  4: 'OctetString',
  5: 'Null',
  6: 'OID',
  64: 'IpAddress',
  65: 'Counter32',
  66: 'Gauge32',
  67: 'TimeTicks',
  70: 'Counter64',
};
const typeName = (t: number) => TYPE_NAMES[t] ?? `type ${t}`;

function wrong(p: Problems, vb: Varbind, want: string): null {
  p.add(`wrong-type: ${vb.oid} is ${typeName(vb.type)}, expected ${want}`);
  return null;
}

export function intOf(vb: Varbind | null | undefined, p: Problems): number | null {
  if (!vb) return null;
  if (
    (vb.type === T.Integer || vb.type === T.Gauge32 || vb.type === T.Counter32 || vb.type === T.TimeTicks) &&
    typeof vb.value === 'number'
  )
    return vb.value;
  return wrong(p, vb, 'an integer');
}

/** Counter64 (net-snmp gives a big-endian Buffer) or a 32-bit counter, as a Number. */
export function counterOf(vb: Varbind | null | undefined, p: Problems): number | null {
  if (!vb) return null;
  if (vb.type === T.Counter64 && Buffer.isBuffer(vb.value)) {
    let v = 0;
    for (const b of vb.value) v = v * 256 + b;
    return v;
  }
  if ((vb.type === T.Counter32 || vb.type === T.Gauge32) && typeof vb.value === 'number') return vb.value;
  return wrong(p, vb, 'a counter');
}

export function bufOf(vb: Varbind | null | undefined, p: Problems): Buffer | null {
  if (!vb) return null;
  if (vb.type === T.OctetString && Buffer.isBuffer(vb.value)) return vb.value;
  return wrong(p, vb, 'an OctetString');
}

/** Display text: trailing NULs and whitespace trimmed. */
export function text(b: Buffer): string {
  let end = b.length;
  while (end > 0 && (b[end - 1] === 0 || b[end - 1] === 0x20 || b[end - 1] === 0x0a || b[end - 1] === 0x0d)) end--;
  return b.toString('utf8', 0, end);
}

export function strOf(vb: Varbind | null | undefined, p: Problems): string | null {
  const b = bufOf(vb, p);
  return b ? text(b) : null;
}

export function oidOf(vb: Varbind | null | undefined, p: Problems): string | null {
  if (!vb) return null;
  if (vb.type === T.OID && typeof vb.value === 'string') return vb.value;
  return wrong(p, vb, 'an OID');
}

export function mac(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}

export function isPrintable(b: Buffer): boolean {
  if (b.length === 0) return true;
  const s = text(b);
  // eslint-disable-next-line no-control-regex
  return !/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(s);
}

/** Arcs of vb.oid after root ("" when none). */
export function indexOf(oid: string, root: string): string {
  return oid.length > root.length + 1 ? oid.slice(root.length + 1) : '';
}

/** column root → (index → varbind) */
export function byIndex(cols: Map<string, WalkResult>): Map<string, Map<string, Varbind>> {
  const out = new Map<string, Map<string, Varbind>>();
  for (const [root, r] of cols) {
    const m = new Map<string, Varbind>();
    for (const vb of r.varbinds) m.set(indexOf(vb.oid, root), vb);
    out.set(root, m);
  }
  return out;
}

/** Renders an IANA address-family-prefixed network address (LLDP subtype 5, ManAddr) or raw IP bytes. */
export function ipFromBytes(b: Uint8Array): string | null {
  if (b.length === 4) return Array.from(b).join('.');
  if (b.length === 16) {
    const parts: string[] = [];
    for (let i = 0; i < 16; i += 2) parts.push(((b[i]! << 8) | b[i + 1]!).toString(16));
    return parts.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
  }
  return null;
}
