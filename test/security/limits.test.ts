// Size limits on a real collector: request bodies above api.maxBodyBytes get 413 problem+json
// (with and without Content-Length), WebSocket messages above api.wsMaxMessageBytes close the
// connection with 1009; both are counted and the collector keeps serving.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import WebSocket from 'ws';
import { startTestCollector, type TestCollector } from '../api/helpers.ts';

const ADMIN = 'limits-admin-token-123';
const AGENT = 'limits-agent-token-123';
let t: TestCollector;
beforeAll(async () => {
  t = await startTestCollector({
    'auth.tokens': [{ token: ADMIN, role: 'admin' }],
    'agents.tokens': [{ token: AGENT, host: 'limits-host' }],
    'api.maxBodyBytes': 4096,
    'api.wsMaxMessageBytes': 4096,
  });
});
afterAll(async () => t.stop());

const auth = { Authorization: `Bearer ${ADMIN}` };
const counted = async (kind: string) => {
  const text = await (await fetch(t.base + '/metrics', { headers: auth })).text();
  return Number(new RegExp(`^canopy_api_too_large_total\\{kind="${kind}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
};
const node = (size: number) => JSON.stringify({ Metadata: { Name: 'big', Type: 'host', Blob: 'x'.repeat(size) } });

describe('request bodies', () => {
  it('above api.maxBodyBytes: 413 problem+json, counted; at the limit accepted', async () => {
    const before = await counted('http_body');
    const r = await fetch(t.base + '/api/node', { method: 'POST', headers: auth, body: node(5000) });
    expect(r.status).toBe(413);
    expect(r.headers.get('content-type')).toContain('application/problem+json');
    expect(await r.json()).toMatchObject({ status: 413, detail: expect.stringContaining('4096 bytes') });
    // Chunked, no Content-Length: counted while read.
    const chunks = [node(3000).slice(0, 3000), 'y'.repeat(3000)];
    const stream = new ReadableStream({
      pull(ctl) {
        const c = chunks.shift();
        if (c) ctl.enqueue(new TextEncoder().encode(c));
        else ctl.close();
      },
    });
    const chunked = await fetch(t.base + '/api/node', { method: 'POST', headers: auth, body: stream, duplex: 'half' });
    expect(chunked.status).toBe(413);
    expect(await counted('http_body')).toBe(before + 2);
    const ok = await fetch(t.base + '/api/node', { method: 'POST', headers: auth, body: node(3000) });
    expect(ok.status).toBe(201);
  });
});

describe('WebSocket messages', () => {
  const closeOf = (path: string, headers: Record<string, string>, size: number) =>
    new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(t.ws + path, { headers: { 'X-Client-Type': 'test', ...headers } });
      ws.once('open', () => ws.send(node(size)));
      ws.once('close', (code) => resolve(code));
      ws.once('unexpected-response', (_q, r) => reject(new Error(`upgrade refused: ${r.statusCode}`)));
      ws.on('error', () => undefined);
    });

  it('above api.wsMaxMessageBytes: closed with 1009 on every endpoint, counted, the collector still serving', async () => {
    const before = await counted('ws_message');
    expect(await closeOf('/ws/publisher', { ...auth, 'X-Host-ID': 'pub-1' }, 5000)).toBe(1009);
    expect(await closeOf('/ws/agent', { Authorization: `Bearer ${AGENT}` }, 5000)).toBe(1009);
    expect(await closeOf('/ws/subscriber', { ...auth, 'X-Host-ID': 'sub-1' }, 5000)).toBe(1009);
    await expect.poll(() => counted('ws_message'), { timeout: 3000 }).toBe(before + 3);
    expect((await fetch(t.base + '/healthz')).status).toBe(200);
    // A message under the limit still goes through.
    const ws = new WebSocket(t.ws + '/ws/publisher', { headers: { ...auth, 'X-Client-Type': 'test', 'X-Host-ID': 'pub-2' } });
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ Type: 'NodeAdded', Obj: { ID: 'small-1', Metadata: { Name: 'small', Type: 'host' } } }));
    await expect.poll(async () => (await fetch(t.base + '/api/node/small-1', { headers: auth })).status, { timeout: 3000 }).toBe(200);
    ws.close();
  });
});
