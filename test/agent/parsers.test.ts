// The agent's readers on their inputs: `ip -d -j addr` (live output captured here for veth, bridge,
// vxlan and tap; synthetic output for vlan, bond, dummy and macvlan, which this kernel cannot create —
// see fixtures/README.md), lldpcli json0 captured from lldpd 1.0.16, and /proc sockets read live.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { parseIface, parseBatch } from '../../src/agent/netlink/ip-json.ts';
import { buildGraph, hostIdOf, nextCounters, type NsSnapshot } from '../../src/agent/graph/build.ts';
import { diffGraphs } from '../../src/agent/graph/diff.ts';
import { parseChassis, parseNeighbours } from '../../src/agent/lldp/lldpcli.ts';
import { parseHexEndpoint, parseProcNet, readNetnsSockets, socketOwners, withOwners } from '../../src/agent/sockets/proc-sockets.ts';
import { execFileSync, spawn } from 'node:child_process';
import { ids } from '../../src/topology/ids.ts';

const fx = (f: string) => readFileSync(`fixtures/agent/${f}`, 'utf8');
const host = { name: 'web1', hostname: 'web1.example.com', machineId: 'mid-web1', kernel: '6.1' };
const rootNs = (raw: unknown[]): NsSnapshot => ({
  ref: { key: '', kind: 'root', path: '/proc/self/ns/net', inode: 1 },
  ifaces: raw.map(parseIface).filter((x) => x !== undefined),
  nsIds: [],
});

describe('ip -json interfaces', () => {
  it('synthetic vlan, bond, dummy and macvlan: kinds, members, parents, addresses, states; bad records skipped', () => {
    const raw = JSON.parse(fx('ip-synthetic-kinds.json')) as unknown[];
    const dump = parseBatch(`${JSON.stringify(raw)}\n[{"nsid":0,"name":"other"}]\n`);
    expect(dump.skipped).toBe(2);
    expect(dump.nsIds).toEqual([{ nsid: 0, name: 'other' }]);
    const by = Object.fromEntries(dump.ifaces.map((i) => [i.name, i]));
    expect(by.bond0).toMatchObject({ type: 'bond', bondMode: '802.3ad', state: 'UP', ipv4: ['10.20.0.5/24'], mtu: 9000 });
    expect(by.eno1).toMatchObject({ type: 'device', master: 'bond0', masterKind: 'bond', mac: '3c:fd:fe:a0:00:01' });
    expect(by['bond0.100']).toMatchObject({ type: 'vlan', vlanId: 100, vlanProtocol: '802.1Q', link: 'bond0', ipv6: ['fd00:100::5/64'] });
    expect(by['bond0.200']).toMatchObject({ type: 'vlan', vlanId: 200, vlanProtocol: '802.1ad', state: 'DOWN' });
    expect(by.dummy0).toMatchObject({ type: 'dummy', state: 'UP', ipv4: ['192.0.2.53/32'] });
    expect(by.mv0).toMatchObject({ type: 'macvlan', macvlanMode: 'bridge', link: 'bond0' });
    expect(by.lo).toMatchObject({ type: 'device', state: 'UP', ipv4: ['127.0.0.1/8'] });
    expect(by.lo!.mac).toBeUndefined();

    const g = buildGraph({ host, netnsDir: '/run/netns', namespaces: [rootNs(raw)], containers: [] });
    const hid = hostIdOf(host);
    const iid = (n: string) => ids.hostInterface(hid, n, '');
    const rel = (p: string, c: string) => [...g.edges.values()].find((e) => e.Parent === iid(p) && e.Child === iid(c))?.Metadata;
    expect(rel('bond0', 'eno1')).toEqual({ RelationType: 'layer2', Type: 'bond-member' });
    expect(rel('bond0', 'eno2')).toEqual({ RelationType: 'layer2', Type: 'bond-member' });
    expect(rel('bond0', 'bond0.100')).toEqual({ RelationType: 'layer2', Type: 'vlan' });
    expect(rel('bond0', 'mv0')).toEqual({ RelationType: 'layer2', Type: 'macvlan' });
    expect(g.nodes.get(iid('bond0.100'))!.Metadata).toMatchObject({ Type: 'vlan', Vlan: 100, IPV4: ['10.100.0.5/24'], State: 'UP' });
    // Every interface owned by the host (never by its bond or bridge: the stitcher finds hosts through owners).
    for (const i of ['lo', 'eno1', 'eno2', 'bond0', 'bond0.100', 'dummy0', 'mv0', 'bond0.200'])
      expect(g.edges.get(ids.edge(hid, iid(i), 'ownership')), i).toBeDefined();
    expect(g.nodes.get(hid)!.Metadata).toMatchObject({
      Type: 'host',
      Name: 'web1',
      MachineID: 'mid-web1',
      IPV4: ['10.20.0.5/24', '10.100.0.5/24', '192.0.2.53/32'],
    });
  });

  it('live veth (bridge port, peer in another netns), bridge, vxlan and tap', () => {
    const raw = JSON.parse(fx('ip-live-agtest-a.json')) as unknown[];
    const by = Object.fromEntries(
      raw
        .map(parseIface)
        .filter((x) => x !== undefined)
        .map((i) => [i.name, i]),
    );
    expect(by.va).toMatchObject({ type: 'veth', master: 'br0', masterKind: 'bridge', linkNetnsId: 0, linkIndex: 2, ipv4: ['10.9.0.1/24'] });
    expect(by.br0).toMatchObject({ type: 'bridge' });
    expect(by.vx0).toMatchObject({ type: 'vxlan', vxlan: { id: 42, local: '10.9.0.1', port: 4789 } });
    expect(by.tap0).toMatchObject({ type: 'tap', state: 'DOWN' });
  });

  it('increments: a link going down is one NodeUpdated; a removed link deletes its edges before itself', () => {
    const raw = JSON.parse(fx('ip-synthetic-kinds.json')) as Record<string, unknown>[];
    const a = buildGraph({ host, netnsDir: '/run/netns', namespaces: [rootNs(raw)], containers: [] });
    const down = raw.map((r) => (r.ifname === 'dummy0' ? { ...r, operstate: 'DOWN', flags: ['BROADCAST', 'NOARP'] } : r));
    const b = buildGraph({ host, netnsDir: '/run/netns', namespaces: [rootNs(down)], containers: [] });
    const d = diffGraphs(a, b);
    expect(d.map((e) => [e.Type, (e.Obj as { Metadata?: { Name?: string; State?: string } }).Metadata?.Name])).toEqual([
      ['NodeUpdated', 'dummy0'],
    ]);
    const gone = buildGraph({ host, netnsDir: '/run/netns', namespaces: [rootNs(raw.filter((r) => r.ifname !== 'mv0'))], containers: [] });
    expect(diffGraphs(a, gone).map((e) => e.Type)).toEqual(['EdgeDeleted', 'EdgeDeleted', 'NodeDeleted']);
  });
});

