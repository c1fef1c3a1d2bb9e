// skydive-client's RESTClient against a real Canopy with auth on: the exact requests it sends
// (recorded/*.json) and exactly what it reads from the answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN,
  BadRequest,
  PyRestClient,
  checkExpect,
  cookiesOf,
  fill,
  loadExchange,
  send,
  startCanopy,
  type Canopy,
  type Vars,
} from './harness.ts';

let canopy: Canopy;
let client: PyRestClient;
const now = Date.now();
const vars: Vars = {
  username: ADMIN.username,
  password: ADMIN.password,
  now,
  client_host: 'pyclient-host',
};
const TOR = 'b2d6a0d8-6f1e-4a55-9f3c-0a4c1d2e3f40';
const PORT = '0c1f6b52-3d2a-4e9b-8a71-5e6f7a8b9c0d';
const EDGE = '7e8f9a0b-1c2d-4e3f-8a5b-6c7d8e9f0a1b';

/** Replays one recorded exchange through the Python-client emulation and checks its expect block. */
async function replay(name: string, extra: Vars = {}): Promise<unknown> {
  const ex = fill(loadExchange(name), { ...vars, ...extra });
  const value = await client.request(ex.request!);
  const exp = ex.expect;
  if (exp.contentType) {
    // What the client compares (split at ';'), and the exact header docs/architecture.md#http-api promises.
    expect(client.lastResponse().headers.get('content-type')).toBe('application/json; charset=UTF-8');
  }
  checkExpect(value, exp, name);
  return value;
}

beforeAll(async () => {
  canopy = await startCanopy({ auth: true });
  client = new PyRestClient(canopy.endpoint, ADMIN.username, ADMIN.password);
});
afterAll(async () => {
  await canopy?.stop();
});

describe('login (Authenticate.login)', () => {
  it('answers 2xx and sets an authtoken cookie valid for every path', async () => {
    const ex = fill(loadExchange('login'), vars);
    const res = await send(canopy.endpoint, ex.request!);
    expect(res.status).toBeGreaterThanOrEqual(200);
    expect(res.status).toBeLessThan(300);
    const line = res.headers.getSetCookie().find((l) => l.startsWith('authtoken='));
    expect(line).toBeDefined();
    const token = cookiesOf(res).get('authtoken');
    expect(token).toMatch(/^[^;\s]+$/);
    // The cookie jar only sends it back to /api/... when its Path covers them.
    expect(line).toMatch(/;\s*Path=\/(;|$)/i);
    // And it is what authenticates the next request (no Basic, no header token).
    const withCookie = await send(
      canopy.endpoint,
      fill(loadExchange('node-list'), { ...vars, node_id: '' }).request!,
      `authtoken=${token}`,
    );
    expect(withCookie.status).toBe(200);
    const without = await send(canopy.endpoint, fill(loadExchange('node-list'), { ...vars, node_id: '' }).request!);
    expect(without.status).toBe(401);
  });

  it('answers 401 and sets no authtoken on a bad password', async () => {
    const ex = fill(loadExchange('login-bad-password'), vars);
    const res = await send(canopy.endpoint, ex.request!);
    expect(res.status).toBe(ex.expect.status);
    expect(cookiesOf(res).has('authtoken')).toBe(false);
    const py = new PyRestClient(canopy.endpoint, ADMIN.username, 'wrong');
    await expect(py.login()).rejects.toBeInstanceOf(BadRequest);
  });
});

describe('nodes and edges (node_* / edge_* / lookup*)', () => {
  it('node_create: POST /api/node answers 201 with the node as sent', async () => {
    await replay('node-create', { node_id: TOR, name: 'Test TOR' });
    expect(client.lastResponse().status).toBe(201);
    await replay('node-create', { node_id: PORT, name: 'Test port' });
    expect(client.lastResponse().status).toBe(201);
    // The client logged in exactly once and rode on the cookie afterwards.
    expect(client.authenticated).toBe(true);
  });

  it('edge_create: POST /api/edge answers 201 with Parent/Child', async () => {
    await replay('edge-create', { edge_id: EDGE, parent_id: TOR, child_id: PORT });
    expect(client.lastResponse().status).toBe(201);
  });

  it('lookup_nodes: a JSON array of nodes with ID and Host', async () => {
    const nodes = (await replay('lookup-nodes')) as { ID: string; Host: string }[];
    expect(nodes.map((n) => [n.ID, n.Host])).toEqual([[PORT, 'pyclient-host']]);
  });

  it('lookup_edges: a JSON array of edges with Parent and Child', async () => {
    const edges = (await replay('lookup-edges')) as { ID: string; Parent: string; Child: string }[];
    expect(edges.map((e) => [e.ID, e.Parent, e.Child])).toEqual([[EDGE, TOR, PORT]]);
  });

  it('lookup without a class: raw JSON (Count is a number)', async () => {
    expect(await replay('lookup-count')).toBe(2);
  });

  it('node_list / edge_list: objects keyed by ID (the client calls .values())', async () => {
    const nodes = (await replay('node-list', { node_id: TOR })) as Record<string, unknown>;
    expect(Object.keys(nodes).sort()).toEqual([PORT, TOR].sort());
    const edges = (await replay('edge-list', { edge_id: EDGE })) as Record<string, unknown>;
    expect(Object.keys(edges)).toEqual([EDGE]);
  });

  it('node_update / edge_update: PATCH with a JSON Patch returns the patched element', async () => {
    await replay('node-update', { node_id: TOR, name: 'Test TOR' });
    await replay('edge-update', { edge_id: EDGE });
    const again = (await replay('lookup-nodes')) as unknown[];
    expect(again).toHaveLength(1);
  });

  it('a bad query raises BadRequest (400), the client logs out and logs in again next time', async () => {
    await expect(replay('lookup-bad-query')).rejects.toMatchObject({ status: 400 });
    expect(client.authenticated).toBe(false);
    expect(await replay('lookup-count')).toBe(2);
    expect(client.authenticated).toBe(true);
  });

  it('edge_delete / node_delete: 2xx, and the element is gone', async () => {
    await replay('edge-delete', { edge_id: EDGE });
    expect(client.lastResponse().status).toBe(200);
    await replay('node-delete', { node_id: PORT });
    expect(client.lastResponse().status).toBe(200);
    const nodes = (await replay('node-list', { node_id: TOR })) as Record<string, unknown>;
    expect(Object.keys(nodes)).toEqual([TOR]);
    expect(await replay('lookup-edges')).toEqual([]);
  });
});

