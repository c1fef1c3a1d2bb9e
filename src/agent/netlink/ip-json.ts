// `ip -details -json addr show` (iproute2) → the agent's interface records. iproute2 prints the
// rtnetlink attributes by name: IFLA_LINKINFO as `linkinfo.info_kind`/`info_data`, the enslaving
// device as `master`, a veth/vlan/macvlan lower device as `link` (same netns) or `link_index` +
// `link_netnsid` (another netns). Unknown shapes are skipped and counted by the caller, never thrown.

export interface IfaceAddress {
  family: 'inet' | 'inet6';
  cidr: string;
}

export interface Iface {
  index: number;
  name: string;
  /** Linux's kind: device (no kind: physical or loopback), veth, bridge, bond, vlan, vxlan, tun, tap, macvlan, dummy … */
  type: string;
  mac?: string;
  mtu?: number;
  state: 'UP' | 'DOWN';
  operState?: string;
  flags: string[];
  ipv4: string[];
  ipv6: string[];
  /** Enslaving device (bridge, bond, VRF …) by name, in the same netns. */
  master?: string;
  /** What the master is: bridge, bond, openvswitch … (IFLA_INFO_SLAVE_KIND). */
  masterKind?: string;
  /** Lower device by name, same netns (veth peer, VLAN/macvlan parent). */
  link?: string;
  /** Lower device by index (with linkNetnsId: in another netns). */
  linkIndex?: number;
  linkNetnsId?: number;
  vlanId?: number;
  vlanProtocol?: string;
  vxlan?: { id?: number; local?: string; remote?: string; group?: string; port?: number; dev?: string };
  bondMode?: string;
  macvlanMode?: string;
  tunType?: string;
}

export interface NsIdEntry {
  nsid: number;
  name?: string;
}

type J = Record<string, unknown>;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: unknown): J | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as J) : undefined);

/** Link state as users read it: operstate UP, or UNKNOWN with carrier (loopback, tun, some drivers). */
function linkState(operstate: string | undefined, flags: string[]): 'UP' | 'DOWN' {
  if (operstate === 'UP') return 'UP';
  if ((operstate === 'UNKNOWN' || operstate === undefined) && flags.includes('UP') && flags.includes('LOWER_UP')) return 'UP';
  return 'DOWN';
}

/** One element of `ip -j -d link|addr show`; undefined when it is not an interface record. */
export function parseIface(raw: unknown): Iface | undefined {
  const r = obj(raw);
  if (!r) return undefined;
  const index = num(r.ifindex);
  const name = str(r.ifname);
  if (index === undefined || !name) return undefined;
  const flags = Array.isArray(r.flags) ? r.flags.filter((f): f is string => typeof f === 'string') : [];
  const info = obj(r.linkinfo);
  const data = obj(info?.info_data);
  let type = str(info?.info_kind) ?? 'device';
  const iface: Iface = { index, name, type, state: linkState(str(r.operstate), flags), flags, ipv4: [], ipv6: [] };
  if (type === 'tun') {
    // tun and tap share a driver; info_data.type says which.
    const t = str(data?.type);
    if (t === 'tap' || t === 'tun') iface.tunType = type = t;
  }
  iface.type = type;
  const operState = str(r.operstate);
  if (operState) iface.operState = operState;
  const linkType = str(r.link_type);
  const mac = str(r.address);
  if (mac && (linkType === 'ether' || linkType === undefined) && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac)) iface.mac = mac.toLowerCase();
  const mtu = num(r.mtu);
  if (mtu !== undefined) iface.mtu = mtu;
  const master = str(r.master);
  if (master) iface.master = master;
  const slaveKind = str(info?.info_slave_kind);
  if (slaveKind) iface.masterKind = slaveKind;
  const link = str(r.link);
  if (link) iface.link = link;
  const li = num(r.link_index);
  if (li !== undefined) iface.linkIndex = li;
  const nsid = num(r.link_netnsid);
  if (nsid !== undefined) iface.linkNetnsId = nsid;
  if (type === 'vlan' && data) {
    const id = num(data.id);
    if (id !== undefined) iface.vlanId = id;
    const p = str(data.protocol);
    if (p) iface.vlanProtocol = p;
  }
  if (type === 'vxlan' && data) {
    const vx: NonNullable<Iface['vxlan']> = {};
    const id = num(data.id);
    if (id !== undefined) vx.id = id;
    const local = str(data.local) ?? str(data.local6);
    if (local) vx.local = local;
    const remote = str(data.remote) ?? str(data.remote6);
    if (remote) vx.remote = remote;
    const group = str(data.group) ?? str(data.group6);
    if (group) vx.group = group;
    const port = num(data.port);
    if (port !== undefined) vx.port = port;
    const dev = str(data.link);
    if (dev) vx.dev = dev;
    iface.vxlan = vx;
  }
  if (type === 'bond' && data) {
    const mode = str(data.mode);
    if (mode) iface.bondMode = mode;
  }
  if ((type === 'macvlan' || type === 'macvtap') && data) {
    const mode = str(data.mode);
    if (mode) iface.macvlanMode = mode;
  }
  if (Array.isArray(r.addr_info)) {
    for (const a of r.addr_info) {
      const ao = obj(a);
      const fam = str(ao?.family);
      const local = str(ao?.local);
      const plen = num(ao?.prefixlen);
      if (!local || plen === undefined) continue;
      if (fam === 'inet') iface.ipv4.push(`${local}/${plen}`);
      else if (fam === 'inet6') iface.ipv6.push(`${local}/${plen}`);
    }
  }
  return iface;
}

