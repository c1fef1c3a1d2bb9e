// The ovsdb component against a real ovsdb-server + ovs-vswitchd (userspace datapath) in a
// namespace: bridges, ports, patch and VXLAN interfaces in the graph; ovs-vsctl changes within 3 s;
// ovsdb-server killed and restarted → re-sync without duplicates and with the same IDs; a capture
// through /api/capture makes OVS send sFlow that lands on the bridge's ports; deleting it removes
// the sFlow row. docs/architecture.md#ovsdb.
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector.ts';
import { flowsComponent, sflowComponent } from '../../src/components.ts';
import { loadConfig } from '../../src/config/load.ts';
import { ovsdbComponent } from '../../src/ovs/component.ts';
import { ids } from '../../src/topology/ids.ts';
import type { GraphNode } from '../../src/topology/types.ts';
import { createRegistry } from '../../src/util/metrics.ts';
import { silentLogger } from '../../src/util/log.ts';
import { ovsMissing, startOvsPeer, type OvsPeer } from './ovs-peer.ts';

const skip = ovsMissing();
const HOST = 'hv-ovs-test';

async function freeUdpPort(host: string): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, host, () => r()));
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

async function until<T>(what: string, ms: number, f: () => T | undefined | false): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.skipIf(skip)('ovsdb against a real Open vSwitch', () => {
  let ovs: OvsPeer;
  let collector: Collector;
  let dir: string;
  let api: string;
  let config: ReturnType<typeof loadConfig>;
  const newCollector = () =>
    new Collector({
      config,
      log: silentLogger(),
      registry: createRegistry(false),
      components: [flowsComponent, sflowComponent, ovsdbComponent],
    });
  const live = (type: string, name: string): GraphNode[] =>
    [...collector.store.allNodes()].filter((n) => n.Metadata.Type === type && n.Metadata.Name === name && n.DeletedAt === undefined);
  const one = (type: string, name: string) => {
    const l = live(type, name);
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

  beforeAll(async () => {
    ovs = await startOvsPeer({ systemId: 'sys-ovs-test-1', hostname: HOST });
    await ovs.vsctl('add-br', 'br0', '--', 'set', 'bridge', 'br0', 'datapath_type=netdev');
    await ovs.vsctl('add-br', 'br1', '--', 'set', 'bridge', 'br1', 'datapath_type=netdev');
    await ovs.vsctl('add-port', 'br0', 'p1', '--', 'set', 'interface', 'p1', 'type=internal');
    await ovs.vsctl(
      ...['add-port', 'br0', 'patch-a', '--', 'set', 'interface', 'patch-a', 'type=patch', 'options:peer=patch-b'],
      ...['--', 'add-port', 'br1', 'patch-b', '--', 'set', 'interface', 'patch-b', 'type=patch', 'options:peer=patch-a'],
    );
    await ovs.vsctl(
      'add-port',
      'br1',
      'vx1',
      '--',
      'set',
      'interface',
      'vx1',
      'type=vxlan',
      'options:remote_ip=192.0.2.77',
      'options:local_ip=192.0.2.88',
      'options:key=42',
    );
    dir = mkdtempSync(join(tmpdir(), 'canopy-ovsdb-lab-'));
    const sflowPort = await freeUdpPort(ovs.rootIp);
    config = loadConfig({
      env: {},
      overrides: {
        'api.listen': '127.0.0.1:0',
        'storage.dataDir': dir,
        'sflow.listen': `${ovs.rootIp}:${sflowPort}`,
        'netflow.enabled': false,
        'ipfix.enabled': false,
        'ovsdb.endpoints': [ovs.tcp],
        'ovsdb.reconnectMin': 0.2,
        'ovsdb.reconnectMax': 1,
      },
    });
    collector = newCollector();
    await collector.start();
    api = collector.apiAddresses[0]!;
    collector.store.write((tx) =>
      tx.upsertNode({ ID: ids.host('remote-hv'), Origin: 'api', Metadata: { Type: 'host', Name: 'remote-hv', IPV4: ['192.0.2.77/24'] } }),
    );
    // This hypervisor as another source knows it, by its tunnel address only.
    collector.store.write((tx) =>
      tx.upsertNode({ ID: ids.host('hv-by-ip'), Origin: 'api', Metadata: { Type: 'host', Name: 'hv-by-ip', MgmtAddress: '192.0.2.88' } }),
    );
  }, 60_000);

  afterAll(async () => {
    await collector?.stop();
    await ovs?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('bridges, ports, patch and VXLAN interfaces appear under the host', async () => {
    const br0 = await until('br0', 10_000, () => one('ovsbridge', 'br0'));
    const host = one('host', HOST)!;
    expect(host).toBeDefined();
    const store = collector.store;
    const parentOf = (id: string) => store.edgesOf(id, 'in').find((e) => e.Metadata.RelationType === 'ownership')?.Parent;
    expect(parentOf(br0.ID)).toBe(host.ID);
    expect(br0.Metadata).toMatchObject({ UUID: expect.any(String), DatapathType: 'netdev' });
    const p1port = await until('ovsport p1', 5000, () => one('ovsport', 'p1'));
    expect(parentOf(p1port.ID)).toBe(br0.ID);
    expect(p1port.Metadata).toMatchObject({ NameSource: 'ovsdb', UUID: expect.any(String), Probe: 'ovsdb' });
    const p1 = await until('interface p1', 5000, () => one('internal', 'p1'));
    expect(parentOf(p1.ID)).toBe(p1port.ID);
    expect(p1.ID).toBe(ids.hostInterface(host.ID, 'p1'));
    // ovs-vswitchd fills ofport, mac_in_use and statistics.
    const filled = await until('p1 OfPort, MAC, Metric', 10_000, () => {
      const n = one('internal', 'p1');
      return n && typeof n.Metadata.OfPort === 'number' && typeof n.Metadata.MAC === 'string' && n.Metadata.Metric ? n : undefined;
    });
    expect(filled.Metadata.MAC).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    const pa = one('patch', 'patch-a')!,
      pb = one('patch', 'patch-b')!;
    const l2 = store.edgesOf(pa.ID, 'both').filter((e) => e.Metadata.RelationType === 'layer2');
    expect(l2).toHaveLength(1);
    expect([l2[0]!.Parent, l2[0]!.Child].sort()).toEqual([pa.ID, pb.ID].sort());
    const vx = one('vxlan', 'vx1')!;
    expect(vx.Metadata).toMatchObject({ RemoteIP: '192.0.2.77', Key: '42' });
    // The other hosts were written after the first sync: the next OVS update (statistics) joins them.
    const ends = () =>
      store
        .edgesOf(vx.ID, 'both')
        .filter((e) => e.Metadata.RelationType === 'layer2')
        .map((e) => [e.Parent === vx.ID ? e.Child : e.Parent, e.Metadata.Type]);
    await until('both tunnel ends', 10_000, () => ends().length === 2);
    expect(ends().sort()).toEqual(
      [
        [ids.host('remote-hv'), 'tunnel'],
        [ids.host('hv-by-ip'), 'tunnel-local'],
      ].sort(),
    );
    expect(vx.Metadata).toMatchObject({ LocalIP: '192.0.2.88' });
  });

  it('ovs-vsctl add-port, set interface and del-port show in the graph within 3 s', async () => {
    let t0 = Date.now();
    await ovs.vsctl('add-port', 'br0', 'p2', '--', 'set', 'interface', 'p2', 'type=internal');
    await until('p2 added', 3000, () => one('ovsport', 'p2'));
    expect(Date.now() - t0).toBeLessThan(3000);
    // The VM's NIC, as an agent or the API would report it: external_ids:attached-mac joins it.
    const vmNic = ids.hostInterface(ids.host('web1'), 'eth0');
    collector.store.write((tx) =>
      tx.upsertNode({ ID: vmNic, Origin: 'api', Metadata: { Type: 'device', Name: 'eth0', MAC: '02:00:00:aa:bb:cc' } }),
    );
    await ovs.vsctl('set', 'interface', 'p2', 'external_ids:attached-mac=02:00:00:aa:bb:cc', 'external_ids:vm=web1');
    const p2 = await until('ExtID on p2', 3000, () => {
      const n = one('internal', 'p2');
      return (n?.Metadata.ExtID as Record<string, string> | undefined)?.vm === 'web1' ? n : undefined;
    });
    expect((p2.Metadata.ExtID as Record<string, string>)['attached-mac']).toBe('02:00:00:aa:bb:cc');
    const att = collector.store.edgesOf(p2.ID, 'both').filter((e) => e.Metadata.RelationType === 'layer2');
    expect(att.map((e) => [e.Parent, e.Child].sort())).toEqual([[p2.ID, vmNic].sort()]);
    expect(att[0]!.Metadata).toMatchObject({ Type: 'attached', Evidence: ['ovsdb'] });
    t0 = Date.now();
    await ovs.vsctl('del-port', 'br0', 'p2');
    await until('p2 gone', 3000, () => live('ovsport', 'p2').length === 0 && live('internal', 'p2').length === 0);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('ovsdb-server killed and restarted: re-sync, no duplicates, IDs unchanged, offline changes applied', async () => {
    const snapshot = () =>
      [...collector.store.allNodes()]
        .filter((n) => n.Origin === `ovsdb.${HOST}`)
        .map((n) => `${n.ID} ${String(n.Metadata.Type)} ${String(n.Metadata.Name)}`)
        .sort();
    await until('p1 settled', 5000, () => one('internal', 'p1')?.Metadata.OfPort);
    const before = snapshot();
    const p1port = one('ovsport', 'p1')!;
    await ovs.killServer();
    // While the server is down, take p1 off br0 in its database file: the re-sync must drop it.
    const br0uuid = String(one('ovsbridge', 'br0')!.Metadata.UUID);
    await ovs.exec(null, 'ovsdb-tool', [
      'transact',
      join(ovs.dir, 'conf.db'),
      JSON.stringify([
        'Open_vSwitch',
        {
          op: 'mutate',
          table: 'Bridge',
          where: [['_uuid', '==', ['uuid', br0uuid]]],
          mutations: [['ports', 'delete', ['set', [['uuid', p1port.Metadata.UUID]]]]],
        },
      ]),
    ]);
    await ovs.startServer();
    await until('p1 removed after re-sync', 10_000, () => live('ovsport', 'p1').length === 0);
    const after = snapshot();
    const expected = before.filter((l) => !l.startsWith(p1port.ID) && !l.includes(' p1'));
    expect(after).toEqual(expected);
    // Nothing doubled: one node per (type, name).
    const keys = after.map((l) => l.split(' ').slice(1).join(' '));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('a capture on br0 makes OVS send sFlow to the collector, attributed to br0 ports; DELETE removes the sFlow row', async () => {
    await ovs.vsctl('set', 'interface', 'br0', 'type=internal');
    const h1 = await ovs.addHost('br0', 'h1', '10.77.0.2/24');
    await ovs.exec(ovs.ns, 'ip', ['addr', 'add', '10.77.0.1/24', 'dev', 'br0']);
    await ovs.exec(ovs.ns, 'ip', ['link', 'set', 'br0', 'up']);
    const h1port = await until('h1 port in graph', 5000, () =>
      [...collector.store.allNodes()].find(
        (n) => n.Metadata.Type === 'ovsport' && String(n.Metadata.Name).startsWith('h1') && n.Metadata.IfIndex,
      ),
    );
    // Name 'br0' selects the bridge, its internal port and interface: the bridge's sFlow covers all three.
    const res = await call('POST', '/api/capture', {
      GremlinQuery: "G.V().Has('Name', 'br0')",
      SamplingRate: 1,
      PollingInterval: 1,
      Name: 'br0-sflow',
    });
    expect(res.status).toBe(201);
    const id = res.body!.UUID as string;
    expect(res.body).toMatchObject({
      GremlinQuery: "G.V().Has('Name', 'br0')",
      SamplingRate: 1,
      Count: 1,
      Nodes: [one('ovsbridge', 'br0')!.ID],
    });
    const sflow = await ovs.vsctl('--format=json', 'list', 'sflow');
    expect(sflow).toContain(`${ovs.rootIp}:`);
    expect(sflow).toContain(id);
    const ping = ovs.exec(h1, 'ping', ['-c', '20', '-i', '0.2', '10.77.0.1']);
    // Flow samples land on br0's ovsport of h1's veth (its ifIndex), not on a placeholder port.
    await until('flows on the h1 port', 15_000, () => {
      const r = collector.store.getNode(h1port.ID)!;
      return r.Metadata.Metric !== undefined;
    });
    await ping;
    const br0 = one('ovsbridge', 'br0')!;
    const flows = (await call('GET', '/api/flows')).body as unknown as {
      deviceId: string;
      inPortId: string;
      outPortId: string;
      srcAddr: string;
    }[];
    const icmp = flows.filter((f) => f.srcAddr === '10.77.0.2');
    expect(icmp.length).toBeGreaterThan(0);
    for (const f of icmp) {
      expect(f.deviceId).toBe(br0.ID);
      expect(f.inPortId).toBe(h1port.ID);
    }
    // Echo requests leave through br0's internal port (a sample may name no single output).
    expect(icmp.some((f) => f.outPortId === one('ovsport', 'br0')!.ID)).toBe(true);
    const del = await call('DELETE', `/api/capture/${id}`);
    expect(del.status).toBe(200);
    expect(JSON.parse(await ovs.vsctl('--format=json', 'list', 'sflow')).data).toEqual([]);
    expect((await call('GET', `/api/capture/${id}`)).status).toBe(404);
  });

  it('a capture on an ovsport answers 409 when no capture reader runs on its host, and creates nothing', async () => {
    const before = await ovs.vsctl('--format=json', '--columns=name', 'list', 'port');
    const res = await call('POST', '/api/capture', { GremlinQuery: "G.V().Has('Type', 'ovsport', 'Name', 'patch-a')" });
    expect(res.status).toBe(409);
    expect(String(res.body!.detail)).toMatch(/capture reader/);
    expect(await ovs.vsctl('--format=json', '--columns=name', 'list', 'port')).toBe(before);
    expect(JSON.parse(await ovs.vsctl('--format=json', 'list', 'mirror')).data).toEqual([]);
    expect((await call('GET', '/api/captures')).body).toEqual({});
  });

  it('deleting a capture after a collector restart removes the sFlow row it created', async () => {
    const res = await call('POST', '/api/captures', { GremlinQuery: "G.V().Has('Type', 'ovsbridge', 'Name', 'br1')", SamplingRate: 64 });
    expect(res.status).toBe(201);
    const id = res.body!.UUID as string;
    await until('br1 SFlow in the graph', 3000, () => one('ovsbridge', 'br1')?.Metadata.SFlow);
    expect(JSON.parse(await ovs.vsctl('--format=json', 'list', 'sflow')).data).toHaveLength(1);
    // An operator's own sFlow on br0 is not ours to touch.
    await ovs.vsctl(
      '--',
      '--id=@s',
      'create',
      'sflow',
      'targets="192.0.2.1:6343"',
      'sampling=100',
      '--',
      'set',
      'bridge',
      'br0',
      'sflow=@s',
    );
    await collector.stop();
    // A fresh sFlow port: this test is about the OVSDB side.
    config = { ...config, sflow: { ...config.sflow, listen: `${ovs.rootIp}:${await freeUdpPort(ovs.rootIp)}` } };
    collector = newCollector();
    await collector.start();
    api = collector.apiAddresses[0]!;
    expect(Object.keys((await call('GET', '/api/capture')).body!)).toEqual([id]);
    await until(
      'OVSDB connected again',
      10_000,
      () =>
        (collector.status().components as { ovsdb: { endpoints: Record<string, { synced: boolean }> } }).ovsdb.endpoints[ovs.tcp]?.synced,
    );
    const del = await call('DELETE', `/api/capture/${id}`);
    expect(del.status).toBe(200);
    const rows = JSON.parse(await ovs.vsctl('--format=json', '--columns=targets', 'list', 'sflow')).data as unknown[];
    expect(JSON.stringify(rows)).toContain('192.0.2.1:6343');
    expect(rows).toHaveLength(1);
    expect(await ovs.vsctl('get', 'bridge', 'br1', 'sflow')).toBe('[]\n');
  });

  it('a mirror on a port: an internal output port cnp-mir-<id> and a Mirror; removal takes exactly those away', async () => {
    const { OvsEndpoint } = await import('../../src/ovs/ovs-endpoint.ts');
    const { ovsdbMetrics } = await import('../../src/ovs/metrics.ts');
    const { openSqliteStorage } = await import('../../src/topology/store/sqlite-storage.ts');
    const { mirrorPortName } = await import('../../src/ovs/captures.ts');
    const sdir = mkdtempSync(join(tmpdir(), 'canopy-ovsdb-mirror-'));
    const storage = openSqliteStorage({ path: join(sdir, 'canopy.db') });
    const ep = new OvsEndpoint(ovs.tcp, config.ovsdb, storage.graph, ovsdbMetrics(createRegistry(false), []), silentLogger(), undefined);
    try {
      ep.start();
      await until('mirror endpoint synced', 10_000, () => ep.connected());
      const ports = () => ovs.vsctl('list-ports', 'br0');
      const before = await ports();
      const br0 = one('ovsbridge', 'br0')!;
      const src = one('ovsport', 'patch-a')!;
      const name = mirrorPortName('0123abcd-0000-4000-8000-000000000000');
      expect(name).toBe('cnp-mir-0123abc');
      const m = await ep.addMirror(String(br0.Metadata.UUID), String(src.Metadata.UUID), name, 'cap-test');
      expect(await ports()).toBe(before.trimEnd() ? `${[...before.trim().split('\n'), name].sort().join('\n')}\n` : `${name}\n`);
      expect(await ovs.vsctl('get', 'interface', name, 'type')).toBe('internal\n');
      const mirror = JSON.parse(await ovs.vsctl('--format=json', '--columns=_uuid,name,output_port,select_src_port', 'list', 'mirror'))
        .data as unknown[][];
      expect(mirror).toHaveLength(1);
      expect(mirror[0]).toEqual([['uuid', m.mirrorUuid], name, ['uuid', m.portUuid], ['uuid', src.Metadata.UUID]]);
      // The graph shows the mirroring edge from the source port to the new output port.
      await until('mirroring edge', 3000, () =>
        collector.store.edgesOf(src.ID, 'out').find((e) => e.Metadata.RelationType === 'mirroring' && e.Child === one('ovsport', name)?.ID),
      );
      await ep.removeMirror(String(br0.Metadata.UUID), m.mirrorUuid, m.portUuid);
      expect(await ports()).toBe(before);
      expect(JSON.parse(await ovs.vsctl('--format=json', 'list', 'mirror')).data).toEqual([]);

      // Through the capture service, as POST /api/capture on an ovsport does once a port-mirror
      // reader runs on the host (a host agent: test/ovs/lab-agent-ovsdb.test.ts). Here the service
      // is told one runs on this host only; everything it then does to OVS is real.
      const { CaptureService } = await import('../../src/ovs/captures.ts');
      const svcNode = storage.graph.getNode(src.ID)!;
      await until('endpoint graph has patch-a', 3000, () => ep.owns(src.ID));
      const svc = new CaptureService(storage.captures, () => [ep], { hasReader: (h) => h === ep.hostId() }, { sampling: 1, polling: 1 });
      const cap = await svc.create({ GremlinQuery: "G.V().Has('Name', 'patch-a')" }, [svcNode]);
      expect(cap.Applied).toMatchObject([{ kind: 'mirror', portName: mirrorPortName(cap.UUID), bridgeUuid: br0.Metadata.UUID }]);
      expect((await ports()).split('\n')).toContain(mirrorPortName(cap.UUID));
      // Persisted: a new service on the same store (a restarted collector) deletes it.
      const again = new CaptureService(storage.captures, () => [ep], undefined, { sampling: 1, polling: 1 });
      expect(await again.delete(cap.UUID)).toBe(true);
      expect(await ports()).toBe(before);
      expect(JSON.parse(await ovs.vsctl('--format=json', 'list', 'mirror')).data).toEqual([]);
    } finally {
      ep.stop();
      storage.close();
      rmSync(sdir, { recursive: true, force: true });
    }
  });

  it('an OVS interface a TOR port sees by LLDP or learns by FDB is stitched to that port like a host NIC', async () => {
    const { Stitcher } = await import('../../src/topology/stitch/stitcher.ts');
    const store = collector.store;
    const st = new Stitcher(store, collector.storage.stitchInputs, { sweepIntervalMs: 0 });
    const tor = ids.switchByChassis(4, '02:99:00:00:00:01');
    store.write((tx) => {
      tx.upsertNode({ ID: tor, Origin: 'snmp', Metadata: { Type: 'switch', Name: 'tor-ovs', LLDP: { ChassisID: '02:99:00:00:00:01' } } });
      for (const i of [5, 6]) {
        tx.upsertNode({ ID: ids.port(tor, i), Origin: 'snmp', Metadata: { Type: 'port', Name: `swp${i}`, IfIndex: i } });
        tx.upsertEdge({
          ID: ids.edge(tor, ids.port(tor, i), 'ownership'),
          Parent: tor,
          Child: ids.port(tor, i),
          Origin: 'snmp',
          Metadata: { RelationType: 'ownership' },
        });
      }
    });
    const h1 = [...store.allNodes()].find(
      (n) => n.Metadata.Type === 'device' && String(n.Metadata.Name).startsWith('h1') && n.Metadata.MAC,
    )!;
    const vx = one('vxlan', 'vx1')!;
    const pa = one('patch', 'patch-a')!;
    const br0If = one('internal', 'br0')!;
    const linked = (portId: string) =>
      store
        .edgesOf(portId, 'both')
        .filter((e) => e.Metadata.RelationType === 'layer2')
        .map((e) => (e.Parent === portId ? e.Child : e.Parent));
    const ovsdbEdges = linked(vx.ID).length + linked(pa.ID).length;
    expect(ovsdbEdges).toBe(3);
    // LLDP as lldpd on the hypervisor sends it: chassis and port ID are the NIC's MAC.
    st.replaceNeighbours(tor, 'lldp-snmp', [
      {
        localIfIndex: 5,
        chassisIdSubtype: 4,
        chassisId: String(h1.Metadata.MAC),
        portIdSubtype: 3,
        portId: String(h1.Metadata.MAC),
        sysName: HOST,
      },
    ]);
    expect(linked(ids.port(tor, 5))).toEqual([h1.ID]);
    // FDB: the MAC of br0's internal port learned on exactly one edge port.
    st.replaceMacs(tor, [{ mac: String(br0If.Metadata.MAC), ifIndex: 6 }]);
    expect(linked(ids.port(tor, 6))).toEqual([br0If.ID]);
    // The stitcher leaves OVSDB's own edges (patch, tunnel) alone.
    expect(linked(vx.ID).length + linked(pa.ID).length).toBe(ovsdbEdges);
    st.replaceNeighbours(tor, 'lldp-snmp', []);
    st.replaceMacs(tor, []);
    st.stop();
  });
});
