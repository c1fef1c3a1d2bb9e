// OVSDB and port-mirror captures through a host agent, all real: ovsdb-server + ovs-vswitchd
// (userspace datapath) in a namespace that plays the hypervisor, two host namespaces cabled to its
// bridge, and a real `canopy agent` process inside the hypervisor namespace with `agent.ovsdb` =
// the server's unix socket (which the collector cannot reach: `ovsdb.endpoints: [agent:hv1]`).
// The collector mirrors the bridge through the agent's relay, and re-syncs without duplicates after
// the agent is killed and restarted. POST /api/capture on an ovsport makes OVS mirror it to
// cnp-mir-<id>, which the agent reads: flows with the packets and bytes tshark sees on that port.
// A capture in the agent's own config on a host veth reports that veth's flows.
// docs/architecture.md#agent, #ovsdb, #port-mirror-capture.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLOWS_READER } from '../../src/component/provisions.ts';
import type { MirrorFlow } from '../../src/collectors/mirror/conversations.ts';
import type { GraphNode } from '../../src/topology/types.ts';
import { startTestCollector, type TestCollector } from '../api/helpers.ts';
import { directionKey, directionsOf, sumBy, tsharkFieldArgs, HAVE_TSHARK } from '../collectors/mirror/tshark.ts';
import { ovsMissing, startOvsPeer, type OvsPeer } from './ovs-peer.ts';

const skip = ovsMissing() ?? (HAVE_TSHARK ? null : 'tshark missing');
const ADMIN = 'admin-token-agentcap-1';
const TOKEN = 'agent-token-hv1-abcdef';
const ROOT = resolve(import.meta.dirname, '../..');
const FILTER = 'ip or arp';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, ms: number, f: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(100);
  }
}