/** `ip -j netns list-id`: the IDs this netns gives its peers, with their names when named. */
export function parseNsIds(raw: unknown): NsIdEntry[] {
  if (!Array.isArray(raw)) return [];
  const out: NsIdEntry[] = [];
  for (const x of raw) {
    const o = obj(x);
    const nsid = num(o?.nsid);
    if (nsid === undefined) continue;
    const name = str(o?.name);
    out.push(name ? { nsid, name } : { nsid });
  }
  return out;
}

export interface NsDump {
  ifaces: Iface[];
  nsIds: NsIdEntry[];
  /** Elements that were not interface records (counted, not thrown). */
  skipped: number;
}

/**
 * Output of `ip -d -j -batch -` with `addr show` then `netns list-id`: one JSON document per line.
 * A line that is not JSON (an iproute2 warning) is skipped.
 */
export function parseBatch(text: string): NsDump {
  const docs: unknown[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('[')) continue;
    try {
      docs.push(JSON.parse(t));
    } catch {
      // A truncated line (the process was killed mid-write) is no data.
    }
  }
  const out: NsDump = { ifaces: [], nsIds: [], skipped: 0 };
  const [addrs, ids] = docs;
  if (Array.isArray(addrs))
    for (const r of addrs) {
      const i = parseIface(r);
      if (i) out.ifaces.push(i);
      else out.skipped++;
    }
  out.nsIds = parseNsIds(ids);
  return out;
}

/** /proc/<pid>/net/dev → name → counters (the netns of that pid). */
export interface IfaceCounters {
  RxBytes: number;
  RxPackets: number;
  RxErrors: number;
  RxDropped: number;
  TxBytes: number;
  TxPackets: number;
  TxErrors: number;
  TxDropped: number;
}

export function parseNetDev(text: string): Map<string, IfaceCounters> {
  const out = new Map<string, IfaceCounters>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i < 0 || line.includes('|')) continue;
    const name = line.slice(0, i).trim();
    const f = line
      .slice(i + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    if (f.length < 16 || f.some((x) => !Number.isFinite(x))) continue;
    out.set(name, {
      RxBytes: f[0]!,
      RxPackets: f[1]!,
      RxErrors: f[2]!,
      RxDropped: f[3]!,
      TxBytes: f[8]!,
      TxPackets: f[9]!,
      TxErrors: f[10]!,
      TxDropped: f[11]!,
    });
  }
  return out;
}
