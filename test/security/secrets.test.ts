// Secrets never leave the collector: distinctive community strings, v3 keys, API and agent tokens and
// passwords are configured (and posted), then grepped for in everything the collector says — its
// pino output at trace level from start-up through SNMP polling errors and failed logins, every GET
// route (read from the router), the error answers and `canopy collector --print-config`.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.ts';
import { Collector } from '../../src/collector.ts';
import { createRegistry } from '../../src/util/metrics.ts';
import { defaultComponents } from '../../src/components.ts';
import { concrete } from './sweep.ts';

const S = {
  community: 'COMMUNITY-s3cr3t-9f1e',
  community2: 'COMMUNITY2-s3cr3t-7c2d',
  authKey: 'AUTHKEY-s3cr3t-77aa',
  privKey: 'PRIVKEY-s3cr3t-88bb',
  credCommunity: 'CREDCOMM-s3cr3t-1234',
  credAuthKey: 'CREDAUTH-s3cr3t-4321',
  trapCommunity: 'TRAPCOMM-s3cr3t-5678',
  trapAuthKey: 'TRAPAUTH-s3cr3t-8765',
  trapPrivKey: 'TRAPPRIV-s3cr3t-2468',
  password: 'PASSWORD-s3cr3t-abcd',
  apiToken: 'APITOKEN-s3cr3t-efgh',
  agentToken: 'AGENTTOKEN-s3cr3t-ijkl',
  posted: 'POSTCOMM-s3cr3t-mnop',
  postedKey: 'POSTKEY-s3cr3t-uvwx',
  attempt: 'ATTEMPT-s3cr3t-qrst',
};
// Nothing answers on these loopback ports: every poll times out (polling errors in the log).
const SILENT_PORT = 39161;

const dir = mkdtempSync(join(tmpdir(), 'canopy-secrets-'));
const settings = {
  api: { listen: '127.0.0.1:0' },
  sflow: { listen: '127.0.0.1:0' },
  netflow: { listen: '127.0.0.1:0' },
  ipfix: { listen: '127.0.0.1:0' },
  storage: { dataDir: dir },
  auth: {
    users: [{ name: 'admin', password: S.password, role: 'admin' }],
    tokens: [{ token: S.apiToken, role: 'admin' }],
  },
  agents: { tokens: [{ token: S.agentToken, host: 'h1' }] },
  snmp: {
    timeout: 0.2,
    retries: 0,
    devices: [
      { address: '127.0.0.1', port: SILENT_PORT, community: [S.community, S.community2] },
      {
        address: '127.0.0.2',
        port: SILENT_PORT,
        version: '3',
        user: 'secuser',
        authProtocol: 'sha',
        authKey: S.authKey,
        privProtocol: 'aes',
        privKey: S.privKey,
      },
    ],
    credentials: [
      { subnet: '127.0.0.0/8', version: '2c', community: S.credCommunity },
      { subnet: '127.0.0.0/8', version: '3', user: 'creduser', authProtocol: 'sha', authKey: S.credAuthKey },
    ],
    vlanCommunities: true,
    traps: {
      listen: '127.0.0.1:0',
      communities: [S.trapCommunity],
      users: [{ user: 'trapuser', authProtocol: 'sha', authKey: S.trapAuthKey, privProtocol: 'aes', privKey: S.trapPrivKey }],
    },
  },
};
const configFile = join(dir, 'canopy.yml');
writeFileSync(configFile, stringify(settings));

const lines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, cb) {
    lines.push(chunk.toString());
    cb();
  },
});
let collector: Collector;
let base = '';
const said: { where: string; text: string }[] = [];
const admin = { Authorization: `Bearer ${S.apiToken}` };

beforeAll(async () => {
  collector = new Collector({
    config: loadConfig({ env: {}, file: configFile }),
    configFile,
    log: pino({ level: 'trace' }, sink),
    registry: createRegistry(false),
    components: defaultComponents(),
  });
  await collector.start();
  base = `http://${collector.apiAddresses[0]}`;
});
afterAll(async () => {
  await collector.stop();
  rmSync(dir, { recursive: true, force: true });
});

const record = async (where: string, r: Response) => said.push({ where: `${where} → ${r.status}`, text: await r.text() });
const leaks = (text: string) =>
  Object.entries(S)
    .filter(([, v]) => text.includes(v))
    .map(([k]) => k);

