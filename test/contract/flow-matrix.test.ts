// skydive-flow-matrix (`--analyzer HOST:PORT --username admin --password …`) against a real
// Canopy: host nodes carrying Skydive's `Sockets` metadata are published (WebSocket publisher and
// REST), then the tool's queries are replayed and its topology-mode matrix is rebuilt from
// exactly the fields it reads.
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN,
  PyRestClient,
  checkExpect,
  eventually,
  fill,
  loadExchange,
  openWs,
  pyUuidHex,
  startCanopy,
  type Canopy,
  type Vars,
} from './harness.ts';

interface Socket {
  Process: string;
  Pid: number;
  Name: string;
  LocalAddress: string;
  LocalPort: number;
  RemoteAddress: string;
  RemotePort: number;
  Protocol: string | number;
  State: string;
}
interface PyNode {
  ID: string;
  Host: string;
  Metadata: { Sockets?: Socket[] } & Record<string, unknown>;
}

// Shaped like Skydive's socketinfo ConnectionInfo (ProcessInfo squashed in), as its agent publishes it.
const WEB_SOCKETS: Socket[] = [
  {
    Process: '/usr/sbin/nginx',
    Pid: 811,
    Name: 'nginx',
    LocalAddress: '10.0.0.1',
    LocalPort: 80,
    RemoteAddress: '0.0.0.0',
    RemotePort: 0,
    Protocol: 'TCP',
    State: 'LISTEN',
  },
  {
    Process: '/usr/sbin/nginx',
    Pid: 811,
    Name: 'nginx',
    LocalAddress: '10.0.0.1',
    LocalPort: 80,
    RemoteAddress: '10.0.0.2',
    RemotePort: 43210,
    Protocol: 'TCP',
    State: 'ESTABLISHED',
  },
  {
    Process: '/usr/sbin/chronyd',
    Pid: 640,
    Name: 'chronyd',
    LocalAddress: '0.0.0.0',
    LocalPort: 123,
    RemoteAddress: '0.0.0.0',
    RemotePort: 0,
    Protocol: 'UDP',
    State: 'CLOSE',
  },
];
const APP_SOCKETS: Socket[] = [
  {
    Process: '/usr/bin/curl',
    Pid: 4242,
    Name: 'curl',
    LocalAddress: '10.0.0.2',
    LocalPort: 43210,
    RemoteAddress: '10.0.0.1',
    RemotePort: 80,
    Protocol: 'TCP',
    State: 'ESTABLISHED',
  },
];

let canopy: Canopy;
let client: PyRestClient;

async function lookupNodes(name: string, v: Vars): Promise<PyNode[]> {
  const ex = fill(loadExchange(name), v);
  const value = await client.request(ex.request!);
  checkExpect(value, ex.expect, name);
  return value as PyNode[];
}

function isListen(s: Socket): boolean {
  return (
    s.State === 'LISTEN' || (s.Protocol === 'UDP' && s.State === 'CLOSE' && (s.RemoteAddress === '0.0.0.0' || s.RemoteAddress === '::'))
  );
}

/** The tool's topology mode, reading only what it reads (Host, Metadata.Sockets[] fields). */
async function topologyMatrix(): Promise<string[]> {
  const hosts = await lookupNodes('flow-matrix-login-and-hosts', {});
  const listen = new Set<number>();
  for (const n of hosts) for (const s of n.Metadata.Sockets ?? []) if (isListen(s)) listen.add(s.LocalPort);
  const rows = new Set<string>();
  for (const n of hosts) {
    for (const s of n.Metadata.Sockets ?? []) {
      if (s.State !== 'ESTABLISHED' || !listen.has(s.LocalPort)) continue;
      const peers = await lookupNodes('flow-matrix-peer', {
        client_ip: s.RemoteAddress,
        client_port: s.RemotePort,
        server_ip: s.LocalAddress,
        server_port: s.LocalPort,
      });
      const peer = peers[0];
      if (!peer) continue;
      const ps = (peer.Metadata.Sockets ?? []).find((x) => x.LocalAddress === s.RemoteAddress && x.LocalPort === s.RemotePort);
      if (!ps) throw new Error('the tool indexes socket_peer without a None check here');
      const protocol = s.Protocol === 2 || s.Protocol === 'TCP' ? 'TCP' : 'UDP';
      rows.add(
        [protocol, n.Host, s.LocalAddress, String(s.LocalPort), s.Process, s.Name, peer.Host, s.RemoteAddress, ps.Process, ps.Name].join(
          ',',
        ),
      );
    }
  }
  return [...rows];
}

