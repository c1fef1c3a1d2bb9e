import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import bcrypt from 'bcryptjs';
import WebSocket from 'ws';
import { startTestCollector, type TestCollector } from './helpers.ts';
import { Auth, AuthConfigError } from '../../src/api/auth.ts';
import { defaultConfig } from '../../src/config/load.ts';

let t: TestCollector;
const adminHash = bcrypt.hashSync('s3cret-admin', 4);
beforeAll(async () => {
  t = await startTestCollector({
    'auth.users': [
      { name: 'admin', passwordHash: adminHash, role: 'admin' },
      { name: 'viewer', password: 'view-only-pw', role: 'viewer' },
    ],
    'auth.tokens': [
      { token: 'tok-admin-123456', role: 'admin' },
      { token: 'tok-view-123456', role: 'viewer' },
    ],
    'agents.tokens': ['agent-token-123456'],
  });
});
afterAll(async () => t.stop());

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
const node = JSON.stringify({ Metadata: { Name: 'n1', Type: 'host' } });

describe('auth rules', () => {
  it('is off only on loopback without credentials; a non-loopback API needs users or tokens', () => {
    const c = defaultConfig();
    expect(new Auth(c).enabled).toBe(false);
    expect(() => new Auth({ ...c, api: { ...c.api, listen: '0.0.0.0:8082' } })).toThrow(AuthConfigError);
    expect(() => new Auth({ ...c, api: { ...c.api, listen: ['127.0.0.1:1', '10.0.0.1:2'] } })).toThrow(/not loopback-only/);
    expect(
      new Auth({ ...c, api: { ...c.api, listen: '0.0.0.0:8082' }, auth: { ...c.auth, tokens: [{ token: 'abcdefgh12', role: 'viewer' }] } })
        .enabled,
    ).toBe(true);
    expect(new Auth({ ...c, agents: { ...c.agents, tokens: [{ token: 'abcdefgh12', host: 'h1' }] } }).enabled).toBe(true);
  });

  it('refuses anonymous requests with 401 problem+json, keeps /healthz open', async () => {
    const r = await fetch(t.base + '/api/topology');
    expect(r.status).toBe(401);
    expect(r.headers.get('content-type')).toContain('application/problem+json');
    expect((await fetch(t.base + '/healthz')).status).toBe(200);
    expect((await fetch(t.base + '/api/topology', { headers: { Authorization: basic('admin', 'wrong') } })).status).toBe(401);
    expect((await fetch(t.base + '/api/topology', { headers: { Authorization: 'Bearer nope' } })).status).toBe(401);
  });

  it('accepts Basic, Bearer, X-Auth-Token and the x-auth-token query parameter', async () => {
    expect((await fetch(t.base + '/api/topology', { headers: { Authorization: basic('admin', 's3cret-admin') } })).status).toBe(200);
    expect((await fetch(t.base + '/api/topology', { headers: { Authorization: basic('viewer', 'view-only-pw') } })).status).toBe(200);
    expect((await fetch(t.base + '/api/topology', { headers: { Authorization: 'Bearer tok-view-123456' } })).status).toBe(200);
    expect((await fetch(t.base + '/api/topology', { headers: { 'X-Auth-Token': 'tok-admin-123456' } })).status).toBe(200);
    expect((await fetch(t.base + '/api/topology?x-auth-token=tok-admin-123456')).status).toBe(200);
    // Agent tokens are for agents, not for the API.
    expect((await fetch(t.base + '/api/topology', { headers: { Authorization: 'Bearer agent-token-123456' } })).status).toBe(401);
  });

  it('POST /login sets an authtoken cookie the API accepts; bad credentials get 401', async () => {
    const bad = await fetch(t.base + '/login', { method: 'POST', body: new URLSearchParams({ username: 'admin', password: 'x' }) });
    expect(bad.status).toBe(401);
    const ok = await fetch(t.base + '/login', {
      method: 'POST',
      body: new URLSearchParams({ username: 'admin', password: 's3cret-admin' }),
    });
    expect(ok.status).toBe(200);
    const cookie = ok.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^authtoken=[0-9a-f]{48}; Path=\//);
    const token = /authtoken=([^;]+)/.exec(cookie)![1]!;
    expect((await fetch(t.base + '/api/node', { headers: { Cookie: `authtoken=${token}` } })).status).toBe(200);
    const out = await fetch(t.base + '/logout', { method: 'POST', headers: { Cookie: `authtoken=${token}` } });
    expect(out.status).toBe(204);
    expect((await fetch(t.base + '/api/node', { headers: { Cookie: `authtoken=${token}` } })).status).toBe(401);
  });

  it('viewers read, admins write', async () => {
    const v = await fetch(t.base + '/api/node', {
      method: 'POST',
      body: node,
      headers: { Authorization: basic('viewer', 'view-only-pw') },
    });
    expect(v.status).toBe(403);
    const a = await fetch(t.base + '/api/node', { method: 'POST', body: node, headers: { Authorization: 'Bearer tok-admin-123456' } });
    expect(a.status).toBe(201);
  });

  it('WebSockets: anonymous refused, cookie/token accepted, agent tokens only on /ws/agent, viewers cannot publish', async () => {
    const status = (path: string, headers: Record<string, string>) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(t.ws + path, { headers: { 'X-Client-Type': 'test', ...headers } });
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => undefined);
      });
    expect(await status('/ws/subscriber', {})).toBe(401);
    expect(await status('/ws/subscriber', { Authorization: basic('viewer', 'view-only-pw') })).toBe(101);
    expect(await status('/ws/subscriber?x-auth-token=tok-view-123456', {})).toBe(101);
    expect(await status('/ws/publisher', { Authorization: basic('viewer', 'view-only-pw') })).toBe(403);
    expect(await status('/ws/publisher', { Authorization: 'Bearer agent-token-123456' })).toBe(401);
    expect(await status('/ws/agent', { Authorization: 'Bearer agent-token-123456', 'X-Host-ID': 'agent-a' })).toBe(101);
  });
});
