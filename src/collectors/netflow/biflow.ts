// RFC 5103 bidirectional flows: one IPFIX record describes both directions, reverse counters in
// PEN 29305 IEs. Split into two FlowRecords so the flow table sees each direction on its own.
import type { FlowRecord } from '../common/flow-record.ts';
import { ieDef } from './fields.ts';

const PREFIX = 'ie_29305_';
const SWAPS: [string, string][] = [
  ['srcAddr', 'dstAddr'],
  ['srcPort', 'dstPort'],
  ['inIf', 'outIf'],
  ['srcMac', 'dstMac'],
  ['srcAs', 'dstAs'],
  ['srcMask', 'dstMask'],
  ['srcVlan', 'dstVlan'],
];

/** The reverse-direction record, or null when the reverse direction saw no packets. */
export function reverseRecord(f: FlowRecord): FlowRecord | null {
  const rb = f[`${PREFIX}1`];
  const rp = f[`${PREFIX}2`];
  if (!((typeof rb === 'number' && rb > 0) || (typeof rp === 'number' && rp > 0))) return null;
  const r: FlowRecord = { ...f };
  for (const [a, b] of SWAPS) {
    const va = f[a];
    r[a] = f[b];
    r[b] = va;
  }
  // Counters and timestamps of the reverse direction; a forward-only value must not leak over.
  r.bytes = undefined;
  r.packets = undefined;
  for (const k of Object.keys(f)) {
    if (!k.startsWith(PREFIX)) continue;
    const id = Number(k.slice(PREFIX.length));
    const d = ieDef(id, 0);
    if (!d.name.startsWith('ie') && d.kind === 'u') r[d.name] = f[k];
    delete r[k];
  }
  r.biflowDirection = 'reverse';
  return r;
}