describe.skipIf(skip !== null)(`OVSDB and captures through a host agent${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let ovs: OvsPeer;
  let t: TestCollector;
  let dir: string;
  let agent: ChildProcess | undefined;
  const hostNs: Record<string, string> = {};
  const net = `10.219.${process.pid % 250}`;
  let veth1 = '';

  const call = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(t.base + path, {
      method,
      headers: { 'content-type': 'application/json', Authorization: `Bearer ${ADMIN}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text ? (JSON.parse(text) as Record<string, any>) : null };
  };
  const live = (type: string) => [...t.collector.store.allNodes()].filter((n) => n.Metadata.Type === type && n.DeletedAt === undefined);
  const named = (type: string, name: string): GraphNode[] => live(type).filter((n) => n.Metadata.Name === name);
  const parentOf = (id: string) =>
    [...t.collector.store.edgesOf(id, 'in')].find((e) => e.Metadata.RelationType === 'ownership' && e.DeletedAt === undefined)?.Parent;

  const startAgent = () => {
    agent = spawn('ip', ['netns', 'exec', ovs.ns, process.execPath, 'bin/canopy.js', 'agent', '--config', join(dir, 'agent.yml')], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'ignore'],
      env: { ...process.env, CANOPY_LOG_LEVEL: 'warn' },
    });
  };
  const killAgent = async (signal: NodeJS.Signals) => {
    const a = agent;
    agent = undefined;
    if (!a || a.exitCode !== null) return;
    const gone = new Promise((r) => a.once('exit', r));
    a.kill(signal);
    // An agent that does not stop on SIGTERM must not outlive the test (nor its namespace).
    const timer = setTimeout(() => a.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  };
  const ping = (from: string, to: string, extra: string[] = []) =>
    spawnSync('ip', ['netns', 'exec', from, 'ping', '-q', ...extra, to], { stdio: 'ignore' }).status === 0;

  beforeAll(async () => {
    ovs = await startOvsPeer({ systemId: 'sys-agentcap', hostname: 'hv1-ovs' });
    await ovs.vsctl('add-br', 'br0', '--', 'set', 'bridge', 'br0', 'datapath_type=netdev');
    hostNs.h1 = await ovs.addHost('br0', 'h1', `${net}.1/24`);
    hostNs.h2 = await ovs.addHost('br0', 'h2', `${net}.2/24`);
    veth1 = (await ovs.vsctl('list-ports', 'br0')).split('\n').find((p) => p.startsWith('h1'))!;
    dir = mkdtempSync(join(tmpdir(), 'canopy-agentcap-'));
    t = await startTestCollector({
      // The agent dials from the hypervisor namespace: the collector listens on the veth into it.
      'api.listen': [`${ovs.rootIp}:0`],
      'auth.tokens': [{ token: ADMIN, role: 'admin' }],
      'agents.tokens': [{ token: TOKEN, host: 'hv1' }],
      'agents.pingInterval': 1,
      'ovsdb.endpoints': ['agent:hv1'],
      'ovsdb.reconnectMax': 1,
      'ovsdb.captureFollowDelay': 0.1,
      'snmp.enabled': false,
    });
    const emptyNetnsDir = join(dir, 'netns');
    spawnSync('mkdir', ['-p', emptyNetnsDir]);
    writeFileSync(
      join(dir, 'agent.yml'),
      JSON.stringify({
        agent: {
          collector: t.ws,
          token: TOKEN,
          hostname: 'hv1',
          machineId: 'canopy-agentcap-hv1',
          ovsdb: `unix:${ovs.unix}`,
          // Only this namespace: named ones belong to other tests on this machine.
          netns: { dir: emptyNetnsDir, processes: false },
          docker: { enabled: false },
          runc: { dirs: [] },
          sockets: { enabled: false },
          lldp: { enabled: false },
          reconnect: { min: 0.2, max: 1 },
          capture: [{ interface: veth1, filter: FILTER }],
          captureExportInterval: 1,
        },
      }),
    );
    startAgent();
    await until('the bridge under the agent host', 20_000, () => {
      const host = named('host', 'hv1').find((n) => n.Origin === 'agent.hv1');
      const br = named('ovsbridge', 'br0');
      return host && br.length === 1 && parentOf(br[0]!.ID) === host.ID && named('ovsport', veth1).length === 1;
    });
    await until('OVS forwarding', 15_000, () => ping(hostNs.h1!, `${net}.2`, ['-c', '1', '-W', '1']));
  }, 90_000);

  afterAll(async () => {
    await killAgent('SIGTERM');
    await t?.stop();
    await ovs?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('mirrors the bridge through the agent; a killed and restarted agent re-syncs without duplicates', async () => {
    const before = {
      bridges: named('ovsbridge', 'br0').map((n) => n.ID),
      ports: live('ovsport')
        .map((n) => n.ID)
        .sort(),
      hosts: named('host', 'hv1').map((n) => n.ID),
    };
    expect(before.bridges).toHaveLength(1);
    expect(before.hosts).toHaveLength(1);
    const ep = (await call('GET', '/api/status')).body!.components.ovsdb.endpoints['agent:hv1'];
    expect(ep.connected).toBe(true);
    await killAgent('SIGKILL');
    await until(
      'the relay to drop',
      10_000,
      async () => !(await call('GET', '/api/status')).body!.components.ovsdb.endpoints['agent:hv1'].connected,
    );
    // A change while nobody relays: seen after the agent is back.
    await ovs.vsctl('add-port', 'br0', 'extra0', '--', 'set', 'interface', 'extra0', 'type=internal');
    startAgent();
    await until('the new port after the re-sync', 20_000, () => named('ovsport', 'extra0').length === 1);
    expect(named('ovsbridge', 'br0').map((n) => n.ID)).toEqual(before.bridges);
    expect(named('host', 'hv1').map((n) => n.ID)).toEqual(before.hosts);
    const ports = live('ovsport').map((n) => n.ID);
    expect(new Set(ports).size).toBe(ports.length);
    expect(before.ports.every((p) => ports.includes(p))).toBe(true);
    expect(ports).toHaveLength(before.ports.length + 1);
    await ovs.vsctl('del-port', 'br0', 'extra0');
    await until('the port gone', 10_000, () => named('ovsport', 'extra0').length === 0);
  }, 60_000);

  it('a capture on an ovsport is read by the agent: flows on that port with the packets and bytes tshark sees on cnp-mir-<id>', async () => {
    const port = named('ovsport', veth1)[0]!;
    const res = await call('POST', '/api/capture', {
      GremlinQuery: `G.V().Has('Type', 'ovsport', 'Name', '${veth1}')`,
      BPFFilter: FILTER,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const id = String(res.body!.UUID);
    const mir = `cnp-mir-${id.replace(/-/g, '').slice(0, 7)}`;
    // The agent brings the mirror port up once OVS has made it.
    await until('the mirror port up', 15_000, () =>
      /UP/.test(spawnSync('ip', ['-n', ovs.ns, '-o', 'link', 'show', mir]).stdout?.toString() ?? ''),
    );
    const tshark = spawn('ip', ['netns', 'exec', ovs.ns, 'tshark', '-l', '-n', '-i', mir, '-f', FILTER, ...tsharkFieldArgs()], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    tshark.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const marker = `${net}.255`;
    const reader = t.collector.provided(FLOWS_READER)!;
    const rows = () => reader.query({ node: port.ID, top: 10_000 }) as unknown as (MirrorFlow & { protocol: string })[];
    // Both readers see markers (broadcast pings across the mirrored port) before the traffic counted.
    await until('tshark and the agent both reading the mirror', 20_000, () => {
      ping(hostNs.h1!, marker, ['-b', '-c', '1', '-W', '0.1']);
      return out.includes(`\t${marker}\t`) && rows().some((r) => r.dstAddr === marker);
    });
    ping(hostNs.h1!, `${net}.2`, ['-c', '5', '-i', '0.2']);
    ping(hostNs.h2!, `${net}.1`, ['-c', '3', '-i', '0.2', '-s', '1000']);
    // Short of an export interval: the last flows come with the engine's final export, when it stops.
    await sleep(300);
    // tshark stops first (the port is about to vanish); no frame crosses the mirror meanwhile.
    const exited = new Promise((r) => tshark.once('exit', r));
    tshark.kill('SIGINT');
    await exited;
    // Deleting the capture stops the agent's engine (its last export arrives) and removes the mirror.
    expect((await call('DELETE', `/api/capture/${id}`)).status).toBe(200);
    await until('the mirror port gone', 10_000, () => spawnSync('ip', ['-n', ovs.ns, 'link', 'show', mir]).status !== 0);
    await sleep(500);
    const theirs = directionsOf(out);
    const mine = sumBy(
      rows().filter((r) => r.dstAddr !== marker),
      directionKey,
    );
    for (const k of [...theirs.keys()]) if (k.includes(`>${marker}|`)) theirs.delete(k);
    expect(mine.size).toBeGreaterThan(0);
    expect(Object.fromEntries(mine)).toEqual(Object.fromEntries(theirs));
    for (const r of rows()) expect(r.protocol).toBe('mirror');
    // Stopped: traffic now is not counted.
    const total = () => rows().reduce((s, r) => s + r.packets, 0);
    const n = total();
    ping(hostNs.h1!, `${net}.2`, ['-c', '3', '-i', '0.2']);
    await sleep(2000);
    expect(total()).toBe(n);
    expect(await ovs.vsctl('--bare', 'list', 'mirror')).toBe('');
  }, 90_000);

  it('a capture through /api/capture on a host interface is read by its agent: every echo counted, none after DELETE', async () => {
    const veth2 = (await ovs.vsctl('list-ports', 'br0')).split('\n').find((p) => p.startsWith('h2'))!;
    const node = [...t.collector.store.allNodes()].find(
      (n) => n.Metadata.Name === veth2 && n.DeletedAt === undefined && n.Metadata.Type !== 'ovsport',
    )!;
    const res = await call('POST', '/api/capture', {
      // The interface node is the agent's and OVSDB's (one ID); each writes its own Type, so not by Type.
      GremlinQuery: `G.V().Has('Name', '${veth2}', 'Type', NE('ovsport'))`,
      BPFFilter: 'icmp',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body!.Count).toBe(1);
    // A graph change makes captures follow their query again: the host interface must stay captured.
    await ovs.vsctl('set', 'interface', veth2, 'external_ids:touched=1');
    await sleep(1000);
    const reader = t.collector.provided(FLOWS_READER)!;
    const echo = (src: string) =>
      (reader.query({ node: node.ID, top: 10_000 }) as unknown as (MirrorFlow & { protocol: string })[])
        .filter((r) => r.srcAddr === src && r.proto === 1)
        .reduce((a, r) => a + r.packets, 0);
    // The engine starts asynchronously in the agent: probe until its first flow is in.
    await until('the agent capturing', 15_000, () => {
      ping(hostNs.h1!, `${net}.2`, ['-c', '1', '-W', '1']);
      return echo(`${net}.2`) > 0;
    });
    await sleep(1500);
    const [req0, rep0] = [echo(`${net}.1`), echo(`${net}.2`)];
    ping(hostNs.h1!, `${net}.2`, ['-c', '6', '-i', '0.2']);
    await until('six more echoes each way', 10_000, () => echo(`${net}.1`) === req0 + 6 && echo(`${net}.2`) === rep0 + 6);
    expect((await call('DELETE', `/api/capture/${String(res.body!.UUID)}`)).status).toBe(200);
    await sleep(1500);
    const after = echo(`${net}.1`);
    ping(hostNs.h1!, `${net}.2`, ['-c', '3', '-i', '0.2']);
    await sleep(2000);
    expect(echo(`${net}.1`)).toBe(after);
  }, 60_000);

  it("a capture in the agent's config on a host veth: that interface's flows", async () => {
    // The veth's interface node (the agent's and OVS's: both name it by host and name).
    const nodeId = [...t.collector.store.allNodes()].find(
      (n) => n.Metadata.Name === veth1 && n.DeletedAt === undefined && n.Metadata.Type !== 'ovsport',
    )!.ID;
    const reader = t.collector.provided(FLOWS_READER)!;
    ping(hostNs.h1!, `${net}.2`, ['-c', '4', '-i', '0.2']);
    const rows = await until('flows on the veth', 15_000, () => {
      const r = reader.query({ node: nodeId, top: 10_000 }) as unknown as MirrorFlow[];
      return r.some((x) => x.srcAddr === `${net}.1` && x.dstAddr === `${net}.2` && x.proto === 1 && x.packets >= 4) && r;
    });
    const echo = rows.filter((x) => x.srcAddr === `${net}.1` && x.dstAddr === `${net}.2` && x.proto === 1);
    expect(echo.reduce((s, x) => s + x.bytes, 0)).toBeGreaterThanOrEqual(4 * 98);
    const st = (await call('GET', '/api/status')).body!.components.agents.captures;
    expect(st.flows).toBeGreaterThan(0);
  }, 60_000);
});
