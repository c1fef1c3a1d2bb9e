// GET /api/changes and GET /api/topology/diff on a running collector: a port and a link written
// through the REST API, changed, and read back as a timeline and as a diff; bad parameters are 400
// problem+json naming the parameter; auth as for the other read routes; described in OpenAPI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from './helpers.ts';

let t: TestCollector;
const ADMIN = 'tok-admin-changes-1';
const VIEWER = 'tok-view-changes-1';
const get = (path: string, token: string | null = VIEWER) =>
  fetch(t.base + path, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
const send = (method: string, path: string, body: unknown) =>
  fetch(t.base + path, {
    method,
    headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let before = 0;
let middle = 0;
let after = 0;

beforeAll(async () => {
  t = await startTestCollector({
    'auth.tokens': [
      { token: ADMIN, role: 'admin' },
      { token: VIEWER, role: 'viewer' },
    ],
  });
  for (const [ID, Metadata] of [
    ['sw-a', { Type: 'switch', Name: 'leaf-a' }],
    ['sw-b', { Type: 'switch', Name: 'spine-b' }],
    ['port-a1', { Type: 'port', Name: 'Ethernet1', State: 'UP', MTU: 1500 }],
    ['port-b1', { Type: 'port', Name: 'Ethernet1', State: 'UP', MTU: 1500 }],
  ] as const) {
    expect((await send('POST', '/api/node', { ID, Metadata })).status).toBe(201);
  }
  for (const [sw, port] of [
    ['sw-a', 'port-a1'],
    ['sw-b', 'port-b1'],
  ]) {
    const e = { ID: `own-${port}`, Parent: sw, Child: port, Metadata: { RelationType: 'ownership' } };
    expect((await send('POST', '/api/edge', e)).status).toBe(201);
  }
  await sleep(5);
  before = Date.now();
  await sleep(5);
  const link = {
    ID: 'l2-a1-b1',
    Parent: 'port-a1',
    Child: 'port-b1',
    Metadata: { RelationType: 'layer2', State: 'UP', Evidence: { 'lldp-snmp': { FirstSeen: before } } },
  };
  expect((await send('POST', '/api/edge', link)).status).toBe(201);
  await sleep(5);
  middle = Date.now();
  await sleep(5);
  expect((await send('PATCH', '/api/node/port-b1', [{ op: 'replace', path: '/Metadata/State', value: 'DOWN' }])).status).toBe(200);
  expect((await send('PATCH', '/api/node/port-b1', [{ op: 'replace', path: '/Metadata/MTU', value: 9000 }])).status).toBe(200);
  expect((await send('DELETE', '/api/edge/l2-a1-b1', undefined)).status).toBe(200);
  await sleep(5);
  after = Date.now();
});
afterAll(async () => {
  await t?.stop();
});

interface ChangeBody {
  From: number;
  To: number;
  Changes: { At: number; Kind: string; ID: string; Element: string; Type: string; Key?: string; Old?: unknown; New?: unknown }[];
}

describe('GET /api/changes', () => {
  it('lists the changes of the window, oldest first, each with element, type, what changed, old/new and when', async () => {
    const r = await get(`/api/changes?from=${before}&to=${after}`);
    expect(r.status).toBe(200);
    const b = (await r.json()) as ChangeBody;
    expect(b.From).toBe(before);
    expect(b.To).toBe(after);
    expect(b.Changes.map((c) => [c.Kind, c.ID, c.Element, c.Type, c.Key, c.Old, c.New])).toEqual([
      ['lldp-neighbour-new', 'l2-a1-b1', 'edge', 'layer2', undefined, undefined, undefined],
      ['link-down', 'port-b1', 'node', 'port', 'State', 'UP', 'DOWN'],
      ['mtu-changed', 'port-b1', 'node', 'port', 'MTU', 1500, 9000],
      ['lldp-neighbour-lost', 'l2-a1-b1', 'edge', 'layer2', undefined, undefined, undefined],
    ]);
    for (const c of b.Changes) expect(c.At > before && c.At <= after).toBe(true);
  });

  it('takes RFC 3339 and filters by node (a switch: its ports and their links)', async () => {
    const iso = (t: number) => new Date(t).toISOString();
    const b = (await (await get(`/api/changes?from=${iso(middle)}&to=${iso(after)}&node=sw-a`)).json()) as ChangeBody;
    expect(b.Changes.map((c) => c.Kind)).toEqual(['lldp-neighbour-lost']);
    const all = (await (await get(`/api/changes?from=${encodeURIComponent(iso(middle))}&to=${after}`)).json()) as ChangeBody;
    expect(all.Changes.map((c) => c.Kind)).toEqual(['link-down', 'mtu-changed', 'lldp-neighbour-lost']);
  });

  it('bad parameters are 400 problem+json naming the parameter', async () => {
    for (const [q, param] of [
      ['from=yesterday', 'from'],
      ['to=2026-13-45T00:00:00Z', 'to'],
      [`from=${after}&to=${before}`, 'from'],
      ['node=', 'node'],
      ['since=1', 'since'],
    ]) {
      const r = await get(`/api/changes?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect(((await r.json()) as { parameter: string }).parameter, q).toBe(param);
    }
    const d = await get('/api/topology/diff?to=1');
    expect(d.status).toBe(400);
    expect(((await d.json()) as { parameter: string }).parameter).toBe('from');
  });

  it('needs credentials like the other read routes', async () => {
    expect((await get('/api/changes', null)).status).toBe(401);
    expect((await get(`/api/topology/diff?from=${before}`, null)).status).toBe(401);
    expect((await get('/api/changes')).status).toBe(200);
  });

  it('is described in /api/openapi.json', async () => {
    const doc = (await (await get('/api/openapi.json')).json()) as { paths: Record<string, { get?: { parameters?: { name: string }[] } }> };
    expect(doc.paths['/api/changes']?.get?.parameters?.map((p) => p.name)).toEqual(['from', 'to', 'node']);
    expect(doc.paths['/api/topology/diff']?.get?.parameters?.map((p) => p.name)).toEqual(['from', 'to']);
  });
});

describe('GET /api/topology/diff', () => {
  it('the graph at two instants: a link added, a port changed with old and new values', async () => {
    const r = await get(`/api/topology/diff?from=${before}&to=${middle}`);
    expect(r.status).toBe(200);
    const d = (await r.json()) as { Edges: { Added: { ID: string }[] }; Nodes: { Changed: unknown[] } };
    expect(d.Edges.Added.map((e) => e.ID)).toEqual(['l2-a1-b1']);
    expect(d.Nodes.Changed).toEqual([]);
    const d2 = (await (await get(`/api/topology/diff?from=${middle}&to=${after}`)).json()) as {
      Edges: { Removed: { ID: string }[] };
      Nodes: { Changed: { ID: string; Keys: unknown[] }[] };
    };
    expect(d2.Edges.Removed.map((e) => e.ID)).toEqual(['l2-a1-b1']);
    expect(d2.Nodes.Changed).toEqual([
      {
        ID: 'port-b1',
        Type: 'port',
        Name: 'Ethernet1',
        Keys: [
          { Key: 'State', Old: 'UP', New: 'DOWN' },
          { Key: 'MTU', Old: 1500, New: 9000 },
        ],
      },
    ]);
  });
});
