// AddressWriter on a real SQLite store, the cases the walks do not show: a router whose ports all
// carry its chassis MAC (only the port its own `local` entry names gets the address), a host
// interface another source owns (its own CIDR entries kept, the learnt address added once and taken
// off when it moves), and a stand-in host that goes when a real interface with its MAC appears.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStorage } from '../../../src/topology/store/sqlite-storage.ts';
import type { Storage } from '../../../src/topology/store/storage.ts';
import type { ArpEntry } from '../../../src/topology/store/snmp-rows.ts';
import { SnmpObservations } from '../../../src/collectors/snmp/observations.ts';
import { AddressWriter, arpHostId, arpInterfaceId } from '../../../src/collectors/snmp/address-writer.ts';
import { ids } from '../../../src/topology/ids.ts';

const ROUTER_MAC = '02:00:00:00:00:aa';
const HOST_MAC = '02:00:00:00:00:05';
const arp = (ip: string, mac: string, o: Partial<ArpEntry> = {}): ArpEntry => ({
  ifIndex: 1,
  family: 'ipv4',
  ip,
  mac,
  kind: 'dynamic',
  mib: 'ipNetToPhysical',
  ...o,
});

describe('AddressWriter', () => {
  let dir: string;
  let s: Storage;
  let obs: SnmpObservations;
  let w: AddressWriter;
  let t = 1000;
  const poll = async (device: string, switchId: string, rows: ArpEntry[]) => {
    const before = obs.arpRows({ device });
    obs.recordArp(device, switchId, rows, (t += 1000));
    w.arpPolled(device, before);
    await w.idle();
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'canopy-addr-'));
    s = openSqliteStorage({ path: join(dir, 'canopy.db') });
    obs = new SnmpObservations(s.snmpObservations, 2);
    w = new AddressWriter(s.graph, obs);
    s.graph.write((tx) => {
      tx.upsertNode({ ID: 'r1', Metadata: { Type: 'switch', Name: 'r1', MAC: ROUTER_MAC } });
      for (const i of [1, 2, 3])
        tx.upsertNode({ ID: ids.port('r1', i), Metadata: { Type: 'port', Name: `eth${i}`, MAC: ROUTER_MAC, IfIndex: i } });
      tx.upsertNode({ ID: 'h1', Metadata: { Type: 'host', Name: 'h1' } });
      tx.upsertNode({ ID: 'h1-eth0', Metadata: { Type: 'device', Name: 'eth0', MAC: HOST_MAC, IPV4: ['10.0.0.5/24'] } });
    });
  });
  afterEach(() => {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a router's own address goes to the port its local entry names, not to every port sharing the MAC", async () => {
    await poll('r1:161', 'r1', [arp('10.0.0.1', ROUTER_MAC, { ifIndex: 2, kind: 'local' })]);
    expect(s.graph.findNodes('IPV4', '10.0.0.1').map((n) => n.ID)).toEqual([ids.port('r1', 2)]);
    // Another router's binding of that MAC names no port of r1: written nowhere.
    await poll('r2:161', 'r2', [arp('10.0.9.1', ROUTER_MAC)]);
    expect(s.graph.findNodes('IPV4', '10.0.9.1')).toEqual([]);
    expect(s.graph.getNode(ids.port('r1', 2))!.Metadata.IPV4).toEqual(['10.0.0.1']);
    expect(s.graph.getNode(ids.port('r1', 1))!.Metadata.IPV4).toBeUndefined();
  });

  it("keeps another source's addresses, adds the learnt one once, takes it off when it moves", async () => {
    await poll('r1:161', 'r1', [arp('10.0.0.5', HOST_MAC), arp('10.0.0.6', HOST_MAC)]);
    // 10.0.0.5 is already there as 10.0.0.5/24: not added a second time.
    expect(s.graph.getNode('h1-eth0')!.Metadata).toMatchObject({
      IPV4: ['10.0.0.5/24', '10.0.0.6'],
      ARP: { IPV4: ['10.0.0.5', '10.0.0.6'] },
    });
    const rev = s.graph.getNode('h1-eth0')!.Revision;
    await poll('r1:161', 'r1', [arp('10.0.0.5', HOST_MAC), arp('10.0.0.6', HOST_MAC)]);
    expect(s.graph.getNode('h1-eth0')!.Revision).toBe(rev);
    // 10.0.0.6 moves to a MAC nobody carries and no switch learnt: it leaves h1-eth0, lands nowhere yet.
    await poll('r1:161', 'r1', [arp('10.0.0.5', HOST_MAC), arp('10.0.0.6', '02:00:00:00:00:06')]);
    expect(s.graph.getNode('h1-eth0')!.Metadata.IPV4).toEqual(['10.0.0.5/24']);
    expect(s.graph.findNodes('IPV4', '10.0.0.6')).toEqual([]);
    expect(s.graph.getNode('h1-eth0')!.Revision).toBe(rev + 1);
    // A switch learns it: the stand-in host appears with the address.
    obs.recordFdb('sw:161', 'sw', [{ vlan: 1, mac: '02:00:00:00:00:06', bridgePort: 3, ifIndex: 3, mib: 'qbridge' }], t);
    w.fdbPolled(['02:00:00:00:00:06']);
    await w.idle();
    expect(s.graph.findNodes('IPV4', '10.0.0.6').map((n) => n.ID)).toEqual([arpInterfaceId('02:00:00:00:00:06')]);
  });

  it('a stand-in host goes once another source carries its MAC; the address moves to that interface', async () => {
    const mac = '02:00:00:00:00:07';
    obs.recordFdb('sw:161', 'sw', [{ vlan: 1, mac, bridgePort: 3, ifIndex: 3, mib: 'qbridge' }], t);
    await poll('r1:161', 'r1', [arp('10.0.0.7', mac)]);
    expect(s.graph.getNode(arpHostId(mac))?.Metadata).toMatchObject({ Type: 'host', Name: '10.0.0.7', Probe: 'arp' });
    s.graph.write((tx) => tx.upsertNode({ ID: 'h2-eth0', Metadata: { Type: 'device', Name: 'eth0', MAC: mac } }));
    await poll('r1:161', 'r1', [arp('10.0.0.7', mac)]);
    expect(s.graph.getNode(arpHostId(mac))).toBeUndefined();
    expect(s.graph.getNode(arpInterfaceId(mac))).toBeUndefined();
    expect(s.graph.findNodes('IPV4', '10.0.0.7').map((n) => n.ID)).toEqual(['h2-eth0']);
  });

  it('an address two routers bind to different MACs goes to the fresher binding', async () => {
    s.graph.write((tx) => tx.upsertNode({ ID: 'h3-eth0', Metadata: { Type: 'device', Name: 'eth0', MAC: '02:00:00:00:00:08' } }));
    await poll('r1:161', 'r1', [arp('10.0.0.8', HOST_MAC)]);
    await poll('r2:161', 'r2', [arp('10.0.0.8', '02:00:00:00:00:08')]);
    expect(s.graph.findNodes('IPV4', '10.0.0.8').map((n) => n.ID)).toEqual(['h3-eth0']);
    expect(s.graph.getNode('h1-eth0')!.Metadata.IPV4).toEqual(['10.0.0.5/24']);
  });
});
