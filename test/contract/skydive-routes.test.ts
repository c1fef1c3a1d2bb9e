// Every route of Skydive's analyzer (skydive-routes.json, read from its sources) against a real Canopy,
// with auth on and off: each one works or answers its documented problem+json (501 with the reason),
// a wrong method is a 405 with Allow, and nothing is a bare 404 (docs/architecture.md#skydive-routes).
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, startCanopy, type Canopy } from './harness.ts';

interface Route {
  method: string;
  path: string;
  upstream: string[];
  canopy: number;
}
interface WsRoute {
  path: string;
  upstream: string[];
  canopy: number;
}
const fixture = JSON.parse(readFileSync(new URL('./skydive-routes.json', import.meta.url), 'utf8')) as {
  routes: Route[];
  websockets: WsRoute[];
};

const NODE = '5b0e7c1a-0d5e-4c3b-9f6a-1b2c3d4e5f60';
const NODE2 = '5b0e7c1a-0d5e-4c3b-9f6a-1b2c3d4e5f61';
const EDGE = '5b0e7c1a-0d5e-4c3b-9f6a-1b2c3d4e5f62';

/** What a Skydive client sends on the routes that work (the 501 ones get an empty JSON object). */
const BODIES: Record<string, unknown> = {
  'POST /api/topology': { GremlinQuery: 'G.V().Count()' },
  'POST /api/node': { ID: NODE, Metadata: { Name: 'route-a', Type: 'device' } },
  'PATCH /api/node/{id}': [{ op: 'add', path: '/Metadata/Role', value: 'leaf' }],
  'POST /api/edge': { ID: EDGE, Parent: NODE, Child: NODE2, Metadata: { RelationType: 'ownership' } },
  'PATCH /api/edge/{id}': [{ op: 'add', path: '/Metadata/Note', value: 'checked' }],
  'POST /api/capture': { GremlinQuery: "G.V().Has('Name', 'route-nothing')" },
  'POST /api/alert': { Expression: "G.V().Has('Name', 'route-nothing')", Trigger: 'graph', Action: 'http://127.0.0.1:9/hook' },
};

const basic = `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`;

function fillPath(r: { path: string }, ids: Record<string, string>): string {
  const resource = r.path.split('/')[2] ?? '';
  return r.path.replace('{id}', ids[resource] ?? 'some-id').replace('{key}', 'analyzer.listen');
}

async function call(c: Canopy, method: string, path: string, opts: { auth: boolean; body?: unknown }) {
  const headers: Record<string, string> = {};
  if (opts.auth) headers.Authorization = basic;
  let body: string | undefined;
  if (path === '/login') {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(ADMIN).toString();
  } else if (method !== 'GET' && method !== 'DELETE' && method !== 'HEAD') {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body ?? {});
  }
  const res = await fetch(`http://${c.endpoint}${path}`, { method, headers, body });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** A WebSocket handshake as Skydive's clients make it: 101, or the refusal's status and body. */
function handshake(c: Canopy, path: string, auth: boolean): Promise<{ status: number; body: string; contentType?: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'X-Client-Type': 'skydive-python-client', 'X-Host-ID': `routes-${path}` };
    if (auth) headers.Authorization = basic;
    const ws = new WebSocket(`ws://${c.endpoint}${path}`, { headers });
    ws.once('open', () => {
      ws.close();
      resolve({ status: 101, body: '' });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, contentType: String(res.headers['content-type']) }));
    });
    ws.once('error', reject);
  });
}

function expectProblem(r: { status: number; headers: Headers; text: string }, status: number, where: string) {
  expect(r.headers.get('content-type'), where).toMatch(/^application\/problem\+json/);
  const p = JSON.parse(r.text) as { status: number; title: string; detail?: string };
  expect(p.status, where).toBe(status);
  return p;
}

