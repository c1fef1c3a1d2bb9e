// Containers: Docker through a unix-socket server answering the Engine API (list, inspect, and the
// events stream) with responses written from the Engine API reference (v1.43) — synthetic, since no
// engine runs here and no npm package ships the Engine API's swagger schema to validate them
// against (see fixtures/README.md) — and runc state directories created here around live processes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerSource } from '../../src/agent/containers/docker.ts';
import { listRunc } from '../../src/agent/containers/runc.ts';
import { buildGraph, containerId, hostIdOf } from '../../src/agent/graph/build.ts';
import { silentLogger } from '../../src/util/log.ts';

const ID1 = 'a'.repeat(12) + '0123456789abcdef0123456789abcdef0123456789abcdef0123';
const ID2 = 'b'.repeat(12) + '0123456789abcdef0123456789abcdef0123456789abcdef0123';
let dir = '';
let proc: ChildProcess;
let engine: Server;
const events: ServerResponse[] = [];
let listCalls = 0;

const summary = (id: string, name: string, state: string) => ({
  Id: id,
  Names: [`/${name}`],
  Image: 'nginx:1.25',
  ImageID: 'sha256:' + 'c'.repeat(64),
  Command: 'nginx -g daemon off;',
  Created: 1700000000,
  State: state,
  Status: state === 'running' ? 'Up 5 minutes' : 'Exited (0) 1 minute ago',
  Labels: { 'io.kubernetes.pod.name': 'web-0' },
  NetworkSettings: { Networks: { bridge: { IPAddress: '172.17.0.2', MacAddress: '02:42:ac:11:00:02' } } },
});
const inspect = (id: string, name: string, pid: number) => ({
  Id: id,
  Created: '2023-11-14T22:13:20.000000000Z',
  Name: `/${name}`,
  State: { Status: pid ? 'running' : 'exited', Running: pid > 0, Paused: false, Pid: pid, ExitCode: 0 },
  Config: { Hostname: id.slice(0, 12), Image: 'nginx:1.25', Labels: { 'io.kubernetes.pod.name': 'web-0' } },
  HostConfig: { NetworkMode: 'default' },
  NetworkSettings: { SandboxKey: `/var/run/docker/netns/${id.slice(0, 12)}`, Networks: { bridge: { IPAddress: '172.17.0.2' } } },
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'canopy-containers-'));
  proc = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  engine = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://docker');
    const json = (o: unknown) => (res.writeHead(200, { 'Content-Type': 'application/json' }), res.end(JSON.stringify(o)));
    if (url.pathname === '/containers/json') {
      listCalls++;
      return json(listCalls > 1 ? [summary(ID1, 'web', 'running')] : [summary(ID1, 'web', 'running'), summary(ID2, 'old', 'exited')]);
    }
    if (url.pathname === `/containers/${ID1}/json`) return json(inspect(ID1, 'web', proc.pid!));
    if (url.pathname === `/containers/${ID2}/json`) return json(inspect(ID2, 'old', 0));
    if (url.pathname === '/events') {
      expect(JSON.parse(url.searchParams.get('filters')!)).toEqual({ type: ['container'] });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      events.push(res);
      return;
    }
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ message: `page not found` }));
  });
  await new Promise<void>((r) => engine.listen(join(dir, 'docker.sock'), r));
});
afterAll(async () => {
  for (const e of events) e.end();
  engine.closeAllConnections();
  await new Promise((r) => engine.close(r));
  proc.kill();
  rmSync(dir, { recursive: true, force: true });
});

const host = { name: 'h1', hostname: 'h1', machineId: 'mid-h1', kernel: '6.1' };
const rootNs = () => ({
  ref: { key: '', kind: 'root' as const, path: '/proc/self/ns/net', inode: Number(/\d+/.exec(readlinkSync('/proc/self/ns/net'))![0]) },
  ifaces: [],
  nsIds: [],
});

describe('Docker Engine API over its unix socket', () => {
  it('lists and inspects containers; a running one sits in its netns (here the host’s) with ContainerID for the k8s join', async () => {
    let changes = 0;
    const src = new DockerSource(join(dir, 'docker.sock'), () => changes++, silentLogger());
    const list = await src.list();
    expect(list.map((c) => [c.name, c.status, c.pid])).toEqual([
      ['web', 'running', proc.pid],
      ['old', 'exited', undefined],
    ]);
    const g = buildGraph({ host, netnsDir: '/run/netns', namespaces: [rootNs()], containers: list });
    const web = g.nodes.get(containerId(ID1))!;
    expect(web.Metadata).toMatchObject({
      Type: 'container',
      Name: 'web',
      ContainerID: ID1,
      Runtime: 'docker',
      State: 'UP',
      Image: 'nginx:1.25',
    });
    expect((web.Metadata.Labels as Record<string, string>)['io.kubernetes.pod.name']).toBe('web-0');
    expect(g.nodes.get(containerId(ID2))!.Metadata.State).toBe('DOWN');
    expect([...g.edges.values()].some((e) => e.Parent === hostIdOf(host) && e.Child === containerId(ID1))).toBe(true);
    // The event stream: one line per event, each one a re-read.
    src.follow();
    await expect.poll(() => events.length, { timeout: 3000 }).toBe(1);
    events[0]!.write(
      JSON.stringify({ Type: 'container', Action: 'die', Actor: { ID: ID2, Attributes: { name: 'old' } }, time: 1700000100 }) + '\n',
    );
    await expect.poll(() => changes, { timeout: 3000 }).toBe(1);
    expect((await src.list()).map((c) => c.name)).toEqual(['web']);
    src.stop();
  });

  it('no socket: no containers and no error', async () => {
    expect(await new DockerSource(join(dir, 'missing.sock'), () => {}, silentLogger()).list()).toEqual([]);
  });
});

describe('runc state directories', () => {
  it('a live container (its init PID alive with the recorded start time) is running; a stale one is stopped', () => {
    const root = join(dir, 'runc');
    const stat = readFileSync(`/proc/${proc.pid}/stat`, 'utf8');
    const start = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const write = (id: string, o: object) => {
      mkdirSync(join(root, id), { recursive: true });
      writeFileSync(join(root, id, 'state.json'), JSON.stringify(o));
    };
    write('c1', {
      id: 'c1',
      init_process_pid: proc.pid,
      init_process_start: start,
      created: '2024-01-01T00:00:00Z',
      config: { rootfs: '/x', labels: ['bundle=/run/c1', 'io.kubernetes.container.name=app'] },
      namespace_paths: { NEWNET: `/proc/${proc.pid}/ns/net` },
    });
    write('c2', { id: 'c2', init_process_pid: proc.pid, init_process_start: start + 1, config: { labels: [] }, namespace_paths: {} });
    mkdirSync(join(root, 'c3'));
    writeFileSync(join(root, 'c3', 'state.json'), '{broken');
    const list = listRunc([root, join(dir, 'nope')]).sort((a, b) => a.id.localeCompare(b.id));
    expect(list.map((c) => [c.id, c.name, c.status, c.runtime])).toEqual([
      ['c1', 'app', 'running', 'runc'],
      ['c2', 'c2', 'stopped', 'runc'],
    ]);
    expect(list[0]!.netnsInode).toBe(Number(/\d+/.exec(readlinkSync(`/proc/${proc.pid}/ns/net`))![0]));
    expect(list[0]!.labels.bundle).toBe('/run/c1');
  });
});
