// skydive-client's WSClient against a real Canopy (auth on): the handshake headers it sends,
// the messages its publishers send right after open, and the SyncRequest/SyncReply exchange.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, PyRestClient, eventually, fill, loadExchange, openWs, pyUuidHex, startCanopy, type Canopy, type Vars } from './harness.ts';

let canopy: Canopy;
let rest: PyRestClient;
let token: string;

/** WSClient.connect() with a username: Authenticate.login() first, then Cookie: authtoken=<token>. */
async function loginToken(): Promise<string> {
  const auth = new PyRestClient(canopy.endpoint, ADMIN.username, ADMIN.password);
  expect(await auth.login()).toBe(true);
  return auth.token;
}

async function lookup(q: string): Promise<{ ID: string; Host: string; Metadata: Record<string, unknown> }[]> {
  const ex = fill(loadExchange('lookup-nodes'), {});
  return (await rest.request({ ...ex.request!, json: { GremlinQuery: q } })) as {
    ID: string;
    Host: string;
    Metadata: Record<string, unknown>;
  }[];
}

function handshake(name: string, v: Vars) {
  return fill(loadExchange(name).request!, { token, ...v });
}

beforeAll(async () => {
  canopy = await startCanopy({ auth: true });
  rest = new PyRestClient(canopy.endpoint, ADMIN.username, ADMIN.password);
  token = await loginToken();
});
afterAll(async () => {
  await canopy?.stop();
});

describe('/ws/publisher', () => {
  it('accepts the handshake and applies NodeAdded/EdgeAdded, dropping invalid elements (tests.py test_injection)', async () => {
    const conn = await openWs(canopy.endpoint, handshake('ws-publisher-handshake', { host_id: 'host-test2' }));
    const ex = fill(loadExchange('ws-publisher-messages'), {
      uuid1: pyUuidHex(),
      uuid2: pyUuidHex(),
      uuid3: pyUuidHex(),
      uuid4: pyUuidHex(),
      uuid5: pyUuidHex(),
      uuid6: pyUuidHex(),
    });
    for (const m of ex.messages!) conn.ws.send(JSON.stringify(m));
    const checks = ex.expect.afterwards as { lookup: string; count: number }[];
    for (const c of checks) {
      const got = await eventually(
        () => lookup(c.lookup),
        (r) => r.length === c.count,
      );
      expect(got, c.lookup).toHaveLength(c.count);
    }
    const [port] = await lookup("G.V().Has('Name', 'Test port')");
    expect(port!.ID).toBe('PORT_TEST');
    // Host "" in the message: the element is attributed to the publisher's X-Host-ID.
    expect(port!.Host).toBe('host-test2');
    await conn.close();
  });

  it('refuses a second connection with the same X-Host-ID with 409', async () => {
    const first = await openWs(canopy.endpoint, handshake('ws-publisher-handshake', { host_id: 'dup-host' }));
    const ex = loadExchange('ws-publisher-duplicate-host-id');
    await expect(openWs(canopy.endpoint, handshake('ws-publisher-duplicate-host-id', { host_id: 'dup-host' }))).rejects.toMatchObject({
      status: ex.expect.status,
    });
    await first.close();
    // Once the first one is gone the ID is free again.
    const again = await eventually(
      () => openWs(canopy.endpoint, handshake('ws-publisher-handshake', { host_id: 'dup-host' })).catch(() => undefined),
      (c) => c !== undefined,
    );
    expect(again).toBeDefined();
    await again!.close();
  });

  it('X-Persistence-Policy: DeleteOnDisconnect removes what the connection published when it closes', async () => {
    const conn = await openWs(canopy.endpoint, handshake('ws-publisher-delete-on-disconnect', { host_id: 'ephemeral-host' }));
    conn.ws.send(
      JSON.stringify({
        UUID: pyUuidHex(),
        Namespace: 'Graph',
        Type: 'NodeAdded',
        Obj: { ID: 'EPHEMERAL', Host: '', Metadata: { Name: 'ephemeral', Type: 'fabric' } },
        Status: 200,
      }),
    );
    expect(
      await eventually(
        () => lookup("G.V().Has('Name', 'ephemeral')"),
        (r) => r.length === 1,
      ),
    ).toHaveLength(1);
    await conn.close();
    expect(
      await eventually(
        () => lookup("G.V().Has('Name', 'ephemeral')"),
        (r) => r.length === 0,
      ),
    ).toHaveLength(0);
  });

  it('accepts the older client handshake (Authorization: Basic, no X-Client-Protocol)', async () => {
    const basic = Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64');
    const conn = await openWs(canopy.endpoint, fill(loadExchange('ws-publisher-basic-auth').request!, { host_id: 'old-client', basic }));
    conn.ws.send(
      JSON.stringify({
        UUID: pyUuidHex(),
        Namespace: 'Graph',
        Type: 'NodeAdded',
        Obj: { ID: 'OLD', Host: 'old-client', Metadata: { Name: 'old', Type: 'fabric' } },
        Status: 200,
      }),
    );
    expect(
      await eventually(
        () => lookup("G.V().Has('Name', 'old')"),
        (r) => r.length === 1,
      ),
    ).toHaveLength(1);
    await conn.close();
  });

  it('answers a SyncRequest sent on the publisher with the whole graph (same UUID)', async () => {
    const uuid = pyUuidHex();
    const ex = fill(loadExchange('ws-publisher-sync-request'), { token, host_id: 'sync-on-publisher', uuid1: uuid });
    const conn = await openWs(canopy.endpoint, ex.request!);
    conn.ws.send(JSON.stringify(ex.messages![0]));
    const reply = await conn.next((m) => m.UUID === uuid);
    expect({ Namespace: reply.Namespace, Type: reply.Type, Status: reply.Status }).toEqual({
      Namespace: 'Graph',
      Type: 'SyncReply',
      Status: 200,
    });
    const all = (await rest.request(fill(loadExchange('node-list'), { node_id: '' }).request!)) as Record<string, unknown>;
    expect((reply.Obj as { Nodes: { ID: string }[] }).Nodes.map((n) => n.ID).sort()).toEqual(Object.keys(all).sort());
    await conn.close();
  });

  it("accepts the older client's empty X-Client-Type, as Skydive did (recorded/ws-publisher-empty-client-type.json)", async () => {
    const basic = Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64');
    const conn = await openWs(canopy.endpoint, handshake('ws-publisher-empty-client-type', { host_id: 'old-client', basic }));
    await conn.close();
  });

  it('refuses a handshake without credentials (401)', async () => {
    const req = handshake('ws-publisher-handshake', { host_id: 'nobody' });
    const headers = { ...req.headers };
    delete headers.Cookie;
    await expect(openWs(canopy.endpoint, { ...req, headers })).rejects.toMatchObject({ status: 401 });
  });
});

