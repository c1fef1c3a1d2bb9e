import { describe, it, expect, afterEach } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stitcher } from '../../../src/topology/stitch/stitcher.ts';
import { ids } from '../../../src/topology/ids.ts';
import { readPcap } from '../../../src/collectors/common/pcap.ts';
import { addHost, addSwitch, layer2, lldpdHost, lldpRow, tempStore } from './helpers.ts';
import type { SqliteGraphStore } from '../../../src/topology/store/sqlite-store.ts';

const stores: SqliteGraphStore[] = [];
const stitchers: Stitcher[] = [];
afterEach(() => {
  for (const s of stitchers.splice(0)) s.stop();
  for (const s of stores.splice(0)) s.close();
});
const tick = () => new Promise((r) => setTimeout(r, 0));

function env(dir?: string) {
  const e = tempStore(dir);
  stores.push(e.store);
  const st = new Stitcher(e.store, e.storage.stitchInputs, { sweepIntervalMs: 0, now: () => e.clock.now, retentionMs: 3_600_000 });
  stitchers.push(st);
  return { ...e, st };
}
const leafSpec = { name: 'leaf1', chassis: '02:00:00:00:0b:01', ports: [1, 2, 3, 4].map((i) => ({ ifIndex: i, name: `swp${i}` })) };
const between = (store: SqliteGraphStore, x: string, y: string) =>
  layer2(store).find((e) => (e.Parent === x && e.Child === y) || (e.Parent === y && e.Child === x));

