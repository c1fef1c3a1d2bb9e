// `canopy lab up`: builds a containerlab topology as network namespaces, step by step, writing the
// state file as it goes. Up is idempotent (it first removes a previous instance with the same
// prefix/state dir); on failure it tears down what it built unless keepOnError is set.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeLabCollectorConfig } from './collector-config.ts';
import {
  buildPcapShim,
  startBridgeMib,
  startLldpd,
  startSnmpd,
  startSoftflowd,
  softflowdCtls,
  shortenIfTableCache,
  waitAgentx,
} from './daemons.ts';
import { labDown } from './down.ts';
import { addRoutes, buildLinks, buildLinuxBridges, buildManagement, configureInterfaces } from './net.ts';
import { configureOvs, startOvs } from './ovs.ts';
import { labMissing } from './prereqs.ts';
import type { TrackedProc } from './procs.ts';
import { waitLldp, waitRoutes, waitSnmp } from './ready.ts';
import { planLab, writeState, type LabOptions, type LabState } from './state.ts';
import { parseTopology, type Topology } from './topology.ts';
import { waitFor } from './wait.ts';

export class LabUpError extends Error {}

export function loadTopology(file: string): Topology {
  return parseTopology(readFileSync(file, 'utf8'));
}

/** Namespace names an instance of FILE with these options uses (for down without a state file). */
export function planNamespaces(file: string, opts: LabOptions): { stateDir: string; namespaces: string[] } {
  const { state } = planLab(loadTopology(file), resolve(file), opts);
  return { stateDir: state.stateDir, namespaces: [state.mgmtNs, ...Object.values(state.nodes).map((n) => n.ns)] };
}

/**
 * The lab's daemons drop privileges (lldpd to _lldpd, snmpsim-like peers to nobody) and must read the
 * files and sockets it writes, whatever umask the caller has (077 in many root shells and CI): the
 * folders, configs and daemons of the lab are made with 022.
 */
export async function labUp(file: string, opts: LabOptions = {}): Promise<LabState> {
  const umask = process.umask(0o022);
  try {
    return await buildLab(file, opts);
  } finally {
    process.umask(umask);
  }
}

async function buildLab(file: string, opts: LabOptions): Promise<LabState> {
  const t0 = Date.now();
  const say = opts.progress ?? (() => {});
  const mark = (what: string) => {
    state.timings[what] = Date.now() - t0;
    say(`[${String(Date.now() - t0).padStart(6)} ms] ${what}`);
    writeState(state);
    if (opts.failAfter === what) throw new LabUpError(`failing on purpose after step "${what}" (--fail-after)`);
  };
  const { topo, state } = planLab(loadTopology(file), resolve(file), opts);
  const missing = labMissing();
  if (missing.length) throw new LabUpError(`cannot build the lab: ${missing.join('; ')}`);

  // Idempotent: whatever a previous up with this prefix/state dir left is removed first.
  const prev = await labDown(state.stateDir, [state.mgmtNs, ...Object.values(state.nodes).map((n) => n.ns)]);
  if (prev.namespaces.length || prev.stopped)
    say(`removed previous instance (${prev.namespaces.length} namespaces, ${prev.stopped} processes)`);
  for (const d of ['run', 'log', 'bin']) mkdirSync(join(state.stateDir, d), { recursive: true });
  // Written first, from the same state the daemons' configs come from: a failed up keeps it for inspection.
  state.collectorConfig = writeLabCollectorConfig(state, topo);
  writeState(state);
  const track = (p: TrackedProc) => {
    state.procs.push(p);
    writeState(state);
  };
  try {
    say(`building ${topo.name}: ${topo.nodes.length} nodes, prefix "${state.prefix}", state ${state.stateDir}`);
    const shim = topo.nodes.some((n) => n.netflow) ? buildPcapShim(state) : Promise.resolve('');
    shim.catch(() => {}); // awaited below; avoid an unhandled rejection if an earlier step fails
    await buildManagement(topo, state);
    mark('namespaces');
    await buildLinks(topo, state);
    await buildLinuxBridges(topo, state);
    await configureInterfaces(topo, state);
    mark('links');
    const ovsNodes = topo.nodes.filter((n) => n.switchKind === 'ovs' || n.ovs);
    const switches = topo.nodes.filter((n) => n.role === 'switch');
    for (const n of ovsNodes) await startOvs(n, state, track);
    for (const n of switches) await startSnmpd(n, state, track);
    say(`waiting for ovsdb/ovs-vswitchd on ${ovsNodes.map((n) => n.name).join(', ') || '-'}`);
    await Promise.all(ovsNodes.map((n) => configureOvs(n, state)));
    mark('ovs');
    for (const n of topo.nodes) await addRoutes(n, state);
    say(`waiting for snmpd AgentX sockets on ${switches.map((n) => n.name).join(', ')}`);
    await Promise.all(switches.map((n) => waitAgentx(n, state)));
    await Promise.all(switches.map((n) => shortenIfTableCache(n, state)));
    for (const n of switches) if (n.switchKind === 'bridge') startBridgeMib(n, state, track);
    mark('snmpd');
    for (const n of topo.nodes) startLldpd(n, state, track);
    mark('lldpd');
    const shimPath = await shim;
    for (const n of topo.nodes) startSoftflowd(n, state, shimPath, track);
    mark('exporters');
    say('waiting for routed paths (ping each gateway)');
    await waitRoutes(topo, state, 15_000);
    say('waiting for LLDP neighbours on every node');
    await waitLldp(topo, state, 20_000);
    say('waiting for LLDP-MIB / BRIDGE-MIB over SNMP on every switch');
    await waitSnmp(topo, state, 20_000);
    const ctls = topo.nodes.flatMap((n) => softflowdCtls(n, state));
    await waitFor(`softflowd control sockets (${ctls.join(', ')})`, 10_000, () => ctls.every((c) => existsSync(c)));
    state.status = 'up';
    mark('ready');
    say(`lab ${topo.name} up in ${Date.now() - t0} ms — collector address ${state.collector.address} in namespace ${state.mgmtNs}`);
    return state;
  } catch (e) {
    state.status = 'failed';
    state.error = (e as Error).message;
    writeState(state);
    if (!opts.keepOnError) {
      say(`up failed (${state.error}); tearing down what was built`);
      await labDown(state.stateDir, state.namespaces);
    }
    throw e;
  }
}
