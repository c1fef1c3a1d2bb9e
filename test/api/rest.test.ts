import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCollector, type TestCollector } from './helpers.ts';

let t: TestCollector;
beforeAll(async () => {
  t = await startTestCollector();
});
afterAll(async () => t.stop());

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(t.base + path, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', ...headers },
  });

async function makeNode(Name: string, Type: string, extra: Record<string, unknown> = {}) {
  const r = await post('/api/node', { Metadata: { Name, Type, ...extra } });
  expect([200, 201]).toContain(r.status);
  return (await r.json()) as { ID: string; Revision: number };
}

describe('REST API (auth off on loopback)', () => {
  it('serves healthz, status, openapi and metrics', async () => {
    expect(await (await fetch(t.base + '/healthz')).json()).toEqual({ status: 'ok' });
    const st = (await (await fetch(t.base + '/api/status')).json()) as { components: { api: { listen: string[] } } };
    expect(st.components.api.listen[0]).toMatch(/^127\.0\.0\.1:\d+$/);
    const oa = (await (await fetch(t.base + '/api/openapi.json')).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(oa.openapi).toBe('3.1.0');
    expect(Object.keys(oa.paths)).toContain('/api/topology');
    const m = await (await fetch(t.base + '/metrics')).text();
    expect(m).toMatch(/^canopy_graph_nodes \d+$/m);
  });

  it('creates nodes and edges (201), lists them keyed by ID, reads, patches and deletes them', async () => {
    const r1 = await post('/api/node', { ID: 'h1', Metadata: { Name: 'web1', Type: 'host' } });
    expect(r1.status).toBe(201);
    expect(r1.headers.get('content-type')).toBe('application/json; charset=UTF-8');
    const h1 = (await r1.json()) as { ID: string; Origin: string; Revision: number };
    expect(h1).toMatchObject({ ID: 'h1', Origin: 'api', Revision: 1 });
    const eth0 = await makeNode('eth0', 'device', { MAC: 'aa:bb:cc:00:00:01' });
    const e = await post('/api/edge', { Parent: 'h1', Child: eth0.ID, Metadata: { RelationType: 'ownership' } });
    expect(e.status).toBe(201);
    const edge = (await e.json()) as { ID: string; Parent: string };
    expect(edge.Parent).toBe('h1');

    const nodes = (await (await fetch(t.base + '/api/node')).json()) as Record<string, { ID: string }>;
    expect(Array.isArray(nodes)).toBe(false);
    expect(nodes.h1!.ID).toBe('h1');
    const edges = (await (await fetch(t.base + '/api/edge')).json()) as Record<string, unknown>;
    expect(Object.keys(edges)).toContain(edge.ID);

    const patched = await fetch(t.base + '/api/node/h1', {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json-patch+json' },
      body: JSON.stringify([
        { op: 'add', path: '/Metadata/State', value: 'DOWN' },
        { op: 'replace', path: '/Metadata/Name', value: 'web1.example.com' },
      ]),
    });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ Revision: 2, Metadata: { State: 'DOWN', Name: 'web1.example.com' } });

    expect((await fetch(t.base + '/api/node/h1', { method: 'DELETE' })).status).toBe(200);
    expect((await fetch(t.base + '/api/node/h1')).status).toBe(404);
    expect((await fetch(t.base + `/api/edge/${edge.ID}`)).status).toBe(404); // its edges went with it
  });

  it('answers Gremlin queries as JSON and DOT; empty query 204; whole graph on GET', async () => {
    const sw = await makeNode('tor1', 'switch');
    const p = await makeNode('tor1-p1', 'port');
    await post('/api/edge', { Parent: sw.ID, Child: p.ID, Metadata: { RelationType: 'ownership' } });
    const q = await post('/api/topology', { GremlinQuery: "G.V().Has('Name', 'tor1').Out()" });
    expect(q.status).toBe(200);
    expect(((await q.json()) as { ID: string }[]).map((n) => n.ID)).toEqual([p.ID]);
    const count = await post('/api/topology', { GremlinQuery: "G.V().Has('Type', 'switch').Count()" });
    expect(await count.json()).toBe(1);
    const dot = await post('/api/topology', { GremlinQuery: "G.V().Has('Name','tor1').SubGraph()" }, { Accept: 'text/vnd.graphviz' });
    expect(dot.headers.get('content-type')).toContain('text/vnd.graphviz');
    expect(await dot.text()).toMatch(/^digraph canopy \{/);
    const dotAll = await fetch(t.base + '/api/topology', { headers: { Accept: 'text/vnd.graphviz' } });
    expect(await dotAll.text()).toContain(`"${sw.ID}" -> "${p.ID}"`);
    expect((await post('/api/topology', { GremlinQuery: '' })).status).toBe(204);
    const all = (await (await fetch(t.base + '/api/topology')).json()) as { Nodes: unknown[]; Edges: unknown[] };
    expect(all.Nodes.length).toBeGreaterThanOrEqual(2);
    const viaGet = await fetch(t.base + `/api/topology?q=${encodeURIComponent("G.V().Has('Name','tor1')")}`);
    expect(((await viaGet.json()) as unknown[]).length).toBe(1);
  });

  it('turns bad input into clear 4xx problem answers', async () => {
    const bad = await post('/api/topology', { GremlinQuery: "G.V().Has('Name'," });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    const body = (await bad.json()) as { position: number; detail: string };
    expect(body.position).toBeGreaterThan(0);
    const deep = await post('/api/topology', { GremlinQuery: 'G.V()' + '.Out('.repeat(5000) + ')'.repeat(5000) });
    expect(deep.status).toBeGreaterThanOrEqual(400);
    expect(deep.status).toBeLessThan(500);
    expect((await post('/api/topology', { GremlinQuery: 'G.V().Range(0, 1e300)' })).status).toBeLessThan(500);
    expect((await post('/api/topology', '{not json')).status).toBe(400);
    expect((await post('/api/topology', { GremlinQuery: 42 })).status).toBe(400);
    expect((await post('/api/node', '{"Metadata": ')).status).toBe(400);
    expect((await post('/api/node', { Metadata: { Name: 'x' } })).status).toBe(400); // no Type
    expect((await post('/api/node', { Metadata: { Name: 'ns', Type: 'netns' } })).status).toBe(400); // netns needs Path
    expect((await post('/api/node', { Metadata: { Name: 'p', Type: 'ovsport' } })).status).toBe(400); // ovsport needs UUID
    expect((await post('/api/node', [1, 2])).status).toBe(400);
    expect((await post('/api/edge', { Parent: 'nope', Child: 'nope2', Metadata: { RelationType: 'layer2' } })).status).toBe(400);
    const n = await makeNode('lonely', 'host');
    expect((await post('/api/edge', { Parent: n.ID, Child: n.ID, Metadata: {} })).status).toBe(400); // no RelationType
    expect((await fetch(t.base + '/api/node/unknown-id')).status).toBe(404);
    expect((await fetch(t.base + '/api/edge/unknown-id', { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(t.base + `/api/node/${n.ID}`, { method: 'PATCH', body: '{"op":"add"}' })).status).toBe(400);
    expect(
      (await fetch(t.base + `/api/node/${n.ID}`, { method: 'PATCH', body: JSON.stringify([{ op: 'remove', path: '/Metadata/Nope' }]) }))
        .status,
    ).toBe(400);
    expect(
      (
        await fetch(t.base + `/api/node/${n.ID}`, {
          method: 'PATCH',
          body: JSON.stringify([{ op: 'replace', path: '/ID', value: 'other' }]),
        })
      ).status,
    ).toBe(400);
    const huge = await post('/api/node', JSON.stringify({ Metadata: { Name: 'big', Type: 'host', Blob: 'x'.repeat(9 * 1024 * 1024) } }));
    expect(huge.status).toBe(413);
    expect((await fetch(t.base + '/api/nothing')).status).toBe(404);
    // The process is still serving.
    expect((await fetch(t.base + '/healthz')).status).toBe(200);
  });
});
