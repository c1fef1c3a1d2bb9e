// The lab plan (topology + caller's prefix, subnets, collector, ports) and its state file. The
// state file is written before anything is created and after every step, so `down` can always
// find what a half-finished `up` left behind. Tests read addresses and SNMP credentials from it.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrackedProc } from './procs.ts';
import type { Topology, TopoNode } from './topology.ts';

export interface LabOptions {
  prefix?: string;
  /** First two octets ("10.123") replacing the file's base (first two octets of mgmt.ipv4-subnet). */
  subnetBase?: string;
  collector?: string;
  sflowPort?: number;
  netflowPort?: number;
  ipfixPort?: number;
  trapPort?: number;
  stateDir?: string;
  /** Test hook: fail on purpose right after the named step (e.g. "daemons"). */
  failAfter?: string;
  keepOnError?: boolean;
  progress?: (line: string) => void;
}

export interface SnmpCreds {
  port: number;
  community: string;
  v3: { user: string; level: 'authPriv'; authProtocol: 'SHA'; authKey: string; privProtocol: 'AES'; privKey: string };
}

export interface NodeState {
  name: string;
  ns: string;
  role: TopoNode['role'];
  switchKind?: TopoNode['switchKind'];
  mgmtIp: string;
  /** The veth in the mgmt namespace that leads to this node's eth0. */
  mgmtPeer: string;
  ifaces: TopoNode['ifaces'];
  bridgeIpv4?: string;
  lldpSocket: string;
  ovsRun?: string;
  ovsdbSocket?: string;
  agentxSocket?: string;
}

export interface LabState {
  version: 1;
  file: string;
  name: string;
  prefix: string;
  stateDir: string;
  ownerPid: number;
  status: 'starting' | 'up' | 'failed';
  error?: string;
  mgmtNs: string;
  mgmtBridge: string;
  mgmtSubnet: string;
  collector: { address: string; sflowPort: number; netflowPort: number; ipfixPort: number; trapPort: number };
  snmp: SnmpCreds;
  /** The collector config written for this lab (`canopy collector --config` it in the mgmt namespace). */
  collectorConfig?: string;
  nodes: Record<string, NodeState>;
  /** Namespaces in creation order (the mgmt namespace first). */
  namespaces: string[];
  procs: TrackedProc[];
  timings: Record<string, number>;
}

// Traps: the collector's own default (snmp.traps.listen, 9162), not 162 — 162 needs privileges the
// collector does not have by default, and a lab whose traps go to a port nobody listens on is worse
// than none (see docs/getting-started.md, "Traps on port 162").
export const DEFAULT_PORTS = { sflowPort: 6343, netflowPort: 2055, ipfixPort: 4739, trapPort: 9162 };

export function defaultPrefix(topo: Topology): string {
  return `${topo.name}-`;
}

export function defaultStateDir(prefix: string): string {
  return join('/tmp/canopy-lab', prefix.replace(/-+$/, '') || 'lab');
}

function remapper(topo: Topology, base: string | undefined): (s: string) => string {
  const from = topo.mgmtSubnet.split('.').slice(0, 2).join('.') + '.';
  if (!base) return (s) => s;
  if (!/^\d{1,3}\.\d{1,3}$/.test(base)) throw new Error(`--subnet-base must look like 10.123 (got ${base})`);
  const to = base + '.';
  return (s) => (s.startsWith(from) ? to + s.slice(from.length) : s);
}