describe('captures (capture_create / capture_list / capture_delete)', () => {
  it('capture_create answers 201 with UUID and GremlinQuery; capture_list is keyed by UUID; capture_delete removes it', async () => {
    // The query selects nothing here: Skydive keeps such a capture (Count 0) until nodes match.
    const created = (await replay('capture-create')) as { UUID: string; GremlinQuery: string; Count: number; SamplingRate: number };
    expect(client.lastResponse().status).toBe(201);
    expect(created).toMatchObject({ GremlinQuery: "G.V().Has('Name', 'eth0')", Count: 0, SamplingRate: 1, Name: 'c1' });
    const list = (await replay('capture-list')) as Record<string, { UUID: string }>;
    expect(Object.keys(list)).toEqual([created.UUID]);
    expect(list[created.UUID]!.UUID).toBe(created.UUID);
    await replay('capture-delete', { capture_id: created.UUID });
    expect(client.lastResponse().status).toBe(200);
    expect(await replay('capture-list')).toEqual({});
    const oa = (await (
      await fetch(`http://${canopy.endpoint}/api/openapi.json`, {
        headers: { Authorization: `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}` },
      })
    ).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(oa.paths)).toEqual(
      expect.arrayContaining(['/api/capture', '/api/capture/{id}', '/api/captures', '/api/captures/{id}']),
    );
  });

  it('a bad capture is a 400 naming the problem, an unknown one a 404', async () => {
    const auth = {
      Authorization: `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`,
      'Content-Type': 'application/json',
    };
    const post = (body: unknown) =>
      fetch(`http://${canopy.endpoint}/api/capture`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
    const noQuery = await post({ Name: 'x' });
    expect(noQuery.status).toBe(400);
    expect(await noQuery.text()).toMatch(/GremlinQuery/);
    const badQuery = await post({ GremlinQuery: 'G.V().Nope(' });
    expect(badQuery.status).toBe(400);
    expect((await post({ GremlinQuery: 'G.V()', SamplingRate: -1 })).status).toBe(400);
    expect((await fetch(`http://${canopy.endpoint}/api/capture/nope`, { headers: auth })).status).toBe(404);
    expect((await fetch(`http://${canopy.endpoint}/api/captures/nope`, { method: 'DELETE', headers: auth })).status).toBe(404);
  });
});

describe('alerts (alert_create)', () => {
  it('alert_create gets the alert back with the fields alerts.py reads; the rule is listed, stored and deleted', async () => {
    const created = (await replay('alert-create')) as Record<string, unknown>;
    expect(client.lastResponse().status).toBe(201);
    expect(created).toMatchObject({ Action: 'http://example/hook', Expression: "G.V().Has('State', 'DOWN')", Trigger: 'graph' });
    const uuid = created.UUID as string;
    expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
    const auth = { Authorization: `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}` };
    const list = (await (await fetch(`http://${canopy.endpoint}/api/alert`, { headers: auth })).json()) as Record<
      string,
      { UUID: string; State: string }
    >;
    expect(Object.keys(list)).toEqual([uuid]);
    expect(list[uuid]!.State).toMatch(/^(inactive|pending|firing)$/);
    // Persisted through the storage seam, so a restart keeps it.
    expect(canopy.collector.storage.alertRules.all().map((r) => r.id)).toEqual([uuid]);
    const del = await fetch(`http://${canopy.endpoint}/api/alert/${uuid}`, { method: 'DELETE', headers: auth });
    expect(del.status).toBe(200);
    expect(await (await fetch(`http://${canopy.endpoint}/api/alert`, { headers: auth })).json()).toEqual({});
    expect(canopy.collector.storage.alertRules.all()).toEqual([]);
  });

  it('a bad alert is a 400 naming the field (the client raises BadRequest with it); an unknown one a 404', async () => {
    const ex = fill(loadExchange('alert-create'), vars);
    const bad = { ...ex.request!, json: { Action: 'http://example/hook', Expression: 'G.V().Nope(', Trigger: 'graph' } };
    const err = await client.request(bad).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BadRequest);
    expect((err as BadRequest).status).toBe(400);
    expect(JSON.parse((err as BadRequest).body).detail).toMatch(/Gremlin/);
    const noHook = { ...ex.request!, json: { Action: 'file:///bin/sh', Expression: 'G.V()', Trigger: 'graph' } };
    const err2 = (await client.request(noHook).catch((e: unknown) => e)) as BadRequest;
    expect(err2.status).toBe(400);
    expect(JSON.parse(err2.body).detail).toMatch(/Action/);
    const auth = { Authorization: `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}` };
    expect((await fetch(`http://${canopy.endpoint}/api/alert/nope`, { headers: auth })).status).toBe(404);
    expect((await fetch(`http://${canopy.endpoint}/api/alert/nope`, { method: 'DELETE', headers: auth })).status).toBe(404);
  });
});
