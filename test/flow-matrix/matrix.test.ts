// The flow matrix's matching rules over a real (in-memory SQLite) graph store holding what host
// agents publish: host and netns nodes with Skydive-shaped Sockets, interfaces with IPV4.
import { describe, expect, it } from 'vitest';
import { openGraphStore } from '../../src/topology/store/sqlite-store.ts';
import type { GraphStore } from '../../src/topology/store/graph-store.ts';
import { buildMatrix, toCsv, toDot, type FlowTuple, type MatrixRequest } from '../../src/flow-matrix/index.ts';

type S = [proto: string, la: string, lp: number, ra: string, rp: number, state: string, proc: string, pid?: number];
const sock = ([Protocol, LocalAddress, LocalPort, RemoteAddress, RemotePort, State, proc, pid]: S) => ({
  Process: proc ? `/usr/bin/${proc}` : '',
  Name: proc,
  Pid: pid ?? 100,
  LocalAddress,
  LocalPort,
  RemoteAddress,
  RemotePort,
  Protocol,
  State,
});

function host(
  store: GraphStore,
  name: string,
  ip: string | undefined,
  sockets: S[],
  extra?: { netns?: { name: string; ip: string; sockets: S[] } },
) {
  store.write((tx) => {
    tx.upsertNode({
      ID: `host-${name}`,
      Host: name,
      Metadata: { Type: 'host', Name: name, ...(ip ? { IPV4: [`${ip}/24`] } : {}), Sockets: sockets.map(sock) },
    });
    if (ip) {
      tx.upsertNode({ ID: `${name}-eth0`, Host: name, Metadata: { Type: 'device', Name: 'eth0', IPV4: [`${ip}/24`] } });
      tx.upsertEdge({ ID: `${name}-o-eth0`, Parent: `host-${name}`, Child: `${name}-eth0`, Metadata: { RelationType: 'ownership' } });
    }
    if (extra?.netns) {
      const n = extra.netns;
      tx.upsertNode({ ID: `${name}-ns-${n.name}`, Host: name, Metadata: { Type: 'netns', Name: n.name, Sockets: n.sockets.map(sock) } });
      tx.upsertEdge({
        ID: `${name}-o-ns-${n.name}`,
        Parent: `host-${name}`,
        Child: `${name}-ns-${n.name}`,
        Metadata: { RelationType: 'ownership' },
      });
      tx.upsertNode({ ID: `${name}-ns-${n.name}-eth0`, Host: name, Metadata: { Type: 'veth', Name: 'eth0', IPV4: [`${n.ip}/30`] } });
      tx.upsertEdge({
        ID: `${name}-o-ns-${n.name}-eth0`,
        Parent: `${name}-ns-${n.name}`,
        Child: `${name}-ns-${n.name}-eth0`,
        Metadata: { RelationType: 'ownership' },
      });
    }
  });
}

const req = (r: Partial<MatrixRequest> = {}): MatrixRequest => ({ durationMs: 0, useFlows: false, listNoPeers: false, ...r });
const csvRows = (store: GraphStore, r: Partial<MatrixRequest> = {}, flows?: FlowTuple[]) =>
  toCsv(buildMatrix({ graph: store, flows: flows && (() => flows) }, req(r)))
    .trim()
    .split('\n')
    .slice(1);

