// An agent's token is bound to its host (agents.tokens [{token, host}]): through the real /ws/agent,
// host h2's agent can neither connect as h1 nor change, replace or delete what h1's agent published.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import WebSocket from 'ws';
import { startTestCollector, type TestCollector } from '../api/helpers.ts';
import { upgradeStatus } from './sweep.ts';

const ADMIN = 'origin-admin-token-1';
let t: TestCollector;
beforeAll(async () => {
  t = await startTestCollector({
    'auth.tokens': [{ token: ADMIN, role: 'admin' }],
    'agents.tokens': [
      { token: 'origin-agent-h1-token', host: 'h1' },
      { token: 'origin-agent-h2-token', host: 'h2' },
    ],
  });
});
afterAll(async () => t.stop());

const get = async (path: string) => (await fetch(t.base + path, { headers: { Authorization: `Bearer ${ADMIN}` } })).json() as Promise<any>;
const agent = async (token: string) => {
  const ws = new WebSocket(`${t.ws}/ws/agent`, { headers: { Authorization: `Bearer ${token}`, 'X-Client-Type': 'test' } });
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  return ws;
};
const send = (ws: WebSocket, Type: string, Obj: unknown) => ws.send(JSON.stringify({ Namespace: 'Graph', Type, Obj }));
const dropped = async (reason: string) => {
  const text = await (await fetch(t.base + '/metrics', { headers: { Authorization: `Bearer ${ADMIN}` } })).text();
  return Number(new RegExp(`^canopy_ws_invalid_elements_total\\{reason="${reason}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
};

describe("an agent token cannot write another host's origin", () => {
  it('h2’s token is refused as h1 (403)', async () => {
    expect(
      await upgradeStatus(`${t.ws}/ws/agent`, { Authorization: 'Bearer origin-agent-h2-token', 'X-Client-Type': 't', 'X-Host-ID': 'h1' }),
    ).toBe(403);
  });

  it('h2 cannot update, replace through Sync, or delete h1’s nodes and edges', async () => {
    const h1 = await agent('origin-agent-h1-token');
    const host = { ID: 'h1-host', Metadata: { Name: 'h1', Type: 'host' } };
    const eth = { ID: 'h1-eth0', Metadata: { Name: 'eth0', Type: 'device' } };
    const link = { ID: 'h1-owns-eth0', Parent: 'h1-host', Child: 'h1-eth0', Metadata: { RelationType: 'ownership' } };
    send(h1, 'Sync', { Nodes: [host, eth], Edges: [link] });
    await expect.poll(async () => (await get('/api/edge/h1-owns-eth0')).Origin, { timeout: 3000 }).toBe('agent.h1');
    const before = await get('/api/node/h1-host');

    const h2 = await agent('origin-agent-h2-token');
    const foreignNodes = await dropped('foreign_node');
    send(h2, 'NodeUpdated', { ...host, Metadata: { Name: 'hijacked', Type: 'host' } });
    send(h2, 'Sync', { Nodes: [{ ...eth, Metadata: { Name: 'hijacked', Type: 'device' } }], Edges: [] });
    send(h2, 'EdgeUpdated', { ...link, Metadata: { RelationType: 'ownership', Hijacked: true } });
    send(h2, 'NodeDeleted', { ID: 'h1-host' });
    send(h2, 'EdgeDeleted', { ID: 'h1-owns-eth0' });
    // Nor what an admin made through the REST API.
    const api = await fetch(t.base + '/api/node', {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ ID: 'api-made', Metadata: { Name: 'by-admin', Type: 'host' } }),
    });
    expect(api.status).toBe(201);
    send(h2, 'NodeUpdated', { ID: 'api-made', Metadata: { Name: 'hijacked', Type: 'host' } });
    // Something of its own, to know h2's messages were all handled.
    send(h2, 'NodeAdded', { ID: 'h2-host', Metadata: { Name: 'h2', Type: 'host' } });
    await expect.poll(async () => (await get('/api/node/h2-host')).Origin, { timeout: 3000 }).toBe('agent.h2');

    expect(await dropped('foreign_node')).toBe(foreignNodes + 3);
    expect(await get('/api/node/api-made')).toMatchObject({ Origin: 'api', Metadata: { Name: 'by-admin' } });
    const after = await get('/api/node/h1-host');
    expect(after).toMatchObject({ Origin: 'agent.h1', Host: before.Host, Revision: before.Revision, Metadata: { Name: 'h1' } });
    expect(await get('/api/node/h1-eth0')).toMatchObject({ Origin: 'agent.h1', Metadata: { Name: 'eth0' } });
    expect(await get('/api/edge/h1-owns-eth0')).toMatchObject({ Origin: 'agent.h1' });
    expect((await get('/api/edge/h1-owns-eth0')).Metadata.Hijacked).toBeUndefined();
    h1.close();
    h2.close();
  });
});