describe('stitcher: identities', () => {
  it('keeps an unknown neighbour as its own node, then merges it when its switch is polled', () => {
    const { store, st } = env();
    const leaf = addSwitch(store, leafSpec);
    st.start();
    st.replaceNeighbours(leaf, 'lldp-snmp', [
      lldpRow(4, {
        chassisId: '02:00:00:00:0c:01',
        portIdSubtype: 5,
        portId: 'Ethernet7',
        sysName: 'border1',
        capEnabled: ['bridge', 'router'],
        managementAddresses: ['10.0.0.99'],
      }),
    ]);
    const unknown = store.resolveAlias('chassis:4:02:00:00:00:0c:01')!;
    const ph = store.getNode(unknown)!;
    expect(ph.Metadata).toMatchObject({ Type: 'switch', Name: 'border1', Probe: 'lldp' });
    const phPort = layer2(store)[0]!;
    expect([phPort.Parent, phPort.Child]).toContain(ids.port(leaf, 4));
    expect(st.status().placeholders).toBe(1);
    // Now the poller finds border1 (its port Ethernet7 has ifIndex 7).
    const border = addSwitch(store, {
      name: 'border1',
      chassis: '02:00:00:00:0c:01',
      mgmt: '10.0.0.99',
      ports: [{ ifIndex: 7, name: 'Ethernet7' }],
    });
    st.replaceNeighbours(leaf, 'lldp-snmp', [
      lldpRow(4, {
        chassisId: '02:00:00:00:0c:01',
        portIdSubtype: 5,
        portId: 'Ethernet7',
        sysName: 'border1',
        capEnabled: ['bridge', 'router'],
      }),
    ]);
    expect(store.getNode(unknown)).toBeUndefined();
    const hist = store.historyOf(unknown);
    expect(hist.at(-1)?.Metadata.MergedInto).toBe(border);
    expect(hist.at(-1)?.DeletedAt).toBeDefined();
    expect(store.resolveAlias('chassis:4:02:00:00:00:0c:01')).toBe(border);
    const links = layer2(store);
    expect(links).toHaveLength(1);
    expect(between(store, ids.port(leaf, 4), ids.port(border, 7))?.Metadata.State).toBe('UP');
    expect(store.findNodes('Name', 'border1')).toHaveLength(1);
    expect(st.status().placeholders).toBe(0);
  });

  it("folds the ports flows made under a placeholder into the polled switch's ports of the same ifIndex", () => {
    const { store, st } = env();
    const leaf = addSwitch(store, leafSpec);
    st.start();
    const row = lldpRow(4, {
      chassisId: '02:00:00:00:0e:01',
      portIdSubtype: 5,
      portId: 'Ethernet1',
      sysName: 'edge1',
      capEnabled: ['bridge'],
      managementAddresses: ['10.0.0.77'],
    });
    st.replaceNeighbours(leaf, 'lldp-snmp', [row]);
    const ph = store.resolveAlias('chassis:4:02:00:00:00:0e:01')!;
    // sFlow from edge1 (attributed to the placeholder at its address) named ports 3 and 9 by ifIndex
    // only, 9 also by an OVS-style port-name record that differs from the switch's ifName.
    store.write((tx) => {
      for (const [i, name] of [
        [3, 'ifIndex 3'],
        [9, 'xe9'],
      ] as const) {
        const id = ids.port(ph, i);
        tx.upsertNode({ ID: id, Origin: 'sflow', Host: '10.0.0.77', Metadata: { Type: 'port', Name: name, IfIndex: i } });
        tx.upsertEdge({
          ID: ids.edge(ph, id, 'ownership'),
          Parent: ph,
          Child: id,
          Origin: 'sflow',
          Metadata: { RelationType: 'ownership' },
        });
      }
    });
    const edge1 = addSwitch(store, {
      name: 'edge1',
      chassis: '02:00:00:00:0e:01',
      mgmt: '10.0.0.77',
      ports: [1, 3, 9].map((i) => ({ ifIndex: i, name: `Ethernet${i}` })),
    });
    st.replaceNeighbours(leaf, 'lldp-snmp', [row]);
    expect(store.getNode(ph)).toBeUndefined();
    const ifIndexes = store
      .edgesOf(edge1, 'out')
      .filter((e) => e.Metadata.RelationType === 'ownership')
      .map((e) => store.getNode(e.Child)?.Metadata.IfIndex);
    expect(ifIndexes.sort()).toEqual([1, 3, 9]);
    for (const i of [3, 9]) expect(store.historyOf(ids.port(ph, i)).at(-1)?.Metadata.MergedInto).toBe(ids.port(edge1, i));
    expect(between(store, ids.port(leaf, 4), ids.port(edge1, 1))?.Metadata.State).toBe('UP');
  });

  it('gives a host first seen as an LLDP neighbour ids.host(short name), so an agent falling back to its hostname converges', async () => {
    const { store, st } = env();
    const leaf = addSwitch(store, leafSpec);
    st.start();
    st.replaceNeighbours(leaf, 'lldp-snmp', [lldpdHost(2, 'app7.dc.example', '52:54:00:00:07:01', 'ens3')]);
    const host = ids.host('app7');
    expect(store.getNode(host)?.Metadata).toMatchObject({ Type: 'host', Name: 'app7', Probe: 'lldp' });
    const iface = ids.hostInterface(host, 'ens3');
    expect(between(store, ids.port(leaf, 2), iface)?.Metadata.State).toBe('UP');
    // The agent publishes the same host by hostname: same IDs, no duplicate, link unchanged.
    addHost(store, 'app7', [{ name: 'ens3', mac: '52:54:00:00:07:01' }]);
    await tick();
    expect(store.findNodes('Name', 'app7')).toHaveLength(1);
    expect(store.getNode(host)?.Origin).toBe('api');
    expect(between(store, ids.port(leaf, 2), iface)?.Metadata.State).toBe('UP');
  });

  it('merges the placeholder host into an agent host published under its machine-id', async () => {
    const { store, st } = env();
    const leaf = addSwitch(store, leafSpec);
    st.start();
    st.replaceNeighbours(leaf, 'lldp-snmp', [lldpdHost(2, 'app8', '52:54:00:00:08:01', 'ens3')]);
    const ph = ids.host('app8');
    const real = addHost(store, 'app8', [{ name: 'ens3', mac: '52:54:00:00:08:01' }], '0f6e1b7c9d2a4e5f8a1b2c3d4e5f6a7b');
    await tick();
    await tick();
    expect(store.getNode(ph)).toBeUndefined();
    expect(store.historyOf(ph).at(-1)?.Metadata.MergedInto).toBe(real.host);
    expect(layer2(store)).toHaveLength(1);
    expect(between(store, ids.port(leaf, 2), real.ifaces.ens3!)?.Metadata.State).toBe('UP');
  });

  it('keeps IDs and links across a restart (alias table, own tables, deterministic IDs)', () => {
    const first = env();
    const leaf = addSwitch(first.store, leafSpec);
    first.st.start();
    first.st.replaceNeighbours(leaf, 'lldp-snmp', [
      lldpRow(3, { chassisId: '02:00:00:00:0d:01', portId: 'xe-0/0/1', sysName: 'mystery', capEnabled: ['bridge'] }),
    ]);
    const before = layer2(first.store).map((e) => [e.ID, e.Parent, e.Child, e.Metadata.Evidence]);
    const phId = first.store.resolveAlias('chassis:4:02:00:00:00:0d:01');
    first.st.stop();
    first.store.close();
    stores.splice(stores.indexOf(first.store), 1);
    const second = env(first.dir);
    second.clock.now += 60_000;
    second.st.start();
    expect(layer2(second.store).map((e) => [e.ID, e.Parent, e.Child, e.Metadata.Evidence])).toEqual(before);
    expect(second.store.resolveAlias('chassis:4:02:00:00:00:0d:01')).toBe(phId);
    expect(second.st.status()).toMatchObject({ links: { UP: 1, DOWN: 0 }, placeholders: 1, inputs: 1 });
  });
});