/** Applies the caller's prefix / subnet base to the topology; returns the remapped topology and the initial state. */
export function planLab(topo: Topology, file: string, opts: LabOptions): { topo: Topology; state: LabState } {
  const re = remapper(topo, opts.subnetBase);
  const t: Topology = {
    ...topo,
    mgmtSubnet: re(topo.mgmtSubnet),
    mgmtGateway: re(topo.mgmtGateway),
    nodes: topo.nodes.map((n) => {
      const m: TopoNode = {
        ...n,
        mgmtIpv4: re(n.mgmtIpv4),
        ifaces: n.ifaces.map((i) => ({ ...i, ipv4: i.ipv4.map(re) })),
        routes: n.routes.map((r) => ({ dst: re(r.dst), via: r.via.map(re) })),
        ovs: n.ovs && {
          bridges: n.ovs.bridges.map((b) => (b.ipv4 ? { ...b, ipv4: re(b.ipv4) } : b)),
          patches: n.ovs.patches,
          vxlans: n.ovs.vxlans.map((v) => ({ ...v, remote: re(v.remote) })),
        },
      };
      if (n.bridgeIpv4) m.bridgeIpv4 = re(n.bridgeIpv4);
      return m;
    }),
  };
  const prefix = opts.prefix ?? defaultPrefix(topo);
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,30}$/.test(prefix)) throw new Error(`bad --prefix "${prefix}"`);
  const stateDir = opts.stateDir ?? defaultStateDir(prefix);
  const net3 = t.mgmtSubnet.split('.').slice(0, 3).join('.') + '.';
  const collector = opts.collector ?? t.mgmtGateway;
  if (!collector.startsWith(net3)) throw new Error(`--collector ${collector} must be inside the mgmt subnet ${t.mgmtSubnet}`);
  const run = join(stateDir, 'run');
  const nodes: Record<string, NodeState> = {};
  const used = new Set<string>();
  for (const n of t.nodes) {
    if (n.mgmtIpv4 === collector) throw new Error(`node ${n.name}: mgmt-ipv4 ${n.mgmtIpv4} is the collector address`);
    // Names of the mgmt-side veths must be unique and ≤ 15 characters.
    let peer = `m-${n.name}`.slice(0, 15);
    for (let k = 0; used.has(peer); k++) peer = `m${k}-${n.name}`.slice(0, 15);
    used.add(peer);
    const ns: NodeState = {
      name: n.name,
      ns: `${prefix}${n.name}`,
      role: n.role,
      mgmtIp: n.mgmtIpv4,
      mgmtPeer: peer,
      ifaces: n.ifaces,
      lldpSocket: join(run, `lldpd-${n.name}.sock`),
    };
    if (n.switchKind) ns.switchKind = n.switchKind;
    if (n.bridgeIpv4) ns.bridgeIpv4 = n.bridgeIpv4;
    if (n.switchKind === 'ovs' || n.ovs) {
      ns.ovsRun = join(run, `ovs-${n.name}`);
      ns.ovsdbSocket = join(ns.ovsRun, 'db.sock');
    }
    if (n.role === 'switch') ns.agentxSocket = join(run, `agentx-${n.name}.sock`);
    nodes[n.name] = ns;
  }
  const state: LabState = {
    version: 1,
    file,
    name: t.name,
    prefix,
    stateDir,
    ownerPid: process.pid,
    status: 'starting',
    mgmtNs: `${prefix}mgmt`,
    mgmtBridge: 'mgmt0',
    mgmtSubnet: t.mgmtSubnet,
    collector: {
      address: collector,
      sflowPort: opts.sflowPort ?? DEFAULT_PORTS.sflowPort,
      netflowPort: opts.netflowPort ?? DEFAULT_PORTS.netflowPort,
      ipfixPort: opts.ipfixPort ?? DEFAULT_PORTS.ipfixPort,
      trapPort: opts.trapPort ?? DEFAULT_PORTS.trapPort,
    },
    snmp: {
      port: 161,
      community: 'public',
      v3: { user: 'canopy', level: 'authPriv', authProtocol: 'SHA', authKey: 'canopyauth1', privProtocol: 'AES', privKey: 'canopypriv1' },
    },
    nodes,
    namespaces: [],
    procs: [],
    timings: {},
  };
  if (nodes.mgmt) throw new Error('a node may not be called "mgmt" (the management namespace uses that name)');
  return { topo: t, state };
}

export function statePath(stateDir: string): string {
  return join(stateDir, 'state.json');
}

export function writeState(s: LabState): void {
  mkdirSync(s.stateDir, { recursive: true });
  const p = statePath(s.stateDir);
  writeFileSync(p + '.tmp', JSON.stringify(s, null, 2));
  renameSync(p + '.tmp', p);
}

export function readState(stateDir: string): LabState | null {
  try {
    return JSON.parse(readFileSync(statePath(stateDir), 'utf8')) as LabState;
  } catch {
    return null;
  }
}
