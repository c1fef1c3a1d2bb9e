// The collector's side of agents on a real collector: a token bound to one host (another X-Host-ID
// gets 403, the origin comes from the token), bad messages counted and answered with an error
// frame, the host DOWN once its agent is gone longer than downAfter, a silent agent dropped after two
// missed pongs, and the OVSDB relay seam against a real ovsdb-server on a unix socket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startTestCollector, type TestCollector } from '../api/helpers.ts';
import { AGENT_HUB } from '../../src/component/provisions.ts';
import { Agent } from '../../src/agent/agent.ts';
import { defaultConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/util/log.ts';

const ADMIN = 'admin-token-123456';
let t: TestCollector;
beforeAll(async () => {
  t = await startTestCollector({
    'auth.tokens': [{ token: ADMIN, role: 'admin' }],
    'agents.tokens': [
      { token: 'agent-token-h1-abc', host: 'h1' },
      { token: 'agent-token-h2-abc', host: 'h2' },
    ],
    'agents.downAfter': 1,
    'agents.pingInterval': 0.3,
  });
});
afterAll(async () => t.stop());

const dial = (token: string, hostId?: string, opts: WebSocket.ClientOptions = {}) =>
  new WebSocket(`${t.ws}/ws/agent`, {
    ...opts,
    headers: { Authorization: `Bearer ${token}`, 'X-Client-Type': 'test', ...(hostId ? { 'X-Host-ID': hostId } : {}) },
  });
const status = (ws: WebSocket) =>
  new Promise<number>((res) => {
    ws.once('open', () => {
      ws.once('close', () => setTimeout(() => res(101), 100));
      ws.close();
    });
    ws.once('unexpected-response', (_q, r) => res(r.statusCode ?? 0));
    ws.once('error', () => {});
  });
const opened = (ws: WebSocket) => new Promise<void>((r, j) => (ws.once('open', () => r()), ws.once('error', j)));
const api = async (path: string) => (await fetch(t.base + path, { headers: { Authorization: `Bearer ${ADMIN}` } })).json() as Promise<any>;
const hostNode = { ID: 'host-h1-test', Metadata: { Type: 'host', Name: 'h1', State: 'UP' } };

describe('agent tokens and messages', () => {
  it('a token is bound to its host: another X-Host-ID gets 403, its own or none is accepted', async () => {
    expect(await status(dial('agent-token-h1-abc', 'h2'))).toBe(403);
    expect(await status(dial('agent-token-h1-abc', 'h1'))).toBe(101);
    expect(await status(dial('agent-token-h1-abc'))).toBe(101);
    expect(await status(dial('wrong-token-123456', 'h1'))).toBe(401);
  });

  it('writes only under agent.<token host>; bad messages are counted and answered with an error frame', async () => {
    const ws = dial('agent-token-h2-abc');
    await opened(ws);
    const frames: any[] = [];
    ws.on('message', (d) => frames.push(JSON.parse(String(d))));
    ws.send(
      JSON.stringify({
        Type: 'Sync',
        Obj: { Nodes: [{ ...hostNode, ID: 'host-h2-test', Metadata: { Type: 'host', Name: 'h2' } }], Edges: [] },
      }),
    );
    ws.send('{not json');
    ws.send(JSON.stringify({ Type: 'Launch', Obj: {} }));
    await expect.poll(() => frames.length, { timeout: 3000 }).toBe(2);
    expect(frames.map((f) => [f.Type, f.Status, f.Obj.Reason])).toEqual([
      ['Error', 400, 'bad_message'],
      ['Error', 400, 'unknown_type'],
    ]);
    expect((await api('/api/node/host-h2-test')).Origin).toBe('agent.h2');
    const metrics = await (await fetch(t.base + '/metrics', { headers: { Authorization: `Bearer ${ADMIN}` } })).text();
    expect(metrics).toMatch(/canopy_ws_invalid_elements_total\{reason="bad_message"\} [1-9]/);
    ws.close();
  });

  it('the host turns DOWN once its agent has been gone longer than downAfter, and UP with the next Sync', async () => {
    const ws = dial('agent-token-h1-abc');
    await opened(ws);
    ws.send(JSON.stringify({ Type: 'Sync', Obj: { Nodes: [hostNode], Edges: [] } }));
    await expect.poll(async () => (await api('/api/node/host-h1-test')).Metadata?.State, { timeout: 3000 }).toBe('UP');
    const closed = Date.now();
    ws.close();
    await expect.poll(async () => (await api('/api/node/host-h1-test')).Metadata?.State, { timeout: 5000, interval: 100 }).toBe('DOWN');
    expect(Date.now() - closed).toBeGreaterThanOrEqual(900);
    const st = await api('/api/status');
    expect(st.components.agents.agents.find((a: any) => a.host === 'h1')).toMatchObject({ connected: false, state: 'DOWN' });
    const again = dial('agent-token-h1-abc');
    await opened(again);
    again.send(JSON.stringify({ Type: 'Sync', Obj: { Nodes: [hostNode], Edges: [] } }));
    await expect.poll(async () => (await api('/api/node/host-h1-test')).Metadata?.State, { timeout: 3000 }).toBe('UP');
    again.close();
  });

  it('an agent that stops answering pings is dropped after two missed pongs', async () => {
    const ws = dial('agent-token-h2-abc', undefined, { autoPong: false });
    await opened(ws);
    const t0 = Date.now();
    await new Promise((r) => ws.once('close', r));
    const ms = Date.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(600);
    expect(ms).toBeLessThan(3000);
    const metrics = await (await fetch(t.base + '/metrics', { headers: { Authorization: `Bearer ${ADMIN}` } })).text();
    expect(metrics).toMatch(/canopy_agent_disconnects_total\{reason="ping_timeout"\} 1/);
  });
});

const haveOvsdb = existsSync('/usr/sbin/ovsdb-server') && existsSync('/usr/share/openvswitch/vswitch.ovsschema');
describe.skipIf(!haveOvsdb)('OVSDB relay seam (real ovsdb-server on a unix socket)', () => {
  let dir = '';
  let server: ChildProcess | undefined;
  let agent: Agent | undefined;
  afterAll(async () => {
    await agent?.stop();
    server?.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the collector opens a stream to the host’s OVSDB through its agent; JSON-RPC passes unchanged', async () => {
    dir = mkdtempSync(join(tmpdir(), 'canopy-ovsdb-relay-'));
    const db = join(dir, 'conf.db');
    const sock = join(dir, 'db.sock');
    execFileSync('ovsdb-tool', ['create', db, '/usr/share/openvswitch/vswitch.ovsschema']);
    server = spawn(
      'ovsdb-server',
      [db, `--remote=punix:${sock}`, `--unixctl=${join(dir, 'ctl')}`, '--no-chdir', `--pidfile=${join(dir, 'pid')}`],
      {
        stdio: 'ignore',
      },
    );
    await expect.poll(() => existsSync(sock), { timeout: 5000 }).toBe(true);
    const base = defaultConfig().agent;
    const config = {
      ...base,
      collector: t.ws,
      token: 'agent-token-h2-abc',
      hostname: 'h2',
      machineId: 'relay-test-h2',
      ovsdb: `unix:${sock}`,
      netns: { ...base.netns, match: '^$', processes: false },
      docker: { ...base.docker, enabled: false },
      runc: { dirs: [] },
      sockets: { ...base.sockets, enabled: false },
      lldp: { ...base.lldp, enabled: false },
    };
    agent = new Agent({ config, log: silentLogger() });
    await agent.start();
    await expect.poll(() => agent!.connection.connected, { timeout: 5000 }).toBe(true);
    const hub = t.collector.provided(AGENT_HUB)!;
    const stream = await hub.openOvsdb('h2');
    const reply = await new Promise<any>((res, rej) => {
      let buf = '';
      stream.on('data', (b: Buffer) => {
        buf += b.toString();
        try {
          res(JSON.parse(buf));
        } catch {
          // more to come
        }
      });
      stream.on('error', rej);
      stream.write(JSON.stringify({ id: 1, method: 'list_dbs', params: [] }));
    });
    expect(reply).toMatchObject({ id: 1, error: null });
    expect(reply.result).toContain('Open_vSwitch');
    stream.destroy();
    // An agent with nothing to relay says so; the collector's promise fails with its reason.
    await expect(hub.openOvsdb('h9')).rejects.toThrow(/not connected/);
  });
});
