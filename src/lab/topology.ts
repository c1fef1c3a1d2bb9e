// Reads a containerlab topology file into the model the namespace twin builds. Only what the twin
// needs is read: nodes (kind linux), their `canopy.*` labels and `mgmt-ipv4`, links (brief
// "a:eth1" endpoints or extended veth links with per-endpoint ipv4/mac), and mgmt.ipv4-subnet.
// Everything else in the file (image, exec, binds…) is for containerlab and ignored here.
import { parse } from 'yaml';

export type Role = 'switch' | 'host';
export type SwitchKind = 'bridge' | 'ovs';

export interface Route {
  dst: string;
  via: string[];
}
export interface OvsBridge {
  name: string;
  ports: string[];
  ipv4?: string;
}
export interface OvsPatch {
  a: { bridge: string; port: string };
  b: { bridge: string; port: string };
}
export interface OvsVxlan {
  bridge: string;
  port: string;
  remote: string;
  key?: number;
}

export interface TopoIface {
  name: string;
  ipv4: string[];
  mac?: string;
  peer: { node: string; iface: string };
}

export interface TopoNode {
  name: string;
  role: Role;
  /** Switches only: what forwards between bridge ports. */
  switchKind?: SwitchKind;
  mgmtIpv4: string;
  ifaces: TopoIface[];
  /** Interfaces joined to br0 (switches; default every data interface). */
  bridgePorts: string[];
  bridgeIpv4?: string;
  routes: Route[];
  ipForward: boolean;
  /** Extra sysctls (`canopy.sysctls: net.ipv4.fib_multipath_hash_policy=1`), set before routes. */
  sysctls: string[];
  sflow: boolean;
  netflow: { versions: number[]; iface: string } | null;
  /** Extra Open vSwitch layout (hypervisor-style hosts/switches). */
  ovs: { bridges: OvsBridge[]; patches: OvsPatch[]; vxlans: OvsVxlan[] } | null;
}

export interface Topology {
  name: string;
  mgmtSubnet: string; // a.b.c.0/24
  mgmtGateway: string;
  nodes: TopoNode[];
}

export class TopologyError extends Error {}

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;
const IP = /^(\d{1,3}\.){3}\d{1,3}$/;

function list(v: string | undefined): string[] {
  return (v ?? '')
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function str(x: unknown): string | undefined {
  return typeof x === 'string' ? x : typeof x === 'number' ? String(x) : undefined;
}

/** `10.77.2.0/24=10.77.101.2+10.77.102.2; default=10.77.1.1` */
function parseRoutes(node: string, v: string | undefined): Route[] {
  return (v ?? '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((r) => {
      const [dst, via] = r.split('=');
      if (!dst || !via) throw new TopologyError(`node ${node}: bad canopy.routes entry "${r}" (want DST=GW[+GW])`);
      return {
        dst: dst.trim(),
        via: via
          .split('+')
          .map((s) => s.trim())
          .filter(Boolean),
      };
    });
}

/** `br-int:eth2,patch-tun; br-tun; br-phy:eth1=10.78.50.1/24` — bridge:ports[=ipv4] */
function parseOvsBridges(node: string, v: string): OvsBridge[] {
  return v
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((b) => {
      const [head, ipv4] = b.split('=');
      const [name, ports] = (head ?? '').split(':');
      if (!name || !IFNAME.test(name.trim())) throw new TopologyError(`node ${node}: bad canopy.ovs-bridges entry "${b}"`);
      const br: OvsBridge = { name: name.trim(), ports: list(ports) };
      if (ipv4) br.ipv4 = ipv4.trim();
      return br;
    });
}

/** `br-int/patch-tun=br-tun/patch-int` */
function parseOvsPatches(node: string, v: string | undefined): OvsPatch[] {
  return (v ?? '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((p) => {
      const m = /^([\w.-]+)\/([\w.-]+)=([\w.-]+)\/([\w.-]+)$/.exec(p);
      if (!m) throw new TopologyError(`node ${node}: bad canopy.ovs-patches entry "${p}" (want BR/PORT=BR/PORT)`);
      return { a: { bridge: m[1]!, port: m[2]! }, b: { bridge: m[3]!, port: m[4]! } };
    });
}

