// `canopy changes` (the real CLI, spawned) against a real collector: text and --json, --node,
// credentials, --help and the exit statuses 0/1/2.
import { execFile } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../api/helpers.ts';

const bin = resolve('bin/canopy.js');
let t: TestCollector;
const TOKEN = 'tok-changes-cli-1';
let from = 0;
let to = 0;

/** Runs the CLI without blocking the event loop: the collector answers from this process. */
function cli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(process.execPath, [bin, 'changes', ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const status = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      res({ status, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  t = await startTestCollector({
    'auth.users': [],
    'auth.tokens': [
      { token: TOKEN, role: 'viewer' },
      { token: 'tok-changes-cli-admin', role: 'admin' },
    ],
  });
  const send = (method: string, path: string, body: unknown) =>
    fetch(`${t.base}${path}`, {
      method,
      headers: { Authorization: 'Bearer tok-changes-cli-admin', 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  await send('POST', '/api/node', { ID: 'sw-x', Metadata: { Type: 'switch', Name: 'leaf-x', BootTime: 1_000_000 } });
  await send('POST', '/api/node', { ID: 'port-x1', Metadata: { Type: 'port', Name: 'Ethernet1', State: 'UP', Speed: 1e10 } });
  await send('POST', '/api/node', { ID: 'sw-y', Metadata: { Type: 'switch', Name: 'leaf-y' } });
  await send('POST', '/api/edge', { ID: 'own-x1', Parent: 'sw-x', Child: 'port-x1', Metadata: { RelationType: 'ownership' } });
  await new Promise((r) => setTimeout(r, 5));
  from = Date.now();
  await new Promise((r) => setTimeout(r, 5));
  await send('PATCH', '/api/node/port-x1', [{ op: 'replace', path: '/Metadata/State', value: 'DOWN' }]);
  await send('PATCH', '/api/node/sw-x', [{ op: 'replace', path: '/Metadata/BootTime', value: 2_000_000 }]);
  await send('DELETE', '/api/node/sw-y', undefined);
  to = Date.now();
});
afterAll(async () => {
  await t?.stop();
});

describe('canopy changes', () => {
  it('prints one line per change, oldest first, with old and new values', async () => {
    const r = await cli('--collector', t.base, '--token', TOKEN, '--from', String(from), '--to', new Date(to).toISOString());
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^# 3 change\(s\) in \(/);
    expect(lines[1]).toMatch(/^\S+Z {2}link-down +port Ethernet1 \(port-x1\) {2}State: UP → DOWN$/);
    expect(lines[2]).toMatch(/ rebooted +switch leaf-x \(sw-x\) {2}BootTime: 1000000 → 2000000$/);
    expect(lines[3]).toMatch(/ node-removed +switch leaf-y \(sw-y\)$/);
  });

  it('--json prints the answer; --node keeps one device', async () => {
    const r = await cli('--collector', t.base, '--token', TOKEN, '--from', String(from), '--to', String(to), '--node', 'sw-x', '--json');
    expect(r.status).toBe(0);
    const body = JSON.parse(r.stdout) as { From: number; To: number; Changes: { Kind: string; ID: string }[] };
    expect(body.From).toBe(from);
    expect(body.Changes.map((c) => [c.Kind, c.ID])).toEqual([
      ['link-down', 'port-x1'],
      ['rebooted', 'sw-x'],
    ]);
  });

  it('--help exits 0; usage errors and a refused parameter exit 2; auth failure and no collector exit 1', async () => {
    const help = await cli('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: canopy changes');
    expect((await cli('--bogus')).status).toBe(2);
    expect((await cli('stray')).status).toBe(2);
    expect((await cli('--token', 'a', '--username', 'b', '--password', 'c')).status).toBe(2);
    const bad = await cli('--collector', t.base, '--token', TOKEN, '--from', 'last tuesday');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('400: from:');
    const denied = await cli('--collector', t.base, '--token', 'nope');
    expect(denied.status).toBe(1);
    expect(denied.stderr).toContain('401');
    // A port nothing listens on: the collector is unreachable.
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    await new Promise((r) => srv.close(r));
    const down = await cli('--collector', `http://127.0.0.1:${port}`);
    expect(down.status).toBe(1);
    expect(down.stderr).toContain('cannot reach a collector');
  });

  it('is listed in canopy --help', async () => {
    const r = await new Promise<string>((res) => execFile(process.execPath, [bin, '--help'], (_e, out) => res(out)));
    expect(r).toMatch(/^ {2}changes +what changed in the topology/m);
  });
});
