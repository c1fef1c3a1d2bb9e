// Re-sync after faults (docs/reliability.md): a real collector process, a real `canopy agent` in the
// namespace that plays the hypervisor, and a real ovsdb-server + ovs-vswitchd in it that the
// collector reads over TCP across the namespace's veth (test/ovs/ovs-peer.ts).
// 1. The collector is SIGKILLed; while it is down a port is added to and one removed from the
//    bridge, and an interface appears on the host. Restarted on the same data dir it finds an
//    intact database, and the agent and OVSDB re-sync: the changes are there, nothing duplicated,
//    host and bridge keep their IDs.
// 2. The veth into the namespace goes down (the agent's and OVSDB's network cut): the host turns
//    DOWN after agents.downAfter, changes are made in the namespace, the link comes back: the agent
//    reconnects by itself and the graph catches up (host UP, the new interface there), as does OVSDB.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeTcpPort, spawnCollector, type CollectorProcess } from '../../bench/lib/collector-child.ts';
import { ovsMissing, startOvsPeer, type OvsPeer } from '../ovs/ovs-peer.ts';

const skip = ovsMissing();
const ROOT = resolve(import.meta.dirname, '../..');
const ADMIN = 'admin-token-resync-1';
const TOKEN = 'agent-token-resync-hv1';
const DOWN_AFTER = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type El = { ID: string; Parent: string; Child: string; Origin: string; Metadata: Record<string, any> };
type G = { Nodes: El[]; Edges: El[] };

