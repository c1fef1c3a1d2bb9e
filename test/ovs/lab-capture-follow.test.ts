// Captures against a real ovsdb-server + ovs-vswitchd over a unix: endpoint: a capture follows its
// GremlinQuery (applied to bridges that come to match, removed from bridges that stop matching,
// also after a collector restart), and two bridges sending sFlow from one OVS through one agent
// address each get their own flows. docs/architecture.md#ovsdb.
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector.ts';
import { flowsComponent, sflowComponent } from '../../src/components.ts';
import { loadConfig } from '../../src/config/load.ts';
import { ovsdbComponent } from '../../src/ovs/component.ts';
import type { GraphNode } from '../../src/topology/types.ts';
import { createRegistry } from '../../src/util/metrics.ts';
import { silentLogger } from '../../src/util/log.ts';
import { ovsMissing, startOvsPeer, type OvsPeer } from './ovs-peer.ts';

const skip = ovsMissing();

async function freeUdpPort(host: string): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, host, () => r()));
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

async function until<T>(what: string, ms: number, f: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(skip)('captures over a unix: OVSDB endpoint, against a real Open vSwitch', () => {
  let ovs: OvsPeer;
  let collector: Collector;
  let dir: string;
  let api: string;
  let config: ReturnType<typeof loadConfig>;
  const hosts: Record<string, string> = {};
  const newCollector = () =>
    new Collector({
      config,
      log: silentLogger(),
      registry: createRegistry(false),
      components: [flowsComponent, sflowComponent, ovsdbComponent],
    });
  const one = (type: string, name: string): GraphNode | undefined => {
    const l = [...collector.store.allNodes()].filter(
      (n) => n.Metadata.Type === type && n.Metadata.Name === name && n.DeletedAt === undefined,
    );
    return l.length === 1 ? l[0] : undefined;
  };
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`http://${api}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
  };
  /** The capture id in the sFlow row on a bridge, or '' when the bridge has none. */
  const sflowOf = async (br: string) => {
    const ref = (await ovs.vsctl('get', 'bridge', br, 'sflow')).trim();
    if (ref === '[]') return '';
    // Two reads: the row may be replaced between them while captures follow their queries; that is
    // "not there yet" for the polling callers, not a failure.
    try {
      return (await ovs.vsctl('get', 'sflow', ref, 'external_ids:canopy-capture')).trim().replace(/"/g, '');
    } catch (e) {
      if (/no row/.test((e as Error).message)) return '';
      throw e;
    }
  };

  beforeAll(async () => {
    ovs = await startOvsPeer({ systemId: 'sys-ovs-follow', hostname: 'hv-ovs-follow' });
    for (const [br, net] of [
      ['brA', '10.81.0'],
      ['brB', '10.82.0'],
    ] as const) {
      await ovs.vsctl('add-br', br, '--', 'set', 'bridge', br, 'datapath_type=netdev', '--', 'set', 'interface', br, 'type=internal');
      hosts[br] = await ovs.addHost(br, `h${br.slice(2)}`, `${net}.2/24`);
      await ovs.exec(ovs.ns, 'ip', ['addr', 'add', `${net}.1/24`, 'dev', br]);
      await ovs.exec(ovs.ns, 'ip', ['link', 'set', br, 'up']);
    }
    for (const br of ['brC', 'brD']) await ovs.vsctl('add-br', br, '--', 'set', 'bridge', br, 'datapath_type=netdev');
    dir = mkdtempSync(join(tmpdir(), 'canopy-ovsdb-follow-'));
    const sflowPort = await freeUdpPort(ovs.rootIp);
    config = loadConfig({
      env: {},
      overrides: {
        'api.listen': '127.0.0.1:0',
        'storage.dataDir': dir,
        'sflow.listen': `${ovs.rootIp}:${sflowPort}`,
        'netflow.enabled': false,
        'ipfix.enabled': false,
        'ovsdb.endpoints': [`unix:${ovs.unix}`],
        // OVS runs in its own namespace: 127.0.0.1 there is not ours.
        'ovsdb.sflowTarget': `${ovs.rootIp}:${sflowPort}`,
        'ovsdb.captureFollowDelay': 0.1,
      },
    });
    collector = newCollector();
    await collector.start();
    api = collector.apiAddresses[0]!;
    await until('bridges in the graph', 10_000, () => ['brA', 'brB', 'brC', 'brD'].every((b) => one('ovsbridge', b)));
  }, 60_000);

  afterAll(async () => {
    await collector?.stop();
    await ovs?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('two bridges with captures on one OVS (unix: endpoint): each bridge gets its own flows, on its own ports', async () => {
    const ids: string[] = [];
    for (const br of ['brA', 'brB']) {
      const res = await call('POST', '/api/capture', {
        GremlinQuery: `G.V().Has('Type', 'ovsbridge', 'Name', '${br}')`,
        SamplingRate: 1,
        PollingInterval: 1,
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ Count: 1 });
      ids.push(res.body!.UUID as string);
    }
    // The agent address is set for a unix: endpoint too (the address OVS sends from towards us).
    const agents = JSON.parse(await ovs.vsctl('--format=json', '--columns=agent', 'list', 'sflow')).data as string[][];
    expect(agents.map((r) => r[0])).toEqual([ovs.rootIp, ovs.rootIp]);
    const portOf = (prefix: string) =>
      [...collector.store.allNodes()].find(
        (n) => n.Metadata.Type === 'ovsport' && String(n.Metadata.Name).startsWith(prefix) && n.DeletedAt === undefined,
      )!;
    // OVS renumbers its sFlow sub-agents when a second bridge gets sFlow; each bridge's counter
    // samples (datapath ID) then tell which is which: wait until both bridges' ports got theirs.
    await until('counters on hA and hB ports', 10_000, () =>
      ['hA', 'hB'].every((h) => portOf(h) && collector.store.getNode(portOf(h).ID)?.Metadata.Metric !== undefined),
    );
    const pings = [
      ovs.exec(hosts.brA!, 'ping', ['-c', '25', '-i', '0.2', '10.81.0.1']),
      ovs.exec(hosts.brB!, 'ping', ['-c', '25', '-i', '0.2', '10.82.0.1']),
    ];
    type Flow = { deviceId: string; inPortId: string; srcAddr: string };
    const flowsFrom = async (src: string) => ((await call('GET', '/api/flows')).body as unknown as Flow[]).filter((f) => f.srcAddr === src);
    await until(
      'flows of both bridges',
      15_000,
      async () => (await flowsFrom('10.81.0.2')).length > 0 && (await flowsFrom('10.82.0.2')).length > 0,
    );
    await Promise.all(pings);
    const brA = one('ovsbridge', 'brA')!,
      brB = one('ovsbridge', 'brB')!;
    // Flows sampled before the first counter sample named the bridge are re-pointed when it does.
    await until('every flow on its bridge', 10_000, async () => {
      const a = await flowsFrom('10.81.0.2'),
        b = await flowsFrom('10.82.0.2');
      return (
        a.every((f) => f.deviceId === brA.ID && f.inPortId === portOf('hA').ID) &&
        b.every((f) => f.deviceId === brB.ID && f.inPortId === portOf('hB').ID)
      );
    });
    expect([...collector.store.allNodes()].filter((n) => n.Metadata.Type === 'exporter' && n.DeletedAt === undefined)).toEqual([]);
    for (const id of ids) expect((await call('DELETE', `/api/capture/${id}`)).status).toBe(200);
    expect(JSON.parse(await ovs.vsctl('--format=json', 'list', 'sflow')).data).toEqual([]);
  });

  it('a capture follows its query: applied to bridges that come to match, removed from ones that stop; again after a restart', async () => {
    const q = "G.V().Has('Type', 'ovsbridge').Has('ExtID.capture', 'yes')";
    const res = await call('POST', '/api/capture', { GremlinQuery: q, SamplingRate: 64 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ Count: 0, Nodes: [] });
    const id = res.body!.UUID as string;
    await ovs.vsctl('set', 'bridge', 'brC', 'external_ids:capture=yes');
    await until('sFlow on brC', 3000, async () => (await sflowOf('brC')) === id);
    expect((await call('GET', `/api/capture/${id}`)).body).toMatchObject({ Count: 1, Nodes: [one('ovsbridge', 'brC')!.ID] });

    await collector.stop();
    // The same sFlow port: a collector restarted in this process binds it again.
    collector = newCollector();
    await collector.start();
    api = collector.apiAddresses[0]!;
    await ovs.vsctl('set', 'bridge', 'brD', 'external_ids:capture=yes');
    await until('sFlow on brD after the restart', 5000, async () => (await sflowOf('brD')) === id);
    await ovs.vsctl('remove', 'bridge', 'brC', 'external_ids', 'capture');
    await until('brC sFlow removed once it no longer matches', 3000, async () => (await sflowOf('brC')) === '');
    expect((await call('GET', `/api/capture/${id}`)).body).toMatchObject({ Count: 1, Nodes: [one('ovsbridge', 'brD')!.ID] });
    expect(JSON.parse(await ovs.vsctl('--format=json', 'list', 'sflow')).data).toHaveLength(1);
    expect((await call('DELETE', `/api/capture/${id}`)).status).toBe(200);
    expect(await sflowOf('brD')).toBe('');
  });
});
