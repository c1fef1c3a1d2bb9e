// From the replicated OVSDB tables to graph elements (docs/architecture.md#ovsdb): the host owns
// its bridges (ovsbridge), a bridge its ports (ovsport), a port its interfaces; IDs are UUIDv5 over
// the host and the OVSDB _uuid (docs/architecture.md#identity), so a reconnect or an ovsdb-server
// restart (the _uuids live in its database file) names everything the same way. Interfaces are
// keyed by host and name like every host interface, so an agent on that host names them alike.
import { ids } from '../topology/ids.ts';
import type { EdgeInput, Metadata, NodeInput } from '../topology/types.ts';
import type { Atom, Row, Value } from './datum.ts';
import type { Tables } from './client.ts';

/** The columns mirrored per table (left out when the server's schema lacks one). */
export const OVS_COLUMNS: Record<string, readonly string[]> = {
  Open_vSwitch: ['bridges', 'external_ids', 'ovs_version', 'db_version', 'system_type', 'system_version'],
  Bridge: [
    'name',
    'ports',
    'mirrors',
    'sflow',
    'netflow',
    'ipfix',
    'datapath_type',
    'datapath_id',
    'fail_mode',
    'stp_enable',
    'external_ids',
  ],
  Port: ['name', 'interfaces', 'tag', 'trunks', 'vlan_mode', 'bond_mode', 'external_ids'],
  Interface: [
    'name',
    'type',
    'ofport',
    'mac_in_use',
    'mac',
    'link_state',
    'link_speed',
    'admin_state',
    'mtu',
    'ifindex',
    'statistics',
    'options',
    'external_ids',
    'error',
  ],
  Mirror: ['name', 'select_all', 'select_src_port', 'select_dst_port', 'output_port', 'output_vlan', 'external_ids'],
  sFlow: ['targets', 'sampling', 'polling', 'header', 'agent', 'external_ids'],
  NetFlow: ['targets', 'active_timeout', 'engine_id', 'engine_type', 'external_ids'],
  IPFIX: ['targets', 'sampling', 'obs_domain_id', 'obs_point_id', 'external_ids'],
};

export const col = {
  str(r: Row | undefined, c: string): string | undefined {
    const v = r?.get(c);
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
    return undefined;
  },
  int(r: Row | undefined, c: string): number | undefined {
    const v = r?.get(c);
    if (typeof v === 'number') return v;
    if (Array.isArray(v) && typeof v[0] === 'number') return v[0];
    return undefined;
  },
  bool(r: Row | undefined, c: string): boolean | undefined {
    const v = r?.get(c);
    if (typeof v === 'boolean') return v;
    if (Array.isArray(v) && typeof v[0] === 'boolean') return v[0];
    return undefined;
  },
  set(r: Row | undefined, c: string): Atom[] {
    const v = r?.get(c);
    return Array.isArray(v) ? v : v === undefined || v instanceof Map ? [] : [v];
  },
  map(r: Row | undefined, c: string): Map<Atom, Atom> {
    const v: Value | undefined = r?.get(c);
    return v instanceof Map ? v : new Map();
  },
};

const strMap = (m: Map<Atom, Atom>): Record<string, string> => {
  const o: Record<string, string> = {};
  for (const [k, v] of [...m].sort((a, b) => String(a[0]).localeCompare(String(b[0])))) o[String(k)] = String(v);
  return o;
};

/** Who this OVS is: Open_vSwitch's external_ids system-id and hostname. */
export function ovsIdentity(t: Tables): { systemId?: string; hostname?: string; version?: string } {
  const root = t.get('Open_vSwitch')?.values().next().value;
  const ext = col.map(root, 'external_ids');
  const s = (k: string) => {
    const v = ext.get(k);
    return typeof v === 'string' && v ? v : undefined;
  };
  return { systemId: s('system-id'), hostname: s('hostname'), version: col.str(root, 'ovs_version') };
}

export interface OvsGraph {
  nodes: NodeInput[];
  edges: EdgeInput[];
  /** Interface name → node ID (patch peers, captures). */
  ifaceByName: Map<string, string>;
  /** Node ID of a bridge, port or interface → the OVSDB _uuid of its bridge. */
  bridgeOf: Map<string, string>;
  /** Tunnel ends and attached MACs still to be joined against the rest of the graph. */
  tunnels: { ifaceId: string; remoteIp: string; localIp?: string }[];
  attached: { ifaceId: string; mac?: string; ifaceId2?: string }[];
}

const owns = (parent: string, child: string, origin: string): EdgeInput => ({
  ID: ids.edge(parent, child, 'ownership'),
  Parent: parent,
  Child: child,
  Origin: origin,
  Metadata: { RelationType: 'ownership' },
});