async function until<T>(what: string, ms: number, f: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}${last ? ` (${String(last)})` : ''}`);
    await sleep(200);
  }
}

describe.skipIf(skip !== null)(`re-sync after a collector kill -9 and a network cut${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let ovs: OvsPeer;
  let c: CollectorProcess | undefined;
  let agent: ChildProcess | undefined;
  let dir = '';
  let apiPort = 0;
  let vethRoot = '';

  const graph = async () => (await (await fetch(`${c!.base}/api/topology`, { headers: c!.headers })).json()) as G;
  const live = (g: G, type: string, name?: string) =>
    g.Nodes.filter((n) => n.Metadata.Type === type && (name === undefined || n.Metadata.Name === name));
  const hostOf = (g: G) => g.Nodes.filter((n) => n.Metadata.Type === 'host' && n.Origin === 'agent.hv1');
  const agentNamed = (g: G, name: string) => g.Nodes.filter((n) => n.Origin === 'agent.hv1' && n.Metadata.Name === name);
  const ovsdbConnected = async () => {
    const st = (await (await fetch(`${c!.base}/api/status`, { headers: c!.headers })).json()) as {
      components: { ovsdb: { endpoints: Record<string, { connected: boolean }> } };
    };
    return st.components.ovsdb.endpoints[ovs.tcp]?.connected === true;
  };

  const startCollector = async () => {
    c = await spawnCollector({
      configFile: join(dir, 'canopy.json'),
      apiPort,
      token: ADMIN,
      config: {
        api: { listen: [`127.0.0.1:${apiPort}`, `${ovs.rootIp}:${apiPort}`] },
        storage: { dataDir: join(dir, 'data') },
        sflow: { listen: '127.0.0.1:0' },
        netflow: { listen: '127.0.0.1:0' },
        ipfix: { enabled: false },
        snmp: { enabled: false, traps: { listen: '127.0.0.1:0' } },
        auth: { tokens: [{ token: ADMIN, role: 'admin' }] },
        agents: { tokens: [{ token: TOKEN, host: 'hv1' }], downAfter: DOWN_AFTER, pingInterval: 1 },
        ovsdb: { endpoints: [ovs.tcp], reconnectMin: 0.2, reconnectMax: 1, probeInterval: 1, requestTimeout: 1 },
      },
    });
  };

  beforeAll(async () => {
    ovs = await startOvsPeer({ systemId: 'sys-resync', hostname: 'hv1-ovs' });
    await ovs.vsctl('add-br', 'br0', '--', 'set', 'bridge', 'br0', 'datapath_type=netdev');
    await ovs.vsctl('add-port', 'br0', 'keep0', '--', 'set', 'interface', 'keep0', 'type=internal');
    await ovs.vsctl('add-port', 'br0', 'gone0', '--', 'set', 'interface', 'gone0', 'type=internal');
    vethRoot = (JSON.parse(await ovs.exec(null, 'ip', ['-j', 'addr', 'show', 'to', ovs.rootIp])) as { ifname: string }[])[0]!.ifname;
    dir = mkdtempSync(join(tmpdir(), 'canopy-resync-'));
    apiPort = await freeTcpPort();
    await startCollector();
    const emptyNetnsDir = join(dir, 'netns');
    await ovs.exec(null, 'mkdir', ['-p', emptyNetnsDir]);
    writeFileSync(
      join(dir, 'agent.yml'),
      JSON.stringify({
        agent: {
          collector: `ws://${ovs.rootIp}:${apiPort}`,
          token: TOKEN,
          hostname: 'hv1',
          machineId: 'canopy-resync-hv1',
          // Only this namespace: named ones belong to other tests on this machine.
          netns: { dir: emptyNetnsDir, processes: false },
          docker: { enabled: false },
          runc: { dirs: [] },
          sockets: { enabled: false },
          lldp: { enabled: false },
          reconnect: { min: 0.2, max: 1 },
        },
      }),
    );
    agent = spawn('ip', ['netns', 'exec', ovs.ns, process.execPath, 'bin/canopy.js', 'agent', '--config', join(dir, 'agent.yml')], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'ignore'],
      env: { ...process.env, CANOPY_LOG_LEVEL: 'warn' },
    });
    await until('the agent host and the bridge', 30_000, async () => {
      const g = await graph();
      return hostOf(g).length === 1 && live(g, 'ovsport', 'gone0').length === 1 && live(g, 'ovsbridge', 'br0').length === 1;
    });
  }, 90_000);

  afterAll(async () => {
    if (agent && agent.exitCode === null) {
      const gone = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGTERM');
      const t = setTimeout(() => agent!.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    }
    await c?.stop();
    await ovs?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('collector kill -9: intact database; agent and OVSDB re-sync the changes made while it was down, no duplicates', async () => {
    const before = await graph();
    const hostId = hostOf(before)[0]!.ID;
    const bridgeId = live(before, 'ovsbridge', 'br0')[0]!.ID;
    const keepId = live(before, 'ovsport', 'keep0')[0]!.ID;
    await c!.kill9();

    // While the collector is down.
    await ovs.vsctl('add-port', 'br0', 'new0', '--', 'set', 'interface', 'new0', 'type=internal');
    await ovs.vsctl('del-port', 'br0', 'gone0');
    await ovs.exec(ovs.ns, 'ip', ['link', 'add', 'cnpkill0', 'type', 'veth', 'peer', 'name', 'cnpkill0p']);

    const db = new Database(join(dir, 'data', 'canopy.db'));
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();

    await startCollector();
    const g = await until('agent and OVSDB re-synced', 30_000, async () => {
      const g = await graph();
      return live(g, 'ovsport', 'new0').length === 1 &&
        live(g, 'ovsport', 'gone0').length === 0 &&
        agentNamed(g, 'cnpkill0').length === 1 &&
        hostOf(g)[0]?.Metadata.State === 'UP'
        ? g
        : undefined;
    });
    expect(hostOf(g).map((n) => n.ID)).toEqual([hostId]);
    expect(live(g, 'ovsbridge', 'br0').map((n) => n.ID)).toEqual([bridgeId]);
    expect(live(g, 'ovsport', 'keep0').map((n) => n.ID)).toEqual([keepId]);
    const ids = g.Nodes.map((n) => n.ID);
    expect(new Set(ids).size).toBe(ids.length);
  }, 60_000);

  it('agent network cut (veth down) and restored: DOWN during the cut, then the agent reconnects and the graph catches up', async () => {
    await until('OVSDB connected', 10_000, ovsdbConnected);
    await ovs.exec(null, 'ip', ['link', 'set', vethRoot, 'down']);
    try {
      await until('the host DOWN after downAfter', 15_000, async () => hostOf(await graph())[0]?.Metadata.State === 'DOWN');
      await until('OVSDB disconnected', 15_000, async () => !(await ovsdbConnected()));
      await ovs.exec(ovs.ns, 'ip', ['link', 'add', 'cnpcut0', 'type', 'veth', 'peer', 'name', 'cnpcut0p']);
      await ovs.vsctl('add-port', 'br0', 'cut0', '--', 'set', 'interface', 'cut0', 'type=internal');
      // Longer than TCP's first retransmission backoffs: the agent's socket must not stay stuck.
      await sleep(Number(process.env.CUT_MS ?? 8000));
    } finally {
      await ovs.exec(null, 'ip', ['link', 'set', vethRoot, 'up']);
    }
    const t0 = Date.now();
    await until('the graph caught up', 20_000, async () => {
      const g = await graph();
      return hostOf(g)[0]?.Metadata.State === 'UP' && agentNamed(g, 'cnpcut0').length === 1 && live(g, 'ovsport', 'cut0').length === 1;
    });
    process.stderr.write(`network cut: graph caught up ${Date.now() - t0} ms after the link came back\n`);
    const g = await graph();
    expect(hostOf(g)).toHaveLength(1);
    const ids = g.Nodes.map((n) => n.ID);
    expect(new Set(ids).size).toBe(ids.length);
  }, 60_000);
});