beforeAll(async () => {
  canopy = await startCanopy({ auth: true, flows: true });
  client = new PyRestClient(canopy.endpoint, ADMIN.username, ADMIN.password);
  expect(await client.login()).toBe(true);

  // web1 as an agent-like publisher over the WebSocket: host, its interface (IPV4) and ownership.
  const conn = await openWs(
    canopy.endpoint,
    fill(loadExchange('ws-publisher-handshake').request!, { host_id: 'web1', token: client.token }),
  );
  const send = (Type: string, Obj: unknown) =>
    conn.ws.send(JSON.stringify({ UUID: pyUuidHex(), Namespace: 'Graph', Type, Obj, Status: 200 }));
  send('NodeAdded', { ID: 'host-web1', Host: 'web1', Metadata: { Name: 'web1', Type: 'host', Sockets: WEB_SOCKETS } });
  send('NodeAdded', {
    ID: 'web1-eth0',
    Host: 'web1',
    Metadata: { Name: 'eth0', Type: 'device', IPV4: ['10.0.0.1/24'], MAC: '52:54:00:00:00:01' },
  });
  send('EdgeAdded', {
    ID: 'web1-owns-eth0',
    Host: 'web1',
    Parent: 'host-web1',
    Child: 'web1-eth0',
    Metadata: { RelationType: 'ownership' },
  });
  // app1 through REST (node_create), as a script would.
  const create = fill(loadExchange('node-create'), { node_id: 'host-app1', now: Date.now(), client_host: 'app1', name: 'app1' });
  const req = create.request!;
  const body = req.json as { Metadata: Record<string, unknown> };
  await client.request({ ...req, json: { ...body, Metadata: { Name: 'app1', Type: 'host', Sockets: APP_SOCKETS } } });
  await eventually(
    () => lookupNodes('flow-matrix-login-and-hosts', {}),
    (r) => r.length === 2,
  );
  await conn.close();
});
afterAll(async () => {
  await canopy?.stop();
});

describe('Sockets metadata is passed through as published', () => {
  it('reads back unchanged from /api/node/:id, lookups, node_list and a subscriber SyncReply', async () => {
    const get = (id: string) =>
      client.request({ method: 'GET', path: `/api/node/${id}`, headers: loadExchange('node-list').request!.headers });
    expect(((await get('host-web1')) as PyNode).Metadata.Sockets).toEqual(WEB_SOCKETS);
    expect(((await get('host-app1')) as PyNode).Metadata.Sockets).toEqual(APP_SOCKETS);

    const hosts = await lookupNodes('flow-matrix-login-and-hosts', {});
    expect(Object.fromEntries(hosts.map((h) => [h.Host, h.Metadata.Sockets]))).toEqual({ web1: WEB_SOCKETS, app1: APP_SOCKETS });

    const list = (await client.request(fill(loadExchange('node-list'), { node_id: '' }).request!)) as Record<string, PyNode>;
    expect(list['host-web1']!.Metadata.Sockets).toEqual(WEB_SOCKETS);

    const sub = await openWs(
      canopy.endpoint,
      fill(loadExchange('ws-subscriber-sync').request!, { host_id: 'fm-listener', token: client.token }),
    );
    const uuid = pyUuidHex();
    sub.ws.send(
      JSON.stringify({
        UUID: uuid,
        Namespace: 'Graph',
        Type: 'SyncRequest',
        Obj: { GremlinFilter: "G.V().Has('Type', 'host')" },
        Status: 200,
      }),
    );
    const reply = await sub.next((m) => m.UUID === uuid);
    const nodes = (reply.Obj as { Nodes: PyNode[] }).Nodes;
    expect(nodes.find((n) => n.ID === 'host-app1')!.Metadata.Sockets).toEqual(APP_SOCKETS);
    await sub.close();
  });
});