describe('secrets stay secret', () => {
  it('are in none of: the log, any GET route, error answers, --print-config', async () => {
    // A device posted at run time, with its secrets; and requests that fail with them in the body.
    const post = (body: unknown) =>
      fetch(base + '/api/devices', {
        method: 'POST',
        headers: { ...admin, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    const created = await post({ address: '127.0.0.3', port: SILENT_PORT, community: S.posted });
    expect(created.status).toBe(201);
    const id = ((await created.clone().json()) as { ID: string }).ID;
    await record('POST /api/devices', created);
    await record('POST /api/devices (unresolvable address)', await post({ address: 'not-an-ip', community: S.posted }));
    await record('POST /api/devices (conflict)', await post({ address: '127.0.0.3', port: SILENT_PORT, community: S.posted }));
    await record(
      'POST /api/devices (bad v3)',
      await post({ address: '127.0.0.4', version: '3', user: 'u', authKey: S.postedKey, privKey: 'short', bogus: S.postedKey }),
    );
    await record(
      'POST /api/devices (not JSON)',
      await fetch(base + '/api/devices', { method: 'POST', headers: admin, body: `{"community":"${S.posted}"` }),
    );
    await record(
      'PUT /api/devices/:id (bad)',
      await fetch(base + `/api/devices/${id}`, {
        method: 'PUT',
        headers: admin,
        body: JSON.stringify({ address: '127.0.0.9', community: S.posted }),
      }),
    );
    // Failed logins and bad tokens (an attempted password is somebody's secret too).
    const basic = (u: string, p: string) => ({ Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    await record('GET /api/status (bad password)', await fetch(base + '/api/status', { headers: basic('admin', S.attempt) }));
    await record(
      'POST /login (bad password)',
      await fetch(base + '/login', { method: 'POST', body: new URLSearchParams({ username: 'admin', password: S.attempt }) }),
    );
    await record('GET /api/status (bad bearer)', await fetch(base + '/api/status', { headers: { Authorization: `Bearer ${S.attempt}` } }));
    await record(
      'GET /api/status (agent token)',
      await fetch(base + '/api/status', { headers: { Authorization: `Bearer ${S.agentToken}` } }),
    );
    await record('POST /api/config/reload', await fetch(base + '/api/config/reload', { method: 'POST', headers: admin }));
    // Let polling fail against the silent ports (each device times out at least once).
    await expect
      .poll(
        async () => {
          const devs = (await (await fetch(base + '/api/devices', { headers: admin })).json()) as Record<string, { Status: unknown }>;
          return Object.values(devs).filter((d) => JSON.stringify(d.Status ?? '').match(/timed? ?out|error|fail|unreach/i)).length;
        },
        { timeout: 15_000, interval: 300 },
      )
      .toBeGreaterThanOrEqual(3);
    // Every GET route the router has, as admin (status, devices, topology, metrics, openapi...).
    for (const r of collector.apiRoutes().filter((x) => x.method === 'GET')) {
      const path = r.path.includes(':id') && r.path.startsWith('/api/devices') ? r.path.replace(':id', id) : concrete(r.path);
      await record(`GET ${r.path}`, await fetch(base + path, { headers: admin }));
    }
    expect(said.map((s) => s.where)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^GET \/api\/status → 200/),
        expect.stringMatching(/^GET \/api\/devices → 200/),
        expect.stringMatching(/^GET \/metrics → 200/),
      ]),
    );

    const printed = spawnSync(process.execPath, [resolve('bin/canopy.js'), 'collector', '--config', configFile, '--print-config'], {
      encoding: 'utf8',
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CANOPY_'))),
      timeout: 60_000,
    });
    expect(printed.status).toBe(0);
    said.push({ where: '--print-config', text: printed.stdout + printed.stderr });
    const agentPrinted = spawnSync(
      process.execPath,
      [resolve('bin/canopy.js'), 'agent', '--collector', 'ws://127.0.0.1:1', '--token', S.agentToken, '--print-config'],
      { encoding: 'utf8', env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CANOPY_'))), timeout: 60_000 },
    );
    expect(agentPrinted.status).toBe(0);
    expect(agentPrinted.stdout).toContain('ws://127.0.0.1:1');
    said.push({ where: 'canopy agent --print-config', text: agentPrinted.stdout + agentPrinted.stderr });
    // The masked config still says what is configured.
    expect(printed.stdout).toContain('secuser');

    expect(lines.length).toBeGreaterThan(5);
    // Bad credentials are logged (without them).
    expect(lines.some((l) => l.includes('API credentials refused'))).toBe(true);
    // Polling errors went through the log (the unresolvable device's, at debug level).
    await expect.poll(() => lines.some((l) => l.includes('snmp poll failed')), { timeout: 15_000, interval: 200 }).toBe(true);
    said.push({ where: 'log', text: lines.join('') });
    const found = said.flatMap((s) => leaks(s.text).map((k) => `${k} in ${s.where}`));
    expect(found).toEqual([]);
  });
});