describe('interface counters', () => {
  const c = (rx: number) => ({ RxBytes: rx, RxPackets: 1, RxErrors: 0, RxDropped: 0, TxBytes: 5, TxPackets: 1, TxErrors: 0, TxDropped: 0 });
  it('a quiet interface stops changing once its last delta is zero; traffic changes it again', () => {
    const r1 = nextCounters(undefined, new Map([['a0', c(10)]]), 1000);
    const r2 = nextCounters(r1, new Map([['a0', c(20)]]), 2000);
    expect(r2.get('a0')).toMatchObject({ now: c(20), prev: c(10), at: 2000, prevAt: 1000 });
    // Unchanged once: the zero delta is reported (a new entry) ...
    const r3 = nextCounters(r2, new Map([['a0', c(20)]]), 3000);
    expect(r3.get('a0')).not.toBe(r2.get('a0'));
    expect(r3.get('a0')).toMatchObject({ now: c(20), prev: c(20), at: 3000 });
    // ... then the entry is kept as it is: the node's Metric does not change, no NodeUpdated.
    const r4 = nextCounters(r3, new Map([['a0', c(20)]]), 4000);
    expect(r4.get('a0')).toBe(r3.get('a0'));
    const r5 = nextCounters(r4, new Map([['a0', c(25)]]), 5000);
    expect(r5.get('a0')).toMatchObject({ now: c(25), prev: c(20), at: 5000, prevAt: 3000 });
  });
});

