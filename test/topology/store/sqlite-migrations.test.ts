// Schema versions on SQLite: a database written before versioning (a copy of one the old code
// built, see fixtures/README.md) is migrated with its data kept; a newer one is refused untouched.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { openSqliteStorage } from '../../../src/topology/store/sqlite-storage.ts';
import { openGraphStore } from '../../../src/topology/store/sqlite-store.ts';
import { SCHEMA_VERSION } from '../../../src/topology/store/sqlite-migrations.ts';
import { StorageVersionError } from '../../../src/topology/store/storage.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempPath(): string {
  const d = mkdtempSync(join(tmpdir(), 'canopy-migrate-'));
  dirs.push(d);
  return join(d, 'canopy.db');
}
const userVersion = (path: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
};

describe('SQLite schema versions', () => {
  it('a new database is created at the current version; opening it again changes nothing', () => {
    const path = tempPath();
    openSqliteStorage({ path }).close();
    expect(userVersion(path)).toBe(SCHEMA_VERSION);
    const s = openSqliteStorage({ path });
    expect(s.graph.nodeCount()).toBe(0);
    s.close();
    expect(userVersion(path)).toBe(SCHEMA_VERSION);
  });

  it('migrates a database written before versioning and keeps everything in it', () => {
    const path = tempPath();
    copyFileSync(new URL('./fixtures/canopy-pre-versioning.db', import.meta.url), path);
    expect(userVersion(path)).toBe(0);
    const s = openSqliteStorage({ path, now: () => 1_700_000_200_000 });
    try {
      expect(userVersion(path)).toBe(SCHEMA_VERSION);
      const g = s.graph;
      expect(g.getNode('sw1')).toMatchObject({ Metadata: { Type: 'switch', Name: 'leaf1' }, Revision: 1 });
      expect(g.getNode('p1')).toMatchObject({ Metadata: { State: 'DOWN', Metric: { RxBytes: 3000 } }, Revision: 3 });
      expect(g.at(1_700_000_030_000).getNode('p1')!.Metadata.State).toBe('UP');
      expect(g.findNodes('MAC', '02:00:00:00:00:01').map((n) => n.ID)).toEqual(['p1']);
      expect(g.resolveAlias('sysname:leaf1.example.com')).toBe('sw1');
      expect(s.flows.query({}, 0)).toEqual([expect.objectContaining({ srcAddr: '192.0.2.1', srcMac: '02:00:00:00:00:0a', bytes: 1500 })]);
      expect(s.flows.query({ from: 0 }, Number.MAX_SAFE_INTEGER)).toEqual([expect.objectContaining({ srcAddr: '192.0.2.1', bytes: 1500 })]);
      expect(s.portSeries.rows('p1')).toEqual([expect.objectContaining({ source: 'snmp', rxBytes: 2000 })]);
      // Version 6 rolled the rows it found up into the 1 h buckets.
      expect(s.portSeries.read(['p1'], 3_600_000, 0, Number.MAX_SAFE_INTEGER)).toEqual([
        expect.objectContaining({ source: 'snmp', rxBytes: 2000 }),
      ]);
      expect(s.templates.loadAll()).toEqual([
        {
          exporter: '192.0.2.100#v9',
          domain: 0,
          template: {
            version: 9,
            id: 260,
            options: false,
            scopeCount: 0,
            fields: [
              { id: 8, length: 4, pen: 0 },
              { id: 12, length: 4, pen: 0 },
            ],
          },
        },
      ]);
      expect(s.snmpDevices.all()).toEqual([{ id: 'dev1', body: { address: '192.0.2.50', port: 161, version: '2c', community: 'public' } }]);
      expect(s.snmpObservations.lldpRows()).toEqual([
        expect.objectContaining({ switchId: 'sw1', portId: 'swp1', sysName: 'leaf2', missed: 0 }),
      ]);
      expect(s.snmpObservations.fdbRows()).toEqual([expect.objectContaining({ mac: '02:00:00:00:00:0c', vlan: 10 })]);
      expect(s.snmpObservations.cdpRows()).toEqual([expect.objectContaining({ remoteDeviceId: 'leaf3' })]);
      expect(s.stitchInputs.all()).toEqual([expect.objectContaining({ source: 'lldp-snmp', reporter: 'sw1', rows: [{ a: 1 }] })]);
      // Version 3 added the ARP/ND rows.
      expect(s.snmpObservations.arpRows()).toEqual([]);
      s.snmpObservations.recordArp(
        'dev1',
        'sw1',
        [{ ifIndex: 1, family: 'ipv4', ip: '192.0.2.9', mac: '02:00:00:00:00:0c', kind: 'dynamic', mib: 'ipNetToMedia' }],
        1,
        3,
      );
      expect(s.snmpObservations.arpRows({ mac: '02:00:00:00:00:0c' })).toEqual([expect.objectContaining({ ip: '192.0.2.9' })]);
      // And it takes new writes.
      s.graph.write((tx) => tx.upsertNode({ ID: 'p2', Metadata: { Type: 'port', Name: 'Ethernet2' } }));
      expect(s.graph.nodeCount()).toBe(3);
    } finally {
      s.close();
    }
  });

  it('refuses a database from a newer Canopy, naming the file and both versions, and leaves it untouched', () => {
    const path = tempPath();
    const db = new Database(path);
    db.exec('CREATE TABLE future (x)');
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    const before = readFileSync(path);
    const message = `${path}: schema version ${SCHEMA_VERSION + 1} is newer than this Canopy supports (${SCHEMA_VERSION})`;
    let err: unknown;
    try {
      openSqliteStorage({ path });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StorageVersionError);
    expect((err as Error).message).toContain(message);
    expect(err).toMatchObject({ file: path, found: SCHEMA_VERSION + 1, supported: SCHEMA_VERSION });
    // Read-only opens (canopy query --data-dir) refuse it too.
    expect(() => openGraphStore({ path, readonly: true })).toThrow(message);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(userVersion(path)).toBe(SCHEMA_VERSION + 1);
  });
});
