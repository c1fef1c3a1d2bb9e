// The change timeline and the two-instant diff over a real SQLite store with scripted history:
// each change kind, the window bounds, the node filter.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openGraphStore, type SqliteGraphStore } from '../../../src/topology/store/sqlite-store.ts';
import { ids } from '../../../src/topology/ids.ts';
import { changesBetween } from '../../../src/topology/query/changes.ts';
import { topologyDiff } from '../../../src/topology/query/topology-diff.ts';
import { writeSwitch } from '../../../src/collectors/snmp/graph-writer.ts';
import { LagIndex } from '../../../src/topology/stitch/lag.ts';
import type { Metadata } from '../../../src/topology/types.ts';

const T0 = 1_700_000_000_000;
const sw1 = ids.switchBySysName('leaf1');
const sw2 = ids.switchBySysName('spine1');
const p = (sw: string, i: number) => ids.port(sw, i);
const host = ids.host('web1');
const eth0 = ids.hostInterface(host, 'eth0');
const l2 = (a: string, b: string) => ids.edge(a < b ? a : b, a < b ? b : a, 'layer2');

let dir: string;
let store: SqliteGraphStore;
let now = T0;

function at(t: number, fn: () => void): void {
  now = t;
  fn();
}
const node = (ID: string, Metadata: Metadata) => store.write((tx) => tx.upsertNode({ ID, Metadata, Origin: 'snmp' }, { merge: true }));
function link(a: string, b: string, md: Metadata): void {
  const [x, y] = a < b ? [a, b] : [b, a];
  store.write((tx) =>
    tx.upsertEdge({ ID: l2(a, b), Parent: x, Child: y, Metadata: { RelationType: 'layer2', State: 'UP', ...md }, Origin: 'stitch' }),
  );
}
const unlink = (a: string, b: string) => store.write((tx) => tx.deleteEdge(l2(a, b)));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'canopy-changes-'));
  store = openGraphStore({ path: join(dir, 'graph.db'), now: () => now });
  now = T0;
  // Two switches with four ports each, a host with one NIC: the state before every scenario.
  for (const [sw, name] of [
    [sw1, 'leaf1'],
    [sw2, 'spine1'],
  ] as const) {
    node(sw, { Type: 'switch', Name: name });
    for (let i = 1; i <= 4; i++) {
      node(p(sw, i), { Type: 'port', Name: `Ethernet${i}`, IfIndex: i, State: 'UP', Speed: 10_000_000_000, MTU: 1500 });
      store.write((tx) =>
        tx.upsertEdge({ ID: ids.edge(sw, p(sw, i), 'ownership'), Parent: sw, Child: p(sw, i), Metadata: { RelationType: 'ownership' } }),
      );
    }
  }
  node(host, { Type: 'host', Name: 'web1' });
  node(eth0, { Type: 'interface', Name: 'eth0', MAC: '02:00:00:00:00:aa', IPV4: ['10.0.0.10/24'] });
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const kinds = (from: number, to: number, node?: string) =>
  changesBetween(store, { from, to, ...(node ? { node } : {}) }).map(
    (c) => `${c.Kind} ${c.ID}${c.Key ? ` ${c.Key}:${String(c.Old)}→${String(c.New)}` : ''}`,
  );

