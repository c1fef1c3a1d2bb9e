// A real SQLite graph store in a temp dir, populated the way the SNMP poller (switches, ports,
// ownership) and a publisher (hosts, interfaces) write it, plus LLDP rows shaped like the poller's
// LldpObservation.
import { mkdtempSync, rmSync } from 'node:fs';
import { afterAll } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SqliteGraphStore } from '../../../src/topology/store/sqlite-store.ts';
import { openSqliteStorage, type SqliteStorage } from '../../../src/topology/store/sqlite-storage.ts';
import { ids } from '../../../src/topology/ids.ts';
import type { NeighbourRow } from '../../../src/topology/stitch/types.ts';

// Every temp dir a test file made goes when the file is done (the stores die with the worker).
const made: string[] = [];
afterAll(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});
const newDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'canopy-stitch-'));
  made.push(d);
  return d;
};

export function tempStore(
  dir = newDir(),
  t = { now: 1_700_000_000_000 },
): { store: SqliteGraphStore; storage: SqliteStorage; dir: string; clock: { now: number } } {
  const storage = openSqliteStorage({ path: join(dir, 'graph.db'), now: () => t.now });
  return { store: storage.graph, storage, dir, clock: t };
}

export interface SwitchSpec {
  name: string;
  chassis: string;
  mgmt?: string;
  ports: { ifIndex: number; name: string; mac?: string; alias?: string; descr?: string; ifType?: number; state?: 'UP' | 'DOWN' }[];
}

export function addSwitch(store: SqliteGraphStore, s: SwitchSpec): string {
  const id = ids.switchByChassis(4, s.chassis);
  store.write((tx) => {
    tx.upsertNode({
      ID: id,
      Origin: 'snmp',
      Host: 'test',
      Metadata: {
        Type: 'switch',
        Name: s.name,
        MgmtAddress: s.mgmt ?? `10.0.0.${s.name.length}`,
        Probe: 'snmp',
        LLDP: { ChassisID: s.chassis, ChassisIDType: 'macAddress' },
      },
    });
    for (const p of s.ports) {
      const pid = ids.port(id, p.ifIndex);
      const md: Record<string, unknown> = {
        Type: 'port',
        Name: p.name,
        IfIndex: p.ifIndex,
        IfType: p.ifType ?? 6,
        State: p.state ?? 'UP',
        Description: p.descr ?? p.name,
      };
      if (p.mac) md.MAC = p.mac;
      if (p.alias) md.Alias = p.alias;
      tx.upsertNode({ ID: pid, Origin: 'snmp', Host: 'test', Metadata: md });
      tx.upsertEdge({
        ID: ids.edge(id, pid, 'ownership'),
        Parent: id,
        Child: pid,
        Origin: 'snmp',
        Host: 'test',
        Metadata: { RelationType: 'ownership' },
      });
    }
  });
  return id;
}

export function addHost(
  store: SqliteGraphStore,
  name: string,
  ifaces: { name: string; mac: string; type?: string; lldp?: Record<string, unknown> }[],
  hostKey = name,
): { host: string; ifaces: Record<string, string> } {
  const host = ids.host(hostKey);
  const out: Record<string, string> = {};
  store.write((tx) => {
    tx.upsertNode({ ID: host, Origin: 'api', Host: name, Metadata: { Type: 'host', Name: name } });
    for (const i of ifaces) {
      const id = ids.hostInterface(host, i.name);
      out[i.name] = id;
      const md: Record<string, unknown> = { Type: i.type ?? 'device', Name: i.name, MAC: i.mac, State: 'UP' };
      if (i.lldp) md.LLDP = i.lldp;
      tx.upsertNode({ ID: id, Origin: 'api', Host: name, Metadata: md });
      tx.upsertEdge({
        ID: ids.edge(host, id, 'ownership'),
        Parent: host,
        Child: id,
        Origin: 'api',
        Host: name,
        Metadata: { RelationType: 'ownership' },
      });
    }
  });
  return { host, ifaces: out };
}

/** An LLDP-MIB row as the poller hands it over (LldpObservation fields). */
export function lldpRow(
  localIfIndex: number,
  far: Partial<NeighbourRow>,
  seen: { lastSeen?: number; missed?: number } = {},
): NeighbourRow & Record<string, unknown> {
  return {
    device: '127.0.0.1:161',
    switchId: 'x',
    rawIndex: `0.${localIfIndex}.1`,
    localPortNum: localIfIndex,
    localIfIndex,
    localPortVia: 'ifIndex',
    chassisIdSubtype: 4,
    chassisId: null,
    portIdSubtype: 5,
    portId: null,
    portDesc: null,
    sysName: null,
    sysDesc: null,
    capSupported: [],
    capEnabled: [],
    managementAddresses: [],
    mib: 'lldp',
    firstSeen: seen.lastSeen ?? 0,
    lastSeen: seen.lastSeen ?? 0,
    missed: seen.missed ?? 0,
    ...far,
  };
}

/** lldpd on a Linux host: chassis = a MAC, port ID = the interface MAC, port description = ifname. */
export function lldpdHost(
  localIfIndex: number,
  sysName: string,
  mac: string,
  ifname: string,
  seen: { lastSeen?: number; missed?: number } = {},
) {
  return lldpRow(
    localIfIndex,
    {
      chassisIdSubtype: 4,
      chassisId: mac,
      portIdSubtype: 3,
      portId: mac,
      portDesc: ifname,
      sysName,
      capSupported: ['bridge', 'router', 'wlanAccessPoint', 'stationOnly'],
      capEnabled: ['stationOnly'],
    },
    seen,
  );
}

export function layer2(store: SqliteGraphStore) {
  return store.findEdges('RelationType', 'layer2');
}