describe('flow matrix from sockets', () => {
  it('matches listening vs established sockets across hosts, one row per connection class', () => {
    const s = openGraphStore({ path: ':memory:' });
    host(s, 'web', '10.0.0.1', [
      ['TCP', '0.0.0.0', 80, '0.0.0.0', 0, 'LISTEN', 'nginx'],
      ['TCP', '10.0.0.1', 80, '10.0.0.2', 40001, 'ESTABLISHED', 'nginx'],
      ['TCP', '10.0.0.1', 80, '10.0.0.2', 40002, 'ESTABLISHED', 'nginx'],
      // A client socket of web's own, to db: web is not the server of this one.
      ['TCP', '10.0.0.1', 50000, '10.0.0.3', 5432, 'ESTABLISHED', 'nginx'],
    ]);
    host(s, 'app', '10.0.0.2', [
      ['TCP', '10.0.0.2', 40001, '10.0.0.1', 80, 'ESTABLISHED', 'curl'],
      ['TCP', '10.0.0.2', 40002, '10.0.0.1', 80, 'ESTABLISHED', 'curl'],
    ]);
    host(s, 'db', '10.0.0.3', [
      ['TCP', '10.0.0.3', 5432, '0.0.0.0', 0, 'LISTEN', 'postgres'],
      ['TCP', '10.0.0.3', 5432, '10.0.0.1', 50000, 'ESTABLISHED', 'postgres'],
    ]);
    expect(csvRows(s)).toEqual([
      'TCP,db,10.0.0.3,5432,/usr/bin/postgres,postgres,web,10.0.0.1,/usr/bin/nginx,nginx',
      'TCP,web,10.0.0.1,80,/usr/bin/nginx,nginx,app,10.0.0.2,/usr/bin/curl,curl',
    ]);
  });

  it('pairs loopback peers only within the same host (namespace), never across', () => {
    const s = openGraphStore({ path: ':memory:' });
    // The same loopback 4-tuple on two hosts: each pairs with its own client.
    for (const [h, client] of [
      ['a', 'redis-cli'],
      ['b', 'nc'],
    ] as const) {
      host(s, h, h === 'a' ? '10.0.0.1' : '10.0.0.2', [
        ['TCP', '127.0.0.1', 6379, '0.0.0.0', 0, 'LISTEN', 'redis'],
        ['TCP', '127.0.0.1', 6379, '127.0.0.1', 45000, 'ESTABLISHED', 'redis'],
        ['TCP', '127.0.0.1', 45000, '127.0.0.1', 6379, 'ESTABLISHED', client],
      ]);
    }
    // A netns of host c with the same loopback connection half: no peer in that namespace.
    host(s, 'c', '10.0.0.3', [], {
      netns: {
        name: 'app',
        ip: '192.168.9.2',
        sockets: [
          ['TCP', '127.0.0.1', 6379, '0.0.0.0', 0, 'LISTEN', 'redis'],
          ['TCP', '127.0.0.1', 6379, '127.0.0.1', 45000, 'ESTABLISHED', 'redis'],
        ],
      },
    });
    expect(csvRows(s)).toEqual([
      'TCP,a,127.0.0.1,6379,/usr/bin/redis,redis,a,127.0.0.1,/usr/bin/redis-cli,redis-cli',
      'TCP,b,127.0.0.1,6379,/usr/bin/redis,redis,b,127.0.0.1,/usr/bin/nc,nc',
    ]);
  });

  it('matches UDP by the host owning the remote address', () => {
    const s = openGraphStore({ path: ':memory:' });
    host(s, 'dns', '10.0.0.2', [['UDP', '0.0.0.0', 53, '0.0.0.0', 0, 'UNCONN', 'unbound']]);
    // Also listens on 53 but does not own 10.0.0.2: not the server.
    host(s, 'other', '10.0.0.3', [['UDP', '0.0.0.0', 53, '0.0.0.0', 0, 'UNCONN', 'dnsmasq']]);
    host(s, 'cli', '10.0.0.1', [['UDP', '10.0.0.1', 33333, '10.0.0.2', 53, 'ESTABLISHED', 'dig']]);
    expect(csvRows(s)).toEqual(['UDP,dns,10.0.0.2,53,/usr/bin/unbound,unbound,cli,10.0.0.1,/usr/bin/dig,dig']);
  });

  it('--list-no-peers adds the connections whose other end no agent reports, named by IP', () => {
    const s = openGraphStore({ path: ':memory:' });
    host(s, 'web', '10.0.0.1', [
      ['TCP', '0.0.0.0', 443, '0.0.0.0', 0, 'LISTEN', 'nginx'],
      ['TCP', '10.0.0.1', 443, '10.0.0.50', 51000, 'ESTABLISHED', 'nginx'],
      ['TCP', '10.0.0.1', 41000, '10.0.0.60', 5432, 'ESTABLISHED', 'nginx'],
    ]);
    // 10.0.0.60 is an interface of a host known without an agent (no Sockets).
    host(s, 'dbhost', undefined, []);
    s.write((tx) => {
      tx.upsertNode({ ID: 'dbhost-eth0', Metadata: { Type: 'device', Name: 'eth0', IPV4: ['10.0.0.60/24'] } });
      tx.upsertEdge({ ID: 'dbhost-o', Parent: 'host-dbhost', Child: 'dbhost-eth0', Metadata: { RelationType: 'ownership' } });
    });
    expect(csvRows(s)).toEqual([]);
    expect(csvRows(s, { listNoPeers: true })).toEqual([
      'TCP,dbhost,10.0.0.60,5432,,,web,10.0.0.1,/usr/bin/nginx,nginx',
      'TCP,web,10.0.0.1,443,/usr/bin/nginx,nginx,10.0.0.50,10.0.0.50,,',
    ]);
  });

  it('--use-flows joins flows by 5-tuple and fills in hosts without agents by IP', () => {
    const s = openGraphStore({ path: ':memory:' });
    host(s, 'web', '10.0.0.1', [
      ['TCP', '0.0.0.0', 80, '0.0.0.0', 0, 'LISTEN', 'nginx'],
      ['TCP', '10.0.0.1', 80, '10.0.0.50', 51000, 'ESTABLISHED', 'nginx'],
      ['TCP', '10.0.0.1', 42000, '10.0.0.70', 443, 'ESTABLISHED', 'curl'],
      ['TCP', '10.0.0.1', 80, '10.0.0.99', 52000, 'ESTABLISHED', 'nginx'],
    ]);
    const flows: FlowTuple[] = [
      // Server → client direction only: still the same conversation.
      { proto: 6, srcAddr: '10.0.0.1', srcPort: 80, dstAddr: '10.0.0.50', dstPort: 51000 },
      { proto: 6, srcAddr: '10.0.0.1', srcPort: 42000, dstAddr: '10.0.0.70', dstPort: 443 },
      // A flow no socket has: ignored.
      { proto: 6, srcAddr: '10.0.0.8', srcPort: 1, dstAddr: '10.0.0.9', dstPort: 2 },
    ];
    expect(csvRows(s, { useFlows: true }, flows)).toEqual([
      'TCP,10.0.0.70,10.0.0.70,443,,,web,10.0.0.1,/usr/bin/curl,curl',
      'TCP,web,10.0.0.1,80,/usr/bin/nginx,nginx,10.0.0.50,10.0.0.50,,',
    ]);
    expect(() => buildMatrix({ graph: s }, req({ useFlows: true }))).toThrow(/flow collection/);
  });

  it('--at reads the sockets as they were; --duration adds the window start', () => {
    let clock = 1_700_000_000_000;
    const s = openGraphStore({ path: ':memory:', now: () => clock });
    const server: S[] = [['TCP', '0.0.0.0', 22, '0.0.0.0', 0, 'LISTEN', 'sshd']];
    host(s, 'a', '10.0.0.1', [...server, ['TCP', '10.0.0.1', 22, '10.0.0.2', 50000, 'ESTABLISHED', 'sshd']]);
    host(s, 'b', '10.0.0.2', [['TCP', '10.0.0.2', 50000, '10.0.0.1', 22, 'ESTABLISHED', 'ssh']]);
    const t1 = clock;
    clock += 60_000;
    host(s, 'a', '10.0.0.1', server);
    host(s, 'b', '10.0.0.2', []);
    clock += 60_000;
    const now = clock;
    const rows = (r: Partial<MatrixRequest>) =>
      toCsv(buildMatrix({ graph: s }, req(r), now))
        .trim()
        .split('\n').length - 1;
    expect(rows({})).toBe(0);
    expect(rows({ at: t1 + 1000 })).toBe(1);
    expect(rows({ durationMs: 90_000 })).toBe(1);
    expect(rows({ durationMs: 30_000 })).toBe(0);
  });

  it('DOT: a cluster per host, a node per process, client → server edges labelled PROTO : ip:port', () => {
    const s = openGraphStore({ path: ':memory:' });
    host(s, 'web', '10.0.0.1', [
      ['TCP', '0.0.0.0', 80, '0.0.0.0', 0, 'LISTEN', 'nginx'],
      ['TCP', '10.0.0.1', 80, '10.0.0.2', 40001, 'ESTABLISHED', 'nginx'],
    ]);
    host(s, 'app', '10.0.0.2', [['TCP', '10.0.0.2', 40001, '10.0.0.1', 80, 'ESTABLISHED', 'curl']]);
    const dot = toDot(buildMatrix({ graph: s }, req()));
    expect(dot.match(/subgraph "cluster_/g)).toHaveLength(2);
    expect(dot).toContain('label="web"');
    expect(dot).toContain('"app|/usr/bin/curl|curl" -> "web|/usr/bin/nginx|nginx" [label="TCP : 10.0.0.1:80"];');
    expect(buildMatrix({ graph: s }, req({ host: 'host-app' }))).toHaveLength(1);
    expect(buildMatrix({ graph: s }, req({ host: 'nowhere' }))).toHaveLength(0);
  });
});
