// Several snmp.devices entries at one address:port (an SNMP proxy, or snmpsim's one endpoint
// serving many devices by community or v3 context): a config error naming both entries unless each
// is named and they differ by community / contextName; then each is its own polled device.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../../src/config/load.ts';
import { startSimulator, type RunningSimulator } from '../../../src/collectors/snmp/sim/server.ts';
import { deviceId } from '../../../src/collectors/snmp/devices.ts';
import { FIXTURE_DIR } from './sim/helpers.ts';
import { readSnmprec, startApiCollector, startHarness, waitFor } from './helpers.ts';

const WALKS = ['librenms__arista_eos', 'librenms__dnos'];
const sysDescr = (c: string) => readSnmprec(join(FIXTURE_DIR, `${c}.snmprec`)).get('1.3.6.1.2.1.1.1.0')!.value;
const V3 = { user: 'canopy', authProtocol: 'sha', authKey: 'authpass123', privProtocol: 'aes', privKey: 'privpass123' } as const;

describe('devices sharing one address:port', () => {
  let sim: RunningSimulator;
  const tmp = mkdtempSync(join(tmpdir(), 'canopy-shared-ep-'));
  beforeAll(async () => {
    sim = await startSimulator({
      files: WALKS.map((c) => join(FIXTURE_DIR, `${c}.snmprec`)),
      v3: { users: [{ name: V3.user, authProtocol: 'sha', authKey: V3.authKey, privProtocol: 'aes', privKey: V3.privKey }] },
    });
  });
  afterAll(async () => {
    await sim?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const cfgFile = (yaml: string) => {
    const f = join(tmp, `c${Math.random().toString(36).slice(2)}.yml`);
    writeFileSync(f, yaml);
    return f;
  };

  it('is a config error naming the file, both entries and the reason', () => {
    const f = cfgFile(
      [
        'snmp:',
        '  devices:',
        '    - { address: 10.0.0.1, community: a }',
        '    - { address: 10.0.0.2 }',
        '    - { address: 10.0.0.3 }',
        '    - { address: 10.0.0.1, port: 161, community: b }',
        '    - { address: 10.0.0.2, name: x, community: a }',
        '    - { address: 10.0.0.2, name: y, community: a }',
        '',
      ].join('\n'),
    );
    let err: unknown;
    try {
      loadConfig({ env: {}, file: f });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain(
      `${f}: snmp.devices.3: same address:port (10.0.0.1:161) as snmp.devices.0: several devices at one address:port each need an explicit \`name\``,
    );
    // 4 and 5 are named, but 5 has 4's community: one device listed twice.
    expect(msg).toContain(`${f}: snmp.devices.5: same address:port (10.0.0.2:161) as snmp.devices.4: they do not differ by \`community\``);
    expect(msg).toContain(`${f}: snmp.devices.4: same address:port (10.0.0.2:161) as snmp.devices.1:`);
    expect(msg).not.toContain('snmp.devices.2');
  });

  it('polls each named entry as its own device (v2c communities and v3 context names)', async () => {
    const base = { address: '127.0.0.1', port: sim.port };
    const h = await startHarness({
      devices: [
        { ...base, name: 'arista', community: WALKS[0] },
        { ...base, name: 'dnos', community: WALKS[1] },
        { ...base, version: '3', name: 'dnos-v3', contextName: WALKS[1], ...V3 },
        { ...base, version: '3', name: 'arista-v3', contextName: WALKS[0], ...V3 },
      ],
      timeout: 2,
      retries: 1,
    });
    try {
      await h.snmp.poller.pollNow();
      const devs = h.snmp.poller.devices();
      expect(devs.map((d) => d.target.key)).toEqual([
        `127.0.0.1:${sim.port}`,
        `127.0.0.1:${sim.port}/dnos`,
        `127.0.0.1:${sim.port}/dnos-v3`,
        `127.0.0.1:${sim.port}/arista-v3`,
      ]);
      expect(new Set(devs.map((d) => d.target.id)).size).toBe(4);
      expect(devs[0]!.target.id).toBe(deviceId('127.0.0.1', sim.port));
      for (const d of devs) expect(d.status.state, d.target.key).toBe('ok');
      const descr = (i: number) => h.store.getNode(devs[i]!.switchId!)!.Metadata.SysDescr;
      expect(descr(0)).toBe(sysDescr(WALKS[0]!));
      expect(descr(1)).toBe(sysDescr(WALKS[1]!));
      // The v3 entries reach the device their context name selects.
      expect(descr(2)).toBe(sysDescr(WALKS[1]!));
      expect(descr(3)).toBe(sysDescr(WALKS[0]!));
    } finally {
      await h.stop();
    }
  }, 60_000);

  it('POST /api/devices: a second unnamed device at one address:port is a 409 saying why; named and distinct is polled', async () => {
    const ADMIN = `Basic ${Buffer.from('admin:admin-pass-1').toString('base64')}`;
    const c = await startApiCollector({
      'auth.users': [{ name: 'admin', password: 'admin-pass-1', role: 'admin' }],
      'snmp.devices': [{ address: '127.0.0.1', port: sim.port, community: WALKS[0], name: 'arista' }],
      'snmp.timeout': 1,
      'snmp.retries': 0,
    });
    try {
      const one = await c.send('POST', '/api/devices', { address: '127.0.0.1', port: sim.port, community: WALKS[1] }, ADMIN);
      expect(one.status).toBe(409);
      expect(JSON.stringify(one.body)).toContain('need an explicit `name`');
      const same = await c.send(
        'POST',
        '/api/devices',
        { address: '127.0.0.1', port: sim.port, community: WALKS[0], name: 'again' },
        ADMIN,
      );
      expect(same.status).toBe(409);
      expect(JSON.stringify(same.body)).toContain('do not differ by `community`');
      const ok = await c.send('POST', '/api/devices', { address: '127.0.0.1', port: sim.port, community: WALKS[1], name: 'dnos' }, ADMIN);
      expect(ok.status).toBe(201);
      const id = deviceId('127.0.0.1', sim.port, 'dnos');
      expect(ok.body.ID).toBe(id);
      const list = (await c.get('/api/devices', ADMIN)).body;
      expect(Object.keys(list).sort()).toEqual([deviceId('127.0.0.1', sim.port), id].sort());
      const status = async (i: string) => (await c.get(`/api/devices/${i}`, ADMIN)).body.Status;
      await waitFor(
        async () => (await status(id))?.state === 'ok' && (await status(deviceId('127.0.0.1', sim.port)))?.state === 'ok',
        15_000,
      );
      const first = await status(deviceId('127.0.0.1', sim.port));
      const second = await status(id);
      expect(second.address).toBe('127.0.0.1');
      expect(first.state).toBe('ok');
      expect(second.switchId).not.toBe(first.switchId);
      expect((await c.send('DELETE', `/api/devices/${id}`, undefined, ADMIN)).status).toBe(200);
    } finally {
      await c.stop();
    }
  }, 60_000);
});
