// What the side panel says about an element, as plain rows: pure, so the Node tests check it.
// Hosts gather MAC and addresses from their interfaces (a host node rarely carries them itself);
// switches show what SNMP polling found (SysDescr, uptime from BootTime); flow rows get
// protocol names and, for non-IP traffic, MACs and the EtherType.
import type { GraphModel } from '../model/graph-model.ts';
import type { Metadata } from '../model/types.ts';

export type Row = [label: string, value: string];

function fmt(v: unknown): string {
  if (Array.isArray(v)) return v.join(', ');
  if (typeof v === 'number' && v >= 1e6) return v >= 1e9 ? `${v / 1e9}G` : `${v / 1e6}M`;
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** "12 d 3 h", "3 h 4 min", "42 s". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min`;
  return `${s} s`;
}

const NOT_INTERFACES = new Set(['container', 'pod', 'netns', 'host', 'switch']);

/** The host's own MAC/addresses plus those of the interfaces it owns, each with where it was seen. */
function hostAddresses(g: GraphModel, id: string, md: Metadata): { macs: string[]; v4: string[]; v6: string[] } {
  const macs: string[] = [];
  const v4: string[] = [];
  const v6: string[] = [];
  const push = (list: string[], v: string) => {
    if (!list.includes(v)) list.push(v);
  };
  const collect = (m: Metadata, where: string) => {
    const tag = (v: string) => (where ? `${v} (${where})` : v);
    if (typeof m.MAC === 'string' && m.MAC) push(macs, tag(m.MAC));
    if (Array.isArray(m.IPV4)) for (const a of m.IPV4) push(v4, tag(String(a)));
    if (Array.isArray(m.IPV6)) for (const a of m.IPV6) push(v6, tag(String(a)));
  };
  collect(md, '');
  const kids = [...(g.children.get(id) ?? [])]
    .map((c) => g.nodes.get(c))
    .filter((n): n is NonNullable<typeof n> => n !== undefined && !NOT_INTERFACES.has(String(n.Metadata.Type)))
    .sort((a, b) => String(a.Metadata.Name ?? a.ID).localeCompare(String(b.Metadata.Name ?? b.ID)));
  for (const n of kids) collect(n.Metadata, String(n.Metadata.Name ?? n.ID));
  return { macs, v4, v6 };
}

/** The metadata rows of a node's panel, in reading order; absent values are left out. */
export function describeNode(g: GraphModel, id: string, now = Date.now()): Row[] {
  const md = g.nodes.get(id)?.Metadata ?? {};
  const rows: Row[] = [];
  const add = (label: string, v: unknown) => {
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) return;
    rows.push([label, fmt(v)]);
  };
  for (const k of ['Type', 'Name', 'Role', 'State', 'IfIndex']) add(k, md[k]);
  // Kubernetes objects (docs/architecture.md#kubernetes): where a pod or container runs.
  const k8s = md.Manager === 'k8s' ? (md.K8s as Metadata | undefined) : undefined;
  if (k8s) {
    const rows8: [string, string][] = [
      ['Cluster', 'Cluster'],
      ['Namespace', 'Namespace'],
      ['Node', 'Node'],
      ['Pod', 'Pod'],
      ['Pod IP', 'IP'],
      ['Phase', 'Phase'],
      ['Image', 'Image'],
    ];
    for (const [label, key] of rows8) add(label, k8s[key]);
  }
  if (md.Type === 'host') {
    const a = hostAddresses(g, id, md);
    add('MAC', a.macs);
    add('IPv4', a.v4);
    add('IPv6', a.v6);
    add('OS', md.OS);
  } else {
    add('MAC', md.MAC);
    add('IPv4', md.IPV4);
    add('IPv6', md.IPV6);
  }
  add('Mgmt address', md.MgmtAddress);
  add('Vendor', md.Vendor);
  add('Model', md.Model);
  add('Serial', md.SerialNumber);
  add('SysDescr', md.SysDescr);
  if (typeof md.BootTime === 'number' && md.BootTime > 0 && md.BootTime <= now)
    add('Uptime', `${formatDuration(now - md.BootTime)} (since ${new Date(md.BootTime).toISOString().slice(0, 16).replace('T', ' ')} UTC)`);
  add('Speed', md.Speed);
  add('MTU', md.MTU);
  if (md.Type !== 'host') add('OS', md.OS);
  return rows;
}

/** A row of GET /api/flows as far as the panel reads it. */
export interface FlowRow {
  /** Flow source: sflow, netflow5, netflow9, ipfix, mirror (port-mirror capture). */
  protocol?: string;
  srcAddr?: string;
  dstAddr?: string;
  srcPort?: number;
  dstPort?: number;
  proto?: number;
  /** Protocol name when the API gives one (else looked up here). */
  protoName?: string;
  /** Non-IP rows (no addresses): the MACs and EtherType. */
  srcMac?: string;
  dstMac?: string;
  etherType?: number | string;
  bytes: number;
  packets?: number;
}

const IP_PROTOCOLS: Record<number, string> = {
  1: 'ICMP',
  2: 'IGMP',
  6: 'TCP',
  17: 'UDP',
  41: 'IPv6',
  47: 'GRE',
  50: 'ESP',
  51: 'AH',
  58: 'ICMPv6',
  89: 'OSPF',
  103: 'PIM',
  112: 'VRRP',
  132: 'SCTP',
};
const ETHER_TYPES: Record<number, string> = {
  0x0800: 'IPv4',
  0x0806: 'ARP',
  0x86dd: 'IPv6',
  0x8100: '802.1Q',
  0x88a8: '802.1ad',
  0x8847: 'MPLS',
  0x8809: 'LACP',
  0x88cc: 'LLDP',
  0x8035: 'RARP',
  0x88e5: 'MACsec',
  0x8906: 'FCoE',
};

function etherName(t: number | string): string {
  const n = typeof t === 'number' ? t : Number(t);
  if (!Number.isFinite(n)) return String(t);
  const hex = `0x${n.toString(16).padStart(4, '0')}`;
  return ETHER_TYPES[n] ? `${ETHER_TYPES[n]} (${hex})` : hex;
}

function endpoint(addr: string | undefined, port: number | undefined, mac: string | undefined): string {
  if (!addr) return mac || '—';
  if (!port) return addr;
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** The source column of a flow row: which collector path counted it ('mirror': every frame, unsampled). */
export function flowSource(f: FlowRow): string {
  return f.protocol ?? '—';
}

/** src, dst and protocol columns of a flow row. */
export function describeFlow(f: FlowRow): { src: string; dst: string; proto: string } {
  const ip = Boolean(f.srcAddr || f.dstAddr);
  let proto: string;
  if (ip) proto = f.protoName ?? (f.proto !== undefined ? (IP_PROTOCOLS[f.proto] ?? String(f.proto)) : '—');
  else proto = f.etherType !== undefined && f.etherType !== '' ? etherName(f.etherType) : (f.protoName ?? 'non-IP');
  return { src: endpoint(f.srcAddr, f.srcPort, f.srcMac), dst: endpoint(f.dstAddr, f.dstPort, f.dstMac), proto };
}
