// `canopy flow-matrix` against a real collector: formats, credentials, --help and exit statuses.
import { execFile } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../api/helpers.ts';

const bin = resolve('bin/canopy.js');
let t: TestCollector;
/** When the hosts were posted: `--at=-1s` must fall after it. */
let postedAt = 0;

/** Runs the CLI without blocking the event loop: the collector answers from this process. */
function cli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(process.execPath, [bin, 'flow-matrix', ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const status = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      res({ status, stdout, stderr });
    });
  });
}

const sock = (la: string, lp: number, ra: string, rp: number, State: string, Name: string) => ({
  Process: `/opt/${Name}`,
  Pid: 7,
  Name,
  LocalAddress: la,
  LocalPort: lp,
  RemoteAddress: ra,
  RemotePort: rp,
  Protocol: 'TCP',
  State,
});

beforeAll(async () => {
  t = await startTestCollector({
    'auth.users': [],
    'auth.tokens': [
      { token: 'tok-matrix-cli-1', role: 'viewer' },
      { token: 'tok-matrix-cli-admin', role: 'admin' },
    ],
  });
  const post = (body: unknown) =>
    fetch(`${t.base}/api/node`, {
      method: 'POST',
      headers: { Authorization: 'Bearer tok-matrix-cli-admin', 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  await post({
    ID: 'h-db',
    Host: 'db',
    Metadata: {
      Type: 'host',
      Name: 'db',
      IPV4: ['10.8.0.1/24'],
      Sockets: [
        sock('0.0.0.0', 5432, '0.0.0.0', 0, 'LISTEN', 'postgres'),
        sock('10.8.0.1', 5432, '10.8.0.2', 50000, 'ESTABLISHED', 'postgres'),
      ],
    },
  });
  await post({
    ID: 'h-app',
    Host: 'app',
    Metadata: {
      Type: 'host',
      Name: 'app',
      IPV4: ['10.8.0.2/24'],
      Sockets: [sock('10.8.0.2', 50000, '10.8.0.1', 5432, 'ESTABLISHED', 'django')],
    },
  });
  postedAt = Date.now();
});
afterAll(async () => {
  await t?.stop();
});

describe('canopy flow-matrix', () => {
  it('prints CSV by default and JSON with --format json', async () => {
    const csv = await cli('--collector', t.base, '--token', 'tok-matrix-cli-1');
    expect(csv.stderr).toBe('');
    expect(csv.status).toBe(0);
    expect(csv.stdout).toBe(
      'protocol,server,server_ip,port,server_proc,server_procname,client,client_ip,client_proc,client_procname\n' +
        'TCP,db,10.8.0.1,5432,/opt/postgres,postgres,app,10.8.0.2,/opt/django,django\n',
    );
    // The graph one second ago must already hold both hosts (a fast machine gets here sooner).
    await new Promise((r) => setTimeout(r, Math.max(0, postedAt + 1500 - Date.now())));
    const j = await cli('--collector', t.base, '--token', 'tok-matrix-cli-1', '--format', 'json', '--at=-1s', '--duration', '5m');
    expect(j.status).toBe(0);
    expect(JSON.parse(j.stdout)).toEqual([expect.objectContaining({ server: 'db', client: 'app', port: 5432, client_procname: 'django' })]);
    const dot = await cli('--collector', t.base, '--token', 'tok-matrix-cli-1', '--format', 'dot');
    expect(dot.stdout).toMatch(/^digraph flowmatrix \{/);
  });

  it('--help is status 0; usage errors 2; no or bad credentials and unreachable collectors 1', async () => {
    const h = await cli('--help');
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(
      /usage: canopy flow-matrix[\s\S]*--use-flows[\s\S]*--list-no-peers[\s\S]*exit status: 0 ok, 1 .*, 2 usage error/,
    );
    expect((await cli('--format', 'png')).status).toBe(2);
    expect((await cli('--bogus')).status).toBe(2);
    expect((await cli('extra')).status).toBe(2);
    expect((await cli('--token', 'x', '--username', 'u')).status).toBe(2);
    const badAt = await cli('--collector', t.base, '--token', 'tok-matrix-cli-1', '--at', 'soon');
    expect(badAt.status).toBe(2);
    expect(badAt.stderr).toMatch(/^canopy flow-matrix: 400: at: /);
    const noAuth = await cli('--collector', t.base);
    expect(noAuth.status).toBe(1);
    expect(noAuth.stderr).toMatch(/401/);
    // A port nothing listens on: one just bound and released.
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    await new Promise((r) => srv.close(r));
    const down = await cli('--collector', `http://127.0.0.1:${port}`);
    expect(down.status).toBe(1);
    expect(down.stderr).toBe(`canopy flow-matrix: cannot reach a collector at http://127.0.0.1:${port}: connection refused\n`);
  });
});
