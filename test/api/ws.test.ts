import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import WebSocket from 'ws';
import { startTestCollector, type TestCollector } from './helpers.ts';

let t: TestCollector;
beforeAll(async () => {
  t = await startTestCollector();
});
afterAll(async () => t.stop());

interface Msg {
  Namespace: string;
  Type: string;
  UUID?: string;
  Status?: number;
  Obj: any;
}

/** A real ws client that queues every message and lets tests wait for one matching a predicate. */
class Client {
  readonly msgs: Msg[] = [];
  private waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  constructor(path: string, headers: Record<string, string>) {
    this.ws = new WebSocket(t.ws + path, { headers });
    this.ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as Msg;
      this.msgs.push(m);
      this.waiters = this.waiters.filter((w) => (w.pred(m) ? (w.resolve(m), false) : true));
    });
    this.opened = new Promise((res, rej) => {
      this.ws.once('open', () => res());
      this.ws.once('unexpected-response', (_q, r) => rej(new Error(`HTTP ${r.statusCode}`)));
    });
  }
  send(m: object) {
    this.ws.send(JSON.stringify({ Namespace: 'Graph', ...m }));
  }
  wait(pred: (m: Msg) => boolean, ms = 3000): Promise<Msg> {
    const found = this.msgs.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      this.waiters.push({ pred, resolve });
      setTimeout(() => reject(new Error(`timed out; got ${this.msgs.map((x) => x.Type).join(',')}`)), ms);
    });
  }
  close() {
    this.ws.close();
  }
}

const post = (path: string, body: unknown) =>
  fetch(t.base + path, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json() as Promise<{ ID: string }>);
const closed = (c: Client) => new Promise((r) => (c.ws.readyState === WebSocket.CLOSED ? r(null) : c.ws.once('close', r)));

