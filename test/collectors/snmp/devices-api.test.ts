// /api/devices: admin-only CRUD, validation (4xx), a list keyed by ID, secrets masked,
// persistence across a restart, and an API-added device really gets polled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type RunningSimulator } from '../../../src/collectors/snmp/sim/server.ts';
import { deviceId } from '../../../src/collectors/snmp/devices.ts';
import { startApiCollector, waitFor, type ApiCollector } from './helpers.ts';

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
const ADMIN = basic('admin', 'admin-pass-1');
const VIEWER = basic('viewer', 'viewer-pass-1');

describe('/api/devices', () => {
  let sim: RunningSimulator;
  let c: ApiCollector;
  const dir = mkdtempSync(join(tmpdir(), 'canopy-devices-'));
  const overrides = () => ({
    'auth.users': [
      { name: 'admin', password: 'admin-pass-1', role: 'admin' },
      { name: 'viewer', password: 'viewer-pass-1', role: 'viewer' },
    ],
    'snmp.devices': [{ address: '127.0.0.9', port: 1161, community: 'cfg-secret' }],
    'snmp.timeout': 0.3,
    'snmp.retries': 0,
  });

  beforeAll(async () => {
    sim = await startSimulator({ switches: { count: 1, ports: 4, fdbEntries: 3 } });
    c = await startApiCollector(overrides(), dir);
  }, 30_000);
  afterAll(async () => {
    await c?.stop();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const body = () => ({ address: '127.0.0.1', port: sim.port, version: '2c', community: ['wrong-one', sim.devices[0]!.community] });

  it('lists config devices keyed by ID with secrets masked', async () => {
    const r = await c.get('/api/devices', VIEWER);
    expect(r.status).toBe(200);
    const id = deviceId('127.0.0.9', 1161);
    expect(Object.keys(r.body)).toEqual([id]);
    expect(r.body[id]).toMatchObject({ ID: id, address: '127.0.0.9', port: 1161, version: '2c', community: '***', Source: 'config' });
    expect(JSON.stringify(r.body)).not.toContain('cfg-secret');
    expect((await c.get('/api/devices')).status).toBe(401);
  });

  it('rejects writes from viewers and bad input', async () => {
    expect((await c.send('POST', '/api/devices', body(), VIEWER)).status).toBe(403);
    for (const bad of [
      {},
      { address: '' },
      { address: '10.0.0.1', port: 70000 },
      { address: '10.0.0.1', colour: 'red' },
      { address: '10.0.0.1', version: '3', authProtocol: 'rot13' },
      [1, 2],
    ]) {
      const r = await c.send('POST', '/api/devices', bad, ADMIN);
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.title).toBe('Bad Request');
    }
    expect((await c.send('POST', '/api/devices', '{not json', ADMIN)).status).toBe(400);
    expect((await c.send('DELETE', `/api/devices/${deviceId('127.0.0.9', 1161)}`, undefined, ADMIN)).status).toBe(409);
    expect((await c.send('PUT', '/api/devices/nope', body(), ADMIN)).status).toBe(404);
  });

  it('creates a device (201), polls it with the second community, refuses a duplicate (409)', async () => {
    const r = await c.send('POST', '/api/devices', body(), ADMIN);
    expect(r.status).toBe(201);
    const id = deviceId('127.0.0.1', sim.port);
    expect(r.body).toMatchObject({ ID: id, Source: 'api', community: ['***', '***'] });
    expect((await c.send('POST', '/api/devices', body(), ADMIN)).status).toBe(409);
    const st = await waitFor(
      async () => {
        const s = (await c.get(`/api/devices/${id}`, VIEWER)).body.Status;
        return s?.state === 'ok' && s.counts.fdb === 3 ? s : undefined;
      },
      10_000,
      'the API device to be polled',
    );
    expect(st.counts.ports).toBe(4);
    expect(st.sysName).toBe(sim.devices[0]!.community);
  });

  it('updates (PUT), survives a restart, deletes', async () => {
    const id = deviceId('127.0.0.1', sim.port);
    const put = await c.send('PUT', `/api/devices/${id}`, { ...body(), name: 'renamed', counterInterval: 5 }, ADMIN);
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ name: 'renamed', counterInterval: 5 });
    expect((await c.send('PUT', `/api/devices/${id}`, { ...body(), port: 1 }, ADMIN)).status).toBe(400);

    await c.stop();
    c = await startApiCollector(overrides(), dir);
    const list = (await c.get('/api/devices', VIEWER)).body;
    expect(Object.keys(list).sort()).toEqual([id, deviceId('127.0.0.9', 1161)].sort());
    expect(list[id]).toMatchObject({ name: 'renamed', Source: 'api' });

    expect((await c.send('DELETE', `/api/devices/${id}`, undefined, ADMIN)).status).toBe(200);
    expect((await c.get(`/api/devices/${id}`, VIEWER)).status).toBe(404);
    expect((await c.send('DELETE', `/api/devices/${id}`, undefined, ADMIN)).status).toBe(404);
    expect(Object.keys((await c.get('/api/status', VIEWER)).body.components.snmp.devices)).toEqual(['127.0.0.9:1161']);
  }, 20_000);
});
