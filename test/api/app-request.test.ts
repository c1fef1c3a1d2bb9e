// The API exercised in-process through Hono's app.request(), without a listening server.
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/api/app.ts';
import { Auth } from '../../src/api/auth.ts';
import { defaultConfig } from '../../src/config/load.ts';
import { openGraphStore } from '../../src/topology/store/sqlite-store.ts';
import { makeQueryRunner } from '../../src/topology/query-adapters.ts';
import { silentLogger } from '../../src/util/log.ts';
import { createRegistry } from '../../src/util/metrics.ts';

const dir = mkdtempSync(join(tmpdir(), 'canopy-apprequest-'));
const store = openGraphStore({ path: join(dir, 'canopy.db') });
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function app(users: { name: string; password: string; role: 'admin' | 'viewer' }[] = []) {
  const base = defaultConfig();
  const config = { ...base, auth: { ...base.auth, users } };
  return createApp({
    store,
    auth: new Auth(config),
    registry: createRegistry(false),
    log: silentLogger(),
    config,
    query: makeQueryRunner(store, { maxResults: 1000, timeoutMs: 1000 }),
    status: () => ({ ok: true }),
  });
}

describe('API via app.request()', () => {
  it('creates, queries and deletes without auth on loopback', async () => {
    const a = app();
    const created = await a.request('/api/node', {
      method: 'POST',
      body: JSON.stringify({ ID: 'n1', Metadata: { Name: 'n1', Type: 'host', IPV4: ['10.0.0.1/24'] } }),
    });
    expect(created.status).toBe(201);
    const q = await a.request('/api/topology', {
      method: 'POST',
      body: JSON.stringify({ GremlinQuery: "G.V().Has('IPV4', '10.0.0.1/24').Values('Name')" }),
    });
    expect(await q.json()).toEqual(['n1']);
    expect((await a.request('/api/status')).status).toBe(200);
    expect((await a.request('/api/node/n1', { method: 'DELETE' })).status).toBe(200);
    expect((await a.request('/api/node/n1')).status).toBe(404);
  });

  it('with users configured: 401 without credentials, 403 for a viewer writing, 200/201 for the admin', async () => {
    const a = app([
      { name: 'root', password: 'rootpw', role: 'admin' },
      { name: 'v', password: 'vpw', role: 'viewer' },
    ]);
    const basic = (u: string, p: string) => ({ Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    expect((await a.request('/api/node')).status).toBe(401);
    expect((await a.request('/api/node', { headers: basic('v', 'vpw') })).status).toBe(200);
    const body = JSON.stringify({ Metadata: { Name: 'x', Type: 'host' } });
    expect((await a.request('/api/node', { method: 'POST', body, headers: basic('v', 'vpw') })).status).toBe(403);
    expect((await a.request('/api/node', { method: 'POST', body, headers: basic('root', 'rootpw') })).status).toBe(201);
    expect((await a.request('/healthz')).status).toBe(200);
  });
});