export function layer2(a: string, b: string, origin: string, extra: Metadata = {}): EdgeInput {
  // One edge whichever side writes it first.
  const [p, c] = a < b ? [a, b] : [b, a];
  return {
    ID: ids.edge(p, c, 'layer2'),
    Parent: p,
    Child: c,
    Origin: origin,
    Metadata: { RelationType: 'layer2', Evidence: ['ovsdb'], ...extra },
  };
}

function collectorSection(r: Row | undefined, kind: 'sFlow' | 'NetFlow' | 'IPFIX'): Metadata | undefined {
  if (!r) return undefined;
  const md: Metadata = { Targets: col.set(r, 'targets').map(String).sort() };
  if (kind !== 'NetFlow') md.Sampling = col.int(r, 'sampling');
  if (kind === 'sFlow') {
    md.Polling = col.int(r, 'polling');
    md.Header = col.int(r, 'header');
    md.Agent = col.str(r, 'agent');
  }
  if (kind === 'NetFlow') md.ActiveTimeout = col.int(r, 'active_timeout');
  if (kind === 'IPFIX') md.ObsDomainID = col.int(r, 'obs_domain_id');
  const ext = col.map(r, 'external_ids');
  if (ext.size) md.ExtID = strMap(ext);
  for (const k of Object.keys(md)) if (md[k] === undefined) delete md[k];
  return md;
}

const STAT_KEYS: [string, string][] = [
  ['rx_bytes', 'RxBytes'],
  ['tx_bytes', 'TxBytes'],
  ['rx_packets', 'RxPackets'],
  ['tx_packets', 'TxPackets'],
  ['rx_errors', 'RxErrors'],
  ['tx_errors', 'TxErrors'],
  ['rx_dropped', 'RxDropped'],
  ['tx_dropped', 'TxDropped'],
];

function interfaceMetadata(r: Row, uuid: string): Metadata {
  const type = col.str(r, 'type') || '';
  const md: Metadata = {
    Type: type === '' || type === 'system' ? 'device' : type,
    Name: col.str(r, 'name') ?? uuid,
    UUID: uuid,
    Probe: 'ovsdb',
  };
  const set = (k: string, v: unknown) => {
    if (v !== undefined && v !== '') md[k] = v;
  };
  set('OfPort', col.int(r, 'ofport'));
  set('MAC', col.str(r, 'mac_in_use')?.toLowerCase());
  const link = col.str(r, 'link_state');
  if (link) md.State = link === 'up' ? 'UP' : 'DOWN';
  const admin = col.str(r, 'admin_state');
  if (admin) md.AdminState = admin === 'up' ? 'UP' : 'DOWN';
  set('Speed', col.int(r, 'link_speed'));
  set('MTU', col.int(r, 'mtu'));
  const ifindex = col.int(r, 'ifindex');
  if (ifindex) md.IfIndex = ifindex;
  set('Error', col.str(r, 'error'));
  const opts = col.map(r, 'options');
  const o = (k: string) => {
    const v = opts.get(k);
    return typeof v === 'string' ? v : undefined;
  };
  if (type === 'patch') set('Peer', o('peer'));
  set('RemoteIP', o('remote_ip'));
  set('LocalIP', o('local_ip'));
  set('Key', o('key'));
  if (opts.size) md.Options = strMap(opts);
  const ext = col.map(r, 'external_ids');
  if (ext.size) md.ExtID = strMap(ext);
  const stats = col.map(r, 'statistics');
  if (stats.size) {
    const m: Record<string, number> = {};
    for (const [k, name] of STAT_KEYS) {
      const v = stats.get(k);
      if (typeof v === 'number') m[name] = v;
    }
    if (Object.keys(m).length) md.Metric = m;
  }
  return md;
}

