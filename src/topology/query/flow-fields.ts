// Skydive's flow fields on Flows() rows, beside Canopy's own (docs/query-cookbook.md): scripts
// written for Skydive filter on Network/Transport and read Metric, UUID and LayersPath. A stored
// row is one direction of a conversation, so A is its source and B its destination, BA counts 0.
import { createHash } from 'node:crypto';

const TRANSPORT: Record<number, string> = { 6: 'TCP', 17: 'UDP', 132: 'SCTP' };
const NETWORK_ONLY: Record<number, string> = { 1: 'ICMPv4', 58: 'ICMPv6', 47: 'GRE' };

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** What identifies a row across reads: its whole aggregation key. */
const KEY_FIELDS = [
  'exporter',
  'deviceId',
  'inIf',
  'outIf',
  'vlan',
  'srcAddr',
  'dstAddr',
  'proto',
  'srcPort',
  'dstPort',
  'srcMac',
  'dstMac',
  'etherType',
];

export function flowUuid(r: Record<string, unknown>): string {
  const h = createHash('sha1');
  for (const k of KEY_FIELDS) h.update(`${String(r[k] ?? '')}\u0000`);
  return h.digest('hex').slice(0, 16);
}

/** The row with Skydive's fields added (a new object; the row is left as it is). */
export function withSkydiveFields(r: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...r, UUID: flowUuid(r) };
  const layers: string[] = [];
  const srcMac = str(r.srcMac);
  const dstMac = str(r.dstMac);
  if (srcMac || dstMac) {
    layers.push('Ethernet');
    out.Link = { Protocol: 'ETHERNET', A: srcMac, B: dstMac };
  }
  const src = str(r.srcAddr);
  const dst = str(r.dstAddr);
  if (src && dst) {
    const v6 = src.includes(':');
    layers.push(v6 ? 'IPv6' : 'IPv4');
    out.Network = { Protocol: v6 ? 'IPV6' : 'IPV4', A: src, B: dst };
  }
  const proto = num(r.proto);
  const t = TRANSPORT[proto];
  if (t && src) {
    layers.push(t);
    out.Transport = { Protocol: t, A: num(r.srcPort), B: num(r.dstPort) };
  } else if (NETWORK_ONLY[proto] && src) layers.push(NETWORK_ONLY[proto]);
  out.LayersPath = layers.join('/');
  const first = num(r.first);
  const last = num(r.last);
  out.Metric = { ABPackets: num(r.packets), ABBytes: num(r.bytes), BAPackets: 0, BABytes: 0, Start: first, Last: last };
  out.Start = first;
  out.Last = last;
  return out;
}