describe('skydive-flow-matrix queries', () => {
  it("finds the hosts with G.V().Has('Type', 'host').HasKey('Sockets')", async () => {
    const hosts = await lookupNodes('flow-matrix-login-and-hosts', {});
    expect(hosts.map((h) => h.Host).sort()).toEqual(['app1', 'web1']);
  });

  it('finds the peer of an ESTABLISHED socket with a multi-pair Has over Sockets.* (numbers unquoted)', async () => {
    const peers = await lookupNodes('flow-matrix-peer', {
      client_ip: '10.0.0.2',
      client_port: 43210,
      server_ip: '10.0.0.1',
      server_port: 80,
    });
    expect(peers.map((p) => p.ID)).toEqual(['host-app1']);
    const none = await lookupNodes('flow-matrix-peer', {
      client_ip: '10.0.0.2',
      client_port: 43211,
      server_ip: '10.0.0.1',
      server_port: 80,
    });
    expect(none).toEqual([]);
  });

  it("finds the host owning an address with Has('IPV4', IPV4Range('x/32')).In('Type', 'host')", async () => {
    const nodes = await lookupNodes('flow-matrix-node-by-addr', { server_ip: '10.0.0.1' });
    expect(nodes.map((n) => n.Host)).toEqual(['web1']);
    expect(await lookupNodes('flow-matrix-node-by-addr', { server_ip: '10.0.0.9' })).toEqual([]);
  });

  it('rebuilds the topology-mode matrix row the tool prints', async () => {
    expect(await topologyMatrix()).toEqual(['TCP,web1,10.0.0.1,80,/usr/sbin/nginx,nginx,app1,10.0.0.2,/usr/bin/curl,curl']);
  });

  it('works when the collector has auth off and the tool still passes --username/--password', async () => {
    const open = await startCanopy({ auth: false });
    try {
      const py = new PyRestClient(open.endpoint, ADMIN.username, ADMIN.password);
      const ex = fill(loadExchange('flow-matrix-login-and-hosts'), {});
      // Login answers 2xx without an authtoken: the client stays unauthenticated and carries on.
      expect(await py.login()).toBe(false);
      expect(await py.request(ex.request!)).toEqual([]);
    } finally {
      await open.stop();
    }
  });

  it("--use-flows: G.Flows().Has('Transport', NE('')).Sockets() answers [ {flowID: [socket, …]} ] from flows a NetFlow exporter sent", async () => {
    // The tool names a flow's client by its address too: app1's interface, published as an agent would.
    const conn = await openWs(
      canopy.endpoint,
      fill(loadExchange('ws-publisher-handshake').request!, { host_id: 'app1', token: client.token }),
    );
    const send = (Type: string, Obj: unknown) =>
      conn.ws.send(JSON.stringify({ UUID: pyUuidHex(), Namespace: 'Graph', Type, Obj, Status: 200 }));
    send('NodeAdded', { ID: 'app1-eth0', Host: 'app1', Metadata: { Name: 'eth0', Type: 'device', IPV4: ['10.0.0.2/24'] } });
    send('EdgeAdded', {
      ID: 'app1-owns-eth0',
      Host: 'app1',
      Parent: 'host-app1',
      Child: 'app1-eth0',
      Metadata: { RelationType: 'ownership' },
    });
    await eventually(
      () => lookupNodes('flow-matrix-node-by-addr', { server_ip: '10.0.0.2' }),
      (r) => r.length === 1,
    );
    await conn.close();
    // app1's curl → web1's nginx as a NetFlow v5 exporter reports it, plus an ICMP flow (no Transport).
    await sendNetflowV5(netflowPort(), [
      { src: '10.0.0.2', dst: '10.0.0.1', srcPort: 43210, dstPort: 80, proto: 6, packets: 12, bytes: 3400 },
      { src: '10.0.0.1', dst: '10.0.0.2', srcPort: 0, dstPort: 0, proto: 1, packets: 1, bytes: 84 },
    ]);
    const ex = fill(loadExchange('flow-matrix-flow-sockets'), {});
    const answer = (await eventually(
      () => client.request(ex.request!),
      (r) => Object.keys((r as Record<string, Socket[]>[])[0] ?? {}).length > 0,
    )) as Record<string, Socket[]>[];
    checkExpect(answer, ex.expect, 'flow-matrix-flow-sockets');
    expect(answer).toHaveLength(1);
    const [uuid, sockets] = Object.entries(answer[0]!)[0]!;
    expect(uuid).toMatch(/^[0-9a-f]{16}$/);
    // Both ends: curl's socket on app1 and nginx's connection on web1.
    expect(sockets.map((s) => `${s.Name}:${s.LocalAddress}:${s.LocalPort}->${s.RemoteAddress}:${s.RemotePort}`).sort()).toEqual([
      'curl:10.0.0.2:43210->10.0.0.1:80',
      'nginx:10.0.0.1:80->10.0.0.2:43210',
    ]);
    // The flow itself carries Skydive's fields; the ICMP one has no Transport and was filtered out.
    const flows = (await client.request({ ...ex.request!, json: { GremlinQuery: "G.Flows().Has('Network.Protocol', 'IPV4')" } })) as any[];
    const tcp = flows.find((f) => f.UUID === uuid);
    expect(tcp).toMatchObject({
      LayersPath: 'IPv4/TCP',
      Network: { Protocol: 'IPV4', A: '10.0.0.2', B: '10.0.0.1' },
      Transport: { Protocol: 'TCP', A: 43210, B: 80 },
      Metric: { ABPackets: 12, ABBytes: 3400, BAPackets: 0, BABytes: 0 },
    });
    expect(tcp.Start).toBeGreaterThan(0);
    expect(tcp.Last).toBeGreaterThanOrEqual(tcp.Start);
    expect(flows.find((f) => f.proto === 1)).toMatchObject({ LayersPath: 'IPv4/ICMPv4' });
    expect(flows.find((f) => f.proto === 1).Transport).toBeUndefined();

    // The tool's flow_matrix() over that answer adds the same row as its topology mode.
    expect(await flowMatrix(answer)).toEqual(['TCP,web1,10.0.0.1,80,/usr/sbin/nginx,nginx,app1,10.0.0.2,/usr/bin/curl,curl']);
  });
});

