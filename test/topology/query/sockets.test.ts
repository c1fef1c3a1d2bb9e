// Sockets() (Skydive's step) on nodes and after Flows(), and Skydive's flow fields on Flows() rows.
import { describe, expect, it } from 'vitest';
import { runQuery } from '../../../src/topology/query/index.ts';
import { openGraphStore } from '../../../src/topology/store/sqlite-store.ts';

const conn = (la: string, lp: number, ra: string, rp: number, Name: string) => ({
  Process: `/bin/${Name}`,
  Pid: 1,
  Name,
  LocalAddress: la,
  LocalPort: lp,
  RemoteAddress: ra,
  RemotePort: rp,
  Protocol: 'TCP',
  State: 'ESTABLISHED',
});

function store() {
  const s = openGraphStore({ path: ':memory:' });
  s.write((tx) => {
    tx.upsertNode({ ID: 'a', Metadata: { Type: 'host', Name: 'a', Sockets: [conn('10.0.0.1', 80, '10.0.0.2', 5000, 'httpd')] } });
    // Skydive's older agents sent Protocol 2 for TCP; a malformed entry is skipped.
    tx.upsertNode({
      ID: 'b',
      Metadata: {
        Type: 'host',
        Name: 'b',
        Sockets: [{ ...conn('10.0.0.2', 5000, '10.0.0.1', 80, 'curl'), Protocol: 2 }, { LocalPort: 'x' }],
      },
    });
    tx.upsertNode({ ID: 'c', Metadata: { Type: 'host', Name: 'c' } });
  });
  return s;
}

const row = (srcAddr: string, srcPort: number, dstAddr: string, dstPort: number, proto = 6) => ({
  exporter: '192.0.2.1',
  srcAddr,
  dstAddr,
  srcPort,
  dstPort,
  proto,
  packets: 3,
  bytes: 180,
  first: 1000,
  last: 2000,
  srcMac: '',
  dstMac: '',
});

describe('Sockets()', () => {
  it('after V(): one map of node ID → its sockets (nodes without any left out)', () => {
    const r = runQuery(store(), "G.V().Has('Type', 'host').Sockets()");
    expect(r.kind).toBe('sockets');
    const [m] = r.value as [Record<string, { Name: string; Protocol: string }[]>];
    expect(Object.keys(m).sort()).toEqual(['a', 'b']);
    expect(m.b!.map((s) => `${s.Name}/${s.Protocol}`)).toEqual(['curl/TCP']);
    expect(runQuery(store(), "G.V().Has('Name', 'c').Sockets()").value).toEqual([{}]);
    expect(runQuery(store(), "G.V().Has('Type', 'host').HasKey('Sockets').Count()").value).toBe(2);
  });

  it('after Flows(): flow UUID → the sockets of both ends, matched by 5-tuple in either direction', () => {
    const flows = () => [
      row('10.0.0.1', 80, '10.0.0.2', 5000),
      row('10.0.0.2', 5000, '10.0.0.1', 80),
      row('10.0.0.9', 1, '10.0.0.8', 2),
      row('10.0.0.1', 0, '10.0.0.2', 0, 1),
    ];
    const r = runQuery(store(), "G.Flows().Has('Transport', NE('')).Sockets()", { flows });
    const [m] = r.value as [Record<string, { Name: string }[]>];
    expect(Object.keys(m)).toHaveLength(2);
    for (const socks of Object.values(m)) expect(socks.map((s) => s.Name).sort()).toEqual(['curl', 'httpd']);
    const all = runQuery(store(), 'G.Flows()', { flows }).value as Record<string, unknown>[];
    expect(all.filter((f) => f.Transport !== undefined)).toHaveLength(3);
    expect(all[0]).toMatchObject({
      srcAddr: '10.0.0.1',
      LayersPath: 'IPv4/TCP',
      Network: { Protocol: 'IPV4', A: '10.0.0.1', B: '10.0.0.2' },
      Transport: { Protocol: 'TCP', A: 80, B: 5000 },
      Metric: { ABPackets: 3, ABBytes: 180, BAPackets: 0, BABytes: 0, Start: 1000, Last: 2000 },
      Start: 1000,
      Last: 2000,
    });
    // UUIDs are stable across reads and differ per row.
    const again = runQuery(store(), 'G.Flows()', { flows }).value as Record<string, unknown>[];
    expect(again.map((f) => f.UUID)).toEqual(all.map((f) => f.UUID));
    expect(new Set(all.map((f) => f.UUID)).size).toBe(4);
    expect(runQuery(store(), "G.Flows().Has('Transport.B', 5000).Count()", { flows }).value).toBe(1);
  });
});
