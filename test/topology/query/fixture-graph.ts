// A small real graph (SQLite store in memory) shared by the query tests: one switch with three
// ports, two hosts cabled to two of them, a container with its own interface.
import { openGraphStore } from '../../../src/topology/store/sqlite-store.ts';
import type { GraphStore } from '../../../src/topology/store/graph-store.ts';

export const T0 = 1_700_000_000_000;

export function smallGraph(now: () => number = () => T0): GraphStore {
  const s = openGraphStore({ path: ':memory:', now });
  s.write((tx) => {
    const n = (ID: string, Metadata: Record<string, unknown>) => tx.upsertNode({ ID, Metadata, Host: 'test', Origin: 'api' });
    const e = (ID: string, Parent: string, Child: string, RelationType: string, extra: Record<string, unknown> = {}) =>
      tx.upsertEdge({ ID, Parent, Child, Metadata: { RelationType, ...extra }, Host: 'test', Origin: 'api' });
    n('sw1', {
      Type: 'switch',
      Name: 'sw1',
      Role: 'leaf',
      MgmtAddress: '192.168.1.1',
      LLDP: { ChassisID: 'aa:aa', ChassisIDType: 'mac_address' },
    });
    n('p1', { Type: 'port', Name: 'Ethernet1', IfIndex: 1, State: 'UP', Speed: 10e9, MAC: '02:00:00:00:00:01' });
    n('p2', { Type: 'port', Name: 'Ethernet2', IfIndex: 2, State: 'DOWN', Speed: 25e9, MAC: '02:00:00:00:00:02' });
    n('p3', { Type: 'port', Name: 'Ethernet3', IfIndex: 3, State: 'UP', Speed: 100e9, Managed: true });
    n('h1', { Type: 'host', Name: 'web1', Tags: ['prod', 'eu'] });
    n('h2', { Type: 'host', Name: 'db1', Tags: ['dev'] });
    n('h1e', { Type: 'device', Name: 'eth0', MAC: '02:00:00:00:01:01', IPV4: ['10.0.0.5/24', '192.168.9.1/24'], MTU: 1500 });
    n('h2e', { Type: 'device', Name: 'eth0', MAC: '02:00:00:00:02:01', IPV4: ['10.1.0.7/16'], MTU: 9000 });
    n('c1', { Type: 'container', Name: 'web1-c0' });
    n('c1e', { Type: 'veth', Name: 'eth0', MTU: 1450 });
    e('o1', 'sw1', 'p1', 'ownership');
    e('o2', 'sw1', 'p2', 'ownership');
    e('o3', 'sw1', 'p3', 'ownership');
    e('o4', 'h1', 'h1e', 'ownership');
    e('o5', 'h2', 'h2e', 'ownership');
    e('o6', 'h1', 'c1', 'ownership');
    e('o7', 'c1', 'c1e', 'ownership');
    e('l1', 'p1', 'h1e', 'layer2', { Evidence: ['lldp-snmp'] });
    e('l2', 'p2', 'h2e', 'layer2', { Evidence: ['fdb'] });
  });
  return s;
}