function netflowPort(): number {
  const st = canopy.collector.status() as { components: { netflow: { listen: string[] } } };
  return Number(st.components.netflow.listen[0]!.split(':').pop());
}

interface V5Flow {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  proto: number;
  packets: number;
  bytes: number;
}

/** One NetFlow v5 datagram (RFC-less but fixed: 24-byte header, 48-byte records) to 127.0.0.1:port. */
async function sendNetflowV5(port: number, flows: V5Flow[]): Promise<void> {
  const uptime = 600_000;
  const now = Date.now();
  const b = Buffer.alloc(24 + 48 * flows.length);
  b.writeUInt16BE(5, 0);
  b.writeUInt16BE(flows.length, 2);
  b.writeUInt32BE(uptime, 4);
  b.writeUInt32BE(Math.floor(now / 1000), 8);
  b.writeUInt32BE((now % 1000) * 1_000_000, 12);
  b.writeUInt32BE(1, 16);
  const ip = (a: string) => a.split('.').reduce((x, o) => x * 256 + Number(o), 0);
  flows.forEach((f, i) => {
    const o = 24 + 48 * i;
    b.writeUInt32BE(ip(f.src), o);
    b.writeUInt32BE(ip(f.dst), o + 4);
    b.writeUInt16BE(1, o + 12);
    b.writeUInt16BE(2, o + 14);
    b.writeUInt32BE(f.packets, o + 16);
    b.writeUInt32BE(f.bytes, o + 20);
    b.writeUInt32BE(uptime - 2000, o + 24);
    b.writeUInt32BE(uptime - 500, o + 28);
    b.writeUInt16BE(f.srcPort, o + 32);
    b.writeUInt16BE(f.dstPort, o + 34);
    b.writeUInt8(f.proto, o + 38);
  });
  const sock = createSocket('udp4');
  await new Promise<void>((res, rej) => sock.send(b, port, '127.0.0.1', (e) => (e ? rej(e) : res())));
  sock.close();
}

/** The tool's flow_matrix(): for each socket of a flow whose RemotePort listens somewhere, its server by address. */
async function flowMatrix(answer: Record<string, Socket[]>[]): Promise<string[]> {
  const hosts = await lookupNodes('flow-matrix-login-and-hosts', {});
  const listen = new Set<number>();
  for (const n of hosts) for (const s of n.Metadata.Sockets ?? []) if (isListen(s)) listen.add(s.LocalPort);
  const rows = new Set<string>();
  for (const sockets of Object.values(answer[0] ?? {})) {
    for (const s of sockets) {
      if (!listen.has(s.RemotePort)) continue;
      const server = (await lookupNodes('flow-matrix-node-by-addr', { server_ip: s.RemoteAddress }))[0];
      if (!server) break;
      const ss = (server.Metadata.Sockets ?? []).find((x) => x.LocalAddress === s.RemoteAddress && x.LocalPort === s.RemotePort);
      if (!ss) break;
      const client = (await lookupNodes('flow-matrix-node-by-addr', { server_ip: s.LocalAddress }))[0];
      if (!client) continue;
      rows.add(
        [
          s.Protocol,
          server.Host,
          s.RemoteAddress,
          String(s.RemotePort),
          ss.Process,
          ss.Name,
          client.Host,
          s.LocalAddress,
          s.Process,
          s.Name,
        ].join(','),
      );
    }
  }
  return [...rows];
}
