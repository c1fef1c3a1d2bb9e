import { describe, it, expect, afterEach } from 'vitest';
import { Stitcher } from '../../../src/topology/stitch/stitcher.ts';
import { Fabric, fabricNodeId } from '../../../src/topology/fabric.ts';
import { ids } from '../../../src/topology/ids.ts';
import { silentLogger } from '../../../src/util/log.ts';
import { addHost, addSwitch, layer2, lldpRow, tempStore } from './helpers.ts';
import type { SqliteGraphStore } from '../../../src/topology/store/sqlite-store.ts';

const stores: SqliteGraphStore[] = [];
const stops: (() => void)[] = [];
afterEach(() => {
  for (const s of stops.splice(0)) s();
  for (const s of stores.splice(0)) s.close();
});
const tick = () => new Promise((r) => setTimeout(r, 0));
const between = (store: SqliteGraphStore, x: string, y: string) =>
  layer2(store).find((e) => (e.Parent === x && e.Child === y) || (e.Parent === y && e.Child === x));

function env() {
  const e = tempStore();
  stores.push(e.store);
  const st = new Stitcher(e.store, e.storage.stitchInputs, { sweepIntervalMs: 0, now: () => e.clock.now });
  stops.push(() => st.stop());
  return { ...e, st };
}

describe('stitcher: static fabric', () => {
  it('counts a fabric-DSL-only switch link as evidence "fabric" without duplicating it, and flags LLDP disagreeing with it', async () => {
    const { store, st } = env();
    const web = addHost(store, 'web1', [{ name: 'eth0', mac: '52:54:00:00:01:01' }]);
    const leaf = addSwitch(store, { name: 'leaf1', chassis: '02:00:00:00:0b:01', ports: [{ ifIndex: 1, name: 'swp1' }] });
    const fab = new Fabric(store, silentLogger());
    stops.push(() => fab.stop());
    // An unmanaged switch (no LLDP, no SNMP) described in config, cabled to web1 eth0.
    fab.apply(['DUMB1[Name=dumb1] -> DUMB1_P1[Name=p1]', 'DUMB1_P1 --> *[Type=host,Name=web1]/eth0']);
    st.start();
    const p1 = fabricNodeId('DUMB1_P1');
    const links = layer2(store);
    const fabricLink = links.find((e) => e.Origin === 'fabric' && [e.Parent, e.Child].includes(web.ifaces.eth0!))!;
    expect(fabricLink.Metadata).toMatchObject({ Evidence: { fabric: {} }, State: 'UP', Confidence: 'medium' });
    expect(links.filter((e) => e.Origin === 'stitch')).toHaveLength(0);
    // DUMB1 -> DUMB1_P1 is layer2 too in the DSL, but a containment, not a cable.
    expect(st.status().links).toEqual({ UP: 1, DOWN: 0 });
    // LLDP from leaf1 says web1 eth0 is on swp1: stronger evidence, kept; both flagged.
    st.replaceNeighbours(leaf, 'lldp-snmp', [
      lldpRow(1, { chassisId: '52:54:00:00:01:01', portIdSubtype: 3, portId: '52:54:00:00:01:01', portDesc: 'eth0', sysName: 'web1' }),
    ]);
    await tick();
    const lldp = between(store, ids.port(leaf, 1), web.ifaces.eth0!)!;
    expect(lldp.Metadata).toMatchObject({ State: 'UP', Conflict: true, ConflictWith: [fabricLink.ID] });
    expect(store.getEdge(fabricLink.ID)?.Metadata).toMatchObject({ Conflict: true, ConflictWith: [lldp.ID], State: 'DOWN' });
    const c = st.status().conflicts;
    expect(c).toHaveLength(1);
    expect(c[0]!.Claims.find((x) => x.Peer === p1)).toMatchObject({ Sources: ['fabric'], Kept: false });
    // LLDP agreeing with the fabric instead: evidence added to the fabric edge, no stitch edge.
    st.replaceNeighbours(leaf, 'lldp-snmp', []);
    expect(store.getEdge(lldp.ID)?.Metadata.State).toBe('UP'); // one missed poll
    st.replaceNeighbours(leaf, 'lldp-snmp', []);
    expect(store.getEdge(lldp.ID)?.Metadata.State).toBe('DOWN');
    st.replaceNeighbours(web.ifaces.eth0!, 'lldp-agent', [
      { chassisIdSubtype: 7, chassisId: 'dumb1', portIdSubtype: 5, portId: 'p1', sysName: 'dumb1' },
    ]);
    await tick();
    const f2 = store.getEdge(fabricLink.ID)!;
    expect(f2.Metadata).toMatchObject({
      State: 'UP',
      Confidence: 'high',
      Evidence: { fabric: {}, 'lldp-agent': { Reporters: [web.ifaces.eth0] } },
    });
    expect(f2.Metadata.Conflict).toBeUndefined();
    expect(layer2(store).filter((e) => e.Origin === 'stitch' && e.Metadata.State === 'UP')).toHaveLength(0);
  });
});

