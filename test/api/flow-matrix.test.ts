// GET /api/flow-matrix on a real collector: hosts published through the REST API with Sockets as
// agents publish them; every format, the parameters' 400s, auth as for other read routes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from './helpers.ts';

let t: TestCollector;
const TOKEN = 'tok-view-matrix-1';
const get = (path: string, auth = true) => fetch(t.base + path, { headers: auth ? { Authorization: `Bearer ${TOKEN}` } : {} });
const sock = (la: string, lp: number, ra: string, rp: number, State: string, Name: string) => ({
  Process: `/usr/bin/${Name}`,
  Pid: 42,
  Name,
  LocalAddress: la,
  LocalPort: lp,
  RemoteAddress: ra,
  RemotePort: rp,
  Protocol: 'TCP',
  State,
});

beforeAll(async () => {
  t = await startTestCollector({
    'auth.tokens': [
      { token: 'tok-admin-matrix-1', role: 'admin' },
      { token: TOKEN, role: 'viewer' },
    ],
  });
  const post = (path: string, body: unknown) =>
    fetch(t.base + path, {
      method: 'POST',
      headers: { Authorization: 'Bearer tok-admin-matrix-1', 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  const hosts = [
    [
      'web',
      '10.9.0.1',
      [sock('0.0.0.0', 443, '0.0.0.0', 0, 'LISTEN', 'nginx'), sock('10.9.0.1', 443, '10.9.0.2', 40000, 'ESTABLISHED', 'nginx')],
    ],
    ['app', '10.9.0.2', [sock('10.9.0.2', 40000, '10.9.0.1', 443, 'ESTABLISHED', 'curl')]],
  ] as const;
  for (const [name, ip, sockets] of hosts) {
    expect(
      (
        await post('/api/node', {
          ID: `host-${name}`,
          Host: name,
          Metadata: { Type: 'host', Name: name, IPV4: [`${ip}/24`], Sockets: sockets },
        })
      ).status,
    ).toBe(201);
  }
});
afterAll(async () => {
  await t?.stop();
});

describe('GET /api/flow-matrix', () => {
  it('answers JSON by default, CSV with the skydive-flow-matrix header, DOT and SVG', async () => {
    const j = await get('/api/flow-matrix');
    expect(j.status).toBe(200);
    expect(await j.json()).toEqual([
      {
        protocol: 'TCP',
        server: 'web',
        server_ip: '10.9.0.1',
        port: 443,
        server_proc: '/usr/bin/nginx',
        server_procname: 'nginx',
        client: 'app',
        client_ip: '10.9.0.2',
        client_proc: '/usr/bin/curl',
        client_procname: 'curl',
      },
    ]);
    const csv = await get('/api/flow-matrix?format=csv');
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(await csv.text()).toBe(
      'protocol,server,server_ip,port,server_proc,server_procname,client,client_ip,client_proc,client_procname\n' +
        'TCP,web,10.9.0.1,443,/usr/bin/nginx,nginx,app,10.9.0.2,/usr/bin/curl,curl\n',
    );
    const dot = await (await get('/api/flow-matrix?format=dot')).text();
    expect(dot).toContain('"app|/usr/bin/curl|curl" -> "web|/usr/bin/nginx|nginx" [label="TCP : 10.9.0.1:443"];');
    const svg = await get('/api/flow-matrix?format=svg&host=host-web');
    expect(svg.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    const text = await svg.text();
    expect(text).toMatch(/<svg[\s\S]*<\/svg>\s*$/);
    expect(text).toContain('<title>cluster_0</title>');
    expect(text).toContain('>nginx</text>');
    expect(text).toContain('>TCP : 10.9.0.1:443</text>');
    expect(await (await get('/api/flow-matrix?host=nobody')).json()).toEqual([]);
  });

  it('needs credentials like the other read routes; bad parameters are 400 problem+json naming them', async () => {
    expect((await get('/api/flow-matrix', false)).status).toBe(401);
    for (const [q, param] of [
      ['format=png', 'format'],
      ['at=yesterday', 'at'],
      ['duration=-5', 'duration'],
      ['useFlows=maybe', 'useFlows'],
      ['listNoPeers=2', 'listNoPeers'],
      ['frobnicate=1', 'frobnicate'],
      ['host=', 'host'],
    ]) {
      const r = await get(`/api/flow-matrix?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await r.json()) as { parameter: string }).parameter).toBe(param);
    }
    expect((await get('/api/flow-matrix?at=-1m&duration=5m&useFlows=true&listNoPeers=1')).status).toBe(200);
    const oa = (await (await get('/api/openapi.json')).json()) as { paths: Record<string, { get: { parameters: { name: string }[] } }> };
    expect(oa.paths['/api/flow-matrix']!.get.parameters.map((p) => p.name)).toEqual([
      'format',
      'at',
      'duration',
      'useFlows',
      'listNoPeers',
      'host',
    ]);
  });

  it(`format=svg past ${2000} rows is a 422 naming the way out; JSON and DOT still answer`, async () => {
    const post = (body: unknown) =>
      fetch(t.base + '/api/node', {
        method: 'POST',
        headers: { Authorization: 'Bearer tok-admin-matrix-1', 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    // 90 hosts, each a server and a client of the 25 next ones: 2,250 client/server rows.
    const H = 90;
    const at = (i: number) => `10.50.${i}.1`;
    for (let i = 0; i < H; i++) {
      const sockets = [sock('0.0.0.0', 9000, '0.0.0.0', 0, 'LISTEN', 'svc')];
      for (let k = 1; k <= 25; k++) {
        sockets.push(sock(at(i), 30000 + k, at((i + k) % H), 9000, 'ESTABLISHED', 'cli'));
        sockets.push(sock(at(i), 9000, at((i - k + H) % H), 30000 + k, 'ESTABLISHED', 'svc'));
      }
      expect(
        (await post({ ID: `big-${i}`, Metadata: { Type: 'host', Name: `big${i}`, IPV4: [`${at(i)}/24`], Sockets: sockets } })).status,
      ).toBe(201);
    }
    const svg = await get('/api/flow-matrix?format=svg');
    expect(svg.status).toBe(422);
    expect(svg.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await svg.json()) as { detail: string }).detail).toMatch(
      /^2251 rows are too many to lay out as SVG \(at most 2000\): filter with host=/,
    );
    expect(((await (await get('/api/flow-matrix')).json()) as unknown[]).length).toBe(2251);
    expect((await get('/api/flow-matrix?format=dot')).status).toBe(200);
    const one = await get('/api/flow-matrix?format=svg&host=big7');
    expect(one.status).toBe(200);
    expect(await one.text()).toContain('<title>cluster_');
  }, 60_000);
});
