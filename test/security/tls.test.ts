// api.tls with a self-signed certificate made here by openssl: HTTPS and WSS on the API's port with
// the certificate pinned, plain HTTP refused there, and a bad certificate or key stopping start-up
// with the key, the file and the reason.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import https from 'node:https';
import http from 'node:http';
import WebSocket from 'ws';
import { startTestCollector, type TestCollector } from '../api/helpers.ts';

const ADMIN = 'tls-admin-token-123456';
const AGENT = 'tls-agent-token-123456';
const dir = mkdtempSync(join(tmpdir(), 'canopy-tls-'));
const cert = join(dir, 'cert.pem');
const key = join(dir, 'key.pem');
const otherKey = join(dir, 'other-key.pem');
const selfSigned = (keyOut: string, certOut: string) =>
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyOut,
      '-out',
      certOut,
      '-days',
      '1',
    ].concat(['-subj', '/CN=canopy-test', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']),
    { stdio: 'ignore' },
  );

// scripts/install-test-deps.sh installs it; without it the file skips.
const haveOpenssl = spawnSync('openssl', ['version']).status === 0;
let t: TestCollector;
let port = 0;
let ca: Buffer;
beforeAll(async () => {
  if (!haveOpenssl) return;
  selfSigned(key, cert);
  selfSigned(otherKey, join(dir, 'other-cert.pem'));
  ca = readFileSync(cert);
  t = await startTestCollector({
    'api.tls': { cert, key },
    'auth.tokens': [{ token: ADMIN, role: 'admin' }],
    'auth.users': [{ name: 'op', password: 'tls-op-password', role: 'viewer' }],
    'agents.tokens': [{ token: AGENT, host: 'tls-agent' }],
  });
  port = Number(t.collector.apiAddresses[0]!.split(':').pop());
});
afterAll(async () => {
  await t?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const get = (mod: typeof https | typeof http, url: string, opts: https.RequestOptions = {}) =>
  new Promise<{ status: number; body: string }>((res, rej) => {
    const req = mod.get(url, { headers: { Authorization: `Bearer ${ADMIN}` }, ...opts }, (r) => {
      let body = '';
      r.on('data', (d: Buffer) => (body += d.toString()));
      r.on('end', () => res({ status: r.statusCode ?? 0, body }));
    });
    req.on('error', rej);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
  });

describe.skipIf(!haveOpenssl)('HTTPS and WSS on the API port', () => {
  it('HTTPS answers with the certificate pinned; an unpinned client refuses the self-signed certificate', async () => {
    const r = await get(https, `https://127.0.0.1:${port}/api/status`, { ca });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toHaveProperty('components');
    await expect(get(https, `https://127.0.0.1:${port}/api/status`)).rejects.toThrow(/self[- ]signed/i);
  });

  it('the login cookie is Secure over TLS', async () => {
    const cookie = await new Promise<string>((res, rej) => {
      const req = https.request(
        `https://127.0.0.1:${port}/login`,
        { method: 'POST', ca, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } },
        (r) => (r.resume(), res(String(r.headers['set-cookie'] ?? ''))),
      );
      req.on('error', rej);
      req.end('username=op&password=tls-op-password');
    });
    expect(cookie).toMatch(/^authtoken=[0-9a-f]+;.*HttpOnly.*; Secure$/);
  });

  it('a WSS subscriber gets the graph’s changes', async () => {
    const ws = new WebSocket(`wss://127.0.0.1:${port}/ws/subscriber`, {
      ca,
      headers: { Authorization: `Bearer ${ADMIN}`, 'X-Client-Type': 'test' },
    });
    const seen: string[] = [];
    ws.on('message', (d) => seen.push(String(d)));
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
    const body = JSON.stringify({ ID: 'tls-node', Metadata: { Name: 'over-tls', Type: 'host' } });
    const created = await new Promise<number>((res, rej) => {
      const req = https.request(
        `https://127.0.0.1:${port}/api/node`,
        { method: 'POST', ca, headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' } },
        (r) => (r.resume(), res(r.statusCode ?? 0)),
      );
      req.on('error', rej);
      req.end(body);
    });
    expect(created).toBe(201);
    await expect.poll(() => seen.some((m) => m.includes('"NodeAdded"') && m.includes('over-tls')), { timeout: 3000 }).toBe(true);
    ws.close();
  });

  it('a host agent (canopy agent) dials wss:// trusting the certificate through NODE_EXTRA_CA_CERTS', async () => {
    const cfg = join(dir, 'agent.yml');
    // Only the host itself: no namespaces, containers, sockets or lldpd of the shared machine.
    writeFileSync(
      cfg,
      stringify({
        agent: {
          netns: { match: '^canopy-tls-none$', processes: false },
          docker: { enabled: false },
          runc: { dirs: [] },
          sockets: { enabled: false },
          lldp: { enabled: false },
        },
      }),
    );
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CANOPY_')));
    const agent = spawn(
      process.execPath,
      [
        resolve('bin/canopy.js'),
        'agent',
        '--config',
        cfg,
        '--collector',
        `wss://127.0.0.1:${port}`,
        '--token',
        AGENT,
        '--hostname',
        'tls-agent',
        '--machine-id',
        'tls-agent-machine',
      ],
      { env: { ...env, NODE_EXTRA_CA_CERTS: cert }, stdio: 'ignore' },
    );
    try {
      await expect
        .poll(
          async () => JSON.parse((await get(https, `https://127.0.0.1:${port}/api/status`, { ca })).body).components.agents?.agents ?? [],
          {
            timeout: 20_000,
            interval: 250,
          },
        )
        .toEqual(expect.arrayContaining([expect.objectContaining({ host: 'tls-agent', connected: true })]));
    } finally {
      const exited = new Promise((r) => agent.once('exit', r));
      agent.kill('SIGTERM');
      await exited;
    }
  });

  it('plain HTTP and WS on that port get no answer', async () => {
    await expect(get(http, `http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    const status = await new Promise<string>((res) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/subscriber`, {
        headers: { Authorization: `Bearer ${ADMIN}`, 'X-Client-Type': 't' },
      });
      ws.once('open', () => res('open'));
      ws.once('error', (e) => res(`error: ${e.message}`));
    });
    expect(status).toMatch(/^error/);
  });
});

describe.skipIf(!haveOpenssl)('a bad api.tls stops start-up naming key, file and reason', () => {
  const start = (tls: { cert: string; key: string }) =>
    startTestCollector({ 'api.tls': tls, 'auth.tokens': [{ token: ADMIN, role: 'admin' }] });

  it('a missing file, a file that is no key, a key of another certificate', async () => {
    const missing = join(dir, 'nope.pem');
    await expect(start({ cert: missing, key })).rejects.toThrow(`api.tls.cert: cannot read ${missing}: ENOENT`);
    await expect(start({ cert, key: missing })).rejects.toThrow(`api.tls.key: cannot read ${missing}: ENOENT`);
    await expect(start({ cert: key, key })).rejects.toThrow(new RegExp(`^api\\.tls\\.cert: ${key} is not a PEM certificate: `));
    await expect(start({ cert, key: cert })).rejects.toThrow(new RegExp(`^api\\.tls\\.key: ${cert} is not a PEM private key: `));
    await expect(start({ cert, key: otherKey })).rejects.toThrow(
      new RegExp(`^api\\.tls\\.key: ${otherKey} is not the private key of ${cert}: `),
    );
  });

  it('canopy collector exits non-zero with that message', () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CANOPY_')));
    const r = spawnSync(process.execPath, [resolve('bin/canopy.js'), 'collector', '--data-dir', join(dir, 'data')], {
      encoding: 'utf8',
      env: {
        ...env,
        CANOPY_API_LISTEN: '127.0.0.1:0',
        CANOPY_SFLOW_LISTEN: '127.0.0.1:0',
        CANOPY_NETFLOW_LISTEN: '127.0.0.1:0',
        CANOPY_IPFIX_LISTEN: '127.0.0.1:0',
        CANOPY_SNMP_TRAPS_LISTEN: '127.0.0.1:0',
        CANOPY_API_TLS: JSON.stringify({ cert: join(dir, 'nope.pem'), key }),
      },
      timeout: 60_000,
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`api.tls.cert: cannot read ${join(dir, 'nope.pem')}: ENOENT`);
  });
});