describe('lldpcli json0 (captured from lldpd 1.0.16)', () => {
  it('neighbours as the stitcher reads Metadata.LLDP, and the local chassis', () => {
    expect(parseNeighbours(fx('lldpcli-neighbors.json0.json'))).toEqual([
      {
        iface: 'va',
        ChassisID: 'ba:35:17:45:a8:14',
        ChassisIDType: 'macAddress',
        SysName: 'vm',
        SysDescr: 'Debian GNU/Linux 12 (bookworm) Linux 6.18.44-fc-v1300 #1 SMP PREEMPT_DYNAMIC @0 x86_64',
        PortID: 'ba:35:17:45:a8:14',
        PortIDType: 'macAddress',
        PortDescr: 'vb',
        MgmtAddress: ['10.9.0.2', 'fe80::b835:17ff:fe45:a814'],
        TTL: 120,
        Capabilities: ['station'],
      },
    ]);
    expect(parseChassis(fx('lldpcli-chassis.json0.json'))).toEqual({
      ChassisID: '8a:96:4c:c7:f4:a1',
      ChassisIDType: 'macAddress',
      SysName: 'vm',
    });
    expect(parseNeighbours('not json')).toEqual([]);
    expect(parseChassis('{}')).toBeUndefined();
  });
});

describe('/proc sockets', () => {
  it('hex endpoints (IPv4, IPv6, v4-mapped) and malformed lines', () => {
    expect(parseHexEndpoint('0100007F:1F90')).toEqual({ address: '127.0.0.1', port: 8080 });
    expect(parseHexEndpoint('00000000000000000000000001000000:0016')).toEqual({ address: '::1', port: 22 });
    expect(parseHexEndpoint('0000000000000000FFFF00000100007F:0050')).toEqual({ address: '127.0.0.1', port: 80 });
    expect(parseProcNet('header\n  garbage line\n', 'TCP')).toEqual([]);
  });

  it('a live listening and connected TCP socket of this process, with its name and path', async () => {
    const server: Server = createServer(() => {});
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const client = connect(port, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    try {
      const raw = readNetnsSockets('self');
      const mine = raw.filter((s) => s.local.port === port || s.remote.port === port);
      const owners = socketOwners(new Set(mine.map((s) => s.inode)));
      const list = withOwners(mine, owners, 100).filter((s) => s.Pid === process.pid);
      expect(list.map((s) => s.State).sort()).toEqual(['ESTABLISHED', 'ESTABLISHED', 'LISTEN']);
      expect(list[0]).toMatchObject({ Process: process.execPath, Name: readFileSync('/proc/self/comm', 'utf8').trim(), Protocol: 'TCP' });
    } finally {
      client.destroy();
      server.close();
    }
  });

  // /proc/<pid>/net/tcp{,6} walk the kernel's global TCP hash whatever the netns (milliseconds
  // each): an agent watching 100 namespaces spent most of its idle CPU there. The netns's sockstat
  // counters say which tables are empty; those are not read.
  it.skipIf(process.getuid?.() !== 0)('an empty netns costs no socket-table read; a listener in it is found', async () => {
    const ns = `cap${process.pid}-sock`;
    execFileSync('ip', ['netns', 'add', ns]);
    const kids: ReturnType<typeof spawn>[] = [];
    try {
      execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      const anchor = spawn('ip', ['netns', 'exec', ns, 'sleep', '60'], { stdio: 'ignore' });
      kids.push(anchor);
      await new Promise((r) => setTimeout(r, 300));
      const pid = Number(execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).trim().split('\n')[0]);
      const read: string[] = [];
      const reader = (p: string) => (read.push(p.split('/').pop()!), readFileSync(p, 'utf8'));
      expect(readNetnsSockets(pid, reader)).toEqual([]);
      expect(read.filter((f) => !f.startsWith('sockstat'))).toEqual([]);

      const server = spawn('ip', [
        'netns',
        'exec',
        ns,
        process.execPath,
        '-e',
        "require('net').createServer().listen(7799,'127.0.0.1',()=>console.log('L'))",
      ]);
      kids.push(server);
      await new Promise((r) => server.stdout.once('data', r));
      read.length = 0;
      const found = readNetnsSockets(pid, reader);
      expect(found.map((s) => [s.local.port, s.state])).toEqual([[7799, 'LISTEN']]);
      expect(read).toContain('tcp');
      expect(read).not.toContain('tcp6');
    } finally {
      for (const k of kids) k.kill('SIGKILL');
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });
});