/** `br-tun/vxlan0=10.78.50.2,key=100` */
function parseOvsVxlans(node: string, v: string | undefined): OvsVxlan[] {
  return (v ?? '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((x) => {
      const m = /^([\w.-]+)\/([\w.-]+)=([\d.]+)(?:,key=(\d+))?$/.exec(x);
      if (!m || !IP.test(m[3]!)) throw new TopologyError(`node ${node}: bad canopy.ovs-vxlan entry "${x}" (want BR/PORT=REMOTE[,key=N])`);
      const vx: OvsVxlan = { bridge: m[1]!, port: m[2]!, remote: m[3]! };
      if (m[4]) vx.key = Number(m[4]);
      return vx;
    });
}

interface Endpoint {
  node: string;
  iface: string;
  ipv4?: string;
  mac?: string;
}

function parseEndpoints(link: Record<string, unknown>, i: number): [Endpoint, Endpoint] {
  const eps = link.endpoints;
  if (!Array.isArray(eps) || eps.length !== 2) throw new TopologyError(`link #${i + 1}: need exactly two endpoints`);
  const ips = Array.isArray(link.ipv4) ? link.ipv4.map(str) : [];
  const out = eps.map((e: unknown, k): Endpoint => {
    if (typeof e === 'string') {
      const [node, iface] = e.split(':');
      if (!node || !iface) throw new TopologyError(`link #${i + 1}: endpoint "${e}" is not NODE:IFACE`);
      const ep: Endpoint = { node, iface };
      const ip = ips[k];
      if (ip) ep.ipv4 = ip;
      return ep;
    }
    const o = (e ?? {}) as Record<string, unknown>;
    const node = str(o.node),
      iface = str(o.interface);
    if (!node || !iface) throw new TopologyError(`link #${i + 1}: endpoint needs node and interface`);
    const ep: Endpoint = { node, iface };
    const ip = str(o.ipv4),
      mac = str(o.mac);
    if (ip) ep.ipv4 = ip;
    if (mac) ep.mac = mac;
    return ep;
  });
  return [out[0]!, out[1]!];
}

