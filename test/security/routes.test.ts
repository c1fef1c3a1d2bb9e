// Every route and WebSocket endpoint against every kind of caller, on a real collector with auth on.
// The routes come from the router (Collector.apiRoutes → Hono's app.routes) and the WebSocket paths
// from the server's WS_ACCESS table, so a route added later is swept without editing this file.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Hono } from 'hono';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCollector, type TestCollector } from '../api/helpers.ts';
import { apiRoutes, createApp, requiredRole } from '../../src/api/app.ts';
import { Auth } from '../../src/api/auth.ts';
import { loadConfig } from '../../src/config/load.ts';
import { openGraphStore } from '../../src/topology/store/sqlite-store.ts';
import { makeQueryRunner } from '../../src/topology/query-adapters.ts';
import { silentLogger } from '../../src/util/log.ts';
import { createRegistry } from '../../src/util/metrics.ts';
import { UiComponent } from '../../src/ui/component.ts';
import { StaticUi } from '../../src/ui/serve.ts';
import { ADMIN_TOKEN, concrete, SWEEP_CONFIG, sweepHttp, sweepWs, violations, type Send } from './sweep.ts';

let t: TestCollector;
beforeAll(async () => {
  t = await startTestCollector(SWEEP_CONFIG);
});
afterAll(async () => t.stop());

const overNetwork: Send = async (method, path, headers, body) => {
  const r = await fetch(t.base + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  await r.arrayBuffer();
  return r.status;
};

describe('route × role sweep (auth on)', () => {
  it('the router lists every component’s routes (the sweep is not vacuous)', () => {
    const keys = t.collector.apiRoutes().map((r) => `${r.method} ${r.path}`);
    // One route of each registration site, as a check that enumeration reaches them all.
    for (const k of [
      'GET /api/topology',
      'POST /api/node',
      'GET /api/devices',
      'POST /api/capture',
      'POST /api/alert',
      'GET /api/flows',
      'GET /metrics/interfaces',
    ])
      expect(keys).toContain(k);
  });

  it('every HTTP route: anonymous and agent tokens 401, viewers 403 on writes, admins through', async () => {
    const rows = await sweepHttp(t.collector.apiRoutes(), overNetwork);
    expect(rows.length).toBeGreaterThan(20);
    expect(rows.flatMap(violations)).toEqual([]);
  });

  it('spellings of every GET route (slashes, case, encoding, dot segments; HEAD, OPTIONS) give anonymous callers nothing', async () => {
    const leaks: string[] = [];
    for (const r of t.collector.apiRoutes().filter((x) => x.method === 'GET' && requiredRole(x.method, x.path) !== 'public')) {
      const p = concrete(r.path);
      const variants = [
        `${p}/`,
        `/${p}`,
        p.toUpperCase(),
        p.replace(/\//g, '%2F').replace(/^%2F/, '/'),
        `/.${p}`,
        `/x/..${p}`,
        `/healthz/..${p}`,
        `${p}?x-auth-token=`,
      ];
      for (const path of variants)
        for (const method of ['GET', 'HEAD', 'OPTIONS']) {
          const res = await fetch(t.base + path, { method });
          await res.arrayBuffer();
          // A UI file (text/html) is public by design; API data is not.
          if (res.status < 400 && !(res.headers.get('content-type') ?? '').startsWith('text/html'))
            leaks.push(`${method} ${path} → ${res.status}`);
        }
      for (const method of ['HEAD', 'OPTIONS']) {
        const res = await fetch(t.base + p, { method });
        if (res.status !== 401) leaks.push(`${method} ${p} → ${res.status}`);
      }
    }
    expect(leaks).toEqual([]);
  });

  it('every WebSocket endpoint: anonymous 401, viewers 403 where publishing, agent tokens only on /ws/agent*', async () => {
    const rows = await sweepWs(t.ws);
    expect(rows.map((r) => r.path)).toContain('/ws/subscriber');
    expect(rows.flatMap(violations)).toEqual([]);
  });

  it('refusals are counted by endpoint and reason', async () => {
    const text = await (await fetch(t.base + '/metrics', { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    const count = (endpoint: string, reason: string) =>
      Number(new RegExp(`^canopy_api_auth_refused_total\\{endpoint="${endpoint}",reason="${reason}"\\} (\\d+)`, 'm').exec(text)?.[1]);
    // The sweeps above: anonymous (missing), agent tokens outside /ws/agent* (bad_credentials), viewers writing (forbidden).
    for (const endpoint of ['http', 'ws'])
      for (const reason of ['missing', 'bad_credentials', 'forbidden'])
        expect(count(endpoint, reason), `${endpoint} ${reason}`).toBeGreaterThan(0);
  });
});

describe('routes added to the app later', () => {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-sweep-'));
  const store = openGraphStore({ path: join(dir, 'canopy.db') });
  afterAll(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const config = loadConfig({ env: {}, overrides: { ...SWEEP_CONFIG, 'storage.dataDir': dir } });
  const local =
    (app: Hono<any>): Send =>
    async (method, path, headers, body) =>
      (await app.request(path, { method, headers, ...(body !== undefined ? { body } : {}) })).status;

  it('are swept and protected: a GET outside /api (with the public UI on) and a write that forgot requireAdmin', async () => {
    const app = createApp({
      store,
      auth: new Auth(config),
      registry: createRegistry(false),
      log: silentLogger(),
      config,
      query: makeQueryRunner(store, { maxResults: 1000, timeoutMs: 1000 }),
      status: () => ({}),
      ui: new UiComponent(new StaticUi(dir), undefined, false),
    });
    app.get('/version', (c) => c.text('1'));
    app.post('/api/alert', (c) => c.body(null, 501));
    app.get('/status/:n{[0-9]+}', (c) => c.text(c.req.param('n')));
    const rows = await sweepHttp(apiRoutes(app), local(app));
    expect(rows.map((r) => r.path)).toEqual(expect.arrayContaining(['/version', '/api/alert', '/status/:n{[0-9]+}']));
    expect(rows.find((r) => r.path === '/status/:n{[0-9]+}')?.status.admin).toBe(200);
    expect(rows.flatMap(violations)).toEqual([]);
  });

  it('the sweep fails on a route that answers without credentials', async () => {
    const app = new Hono();
    app.get('/api/open', (c) => c.text('anyone'));
    app.delete('/api/open/:id', (c) => c.body(null, 200));
    const found = (await sweepHttp(apiRoutes(app as never), local(app))).flatMap(violations);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/GET \/api\/open: anonymous got 200/),
        expect.stringMatching(/DELETE \/api\/open\/:id: viewer got 200/),
      ]),
    );
  });
});