describe('changesBetween', () => {
  it('port down then up: link-down and link-up with the old and new State, at the write time', () => {
    at(T0 + 1000, () => node(p(sw1, 1), { State: 'DOWN' }));
    at(T0 + 2000, () => node(p(sw1, 1), { State: 'UP' }));
    const list = changesBetween(store, { from: T0, to: T0 + 5000 });
    expect(list.map((c) => [c.At, c.Kind, c.ID, c.Element, c.Type, c.Name, c.Key, c.Old, c.New])).toEqual([
      [T0 + 1000, 'link-down', p(sw1, 1), 'node', 'port', 'Ethernet1', 'State', 'UP', 'DOWN'],
      [T0 + 2000, 'link-up', p(sw1, 1), 'node', 'port', 'Ethernet1', 'State', 'DOWN', 'UP'],
    ]);
    // The window is (from, to]: a change at `from` is before it, one at `to` inside it.
    expect(kinds(T0 + 1000, T0 + 2000)).toEqual([`link-up ${p(sw1, 1)} State:DOWN→UP`]);
    expect(kinds(T0 + 2000, T0 + 5000)).toEqual([]);
  });

  it('a link edge going DOWN, and a cable removed, are link-down and link-removed', () => {
    at(T0 + 1000, () => link(p(sw1, 4), p(sw2, 4), { Evidence: { fabric: { FirstSeen: T0 } } }));
    at(T0 + 2000, () => link(p(sw1, 4), p(sw2, 4), { State: 'DOWN' }));
    at(T0 + 3000, () => unlink(p(sw1, 4), p(sw2, 4)));
    expect(kinds(T0 + 500, T0 + 5000)).toEqual([
      `link-added ${l2(p(sw1, 4), p(sw2, 4))}`,
      `link-down ${l2(p(sw1, 4), p(sw2, 4))} State:UP→DOWN`,
      `link-removed ${l2(p(sw1, 4), p(sw2, 4))}`,
    ]);
  });

  it('new and lost LLDP neighbours: link edges with LLDP evidence appearing and going', () => {
    const ev = { Evidence: { 'lldp-snmp': { FirstSeen: T0 + 1000, LastSeen: T0 + 1000 } } };
    at(T0 + 1000, () => link(p(sw1, 1), p(sw2, 1), ev));
    at(T0 + 2000, () => unlink(p(sw1, 1), p(sw2, 1)));
    const list = changesBetween(store, { from: T0, to: T0 + 3000 });
    expect(list.map((c) => [c.At, c.Kind, c.Element, c.Type, c.Parent, c.Child])).toEqual([
      [T0 + 1000, 'lldp-neighbour-new', 'edge', 'layer2', [p(sw1, 1), p(sw2, 1)].sort()[0], [p(sw1, 1), p(sw2, 1)].sort()[1]],
      [T0 + 2000, 'lldp-neighbour-lost', 'edge', 'layer2', [p(sw1, 1), p(sw2, 1)].sort()[0], [p(sw1, 1), p(sw2, 1)].sort()[1]],
    ]);
    // A link only the FDB inferred gaining LLDP evidence is a new neighbour too.
    at(T0 + 4000, () => link(p(sw1, 2), p(sw2, 2), { Evidence: { fdb: { FirstSeen: T0 } } }));
    at(T0 + 5000, () => link(p(sw1, 2), p(sw2, 2), { Evidence: { fdb: { FirstSeen: T0 }, 'lldp-snmp': { FirstSeen: T0 + 5000 } } }));
    expect(kinds(T0 + 4500, T0 + 6000)).toEqual([`lldp-neighbour-new ${l2(p(sw1, 2), p(sw2, 2))} Evidence:fdb→fdb,lldp-snmp`]);
  });

  it('a MAC moving to another port: its FDB link removed and re-made elsewhere is one mac-moved', () => {
    const fdb = { Evidence: { fdb: { FirstSeen: T0 } } };
    at(T0 + 1000, () => link(p(sw1, 3), eth0, fdb));
    at(T0 + 2000, () => unlink(p(sw1, 3), eth0));
    at(T0 + 2500, () => link(p(sw2, 3), eth0, fdb));
    const list = changesBetween(store, { from: T0 + 1500, to: T0 + 3000 });
    expect(list).toEqual([
      {
        At: T0 + 2500,
        Kind: 'mac-moved',
        ID: eth0,
        Element: 'node',
        Type: 'interface',
        Name: 'eth0',
        Key: 'port',
        Old: p(sw1, 3),
        New: p(sw2, 3),
      },
    ]);
  });

  it('a server re-cabled to another port: its LLDP link going DOWN and a new one coming up is one mac-moved', () => {
    const lldp = (t: number) => ({ Evidence: { 'lldp-snmp': { FirstSeen: t, LastSeen: t } } });
    at(T0 + 1000, () => link(p(sw1, 3), eth0, lldp(T0 + 1000)));
    at(T0 + 2000, () => node(p(sw1, 3), { State: 'DOWN' }));
    at(T0 + 2001, () => link(p(sw1, 3), eth0, { State: 'DOWN' }));
    at(T0 + 2002, () => node(p(sw1, 4), { State: 'DOWN' }));
    at(T0 + 2500, () => node(p(sw1, 4), { State: 'UP' }));
    at(T0 + 3000, () => link(p(sw1, 4), eth0, lldp(T0 + 3000)));
    const list = changesBetween(store, { from: T0 + 1500, to: T0 + 4000 });
    expect(list.map((c) => [c.At, c.Kind, c.ID, c.Key, c.Old, c.New])).toEqual([
      [T0 + 2000, 'link-down', p(sw1, 3), 'State', 'UP', 'DOWN'],
      [T0 + 2002, 'link-down', p(sw1, 4), 'State', 'UP', 'DOWN'],
      [T0 + 2500, 'link-up', p(sw1, 4), 'State', 'DOWN', 'UP'],
      [T0 + 3000, 'mac-moved', eth0, 'port', p(sw1, 3), p(sw1, 4)],
    ]);
    // A switch port whose neighbour changes is re-cabling, not a move: lost and new stay apart.
    at(T0 + 5000, () => link(p(sw1, 1), p(sw2, 1), lldp(T0 + 5000)));
    at(T0 + 6000, () => unlink(p(sw1, 1), p(sw2, 1)));
    at(T0 + 6500, () => link(p(sw1, 1), p(sw2, 2), lldp(T0 + 6500)));
    expect(kinds(T0 + 5500, T0 + 7000)).toEqual([
      `lldp-neighbour-lost ${l2(p(sw1, 1), p(sw2, 1))}`,
      `lldp-neighbour-new ${l2(p(sw1, 1), p(sw2, 2))}`,
    ]);
  });

  it('an IP moving to another interface (a VIP failing over) is one ip-moved naming both nodes', () => {
    const eth1 = ids.hostInterface(ids.host('web2'), 'eth0');
    at(T0 + 500, () => node(eth1, { Type: 'interface', Name: 'eth0', MAC: '02:00:00:00:00:bb', IPV4: ['10.0.0.11/24'] }));
    at(T0 + 1000, () => node(eth0, { IPV4: [] }));
    at(T0 + 1200, () => node(eth1, { IPV4: ['10.0.0.11/24', '10.0.0.10/24'] }));
    const moves = changesBetween(store, { from: T0 + 800, to: T0 + 2000 }).filter((c) => c.Kind === 'ip-moved');
    expect(moves).toEqual([
      {
        At: T0 + 1200,
        Kind: 'ip-moved',
        ID: eth1,
        Element: 'node',
        Type: 'interface',
        Name: 'eth0',
        Key: 'IP',
        Old: eth0,
        New: eth1,
        Address: '10.0.0.10',
      },
    ]);
    // An address only added (or only dropped) is no move.
    expect(changesBetween(store, { from: T0, to: T0 + 900 }).filter((c) => c.Kind === 'ip-moved')).toEqual([]);
  });

  it('a LAG member lost: the stitcher deletes the member edge', () => {
    const lag = new LagIndex();
    // Port 4 aggregates ports 2 and 3 on leaf1 (IEEE8023-LAG-MIB membership from one poll).
    at(T0 + 1000, () =>
      store.write((tx) =>
        lag.replace(
          tx,
          'snmp:leaf1',
          [
            [p(sw1, 2), p(sw1, 4)],
            [p(sw1, 3), p(sw1, 4)],
          ],
          now,
        ),
      ),
    );
    at(T0 + 2000, () => store.write((tx) => lag.replace(tx, 'snmp:leaf1', [[p(sw1, 2), p(sw1, 4)]], now)));
    expect(kinds(T0 + 1500, T0 + 3000)).toEqual([`lag-member-lost ${l2(p(sw1, 3), p(sw1, 4))}`]);
  });

  it('a reboot: the SNMP writer moves BootTime when sysUpTime goes back', () => {
    const info = { sysName: 'leaf1', sysDescr: null, sysObjectID: null, mgmtAddress: '10.0.0.1', chassis: null };
    at(T0 + 1000, () => store.write((tx) => writeSwitch(tx, sw1, { ...info, uptime: { ticks: 360_000, at: now } })));
    // An hour later the counter kept counting: same boot, no change.
    at(T0 + 3_601_000, () => store.write((tx) => writeSwitch(tx, sw1, { ...info, uptime: { ticks: 720_000, at: now } })));
    // Then it reads 30 s: rebooted.
    at(T0 + 3_700_000, () => store.write((tx) => writeSwitch(tx, sw1, { ...info, uptime: { ticks: 3000, at: now } })));
    const list = changesBetween(store, { from: T0 + 2000, to: T0 + 4_000_000 }).filter((c) => c.Kind === 'rebooted');
    expect(list).toEqual([
      {
        At: T0 + 3_700_000,
        Kind: 'rebooted',
        ID: sw1,
        Element: 'node',
        Type: 'switch',
        Name: 'leaf1',
        Key: 'BootTime',
        Old: T0 + 1000 - 3_600_000,
        New: T0 + 3_700_000 - 30_000,
      },
    ]);
  });

  it('speed and MTU changes', () => {
    at(T0 + 1000, () => node(p(sw2, 2), { Speed: 1_000_000_000, MTU: 9000 }));
    expect(kinds(T0, T0 + 2000)).toEqual([
      `speed-changed ${p(sw2, 2)} Speed:10000000000→1000000000`,
      `mtu-changed ${p(sw2, 2)} MTU:1500→9000`,
    ]);
  });

  it('devices added and removed; node= keeps one device, its ports and their links', () => {
    const sw3 = ids.switchBySysName('leaf2');
    at(T0 + 1000, () => node(sw3, { Type: 'switch', Name: 'leaf2' }));
    at(T0 + 1100, () => node(p(sw1, 1), { State: 'DOWN' }));
    at(T0 + 1200, () => node(p(sw2, 1), { State: 'DOWN' }));
    at(T0 + 1300, () => link(p(sw2, 4), eth0, { Evidence: { 'lldp-agent': { FirstSeen: T0 } } }));
    at(T0 + 2000, () => store.write((tx) => tx.deleteNode(sw3)));
    expect(kinds(T0, T0 + 3000)).toEqual([
      `node-added ${sw3}`,
      `link-down ${p(sw1, 1)} State:UP→DOWN`,
      `link-down ${p(sw2, 1)} State:UP→DOWN`,
      `lldp-neighbour-new ${l2(p(sw2, 4), eth0)}`,
      `node-removed ${sw3}`,
    ]);
    expect(kinds(T0, T0 + 3000, sw2)).toEqual([`link-down ${p(sw2, 1)} State:UP→DOWN`, `lldp-neighbour-new ${l2(p(sw2, 4), eth0)}`]);
    expect(kinds(T0, T0 + 3000, eth0)).toEqual([`lldp-neighbour-new ${l2(p(sw2, 4), eth0)}`]);
    // A node gone by now is still found by the state of its window.
    expect(kinds(T0, T0 + 3000, sw3)).toEqual([`node-added ${sw3}`, `node-removed ${sw3}`]);
  });
});

