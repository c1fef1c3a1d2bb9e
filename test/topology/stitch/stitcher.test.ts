import { describe, it, expect, afterEach } from 'vitest';
import { Registry } from 'prom-client';
import { Stitcher } from '../../../src/topology/stitch/stitcher.ts';
import { ids } from '../../../src/topology/ids.ts';
import { addHost, addSwitch, layer2, lldpdHost, lldpRow, tempStore } from './helpers.ts';
import type { SqliteGraphStore } from '../../../src/topology/store/sqlite-store.ts';

const stores: SqliteGraphStore[] = [];
const stitchers: Stitcher[] = [];
afterEach(() => {
  for (const s of stitchers.splice(0)) s.stop();
  for (const s of stores.splice(0)) s.close();
});

function fabric() {
  const env = tempStore();
  stores.push(env.store);
  const { store, clock } = env;
  const spine = addSwitch(store, {
    name: 'spine1',
    chassis: '02:00:00:00:0a:01',
    mgmt: '10.0.0.1',
    ports: [
      { ifIndex: 1, name: 'Ethernet1' },
      { ifIndex: 2, name: 'Ethernet2' },
    ],
  });
  const leaf = addSwitch(store, {
    name: 'leaf1',
    chassis: '02:00:00:00:0b:01',
    mgmt: '10.0.0.11',
    ports: [
      { ifIndex: 1, name: 'swp1' },
      { ifIndex: 2, name: 'swp2', alias: 'web2 uplink' },
      { ifIndex: 3, name: 'swp3' },
      { ifIndex: 4, name: 'swp4' },
      { ifIndex: 49, name: 'swp49', mac: '02:00:00:00:0b:31' },
    ],
  });
  const web1 = addHost(store, 'web1', [{ name: 'eth0', mac: '52:54:00:00:01:01' }]);
  const web2 = addHost(store, 'web2', [{ name: 'eth0', mac: '52:54:00:00:02:01' }]);
  const db1 = addHost(store, 'db1', [{ name: 'eth0', mac: '52:54:00:00:03:01' }]);
  const reg = new Registry();
  const st = new Stitcher(store, env.storage.stitchInputs, { sweepIntervalMs: 0, now: () => clock.now }, reg);
  stitchers.push(st);
  st.start();
  return { store, clock, spine, leaf, web1, web2, db1, st, reg, dir: env.dir };
}

const sw = (sw: string, i: number) => ids.port(sw, i);
const tick = () => new Promise((r) => setTimeout(r, 0));
const edgeBetween = (store: SqliteGraphStore, x: string, y: string) =>
  layer2(store).find((e) => (e.Parent === x && e.Child === y) || (e.Parent === y && e.Child === x));