describe('stitcher: link aggregation', () => {
  it('links LAG members to their aggregate and the two aggregates to each other via their members', () => {
    const { store, st } = env();
    const ports = (p: string) => [
      { ifIndex: 1, name: `${p}1` },
      { ifIndex: 2, name: `${p}2` },
      { ifIndex: 100, name: 'Port-Channel1', ifType: 161 },
    ];
    const a = addSwitch(store, { name: 'leafA', chassis: '02:00:00:00:0a:0a', ports: ports('Ethernet') });
    const b = addSwitch(store, { name: 'leafB', chassis: '02:00:00:00:0b:0b', ports: ports('swp') });
    st.start();
    st.replaceAggregates(a, [{ aggregate: { ifIndex: 100 }, members: [{ ifIndex: 1 }, { ifIndex: 2 }] }]);
    st.replaceAggregates(b, [{ aggregate: { ifIndex: 100 }, members: [{ ifIndex: 1 }, { ifIndex: 2 }] }]);
    const toB = (local: number, port: string) =>
      lldpRow(local, {
        chassisId: '02:00:00:00:0b:0b',
        portId: port,
        sysName: 'leafB',
        capEnabled: ['bridge'],
        linkAggregation: { enabled: true, portId: 100 },
      });
    st.replaceNeighbours(a, 'lldp-snmp', [toB(1, 'swp1'), toB(2, 'swp2')]);
    const P = ids.port;
    for (const [sw, m] of [
      [a, 1],
      [a, 2],
      [b, 1],
      [b, 2],
    ] as const)
      expect(between(store, P(sw, m), P(sw, 100))?.Metadata).toMatchObject({ Lag: 'member', Aggregate: P(sw, 100) });
    expect(between(store, P(a, 1), P(b, 1))?.Metadata.State).toBe('UP');
    expect(between(store, P(a, 2), P(b, 2))?.Metadata.State).toBe('UP');
    const agg = between(store, P(a, 100), P(b, 100))!;
    expect(agg.Metadata).toMatchObject({ State: 'UP', Evidence: { lag: { Reporters: [a] } } });
    // Member ports are not edge ports: a MAC learned there is not placed by FDB.
    const h = addHost(store, 'h1', [{ name: 'eth0', mac: '52:54:00:00:11:01' }]);
    st.replaceMacs(a, [{ mac: '52:54:00:00:11:01', ifIndex: 1 }]);
    expect(layer2(store).filter((e) => [e.Parent, e.Child].includes(h.ifaces.eth0!))).toHaveLength(0);
    expect(layer2(store)).toHaveLength(7); // 4 member edges, 2 member cables, 1 aggregate link
    expect(st.status().conflicts).toEqual([]);
  });

  it('learns membership from the link-aggregation TLV a host-side neighbour advertises', () => {
    const { store, st } = env();
    const sw = addSwitch(store, {
      name: 'leaf1',
      chassis: '02:00:00:00:0b:01',
      ports: [
        { ifIndex: 5, name: 'swp5' },
        { ifIndex: 100, name: 'bond1', ifType: 161 },
      ],
    });
    const h = addHost(store, 'db1', [{ name: 'eth0', mac: '52:54:00:00:03:01' }]);
    st.start();
    st.replaceNeighbours(h.ifaces.eth0!, 'lldp-agent', [
      {
        chassisIdSubtype: 4,
        chassisId: '02:00:00:00:0b:01',
        portIdSubtype: 5,
        portId: 'swp5',
        sysName: 'leaf1',
        linkAggregation: { enabled: true, portId: 100 },
      },
    ]);
    expect(between(store, ids.port(sw, 5), ids.port(sw, 100))?.Metadata).toMatchObject({ Lag: 'member' });
    expect(between(store, ids.port(sw, 5), h.ifaces.eth0!)?.Metadata.State).toBe('UP');
  });

  it("puts a host's bond on the right LAG of each TOR of a pair: bond membership as the agent writes it, port-channels from SNMP", async () => {
    const { store, st } = env();
    const tor = (name: string, chassis: string) =>
      addSwitch(store, {
        name,
        chassis,
        ports: [
          { ifIndex: 1, name: 'Ethernet1' },
          { ifIndex: 2, name: 'Ethernet2' },
          { ifIndex: 1000001, name: 'Port-Channel10', ifType: 161 },
        ],
      });
    const t1 = tor('tor1', '02:00:00:00:0c:01');
    const t2 = tor('tor2', '02:00:00:00:0c:02');
    // The agent's host: two NICs enslaved to bond0 (same MAC, as Linux bonds do), membership as a
    // layer2 edge bond → member with Type bond-member under the agent's origin.
    const h = addHost(store, 'db2', [
      { name: 'eth0', mac: '52:54:00:00:07:01' },
      { name: 'eth1', mac: '52:54:00:00:07:02' },
      { name: 'bond0', mac: '52:54:00:00:07:01', type: 'bond' },
    ]);
    st.start();
    const member = (m: string) =>
      store.write((tx) =>
        tx.upsertEdge({
          ID: ids.edge(h.ifaces.bond0!, h.ifaces[m]!, 'layer2'),
          Parent: h.ifaces.bond0!,
          Child: h.ifaces[m]!,
          Origin: 'agent.db2',
          Host: 'db2',
          Metadata: { RelationType: 'layer2', Type: 'bond-member' },
        }),
      );
    member('eth0');
    member('eth1');
    await tick();
    for (const t of [t1, t2]) st.replaceAggregates(t, [{ aggregate: { ifIndex: 1000001 }, members: [{ ifIndex: 1 }] }]);
    // Each TOR's LLDP table sees one NIC of the host on Ethernet1 (lldpd: port ID = MAC, descr = ifname).
    const nic = (name: string, mac: string) =>
      lldpRow(1, { chassisId: '52:54:00:00:07:01', portIdSubtype: 3, portId: mac, portDesc: name, sysName: 'db2', capEnabled: [] });
    st.replaceNeighbours(t1, 'lldp-snmp', [nic('eth0', '52:54:00:00:07:01')]);
    st.replaceNeighbours(t2, 'lldp-snmp', [nic('eth1', '52:54:00:00:07:02')]);
    await tick();
    const P = ids.port;
    expect(between(store, P(t1, 1), h.ifaces.eth0!)?.Metadata.State).toBe('UP');
    expect(between(store, P(t2, 1), h.ifaces.eth1!)?.Metadata.State).toBe('UP');
    expect(between(store, h.ifaces.eth0!, h.ifaces.bond0!)).toBeDefined();
    // bond0 lands on Port-Channel10 of both TORs (an MLAG pair), and nowhere else.
    const b1 = between(store, h.ifaces.bond0!, P(t1, 1000001));
    const b2 = between(store, h.ifaces.bond0!, P(t2, 1000001));
    expect(b1?.Metadata).toMatchObject({ State: 'UP', Evidence: { lag: {} } });
    expect(b2?.Metadata).toMatchObject({ State: 'UP', Evidence: { lag: {} } });
    expect(st.status().conflicts).toEqual([]);
    // A NIC leaving the bond (the agent deletes the membership edge) takes its TOR's aggregate link away.
    store.write((tx) => tx.deleteEdge(ids.edge(h.ifaces.bond0!, h.ifaces.eth1!, 'layer2'), Date.now()));
    await tick();
    await tick();
    expect(between(store, h.ifaces.bond0!, P(t2, 1000001))?.Metadata.State ?? 'gone').not.toBe('UP');
    expect(between(store, h.ifaces.bond0!, P(t1, 1000001))?.Metadata.State).toBe('UP');
  });
});