describe('/ws/subscriber', () => {
  it('answers SyncRequest with SyncReply (same UUID) and streams events in order', async () => {
    const sw = await post('/api/node', { Metadata: { Name: 'ws-sw', Type: 'switch' } });
    const c = new Client('/ws/subscriber', { 'X-Client-Type': 'test', 'X-Host-ID': 'sub-1' });
    await c.opened;
    c.send({ Type: 'SyncRequest', UUID: 'u-1', Obj: {} });
    const reply = await c.wait((m) => m.Type === 'SyncReply');
    expect(reply).toMatchObject({ Namespace: 'Graph', UUID: 'u-1', Status: 200 });
    expect(reply.Obj.Nodes.map((n: { ID: string }) => n.ID)).toContain(sw.ID);
    const p = await post('/api/node', { Metadata: { Name: 'ws-p1', Type: 'port' } });
    await post('/api/edge', { Parent: sw.ID, Child: p.ID, Metadata: { RelationType: 'ownership' } });
    await fetch(`${t.base}/api/node/${p.ID}`, { method: 'DELETE' });
    await c.wait((m) => m.Type === 'NodeDeleted');
    const types = c.msgs.filter((m) => m.Type !== 'SyncReply').map((m) => m.Type);
    expect(types).toEqual(['NodeAdded', 'EdgeAdded', 'EdgeDeleted', 'NodeDeleted']);
    expect(c.msgs.at(-1)!.Obj.DeletedAt).toBeGreaterThan(0);
    c.close();
  });

  it('applies a simple X-Gremlin-Filter per element', async () => {
    const c = new Client(`/ws/subscriber?x-gremlin-filter=${encodeURIComponent("G.V().Has('Type', 'host')")}`, { 'X-Client-Type': 'test' });
    await c.opened;
    await post('/api/node', { Metadata: { Name: 'not-a-host', Type: 'switch' } });
    await post('/api/node', { Metadata: { Name: 'filtered-host', Type: 'host' } });
    const m = await c.wait((x) => x.Type === 'NodeAdded');
    expect(m.Obj.Metadata.Name).toBe('filtered-host');
    expect(c.msgs.filter((x) => x.Type === 'NodeAdded')).toHaveLength(1);
    c.close();
  });

  it('re-evaluates traversal filters (debounced) and sends the differences', async () => {
    const tor = await post('/api/node', { Metadata: { Name: 'tor-f', Type: 'switch' } });
    const c = new Client('/ws/subscriber', { 'X-Client-Type': 'test', 'X-Gremlin-Filter': "G.V().Has('Name', 'tor-f').Out()" });
    await c.opened;
    c.send({ Type: 'SyncRequest', UUID: 'u-2', Obj: {} });
    expect((await c.wait((m) => m.Type === 'SyncReply')).Obj.Nodes).toEqual([]);
    const p = await post('/api/node', { Metadata: { Name: 'tor-f-p1', Type: 'port' } });
    await post('/api/node', { Metadata: { Name: 'unrelated', Type: 'port' } });
    await post('/api/edge', { Parent: tor.ID, Child: p.ID, Metadata: { RelationType: 'ownership' } });
    const added = await c.wait((m) => m.Type === 'NodeAdded', 4000);
    expect(added.Obj.ID).toBe(p.ID);
    await fetch(`${t.base}/api/node/${p.ID}`, { method: 'DELETE' });
    const gone = await c.wait((m) => m.Type === 'NodeDeleted', 4000);
    expect(gone.Obj.ID).toBe(p.ID);
    expect(c.msgs.filter((m) => m.Type === 'NodeAdded').map((m) => m.Obj.Metadata.Name)).toEqual(['tor-f-p1']);
    c.close();
  });

  it('answers a bad filter in SyncRequest with Status 400, and refuses a bad header filter', async () => {
    const c = new Client('/ws/subscriber', { 'X-Client-Type': 'test' });
    await c.opened;
    c.send({ Type: 'SyncRequest', UUID: 'u-3', Obj: { GremlinFilter: 'G.V().Has(' } });
    const r = await c.wait((m) => m.Type === 'SyncReply');
    expect(r.Status).toBe(400);
    expect(String(r.Obj)).toMatch(/expected/);
    c.ws.send('this is not json');
    expect((await c.wait((m) => m.Type === 'Error')).Status).toBe(400);
    c.close();
    const bad = new Client('/ws/subscriber', { 'X-Client-Type': 'test', 'X-Gremlin-Filter': 'G.V(' });
    await expect(bad.opened).rejects.toThrow('HTTP 400');
  });

  it('requires X-Client-Type and rejects a duplicate X-Host-ID with 409', async () => {
    await expect(new Client('/ws/subscriber', {}).opened).rejects.toThrow('HTTP 400');
    const a = new Client('/ws/subscriber', { 'X-Client-Type': 'test', 'X-Host-ID': 'dup' });
    await a.opened;
    await expect(new Client('/ws/subscriber', { 'X-Client-Type': 'test', 'X-Host-ID': 'dup' }).opened).rejects.toThrow('HTTP 409');
    a.close();
    await closed(a);
    await new Client('/ws/subscriber', { 'X-Client-Type': 'test', 'X-Host-ID': 'dup' }).opened;
  });

  it('SyncRequest with Time returns the graph as it was', async () => {
    const before = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    await post('/api/node', { Metadata: { Name: 'late-node', Type: 'host' } });
    const c = new Client('/ws/subscriber', { 'X-Client-Type': 'test' });
    await c.opened;
    c.send({ Type: 'SyncRequest', UUID: 'u-4', Obj: { Time: before } });
    const r = await c.wait((m) => m.Type === 'SyncReply');
    expect(r.Obj.Nodes.map((n: { Metadata: { Name: string } }) => n.Metadata.Name)).not.toContain('late-node');
    c.close();
  });
});