export function parseTopology(text: string): Topology {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new TopologyError(`not valid YAML: ${(e as Error).message}`);
  }
  const d = (doc ?? {}) as Record<string, unknown>;
  const name = str(d.name);
  if (!name) throw new TopologyError('topology has no name');
  const mgmt = (d.mgmt ?? {}) as Record<string, unknown>;
  const mgmtSubnet = str(mgmt['ipv4-subnet']);
  if (!mgmtSubnet || !/^(\d{1,3}\.){3}0\/24$/.test(mgmtSubnet)) {
    throw new TopologyError('mgmt.ipv4-subnet must be set to an a.b.c.0/24 subnet (the twin builds its mgmt namespace from it)');
  }
  const mgmtGateway = str(mgmt['ipv4-gw']) ?? mgmtSubnet.replace(/0\/24$/, '1');
  const topo = (d.topology ?? {}) as Record<string, unknown>;
  const rawNodes = (topo.nodes ?? {}) as Record<string, Record<string, unknown> | null>;
  const nodes = new Map<string, TopoNode>();
  for (const [nodeName, raw] of Object.entries(rawNodes)) {
    const n = raw ?? {};
    const labels = (n.labels ?? {}) as Record<string, unknown>;
    const lab = (k: string) => str(labels[`canopy.${k}`]);
    const role = lab('role');
    if (role !== 'switch' && role !== 'host') throw new TopologyError(`node ${nodeName}: label canopy.role must be switch or host`);
    const mgmtIpv4 = str(n['mgmt-ipv4']);
    if (!mgmtIpv4 || !IP.test(mgmtIpv4)) throw new TopologyError(`node ${nodeName}: mgmt-ipv4 is required`);
    const node: TopoNode = {
      name: nodeName,
      role,
      mgmtIpv4,
      ifaces: [],
      bridgePorts: list(lab('bridge-ports')),
      routes: parseRoutes(nodeName, lab('routes')),
      ipForward: lab('ip-forward') === 'true',
      sysctls: list(lab('sysctls')),
      sflow: lab('sflow') === 'true',
      netflow: null,
      ovs: null,
    };
    if (role === 'switch') {
      const kind = lab('switch') ?? 'bridge';
      if (kind !== 'bridge' && kind !== 'ovs') throw new TopologyError(`node ${nodeName}: canopy.switch must be bridge or ovs`);
      node.switchKind = kind;
    }
    const bip = lab('bridge-ipv4');
    if (bip) node.bridgeIpv4 = bip;
    const nf = lab('netflow');
    if (nf) {
      const versions = list(nf).map(Number);
      if (versions.some((v) => v !== 5 && v !== 9 && v !== 10))
        throw new TopologyError(`node ${nodeName}: canopy.netflow versions must be 5, 9 or 10`);
      const iface = lab('netflow-interface');
      if (!iface) throw new TopologyError(`node ${nodeName}: canopy.netflow needs canopy.netflow-interface`);
      node.netflow = { versions, iface };
    }
    const ob = lab('ovs-bridges');
    if (ob)
      node.ovs = {
        bridges: parseOvsBridges(nodeName, ob),
        patches: parseOvsPatches(nodeName, lab('ovs-patches')),
        vxlans: parseOvsVxlans(nodeName, lab('ovs-vxlan')),
      };
    for (const s of node.sysctls)
      if (!/^[\w.-]+=[\w.-]+$/.test(s)) throw new TopologyError(`node ${nodeName}: bad canopy.sysctls entry "${s}" (want KEY=VALUE)`);
    if (node.sflow && node.switchKind !== 'ovs' && !node.ovs) throw new TopologyError(`node ${nodeName}: canopy.sflow needs Open vSwitch`);
    nodes.set(nodeName, node);
  }
  if (nodes.size === 0) throw new TopologyError('topology has no nodes');
  const links = Array.isArray(topo.links) ? (topo.links as Record<string, unknown>[]) : [];
  links.forEach((link, i) => {
    const [a, b] = parseEndpoints(link ?? {}, i);
    for (const [me, other] of [
      [a, b],
      [b, a],
    ] as const) {
      const node = nodes.get(me.node);
      if (!node) throw new TopologyError(`link #${i + 1}: unknown node "${me.node}"`);
      if (me.iface === 'eth0') throw new TopologyError(`link #${i + 1}: ${me.node}:eth0 is the management interface`);
      if (node.ifaces.some((x) => x.name === me.iface)) throw new TopologyError(`link #${i + 1}: ${me.node}:${me.iface} used twice`);
      const iface: TopoIface = { name: me.iface, ipv4: me.ipv4 ? [me.ipv4] : [], peer: { node: other.node, iface: other.iface } };
      if (me.mac) iface.mac = me.mac;
      node.ifaces.push(iface);
    }
  });
  for (const node of nodes.values()) {
    const names = new Set(node.ifaces.map((x) => x.name));
    if (node.role === 'switch' && node.bridgePorts.length === 0) node.bridgePorts = [...names];
    for (const p of node.bridgePorts) if (!names.has(p)) throw new TopologyError(`node ${node.name}: bridge port ${p} has no link`);
    if (node.netflow && !names.has(node.netflow.iface))
      throw new TopologyError(`node ${node.name}: netflow interface ${node.netflow.iface} has no link`);
    for (const x of node.ifaces)
      for (const ip of x.ipv4) if (!CIDR.test(ip)) throw new TopologyError(`node ${node.name}: ${x.name} address ${ip} is not CIDR`);
  }
  return { name, mgmtSubnet, mgmtGateway, nodes: [...nodes.values()] };
}