describe('stitcher: LLDP evidence', () => {
  it('joins switch ports seen from both sides into one high-confidence edge, one-sided LLDP into a medium one', async () => {
    const f = fabric();
    const t = f.clock.now;
    // leaf1 swp49 sees spine1 Ethernet1 (port ID ifName), spine1 Ethernet1 sees leaf1 by port MAC.
    f.st.replaceNeighbours(f.leaf, 'lldp-snmp', [
      lldpRow(
        49,
        { chassisId: '02:00:00:00:0a:01', portIdSubtype: 5, portId: 'Ethernet1', sysName: 'spine1', capEnabled: ['bridge', 'router'] },
        { lastSeen: t },
      ),
    ]);
    let e = edgeBetween(f.store, sw(f.leaf, 49), sw(f.spine, 1));
    expect(e?.Metadata.Confidence).toBe('medium');
    f.st.replaceNeighbours(f.spine, 'lldp-snmp', [
      lldpRow(
        1,
        {
          chassisId: '02:00:00:00:0b:01',
          portIdSubtype: 3,
          portId: '02-00-00-00-0B-31',
          sysName: 'leaf1.dc.example',
          capEnabled: ['bridge'],
        },
        { lastSeen: t },
      ),
    ]);
    e = edgeBetween(f.store, sw(f.leaf, 49), sw(f.spine, 1));
    expect(e?.ID).toBe(ids.edge(...([sw(f.leaf, 49), sw(f.spine, 1)].sort() as [string, string]), 'layer2'));
    expect(e?.Origin).toBe('stitch');
    expect(e?.Metadata).toMatchObject({
      RelationType: 'layer2',
      State: 'UP',
      Confidence: 'high',
      Evidence: { 'lldp-snmp': { FirstSeen: t, LastSeen: t, Reporters: [f.leaf, f.spine].sort() } },
    });
    expect(layer2(f.store)).toHaveLength(1);
    // A host seen only by the switch (lldpd default: port ID = MAC, description = ifname).
    f.st.replaceNeighbours(f.leaf, 'lldp-snmp', [
      lldpRow(49, { chassisId: '02:00:00:00:0a:01', portIdSubtype: 5, portId: 'Ethernet1', sysName: 'spine1' }, { lastSeen: t }),
      lldpdHost(1, 'web1.dc.example', '52:54:00:00:01:01', 'eth0', { lastSeen: t }),
    ]);
    const h = edgeBetween(f.store, sw(f.leaf, 1), f.web1.ifaces.eth0!);
    expect(h?.Metadata).toMatchObject({ State: 'UP', Confidence: 'medium', Evidence: { 'lldp-snmp': { Reporters: [f.leaf] } } });
    expect(f.st.status()).toMatchObject({ links: { UP: 2, DOWN: 0 }, conflicts: [], placeholders: 0 });
    const metrics = await f.reg.metrics();
    expect(metrics).toMatch(/canopy_stitch_links\{state="UP"\} 2/);
    expect(metrics).toMatch(/canopy_stitch_conflicts 0/);
    expect(metrics).toMatch(/canopy_stitch_recompute_seconds_count\{kind="neighbours"\} 3/);
  });

  it('resolves a neighbour advertising ifAlias as port ID, and a device with no management address by sysName only', () => {
    const f = fabric();
    // spine1 Ethernet2 sees leaf1 by sysName only (chassis subtype 7 'local' that matches nothing, no mgmt address), port = ifAlias.
    f.st.replaceNeighbours(f.spine, 'lldp-snmp', [
      lldpRow(2, {
        chassisIdSubtype: 7,
        chassisId: 'FOC1234X',
        portIdSubtype: 1,
        portId: 'web2 uplink',
        sysName: 'leaf1.example.net',
        managementAddresses: [],
      }),
    ]);
    const e = edgeBetween(f.store, sw(f.spine, 2), sw(f.leaf, 2));
    expect(e?.Metadata.State).toBe('UP');
    expect(f.st.status().placeholders).toBe(0);
  });

  it('places an FDB-only host on its edge port, never on uplinks, LAGs or a MAC seen on two edge ports', () => {
    const f = fabric();
    f.st.replaceNeighbours(f.leaf, 'lldp-snmp', [
      lldpRow(49, { chassisId: '02:00:00:00:0a:01', portId: 'Ethernet1', sysName: 'spine1', capEnabled: ['bridge'] }),
    ]);
    f.st.replaceMacs(f.leaf, [
      { mac: '52:54:00:00:03:01', ifIndex: 3, vlan: 10 },
      { mac: '52:54:00:00:01:01', ifIndex: 49, vlan: 10 }, // learned on the uplink only
      { mac: '52:54:00:00:02:01', ifIndex: 2, vlan: 10 },
      { mac: '52:54:00:00:02:01', ifIndex: 4, vlan: 20 }, // and on a second edge port: ambiguous
      { mac: 'aa:aa:aa:aa:aa:aa', ifIndex: 1, vlan: 10 }, // no host interface has it
    ]);
    const e = edgeBetween(f.store, sw(f.leaf, 3), f.db1.ifaces.eth0!);
    expect(e?.Metadata).toMatchObject({ State: 'UP', Confidence: 'low', Evidence: { fdb: { Reporters: [f.leaf] } } });
    expect(layer2(f.store)).toHaveLength(2); // uplink + db1
    // The spine learns db1's MAC too, on its downlink (an uplink: it has a switch neighbour).
    f.st.replaceNeighbours(f.spine, 'lldp-snmp', [
      lldpRow(1, {
        chassisId: '02:00:00:00:0b:01',
        portIdSubtype: 3,
        portId: '02:00:00:00:0b:31',
        sysName: 'leaf1',
        capEnabled: ['bridge'],
      }),
    ]);
    f.st.replaceMacs(f.spine, [{ mac: '52:54:00:00:03:01', ifIndex: 1, vlan: 10 }]);
    expect(edgeBetween(f.store, sw(f.leaf, 3), f.db1.ifaces.eth0!)?.Metadata.State).toBe('UP');
    expect(layer2(f.store)).toHaveLength(2);
  });

  it('re-places a MAC that changes in a NodeUpdated: the new MAC lands on its FDB port, the old one lets go', async () => {
    const f = fabric();
    f.st.replaceMacs(f.leaf, [
      { mac: '52:54:00:00:03:01', ifIndex: 3, vlan: 10 },
      { mac: '52:54:00:00:03:99', ifIndex: 4, vlan: 10 }, // no interface has it yet
    ]);
    const eth0 = f.db1.ifaces.eth0!;
    expect(edgeBetween(f.store, sw(f.leaf, 3), eth0)?.Metadata.State).toBe('UP');
    expect(edgeBetween(f.store, sw(f.leaf, 4), eth0)).toBeUndefined();
    // `ip link set eth0 address …` on db1, as a publisher or agent reports it: the same node, updated.
    f.store.write((tx) => {
      const n = tx.getNode(eth0)!;
      tx.upsertNode({ ...n, Metadata: { ...n.Metadata, MAC: '52:54:00:00:03:99' } });
    });
    await tick();
    expect(edgeBetween(f.store, sw(f.leaf, 4), eth0)?.Metadata).toMatchObject({ State: 'UP', Evidence: { fdb: { Reporters: [f.leaf] } } });
    // Nothing carries the old MAC any more: its FDB link has no evidence left.
    const old = edgeBetween(f.store, sw(f.leaf, 3), eth0);
    expect(old === undefined || old.Metadata.State === 'DOWN').toBe(true);
  });

  it('flags LLDP vs FDB disagreement, keeps the LLDP link and shows it in status and metrics', async () => {
    const f = fabric();
    f.st.replaceNeighbours(f.leaf, 'lldp-snmp', [lldpdHost(1, 'web1', '52:54:00:00:01:01', 'eth0')]);
    f.st.replaceMacs(f.leaf, [{ mac: '52:54:00:00:01:01', ifIndex: 4, vlan: 10 }]);
    const kept = edgeBetween(f.store, sw(f.leaf, 1), f.web1.ifaces.eth0!);
    expect(kept?.Metadata).toMatchObject({ State: 'UP', Conflict: true });
    expect(edgeBetween(f.store, sw(f.leaf, 4), f.web1.ifaces.eth0!)).toBeUndefined();
    const st = f.st.status();
    expect(st.conflicts).toHaveLength(1);
    expect(st.conflicts[0]!.Endpoint).toBe(f.web1.ifaces.eth0);
    const byPeer = Object.fromEntries(st.conflicts[0]!.Claims.map((c) => [c.Peer, c]));
    expect(byPeer[sw(f.leaf, 1)]).toMatchObject({ Sources: ['lldp-snmp'], Kept: true });
    expect(byPeer[sw(f.leaf, 4)]).toMatchObject({ Sources: ['fdb'], Kept: false });
    expect(kept?.Metadata.ConflictWith).toEqual([byPeer[sw(f.leaf, 4)]!.Edge]);
    expect(await f.reg.metrics()).toMatch(/canopy_stitch_conflicts 1/);
    // The FDB entry moves to the LLDP port: agreement, conflict gone, two sources → high.
    f.st.replaceMacs(f.leaf, [{ mac: '52:54:00:00:01:01', ifIndex: 1, vlan: 10 }]);
    const ok = edgeBetween(f.store, sw(f.leaf, 1), f.web1.ifaces.eth0!);
    expect(ok?.Metadata.Conflict).toBeUndefined();
    expect(ok?.Metadata.Confidence).toBe('high');
    expect(f.st.status().conflicts).toEqual([]);
  });

  it('flags two reporters claiming different far ends for one port', () => {
    const f = fabric();
    // leaf1 swp1 says web1; web2's own LLDP (publisher Metadata.LLDP) says it is on leaf1 swp1 too.
    f.st.replaceNeighbours(f.leaf, 'lldp-snmp', [lldpdHost(1, 'web1', '52:54:00:00:01:01', 'eth0')]);
    f.st.replaceNeighbours(f.web2.ifaces.eth0!, 'lldp-agent', [
      { chassisIdSubtype: 4, chassisId: '02:00:00:00:0b:01', portIdSubtype: 5, portId: 'swp1', sysName: 'leaf1' },
    ]);
    const a = edgeBetween(f.store, sw(f.leaf, 1), f.web1.ifaces.eth0!);
    const b = edgeBetween(f.store, sw(f.leaf, 1), f.web2.ifaces.eth0!);
    expect(a?.Metadata.Conflict).toBe(true);
    expect(b?.Metadata.Conflict).toBe(true);
    expect(a?.Metadata.ConflictWith).toEqual([b?.ID]);
    expect(f.st.status().conflicts.map((c) => c.Endpoint)).toEqual([sw(f.leaf, 1)]);
  });

  it('takes CDP cache rows (device ID with domain, port ifName) as neighbour evidence', () => {
    const f = fabric();
    f.st.replaceCdp(f.spine, [
      {
        ifIndex: 2,
        deviceIndex: 1,
        remoteDeviceId: 'leaf1.dc.example',
        remotePort: 'swp3',
        platform: 'cisco WS-C3560G-24PS',
        address: '10.0.0.11',
        capabilities: 0x28,
      } as never,
    ]);
    const e = edgeBetween(f.store, sw(f.spine, 2), sw(f.leaf, 3));
    expect(e?.Metadata).toMatchObject({ State: 'UP', Confidence: 'medium', Evidence: { cdp: { Reporters: [f.spine] } } });
  });
});