describe('/ws/publisher', () => {
  it('Sync replaces the origin sub-graph; increments apply; invalid elements are dropped and counted', async () => {
    const pub = new Client('/ws/publisher', { 'X-Client-Type': 'test', 'X-Host-ID': 'pub-a' });
    await pub.opened;
    const nodes = [
      { ID: 'pa-h', Metadata: { Name: 'pa-host', Type: 'host', Sockets: [{ Pid: 42, LocalPort: 22 }] } },
      { ID: 'pa-i', Metadata: { Name: 'eth0', Type: 'device' } },
      { ID: 'pa-bad', Metadata: { Type: 'device' } },
    ];
    pub.send({
      Type: 'Sync',
      Obj: { Nodes: nodes, Edges: [{ ID: 'pa-e', Parent: 'pa-h', Child: 'pa-i', Metadata: { RelationType: 'ownership' } }] },
    });
    await expect.poll(async () => (await fetch(`${t.base}/api/node/pa-e`)).status).toBe(404);
    await expect.poll(async () => (await fetch(`${t.base}/api/edge/pa-e`)).status).toBe(200);
    const h = (await (await fetch(`${t.base}/api/node/pa-h`)).json()) as { Origin: string; Host: string; Metadata: { Sockets: unknown } };
    expect(h.Origin).toBe('publisher.pub-a');
    expect(h.Host).toBe('pub-a');
    expect(h.Metadata.Sockets).toEqual([{ Pid: 42, LocalPort: 22 }]); // passed through as published
    expect((await fetch(`${t.base}/api/node/pa-bad`)).status).toBe(404);
    const metrics = await (await fetch(t.base + '/metrics')).text();
    expect(metrics).toMatch(/canopy_ws_invalid_elements_total\{reason="invalid_node"\} 1/);

    pub.send({ Type: 'NodeUpdated', Obj: { ID: 'pa-i', Metadata: { Name: 'eth0', Type: 'device', State: 'DOWN' } } });
    await expect
      .poll(async () => ((await (await fetch(`${t.base}/api/node/pa-i`)).json()) as { Metadata: { State?: string } }).Metadata.State)
      .toBe('DOWN');
    // A new Sync without pa-i removes it (and its edge).
    pub.send({ Type: 'Sync', Obj: { Nodes: [nodes[0]], Edges: [] } });
    await expect.poll(async () => (await fetch(`${t.base}/api/node/pa-i`)).status).toBe(404);
    expect((await fetch(`${t.base}/api/node/pa-h`)).status).toBe(200);
    // A publisher cannot delete what another origin wrote.
    const foreign = await post('/api/node', { Metadata: { Name: 'api-owned', Type: 'host' } });
    pub.send({ Type: 'NodeDeleted', Obj: { ID: foreign.ID } });
    pub.send({ Type: 'NodeAdded', Obj: { ID: 'pa-marker', Metadata: { Name: 'marker', Type: 'host' } } });
    await expect.poll(async () => (await fetch(`${t.base}/api/node/pa-marker`)).status).toBe(200);
    expect((await fetch(`${t.base}/api/node/${foreign.ID}`)).status).toBe(200);
    pub.close();
    await closed(pub);
    // Persistent by default: still there after disconnect.
    expect((await fetch(`${t.base}/api/node/pa-h`)).status).toBe(200);
  });

  it('DeleteOnDisconnect removes the origin when the connection closes', async () => {
    const pub = new Client('/ws/publisher', {
      'X-Client-Type': 'test',
      'X-Host-ID': 'pub-b',
      'X-Persistence-Policy': 'DeleteOnDisconnect',
    });
    await pub.opened;
    pub.send({ Type: 'NodeAdded', Obj: { ID: 'pb-h', Metadata: { Name: 'pb-host', Type: 'host' } } });
    await expect.poll(async () => (await fetch(`${t.base}/api/node/pb-h`)).status).toBe(200);
    pub.close();
    await expect.poll(async () => (await fetch(`${t.base}/api/node/pb-h`)).status).toBe(404);
  });
});
