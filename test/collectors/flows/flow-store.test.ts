// A data dir written before flows had L2 columns opens, keeps its rows, and takes new ones.
import { describe, it, expect } from 'vitest';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlowStore, type FlowEntry } from '../../../src/collectors/flows/flow-store.ts';
import { openSqliteStorage } from '../../../src/topology/store/sqlite-storage.ts';

// The flow tables as releases before the L2 columns created them.
const OLD_SCHEMA = `
  CREATE TABLE flows (
    first INTEGER NOT NULL, last INTEGER NOT NULL,
    protocol TEXT NOT NULL, exporter TEXT NOT NULL, device_id TEXT NOT NULL, in_if INTEGER NOT NULL, out_if INTEGER NOT NULL,
    in_port_id TEXT, out_port_id TEXT, vlan INTEGER NOT NULL, src_addr TEXT NOT NULL, dst_addr TEXT NOT NULL,
    proto INTEGER NOT NULL, src_port INTEGER NOT NULL, dst_port INTEGER NOT NULL,
    bytes INTEGER NOT NULL, packets INTEGER NOT NULL, flows INTEGER NOT NULL,
    sampling_rate INTEGER NOT NULL, sampling_missing INTEGER NOT NULL
  );
  CREATE INDEX flows_last ON flows(last);
  CREATE TABLE flows_1m (
    minute INTEGER NOT NULL,
    protocol TEXT NOT NULL, exporter TEXT NOT NULL, device_id TEXT NOT NULL, in_if INTEGER NOT NULL, out_if INTEGER NOT NULL,
    in_port_id TEXT, out_port_id TEXT, vlan INTEGER NOT NULL, src_addr TEXT NOT NULL, dst_addr TEXT NOT NULL,
    proto INTEGER NOT NULL, src_port INTEGER NOT NULL, dst_port INTEGER NOT NULL,
    bytes INTEGER NOT NULL, packets INTEGER NOT NULL, flows INTEGER NOT NULL,
    PRIMARY KEY (minute, protocol, exporter, in_if, out_if, vlan, src_addr, dst_addr, proto, src_port, dst_port)
  );
  CREATE INDEX flows_1m_device ON flows_1m(device_id, minute);
`;

const entry = (o: Partial<FlowEntry>): FlowEntry => ({
  protocol: 'sflow',
  exporter: '10.0.0.1',
  deviceId: 'dev',
  inIf: 1,
  outIf: 2,
  inPortId: 'p1',
  outPortId: 'p2',
  vlan: 0,
  srcAddr: '',
  dstAddr: '',
  proto: 0,
  srcPort: 0,
  dstPort: 0,
  srcMac: '',
  dstMac: '',
  etherType: 0,
  first: 120_000,
  last: 120_000,
  bytes: 100,
  packets: 1,
  flows: 1,
  samplingRate: 1,
  samplingMissing: false,
  ...o,
});

describe('flow store schema upgrade', () => {
  it('adds the MAC/EtherType columns to an old store, keeps its rows and rollups, and keys rollups by them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'canopy-flows-old-'));
    const path = join(dir, 'canopy.db');
    const db = new Database(path);
    db.exec(OLD_SCHEMA);
    db.prepare(
      `INSERT INTO flows VALUES (120000, 120000, 'sflow', '10.0.0.1', 'dev', 1, 2, 'p1', 'p2', 0, '192.0.2.1', '192.0.2.2', 6, 1000, 22, 500, 5, 1, 1, 0)`,
    ).run();
    db.prepare(
      `INSERT INTO flows_1m VALUES (120000, 'sflow', '10.0.0.1', 'dev', 1, 2, 'p1', 'p2', 0, '192.0.2.1', '192.0.2.2', 6, 1000, 22, 500, 5, 1)`,
    ).run();
    db.close();
    let storage = openSqliteStorage({ path });
    let store = new FlowStore(storage.flows);
    expect(store.query({}, 0)).toEqual([
      expect.objectContaining({
        srcAddr: '192.0.2.1',
        protoName: 'TCP',
        srcMac: '',
        dstMac: '',
        etherType: 0,
        etherTypeName: '',
        bytes: 500,
      }),
    ]);
    expect(store.query({ from: 60_000 }, 1e12)).toEqual([expect.objectContaining({ srcAddr: '192.0.2.1', bytes: 500 })]);
    // Two ARP stations in the same minute: two rollup rows, not one (the rollup key has the MACs).
    store.write([
      entry({ srcMac: '02:00:00:00:00:01', dstMac: 'ff:ff:ff:ff:ff:ff', etherType: 0x0806 }),
      entry({ srcMac: '02:00:00:00:00:02', dstMac: 'ff:ff:ff:ff:ff:ff', etherType: 0x0806 }),
    ]);
    const rolled = store.query({ from: 60_000, addr: 'ff:ff:ff:ff:ff:ff' }, 1e12);
    expect(rolled.map((r) => r.srcMac).sort()).toEqual(['02:00:00:00:00:01', '02:00:00:00:00:02']);
    expect(rolled[0]).toMatchObject({ etherTypeName: 'ARP', bytes: 100 });
    // Opening it again changes nothing.
    storage.close();
    storage = openSqliteStorage({ path });
    store = new FlowStore(storage.flows);
    expect(store.query({}, 0)).toHaveLength(3);
    storage.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