for (const auth of [true, false]) {
  describe(`Skydive's routes against Canopy, auth ${auth ? 'on' : 'off'}`, () => {
    let canopy: Canopy;
    beforeAll(async () => {
      canopy = await startCanopy({ auth });
      // The edge's child: created outside the list so the list's own POST /api/node is the first.
      const r = await call(canopy, 'POST', '/api/node', { auth, body: { ID: NODE2, Metadata: { Name: 'route-b', Type: 'device' } } });
      expect(r.status).toBe(201);
    });
    afterAll(async () => {
      await canopy?.stop();
    });

    it('every REST route answers its documented status, never a 404; a 501 says what, why and where to read on', async () => {
      const ids: Record<string, string> = { node: NODE, edge: EDGE };
      const seen: string[] = [];
      for (const r of fixture.routes) {
        const path = fillPath(r, ids);
        const where = `${r.method} ${r.path}`;
        const res = await call(canopy, r.method, path, { auth, body: BODIES[where] });
        seen.push(`${where} ${res.status}`);
        expect(res.status, `${where}: ${res.text.slice(0, 200)}`).toBe(r.canopy);
        if (r.canopy === 501) {
          const p = expectProblem(res, 501, where);
          expect(p.title).toBe('Not Implemented');
          // Names the route, and points at the docs.
          expect(p.detail, where).toContain(`/api/${r.path.split('/')[2]}`);
          expect(p.detail, where).toContain('docs/architecture.md#');
        }
        if (where === 'POST /api/capture') ids.capture = (JSON.parse(res.text) as { UUID: string }).UUID;
        if (where === 'POST /api/alert') ids.alert = (JSON.parse(res.text) as { UUID: string }).UUID;
      }
      expect(seen.filter((s) => s.endsWith(' 404'))).toEqual([]);
    });

    it('without the alerts component the alert routes are a 501 naming it, not a 404', async () => {
      const bare = await startCanopy({ auth, alerts: false });
      try {
        for (const r of fixture.routes.filter((x) => x.path.startsWith('/api/alert'))) {
          const res = await call(bare, r.method, fillPath(r, {}), { auth, body: BODIES[`${r.method} ${r.path}`] });
          const p = expectProblem(res, 501, `${r.method} ${r.path}`);
          expect(p.detail).toContain('alerts component');
          expect(p.detail).toContain('docs/architecture.md#alerts');
        }
      } finally {
        await bare.stop();
      }
    });

    it('a wrong method on a Skydive path is a 405 with Allow listing what the path serves', async () => {
      const ids = { node: NODE2, capture: 'some-id' };
      const byPath = new Map<string, Set<string>>();
      for (const r of fixture.routes) {
        const s = byPath.get(r.path) ?? new Set<string>();
        s.add(r.method);
        byPath.set(r.path, s);
      }
      for (const [pattern, methods] of byPath) {
        // PUT is served on /api/node/{id} and /api/edge/{id} (Canopy's upsert); POST is wrong there.
        const wrong = /^\/api\/(node|edge)\/\{id\}$/.test(pattern) ? 'POST' : 'PUT';
        const res = await call(canopy, wrong, fillPath({ path: pattern }, ids), { auth });
        expect(res.status, `${wrong} ${pattern}`).toBe(405);
        expectProblem(res, 405, `${wrong} ${pattern}`);
        const allow = (res.headers.get('allow') ?? '').split(/,\s*/);
        const want = [...methods, ...(methods.has('GET') ? ['HEAD'] : [])];
        expect(allow, `${wrong} ${pattern}`).toEqual(expect.arrayContaining(want));
        expect(allow).not.toContain(wrong);
      }
      // Exactly what is served, where Canopy adds nothing of its own.
      const t = await call(canopy, 'PUT', '/api/topology', { auth });
      expect(t.headers.get('allow')).toBe('GET, HEAD, POST');
      // A path nobody serves stays a 404 that names it.
      const none = await call(canopy, 'GET', '/api/no-such-thing', { auth });
      expect(none.status).toBe(404);
      expect(expectProblem(none, 404, 'GET /api/no-such-thing').detail).toBe('no route for GET /api/no-such-thing');
    });

    it('every WebSocket endpoint upgrades or refuses with a 501 problem+json; a plain GET gets 426 or 501', async () => {
      for (const w of fixture.websockets) {
        const h = await handshake(canopy, w.path, auth);
        expect(h.status, w.path).toBe(w.canopy);
        if (w.canopy === 501) {
          expect(h.contentType).toMatch(/^application\/problem\+json/);
          expect((JSON.parse(h.body) as { detail: string }).detail).toContain('docs/architecture.md#skydive-routes');
        }
        const plain = await call(canopy, 'GET', w.path, { auth: false });
        expect(plain.status, `GET ${w.path}`).toBe(w.canopy === 101 ? 426 : 501);
        expectProblem(plain, plain.status, `GET ${w.path}`);
        if (plain.status === 426) expect(plain.headers.get('upgrade')).toBe('websocket');
      }
    });

    it('/api/openapi.json documents every 501 route with its reason', async () => {
      const r = await call(canopy, 'GET', '/api/openapi.json', { auth });
      const doc = JSON.parse(r.text) as {
        paths: Record<string, Record<string, { responses?: Record<string, unknown>; description?: string }>>;
      };
      for (const route of fixture.routes.filter((x) => x.canopy === 501)) {
        const op = doc.paths[route.path]?.[route.method.toLowerCase()];
        expect(op, `${route.method} ${route.path}`).toBeDefined();
        expect(Object.keys(op!.responses ?? {})).toContain('501');
        expect(op!.description).toMatch(/not implemented/);
      }
      for (const w of fixture.websockets.filter((x) => x.canopy === 501)) expect(doc.paths[w.path], w.path).toBeDefined();
      expect(doc.paths['/api']).toBeDefined();
    });

    if (auth) {
      it('without credentials every REST route is a 401, not a 404', async () => {
        for (const r of fixture.routes) {
          const path = fillPath(r, { node: NODE, edge: EDGE });
          // /login is the way in: without the form fields it is a 401 too.
          const res =
            r.path === '/login'
              ? await fetch(`http://${canopy.endpoint}/login`, { method: 'POST' }).then(async (x) => ({
                  status: x.status,
                  headers: x.headers,
                  text: await x.text(),
                }))
              : await call(canopy, r.method, path, { auth: false, body: BODIES[`${r.method} ${r.path}`] });
          expect(res.status, `${r.method} ${r.path}`).toBe(401);
          expectProblem(res, 401, `${r.method} ${r.path}`);
        }
      });
    }
  });
}