describe('stitcher: ageing', () => {
  it('goes DOWN only after N missed polls, is removed after retention, and a re-cabled host moves', () => {
    const { store, st, clock } = env();
    const leaf = addSwitch(store, leafSpec);
    const web = addHost(store, 'web1', [{ name: 'eth0', mac: '52:54:00:00:01:01' }]);
    st.start();
    const onPort = (p: number, missed = 0) => lldpdHost(p, 'web1', '52:54:00:00:01:01', 'eth0', { lastSeen: clock.now, missed });
    st.replaceNeighbours(leaf, 'lldp-snmp', [onPort(1)]);
    const old = between(store, ids.port(leaf, 1), web.ifaces.eth0!)!;
    expect(old.Metadata.State).toBe('UP');
    // Re-cabled to swp3: the poller still lists the old row once (missed 1), then with missed 2.
    clock.now += 30_000;
    st.replaceNeighbours(leaf, 'lldp-snmp', [{ ...onPort(1, 1), lastSeen: clock.now - 30_000 }, onPort(3)]);
    expect(store.getEdge(old.ID)?.Metadata.State).toBe('UP'); // never DOWN on the first miss
    const moved = between(store, ids.port(leaf, 3), web.ifaces.eth0!)!;
    expect(moved.Metadata.State).toBe('UP');
    expect(st.status().conflicts).toEqual([]); // a missed row is not a competing claim
    clock.now += 30_000;
    st.replaceNeighbours(leaf, 'lldp-snmp', [{ ...onPort(1, 2), lastSeen: clock.now - 60_000 }, onPort(3)]);
    expect(store.getEdge(old.ID)?.Metadata.State).toBe('DOWN');
    // Rows gone altogether: still DOWN, kept until the retention (1 h here) has passed.
    clock.now += 30_000;
    st.replaceNeighbours(leaf, 'lldp-snmp', [onPort(3)]);
    expect(st.sweep().removed).toBe(0);
    expect(store.getEdge(old.ID)?.Metadata.State).toBe('DOWN');
    clock.now += 3_600_000;
    st.replaceNeighbours(leaf, 'lldp-snmp', [onPort(3)]);
    expect(st.sweep().removed).toBe(1);
    expect(store.getEdge(old.ID)).toBeUndefined();
    expect(store.historyOf(old.ID).at(-1)?.DeletedAt).toBe(clock.now);
    expect(layer2(store).map((e) => e.ID)).toEqual([moved.ID]);
    expect(st.status().links).toEqual({ UP: 1, DOWN: 0 });
  });

  it('takes a link DOWN at once when a port goes DOWN, and back UP when it returns', async () => {
    const { store, st } = env();
    const leaf = addSwitch(store, leafSpec);
    const web = addHost(store, 'web1', [{ name: 'eth0', mac: '52:54:00:00:01:01' }]);
    st.start();
    st.replaceNeighbours(leaf, 'lldp-snmp', [lldpdHost(1, 'web1', '52:54:00:00:01:01', 'eth0')]);
    const id = between(store, ids.port(leaf, 1), web.ifaces.eth0!)!.ID;
    const setState = (s: 'UP' | 'DOWN') =>
      store.write((tx) => tx.upsertNode({ ID: ids.port(leaf, 1), Metadata: { State: s } }, { merge: true }));
    setState('DOWN');
    await tick();
    expect(store.getEdge(id)?.Metadata.State).toBe('DOWN');
    setState('UP');
    await tick();
    expect(store.getEdge(id)?.Metadata.State).toBe('UP');
    // Host side too.
    store.write((tx) => tx.upsertNode({ ID: web.ifaces.eth0!, Metadata: { State: 'DOWN' } }, { merge: true }));
    await tick();
    expect(store.getEdge(id)?.Metadata.State).toBe('DOWN');
  });
});