describe('/ws/subscriber', () => {
  it('answers SyncRequest with a SyncReply carrying the same UUID, then streams changes in the same envelope', async () => {
    const conn = await openWs(canopy.endpoint, handshake('ws-subscriber-sync', { host_id: 'listener' }));
    const uuid = pyUuidHex();
    const ex = fill(loadExchange('ws-subscriber-sync'), { token, host_id: 'listener', uuid1: uuid });
    conn.ws.send(JSON.stringify(ex.messages![0]));
    const reply = await conn.next((m) => m.Type === 'SyncReply');
    expect({ Namespace: reply.Namespace, Type: reply.Type, UUID: reply.UUID, Status: reply.Status }).toEqual({
      Namespace: 'Graph',
      Type: 'SyncReply',
      UUID: uuid,
      Status: 200,
    });
    const obj = reply.Obj as { Nodes: { ID: string; Metadata: { Type: string } }[]; Edges: unknown[] };
    expect(Array.isArray(obj.Nodes) && Array.isArray(obj.Edges)).toBe(true);
    const fabric = (await lookup("G.V().Has('Type', 'fabric')")).map((n) => n.ID).sort();
    expect(obj.Nodes.map((n) => n.ID).sort()).toEqual(fabric);

    // A later write arrives as {UUID, Namespace: "Graph", Type: "NodeAdded", Status, Obj}.
    const create = fill(loadExchange('node-create'), { node_id: 'SUB_NEW', now: Date.now(), client_host: 'h', name: 'sub-new' });
    await rest.request(create.request!);
    const added = await conn.next((m) => m.Type === 'NodeAdded' && (m.Obj as { ID?: string }).ID === 'SUB_NEW');
    expect(added.Namespace).toBe('Graph');
    expect(added.Status).toBe(200);
    expect(typeof added.UUID).toBe('string');
    expect((added.Obj as { Metadata: { Name: string } }).Metadata.Name).toBe('sub-new');
    await conn.close();
  });

  it('answers a SyncRequest with a bad filter with Status 400', async () => {
    const conn = await openWs(canopy.endpoint, handshake('ws-subscriber-sync', { host_id: 'listener-bad' }));
    const uuid = pyUuidHex();
    conn.ws.send(
      JSON.stringify({ UUID: uuid, Namespace: 'Graph', Type: 'SyncRequest', Obj: { GremlinFilter: 'G.V().Has(' }, Status: 200 }),
    );
    const reply = await conn.next((m) => m.UUID === uuid);
    expect(reply.Type).toBe('SyncReply');
    expect(reply.Status).toBe(400);
    await conn.close();
  });
});