/** Everything one OVS contributes to the graph, under its host. */
export function buildOvsGraph(t: Tables, hostId: string, origin: string, host: string): OvsGraph {
  const nodes: NodeInput[] = [];
  const edges: EdgeInput[] = [];
  const ifaceByName = new Map<string, string>();
  const tunnels: OvsGraph['tunnels'] = [];
  const attached: OvsGraph['attached'] = [];
  const bridges = t.get('Bridge') ?? new Map<string, Row>();
  const ports = t.get('Port') ?? new Map<string, Row>();
  const ifaces = t.get('Interface') ?? new Map<string, Row>();
  const mirrors = t.get('Mirror') ?? new Map<string, Row>();
  const node = (ID: string, Metadata: Metadata) => nodes.push({ ID, Metadata, Origin: origin, Host: host });
  const patches: { id: string; peer: string }[] = [];
  const bridgeOf = new Map<string, string>();

  // Only bridges the root row lists are live (a Bridge row no one references is garbage-collected).
  const root = t.get('Open_vSwitch')?.values().next().value;
  const live = new Set(col.set(root, 'bridges').map(String));
  for (const [buuid, b] of bridges) {
    if (root && !live.has(buuid)) continue;
    const bid = ids.ovs(hostId, buuid);
    const bmd: Metadata = { Type: 'ovsbridge', Name: col.str(b, 'name') ?? buuid, UUID: buuid, Probe: 'ovsdb' };
    const dpt = col.str(b, 'datapath_type');
    if (dpt) bmd.DatapathType = dpt;
    const dpid = col.str(b, 'datapath_id');
    if (dpid) bmd.DatapathID = dpid;
    const fm = col.str(b, 'fail_mode');
    if (fm) bmd.FailMode = fm;
    const ext = col.map(b, 'external_ids');
    if (ext.size) bmd.ExtID = strMap(ext);
    for (const [c, kind] of [
      ['sflow', 'sFlow'],
      ['netflow', 'NetFlow'],
      ['ipfix', 'IPFIX'],
    ] as const) {
      const ref = col.str(b, c);
      const sec = ref ? collectorSection(t.get(kind)?.get(ref), kind) : undefined;
      if (sec) bmd[kind === 'sFlow' ? 'SFlow' : kind] = sec;
    }
    const ms = col
      .set(b, 'mirrors')
      .map((m) => mirrors.get(String(m)))
      .filter((m): m is Row => !!m);
    if (ms.length) bmd.Mirrors = ms.map((m) => col.str(m, 'name')).sort();
    node(bid, bmd);
    edges.push(owns(hostId, bid, origin));
    bridgeOf.set(bid, buuid);
    // This bridge's ports: a mirror selects among them only.
    const portNode = new Map<string, string>();
    for (const puuid of col.set(b, 'ports').map(String)) {
      const p = ports.get(puuid);
      if (!p) continue;
      const pid = ids.ovs(hostId, puuid);
      portNode.set(puuid, pid);
      bridgeOf.set(pid, buuid);
      const pmd: Metadata = { Type: 'ovsport', Name: col.str(p, 'name') ?? puuid, NameSource: 'ovsdb', UUID: puuid, Probe: 'ovsdb' };
      const tag = col.int(p, 'tag');
      if (tag !== undefined) pmd.Vlans = [tag];
      const trunks = col.set(p, 'trunks');
      if (trunks.length) pmd.Trunks = trunks;
      const vm = col.str(p, 'vlan_mode');
      if (vm) pmd.VlanMode = vm;
      const bm = col.str(p, 'bond_mode');
      if (bm) pmd.BondMode = bm;
      const pext = col.map(p, 'external_ids');
      if (pext.size) pmd.ExtID = strMap(pext);
      const members = col.set(p, 'interfaces').map(String);
      for (const iuuid of members) {
        const i = ifaces.get(iuuid);
        if (!i) continue;
        const md = interfaceMetadata(i, iuuid);
        const name = md.Name as string;
        const iid = ids.hostInterface(hostId, name);
        ifaceByName.set(name, iid);
        node(iid, md);
        edges.push(owns(pid, iid, origin));
        bridgeOf.set(iid, buuid);
        // A one-interface port carries its interface's ifIndex: sFlow names ports by ifIndex.
        if (members.length === 1 && typeof md.IfIndex === 'number') pmd.IfIndex = md.IfIndex;
        if (md.Type === 'patch' && typeof md.Peer === 'string') patches.push({ id: iid, peer: md.Peer });
        if (typeof md.RemoteIP === 'string' && md.RemoteIP !== 'flow')
          tunnels.push({ ifaceId: iid, remoteIp: md.RemoteIP, ...(typeof md.LocalIP === 'string' ? { localIp: md.LocalIP } : {}) });
        const ext = (md.ExtID ?? {}) as Record<string, string>;
        if (ext['attached-mac'] || ext['iface-id'])
          attached.push({ ifaceId: iid, mac: ext['attached-mac']?.toLowerCase(), ifaceId2: ext['iface-id'] });
      }
      node(pid, pmd);
      edges.push(owns(bid, pid, origin));
    }
    for (const m of ms) {
      const out = col.str(m, 'output_port');
      const outId = out ? portNode.get(out) : undefined;
      if (!outId) continue;
      const sel = col.bool(m, 'select_all')
        ? [...portNode.keys()]
        : [...col.set(m, 'select_src_port'), ...col.set(m, 'select_dst_port')].map(String);
      for (const s of new Set(sel)) {
        const sid = portNode.get(s);
        if (!sid || sid === outId) continue;
        edges.push({
          ID: ids.edge(sid, outId, 'mirroring'),
          Parent: sid,
          Child: outId,
          Origin: origin,
          Metadata: { RelationType: 'mirroring', Mirror: col.str(m, 'name') },
        });
      }
    }
  }
  for (const p of patches) {
    const peer = ifaceByName.get(p.peer);
    if (peer && peer !== p.id) edges.push(layer2(p.id, peer, origin, { Type: 'patch' }));
  }
  // A patch pair lists each side: keep one edge.
  const seen = new Set<string>();
  return { nodes, edges: edges.filter((e) => !seen.has(e.ID) && !!seen.add(e.ID)), ifaceByName, bridgeOf, tunnels, attached };
}