describe('stitcher: host-side LLDP', () => {
  const frames = [...readPcap(readFileSync(join(import.meta.dirname, '../../../fixtures/pcaps/lldpd-lab.pcap')))].map((f) => f.data);

  it('links from frames captured in the lab (lldpd 1.0.16), both directions, TTL expiry → DOWN', () => {
    const { store, st, clock } = env();
    // lldpd-lab.json: switch chassis 02:11:11:00:00:01 port ifname sw1-p1; host llx-h1 eth0 02:11:11:00:00:02.
    const sw = addSwitch(store, {
      name: 'llx-sw1',
      chassis: '02:11:11:00:00:01',
      mgmt: '10.231.0.11',
      ports: [{ ifIndex: 1, name: 'sw1-p1' }],
    });
    const h = addHost(store, 'llx-h1', [{ name: 'eth0', mac: '02:11:11:00:00:02' }]);
    st.start();
    const fromSwitch = frames.find((f) => f.subarray(6, 12).toString('hex') === '021111000001')!;
    const fromHost = frames.find((f) => f.subarray(6, 12).toString('hex') === '021111000002')!;
    expect(st.observeFrame(h.ifaces.eth0!, fromSwitch)).toEqual({ ok: true, errors: [] });
    let e = between(store, ids.port(sw, 1), h.ifaces.eth0!)!;
    expect(e.Metadata).toMatchObject({ State: 'UP', Confidence: 'medium', Evidence: { 'lldp-agent': { Reporters: [h.ifaces.eth0] } } });
    // The switch port's own capture of the host's frame: the other direction.
    st.observeFrame(ids.port(sw, 1), fromHost);
    e = store.getEdge(e.ID)!;
    expect(e.Metadata.Confidence).toBe('high');
    expect(layer2(store)).toHaveLength(1);
    // lldpd's TTL here is 4 s: 5 s without a frame and the sweep marks it DOWN.
    clock.now += 5_000;
    st.sweep();
    expect(store.getEdge(e.ID)?.Metadata.State).toBe('DOWN');
    st.observeFrame(h.ifaces.eth0!, fromSwitch);
    st.observeFrame(ids.port(sw, 1), fromHost);
    expect(store.getEdge(e.ID)?.Metadata.State).toBe('UP');
  });

  it('reads a publisher-style Metadata.LLDP on a host interface from the change feed', async () => {
    const { store, st } = env();
    const leaf = addSwitch(store, leafSpec);
    st.start();
    const h = addHost(store, 'web9', [
      {
        name: 'eth1',
        mac: '52:54:00:00:09:02',
        lldp: {
          ChassisID: '02:00:00:00:0b:01',
          ChassisIDType: 'MAC',
          PortID: 'swp4',
          PortIDType: 'ifname',
          SysName: 'leaf1',
          PortDescr: 'swp4',
        },
      },
    ]);
    await tick();
    await tick();
    expect(between(store, ids.port(leaf, 4), h.ifaces.eth1!)?.Metadata).toMatchObject({
      State: 'UP',
      Evidence: { 'lldp-agent': { Reporters: [h.ifaces.eth1] } },
    });
  });

  it('a host interface that stops carrying Metadata.LLDP (its lldpd stopped) no longer claims the link', async () => {
    const { store, st } = env();
    const leaf = addSwitch(store, leafSpec);
    st.start();
    const lldp = { ChassisID: '02:00:00:00:0b:01', ChassisIDType: 'MAC', PortID: 'swp4', PortIDType: 'ifname', SysName: 'leaf1' };
    const h = addHost(store, 'web9', [{ name: 'eth1', mac: '52:54:00:00:09:02', lldp }]);
    await tick();
    await tick();
    const eth1 = h.ifaces.eth1!;
    expect(between(store, ids.port(leaf, 4), eth1)?.Metadata.State).toBe('UP');
    // The agent's next read: the interface, without a neighbour. That is the neighbour set now —
    // not one missed poll of many — and nothing else will come to age it out.
    store.write((tx) => {
      const n = tx.getNode(eth1)!;
      const md = { ...n.Metadata };
      delete md.LLDP;
      tx.upsertNode({ ...n, Metadata: md });
    });
    await tick();
    await tick();
    expect(between(store, ids.port(leaf, 4), eth1)?.Metadata.State).toBe('DOWN');
    expect(st.status().links).toEqual({ UP: 0, DOWN: 1 });
  });
});