describe('topologyDiff', () => {
  it('added, removed and changed nodes and edges between two instants, with old and new values', () => {
    at(T0 + 1000, () => link(p(sw1, 1), p(sw2, 1), { Evidence: { 'lldp-snmp': { FirstSeen: T0 } } }));
    const t1 = T0 + 1500;
    at(T0 + 2000, () => node(p(sw1, 1), { State: 'DOWN', Speed: 1_000_000_000 }));
    at(T0 + 2100, () => link(p(sw1, 2), p(sw2, 2), {}));
    at(T0 + 2200, () => unlink(p(sw1, 1), p(sw2, 1)));
    at(T0 + 2300, () => store.write((tx) => tx.deleteNode(host)));
    // Changed and changed back within the window: not a difference.
    at(T0 + 2400, () => node(p(sw2, 3), { MTU: 9000 }));
    at(T0 + 2500, () => node(p(sw2, 3), { MTU: 1500 }));
    const d = topologyDiff(store, t1, T0 + 3000);
    expect(d.From).toBe(t1);
    expect(d.Nodes.Added).toEqual([]);
    expect(d.Nodes.Removed.map((n) => n.ID)).toEqual([host]);
    expect(d.Nodes.Changed).toEqual([
      {
        ID: p(sw1, 1),
        Type: 'port',
        Name: 'Ethernet1',
        Keys: [
          { Key: 'State', Old: 'UP', New: 'DOWN' },
          { Key: 'Speed', Old: 10_000_000_000, New: 1_000_000_000 },
        ],
      },
    ]);
    expect(d.Edges.Added.map((e) => e.ID)).toEqual([l2(p(sw1, 2), p(sw2, 2))]);
    expect(d.Edges.Removed.map((e) => [e.ID, e.DeletedAt])).toEqual([[l2(p(sw1, 1), p(sw2, 1)), undefined]]);
    // The same instants read through At(): the diff agrees with the two graphs.
    expect(store.at(t1).getEdge(l2(p(sw1, 1), p(sw2, 1)))).toBeDefined();
    expect(store.at(T0 + 3000).getEdge(l2(p(sw1, 1), p(sw2, 1)))).toBeUndefined();
    // Nested keys are compared leaf by leaf.
    at(T0 + 4000, () => link(p(sw1, 2), p(sw2, 2), { Evidence: { fdb: { FirstSeen: T0 + 4000 } } }));
    expect(topologyDiff(store, T0 + 3000, T0 + 5000).Edges.Changed).toEqual([
      {
        ID: l2(p(sw1, 2), p(sw2, 2)),
        Type: 'layer2',
        Parent: [p(sw1, 2), p(sw2, 2)].sort()[0],
        Child: [p(sw1, 2), p(sw2, 2)].sort()[1],
        Keys: [{ Key: 'Evidence', New: { fdb: { FirstSeen: T0 + 4000 } } }],
      },
    ]);
  });
});
